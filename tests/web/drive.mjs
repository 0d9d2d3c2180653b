// tests/web/drive.mjs: drives the web page (web/) in Debian's Chromium,
// headless, through playwright-core (no browser of its own), the way a
// person uses it: one browser for every flow, against the service at
// BASE_URL whose config directory is CONFIG_DIR. Prints one line per flow,
// "ok <flow>" or "not ok <flow>: <why>", then "timing ..." lines; writes
// screenshots to ARTIFACTS. web.bats checks the lines.
//
//   node drive.mjs BASE_URL CONFIG_DIR ARTIFACTS
//
// Seeded by web.bats: aa-bb-cc-00-00-01 "kitchen", -02 "hall", -03 "attic".

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { assert, editorText, finish, flows, launch, verdict } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tools/package.json'));
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [BASE, DIR, ARTIFACTS] = process.argv.slice(2);
const ORIGIN = new URL(BASE).origin;
const LIST_BOUND_MS = Number(process.env.WEB_LIST_BOUND_MS || 4000);
const FILTER_BOUND_MS = Number(process.env.WEB_FILTER_BOUND_MS || 250);
const STEP_TIMEOUT = 15000;
fs.mkdirSync(ARTIFACTS, { recursive: true });

const file = (mac) => path.join(DIR, `${mac}.json`);
const disk = (mac) => (fs.existsSync(file(mac)) ? fs.readFileSync(file(mac), 'utf8') : null);
// Replaces a config behind the page's back, atomically, as another writer would.
function writeBehind(mac, text) {
  const tmp = path.join(DIR, `.behind-${process.pid}`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file(mac));
}

const { run, failures } = flows(ARTIFACTS);
const flow = (name, fn) => run(name, page, fn);

const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
context.setDefaultTimeout(STEP_TIMEOUT);
// Every request must go to the test's own host; anything else is refused
// (and reported).
const requests = [];
const foreign = [];
await context.route('**/*', (route) => {
  const url = route.request().url();
  requests.push(url);
  if (new URL(url).origin !== ORIGIN && !url.startsWith('data:')) {
    foreign.push(url);
    return route.abort();
  }
  return route.continue();
});
const page = await context.newPage();
const consoleErrors = [];
page.on('console', (m) => {
  if (m.type() === 'error' && !/status of 40[49]|status of 412|status of 400/.test(m.text())) consoleErrors.push(m.text());
});
page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
page.on('dialog', (d) => d.accept());

const rows = () => page.$$eval('#devices-body tr', (trs) => trs.map((tr) => tr.querySelector('th').textContent));
const statusText = () => page.textContent('#status');
async function waitStatus(re) {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent), re.source);
}
async function openDevice(mac) {
  await page.goto('about:blank');
  await page.goto(`${BASE}/ui/#/device/${mac}`);
  await page.waitForFunction((m) => document.getElementById('device-url').value.endsWith(`/${m}.json`) &&
    !['', 'Loading…'].includes(document.getElementById('device-state').textContent), mac);
  await verdict(page);
}
// Replaces the editor's text in one change, as a paste would (lib.mjs).
async function setEditor(text) {
  await page.evaluate(async (t) => {
    const src = document.querySelector('script[type=module]').src.replace(/app\.js$/, 'codemirror.js');
    const { EditorView } = await import(src);
    const v = EditorView.findFromDOM(document.querySelector('#editor-box .cm-editor'));
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t }, userEvent: 'input.paste' });
  }, text);
  return verdict(page);
}
const saveStatus = () => page.textContent('#save-status');
async function waitSaved() {
  await page.waitForFunction(() => /^(Saved|Created) at/.test(document.getElementById('save-status').textContent));
}
async function axe(what) {
  await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(bad.length === 0, `${what}: ${bad.map((v) => `${v.id} (${v.impact}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')})`).join('; ')}`);
}
const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });

// --- flows ------------------------------------------------------------------
await flow('/ redirects to the page, which lists the seeded configs with their count', async () => {
  const res = await page.goto(`${BASE}/`);
  assert(new URL(page.url()).pathname === '/ui/', `landed on ${page.url()}`);
  assert(res.headers()['cache-control'] === 'no-cache', `page Cache-Control ${res.headers()['cache-control']}`);
  await page.waitForSelector('#devices-body tr');
  const macs = await rows();
  assert(JSON.stringify(macs) === JSON.stringify(['aa-bb-cc-00-00-01', 'aa-bb-cc-00-00-02', 'aa-bb-cc-00-00-03']), `rows ${macs}`);
  assert((await page.textContent('#count')) === '(3)', `count ${await page.textContent('#count')}`);
  const first = await page.$$eval('#devices-body tr:first-child > *', (c) => c.map((x) => x.textContent));
  assert(first[1] === 'kitchen' && first[2] === 'light.kitchen' && first[3] === 'on', `first row ${first}`);
  assert(/\d/.test(first[4]), `last change "${first[4]}"`);
});

await flow('assets have versioned URLs cached for a year', async () => {
  const css = await page.$eval('link[rel=stylesheet]', (l) => l.href);
  assert(/\/ui\/[0-9a-f]{16}\/app\.css$/.test(css), `stylesheet ${css}`);
  const r = await page.request.get(css);
  assert(r.headers()['cache-control'] === 'public, max-age=31536000, immutable', `asset Cache-Control ${r.headers()['cache-control']}`);
});

await flow('the filter matches a MAC in any form, a name and an entity id as one types', async () => {
  for (const [q, want] of [['AA:BB:CC:00:00:02', ['aa-bb-cc-00-00-02']], ['aabbcc000003', ['aa-bb-cc-00-00-03']],
    ['00-01', ['aa-bb-cc-00-00-01']], ['HALL', ['aa-bb-cc-00-00-02']], ['light.att', ['aa-bb-cc-00-00-03']], ['', null]]) {
    await page.fill('#filter', '');
    await page.type('#filter', q);
    const got = await rows();
    if (want) assert(JSON.stringify(got) === JSON.stringify(want), `"${q}" shows ${got}`);
    else assert(got.length === 3, `cleared filter shows ${got.length}`);
  }
});

await flow('sorting by a column, with the keyboard, is remembered across visits', async () => {
  await page.focus('#filter');
  // Past the "Outdated only" box (where the service reports fetches) and the
  // box that selects every device shown, to the MAC column, then Device name.
  for (let i = 0; i < 5 && (await page.evaluate(() => document.activeElement.dataset.key)) !== 'mac_address'; i++) {
    await page.keyboard.press('Tab');
  }
  await page.keyboard.press('Tab');
  assert((await page.evaluate(() => document.activeElement.dataset.key)) === 'device_name', 'Tab did not reach the name column');
  await page.keyboard.press('Enter');
  assert(JSON.stringify(await rows()) === JSON.stringify(['aa-bb-cc-00-00-03', 'aa-bb-cc-00-00-02', 'aa-bb-cc-00-00-01']), `ascending ${await rows()}`);
  await page.keyboard.press('Enter');
  assert(JSON.stringify(await rows()) === JSON.stringify(['aa-bb-cc-00-00-01', 'aa-bb-cc-00-00-02', 'aa-bb-cc-00-00-03']), `descending ${await rows()}`);
  await page.reload();
  await page.waitForSelector('#devices-body tr');
  assert((await page.getAttribute('th[aria-sort="descending"] button', 'data-key')) === 'device_name', 'sort not remembered');
  assert(JSON.stringify(await rows()) === JSON.stringify(['aa-bb-cc-00-00-01', 'aa-bb-cc-00-00-02', 'aa-bb-cc-00-00-03']), `after reload ${await rows()}`);
  await shot('list-desktop');
  await axe('list');
});

await flow('opening a device shows its file exactly, its URL and a curl command, neither read noted as a device fetch', async () => {
  const reads = [];
  const onRequest = (r) => { if (r.method() === 'GET' && /\/api\/configs\/[^/?]+(\.json|\/file)/.test(r.url())) reads.push(r); };
  page.on('request', onRequest);
  await page.click('text=aa-bb-cc-00-00-02');
  await page.waitForFunction(() => document.getElementById('validation').dataset.state === 'valid');
  page.off('request', onRequest);
  assert((await editorText(page)) === disk('aa-bb-cc-00-00-02'), 'editor differs from the file');
  assert((await page.inputValue('#device-url')) === `${BASE}/api/configs/aa-bb-cc-00-00-02.json`, 'device URL');
  assert((await page.inputValue('#device-curl')) === `curl -s '${BASE}/api/configs/aa-bb-cc-00-00-02.json?peek'`, 'curl command');
  // Neither the page's read of the file nor the copied command is taken
  // for the device's fetch, even where a browser sends no Sec-Fetch-Mode
  // (a plain-http LAN address): the page reads through the admins' /file
  // route, never noted, and any read of the device URL says it is a peek.
  assert(reads.length > 0 && reads.every((r) => /\/file$/.test(new URL(r.url()).pathname) || r.headers()['x-iotconfig-peek'] === '1'),
    `the page's reads of the file: ${reads.map((r) => `${new URL(r.url()).pathname} ${JSON.stringify(r.headers()['x-iotconfig-peek'])}`).join()}`);
  const copied = execFileSync('sh', ['-c', await page.inputValue('#device-curl')], { encoding: 'utf8' });
  assert(copied === disk('aa-bb-cc-00-00-02'), 'the copied command does not print the file');
  await new Promise((r) => setTimeout(r, 500));
  assert(!fs.existsSync(path.join(DIR, '.fetches', 'aa-bb-cc-00-00-02')), 'a read was noted as the device\'s fetch');
  assert((await page.textContent('#device-title')) === 'hall (aa-bb-cc-00-00-02)', `title ${await page.textContent('#device-title')}`);
});

await flow('live validation points at the line and column of a syntax error', async () => {
  const v = (await setEditor('{\n  "deviceName": "hall",\n  "x": tru\n}\n')).text;
  assert(/^Line 3, column \d+: /.test(v), `validation "${v}"`);
  assert((await page.getAttribute('#editor', 'aria-invalid')) === 'true', 'aria-invalid');
  const marked = await page.$$eval('#editor-box .cm-gutter-lint .cm-gutterElement', (g) => g.filter((x) => x.querySelector('.cm-lint-marker-error')).length);
  assert(marked === 1, 'gutter mark');
  await page.click('#save');
  await page.waitForFunction(() => /^Not saved/.test(document.getElementById('save-status').textContent));
  assert(/must be a JSON object/.test((await setEditor('[1, 2]')).text), 'array accepted');
});

await flow('save sends If-Match and the file on disk becomes exactly the text', async () => {
  const text = '{\n  "deviceName": "hall",\n  "deviceEntityId": "light.hall",\n  "enableOTA": false,\n  "brightness": 0.25\n}\n';
  assert((await setEditor(text)).state === 'valid', 'not valid');
  const [req] = await Promise.all([page.waitForRequest((r) => r.method() === 'PUT'), page.click('#save')]);
  assert(/^"[0-9a-f]{32}"$/.test(req.headers()['if-match'] || ''), `If-Match ${req.headers()['if-match']}`);
  await waitSaved();
  assert(disk('aa-bb-cc-00-00-02') === text, 'file on disk differs');
  await page.waitForSelector('#history-body tr');
  await shot('editor-desktop');
  await axe('editor');
});

await flow('the service\'s VALIDATION_FAILED is shown next to the editor with code and correlationId', async () => {
  const before = disk('aa-bb-cc-00-00-02');
  const text = '{\n  "deviceName": "hall",\n  "brightness": "high"\n}\n';
  assert((await setEditor(text)).state === 'valid', 'not valid before the schema');
  // A schema stored meanwhile (by another admin) refuses the text the page judged valid.
  const schema = { type: 'object', properties: { brightness: { type: 'number' }, deviceName: { maxLength: 2 } } };
  const put = await page.request.put(`${BASE}/api/schemas/default`, { data: JSON.stringify(schema) });
  assert(put.status() === 201, `PUT schema ${put.status()}`);
  await page.click('#save');
  await page.waitForSelector('#server-error:not([hidden])');
  const t = await page.textContent('#server-error');
  assert(/VALIDATION_FAILED/.test(t) && /correlationId [0-9a-f-]{36}/.test(t) && /\/brightness: must be of type number/.test(t) &&
    /\/deviceName: must be at most 2 characters/.test(t), `server error "${t}"`);
  assert(/^Not saved/.test(await saveStatus()), `save status "${await saveStatus()}"`);
  assert(disk('aa-bb-cc-00-00-02') === before, 'file changed');
  // The editor asks again and marks both.
  await page.waitForFunction(() => document.querySelectorAll('#editor-box .cm-lintRange-error').length === 2);
  const del = await page.request.delete(`${BASE}/api/schemas/default`);
  assert(del.status() === 204, `DELETE schema ${del.status()}`);
});

await flow('a 412 shows the conflict; the other version can be seen and overwritten deliberately', async () => {
  await openDevice('aa-bb-cc-00-00-01');
  const theirs = '{\n  "deviceName": "kitchen",\n  "changedBy": "script"\n}\n';
  writeBehind('aa-bb-cc-00-00-01', theirs);
  const mine = '{\n  "deviceName": "kitchen",\n  "changedBy": "me"\n}\n';
  await setEditor(mine);
  await page.click('#save');
  await page.waitForSelector('#conflict-dialog[open]');
  assert(/changed elsewhere since you opened it/i.test(await page.textContent('#conflict-title')), 'title');
  assert(disk('aa-bb-cc-00-00-01') === theirs, 'the 412 changed the file');
  await page.click('#conflict-show');
  await page.waitForSelector('#conflict-diff:not([hidden]) .cm-mergeView');
  const a = await page.$$eval('#conflict-diff .cm-merge-a .cm-changedLine', (l) => l.map((x) => x.textContent));
  const b = await page.$$eval('#conflict-diff .cm-merge-b .cm-changedLine', (l) => l.map((x) => x.textContent));
  assert(a.join() === '  "changedBy": "script"' && b.join() === '  "changedBy": "me"', `diff ${a} / ${b}`);
  await shot('conflict-desktop');
  await axe('conflict dialog');
  await page.click('#conflict-overwrite');
  await waitStatus(/Overwrote/);
  assert(disk('aa-bb-cc-00-00-01') === mine, 'overwrite did not write mine');
});

await flow('after a 412, reload discards the edits and shows the other version', async () => {
  const theirs = '{\n  "deviceName": "kitchen",\n  "changedBy": "script again"\n}\n';
  writeBehind('aa-bb-cc-00-00-01', theirs);
  await setEditor('{"deviceName": "kitchen", "mine": true}');
  await page.click('#save');
  await page.waitForSelector('#conflict-dialog[open]');
  await page.click('#conflict-reload');
  await waitStatus(/Reloaded/);
  assert((await editorText(page)) === theirs, 'editor not reloaded');
  assert(disk('aa-bb-cc-00-00-01') === theirs, 'file changed');
});

await flow('create with a colon-form MAC: shown canonical, saved with If-None-Match: *', async () => {
  await page.goto(`${BASE}/ui/`);
  await page.click('#new-config');
  await page.fill('#mac-input', 'AA:BB:CC:DD:EE:0F');
  await page.waitForFunction(() => document.getElementById('mac-canonical').textContent === 'Will be saved as aa-bb-cc-dd-ee-0f.');
  await page.click('#mac-ok');
  await page.waitForFunction(() => location.hash === '#/new/aa-bb-cc-dd-ee-0f');
  const text = '{\n  "deviceName": "porch",\n  "enableOTA": true\n}\n';
  await setEditor(text);
  const [req] = await Promise.all([page.waitForRequest((r) => r.method() === 'PUT'), page.click('#save')]);
  assert(req.headers()['if-none-match'] === '*', `If-None-Match ${req.headers()['if-none-match']}`);
  await waitSaved();
  assert(/^Created at/.test(await saveStatus()), `save status "${await saveStatus()}"`);
  assert(disk('aa-bb-cc-dd-ee-0f') === text, 'created file differs');
});

await flow('creating a MAC that has a config says so and changes nothing', async () => {
  await page.goto(`${BASE}/ui/#/new/aa-bb-cc-00-00-03`);
  await page.waitForFunction(() => document.getElementById('save').textContent === 'Create');
  await verdict(page);
  const before = disk('aa-bb-cc-00-00-03');
  await page.click('#save');
  await page.waitForSelector('#server-error:not([hidden])');
  const t = await page.textContent('#server-error');
  assert(/already exists/.test(t) && /PRECONDITION_FAILED/.test(t) && /correlationId [0-9a-f-]{36}/.test(t), `message "${t}"`);
  assert(disk('aa-bb-cc-00-00-03') === before, 'file changed');
});

await flow('duplicate copies a config to a new MAC', async () => {
  await openDevice('aa-bb-cc-dd-ee-0f');
  const source = disk('aa-bb-cc-dd-ee-0f');
  await page.click('#duplicate');
  await page.fill('#mac-input', '11-22-33-44-55-66');
  await page.waitForFunction(() => !document.getElementById('mac-ok').disabled);
  await page.click('#mac-ok');
  await page.waitForFunction(() => location.hash === '#/device/11-22-33-44-55-66');
  await page.waitForFunction(() => document.getElementById('device-state').textContent.startsWith('Version'));
  assert(disk('11-22-33-44-55-66') === source, 'copy differs');
  assert((await editorText(page)) === source, 'editor of the copy');
});

await flow('delete asks, naming the device, and removes the file', async () => {
  await openDevice('aa-bb-cc-00-00-03');
  await page.click('#delete');
  await page.waitForSelector('#confirm-dialog[open]');
  const q = await page.textContent('#confirm-title');
  assert(q === 'Delete “attic” (aa-bb-cc-00-00-03)?', `question "${q}"`);
  await page.click('#confirm-cancel');
  assert(disk('aa-bb-cc-00-00-03') !== null, 'cancel deleted');
  await page.click('#delete');
  await page.click('#confirm-ok');
  await waitStatus(/Deleted the config of/);
  assert(disk('aa-bb-cc-00-00-03') === null, 'file still there');
});

await flow('history restores a deleted config in one click', async () => {
  await page.waitForSelector('#history-body tr');
  const ops = await page.$$eval('#history-body tr td:nth-child(5)', (t) => t.map((x) => x.textContent));
  assert(ops[0] === 'deleted', `history ${ops}`);
  await page.click('#history-body tr:first-child button:has-text("Restore")');
  await page.click('#confirm-ok');
  await waitStatus(/Restored version/);
  assert(disk('aa-bb-cc-00-00-03') === '{\n  "deviceName": "attic",\n  "deviceEntityId": "light.attic",\n  "enableOTA": false\n}\n', 'restored bytes');
  assert((await editorText(page)) === disk('aa-bb-cc-00-00-03'), 'editor after restore');
});

await flow('history shows a diff of any two versions', async () => {
  await openDevice('aa-bb-cc-00-00-01');
  await setEditor('{\n  "deviceName": "kitchen",\n  "changedBy": "page"\n}\n');
  await page.click('#save');
  await waitSaved();
  await page.waitForSelector('#history-body tr:nth-child(2)');
  // Options: the current config, then the versions, newest first.
  const revs = await page.$$eval('#diff-from option', (o) => o.map((x) => x.value));
  assert(revs.length === 3 && revs[0] === '', `options ${revs}`);
  await page.selectOption('#diff-from', revs[2]);
  await page.selectOption('#diff-to', revs[1]);
  await page.click('#diff-show');
  await page.waitForSelector('#diff-out:not([hidden]) .cm-mergeView');
  const changed = (side) => page.$$eval(`#diff-out .cm-merge-${side} .cm-changedLine`, (l) => l.map((x) => x.textContent).join('|'));
  assert((await changed('a')) === '  "changedBy": "script"' && (await changed('b')) === '  "changedBy": "script again"',
    `diff ${await changed('a')} / ${await changed('b')}`);
  // A version against the current config.
  await page.click('#history-body tr:first-child button:has-text("Compare with current")');
  await page.waitForFunction(() => document.querySelector('#diff-out .diff-summary')?.textContent.includes('→ current config'));
  assert((await changed('a')) === '  "changedBy": "script again"' && (await changed('b')) === '  "changedBy": "page"',
    `diff with current ${await changed('a')} / ${await changed('b')}`);
});

await flow('a failed request shows error, code and correlationId', async () => {
  await openDevice('aa-bb-cc-00-00-02');
  fs.unlinkSync(file('aa-bb-cc-00-00-02'));   // deleted elsewhere meanwhile
  await page.click('#delete');
  await page.click('#confirm-ok');
  await page.waitForSelector('#errors .error');
  const t = await page.textContent('#errors');
  assert(/changed elsewhere/.test(t) && /HTTP status412/.test(t) && /codePRECONDITION_FAILED/.test(t) &&
    /correlationId[0-9a-f-]{36}/.test(t), `error panel "${t}"`);
  await page.click('#errors .dismiss');
  assert((await page.$$('#errors .error')).length === 0, 'not dismissed');
  await page.click('#reload');
  await page.waitForFunction(() => document.getElementById('device-state').textContent.startsWith('This MAC has no config'));
  await page.click('#history-body tr:first-child button:has-text("Restore")');
  await page.click('#confirm-ok');
  await waitStatus(/Restored version/);
});

await flow('phone width: list, editor and conflict dialog fit and stay usable', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${BASE}/ui/`);
  await page.waitForSelector('#devices-body tr');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(wide <= 390, `page is ${wide}px wide`);
  await shot('list-phone');
  await openDevice('aa-bb-cc-00-00-02');
  await shot('editor-phone');
  writeBehind('aa-bb-cc-00-00-02', '{\n  "deviceName": "hall",\n  "phone": 1\n}\n');
  await setEditor('{\n  "deviceName": "hall",\n  "phone": 2\n}\n');
  await page.click('#save');
  await page.waitForSelector('#conflict-dialog[open]');
  await page.click('#conflict-show');
  await page.waitForSelector('#conflict-diff:not([hidden]) .cm-deletedChunk');
  await shot('conflict-phone');
  await page.click('#conflict-reload');
  await waitStatus(/Reloaded/);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`${BASE}/ui/`);
  await page.waitForSelector('#devices-body tr');
  await shot('list-phone-dark');
  await axe('dark list');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
});

await flow('device fetches: a "Last fetch" column with an "old version" mark where the service reports them, none where it answers 404', async () => {
  // Both answers are stood in for here, on the same host, so the flow does
  // not depend on whether this build has the fetch route.
  await page.route('**/api/fetches', (route) => route.fulfill({
    status: 404, contentType: 'application/json',
    body: JSON.stringify({ error: 'Not found', code: 'NOT_FOUND', details: { message: 'no route' }, correlationId: 'x' }),
  }));
  await page.goto(`${BASE}/ui/`);
  await page.waitForSelector('#devices-body tr');
  const heads = () => page.$$eval('#devices-head th', (t) => t.map((x) => x.textContent.replace(/[▲▼]/g, '').trim()));
  assert(!(await heads()).includes('Last fetch'), `columns without fetches: ${await heads()}`);
  assert((await page.$$('#errors .error')).length === 0, 'a 404 for the fetches was shown as an error');
  await page.unroute('**/api/fetches');
  await page.route('**/api/fetches', (route) => route.fulfill({
    status: 200, contentType: 'application/json',
    body: JSON.stringify({ count: 1, fetches: [{ mac_address: 'aa-bb-cc-00-00-02', last_fetch_at: '2026-05-04T10:11:12Z', etag: '"x"', current: false }] }),
  }));
  await page.reload();
  await page.waitForSelector('#devices-body tr');
  assert((await heads()).includes('Last fetch'), `columns with fetches: ${await heads()}`);
  const row = await page.$$eval('#devices-body tr', (trs) => trs.map((tr) => tr.textContent).find((t) => t.includes('aa-bb-cc-00-00-02')));
  assert(/old version/.test(row) && /2026/.test(row), `row "${row}"`);
  const others = await page.$$eval('#devices-body tr', (trs) => trs.map((tr) => tr.lastElementChild.textContent));
  assert(others.filter((t) => t === 'never').length === others.length - 1, `others ${others}`);
  await page.unroute('**/api/fetches');
});

await flow('10,000 configs: the list renders and a filter keystroke updates it within the bounds', async () => {
  for (let i = 0; i < 10000; i++) {
    const mac = `10-00-00-00-${((i >> 8) & 255).toString(16).padStart(2, '0')}-${(i & 255).toString(16).padStart(2, '0')}`;
    fs.writeFileSync(file(mac), `{"deviceName":"sensor ${i}","deviceEntityId":"sensor.s${i}","enableOTA":${i % 2 === 0}}\n`);
  }
  await page.goto(`${BASE}/ui/`);   // warm: the service reads the new files once
  await page.waitForFunction(() => document.getElementById('count').textContent === '(10,005)');
  // Best of three reloads and of five keystrokes: the bound is on what the
  // page needs, not on a moment when another process had the CPU.
  const lists = [];
  for (let k = 0; k < 3; k++) {
    const t0 = Date.now();
    await page.reload();
    await page.waitForFunction(() => document.getElementById('count').textContent === '(10,005)' &&
      document.querySelectorAll('#devices-body tr').length === 200);
    lists.push(Date.now() - t0);
  }
  const keys = [];
  for (let k = 0; k < 5; k++) {
    await page.fill('#filter', 'sensor 12');
    // One keystroke: the input event, the filtering and the layout it causes.
    keys.push(await page.evaluate(() => {
      const f = document.getElementById('filter');
      const t = performance.now();
      f.value += '3';
      f.dispatchEvent(new Event('input'));
      void document.body.offsetHeight;
      return performance.now() - t;
    }));
  }
  const list = Math.min(...lists);
  const key = Math.min(...keys);
  const shown = await page.textContent('#match-count');
  assert(shown === '11 of 10,005 match', `filter shows "${shown}"`);
  console.log(`timing list_render_ms=${list} (of ${lists.join(', ')}) bound=${LIST_BOUND_MS}`);
  console.log(`timing filter_keystroke_ms=${key.toFixed(1)} (of ${keys.map((k) => k.toFixed(1)).join(', ')}) bound=${FILTER_BOUND_MS}`);
  assert(list <= LIST_BOUND_MS, `list took ${list} ms`);
  assert(key <= FILTER_BOUND_MS, `keystroke took ${key.toFixed(1)} ms`);
});

await flow('every request went to the test\'s own host, and the page logged no error', async () => {
  assert(requests.length > 20, `only ${requests.length} requests seen`);
  assert(foreign.length === 0, `requests elsewhere: ${foreign.join(' ')}`);
  assert(consoleErrors.length === 0, `console: ${consoleErrors.join(' | ')}`);
});

await browser.close();
finish(failures());
