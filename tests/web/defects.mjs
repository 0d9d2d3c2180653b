// tests/web/defects.mjs: the page's behaviour a newcomer found wanting,
// each checked in Debian's Chromium at desktop width in light mode and
// again at phone width (390×844) in dark mode, each setup on configs of
// its own: dialogs and the history table that fit a phone, MACs sorted as
// the API sorts them, the Save outcome next to the Save button and never
// a stale "Saved", "Go to the error" that scrolls, a heading that keeps
// the device's name, repeated keys flagged, Duplicate asking for the
// copy's MAC, name, entity id and host names, New config saying "already
// exists" as the MAC is typed and taking every MAC form the filter takes,
// no error shown after Delete, Restore that asks first, the device's last
// fetch, readable history, the "outdated only" filter, an empty result
// that says so, the tab title, and the schema's verdict on the device
// page and in the list. axe-core checks every view and dialog. Prints
// "ok <flow> (<setup>)" lines (defects.bats checks them); screenshots go
// to ARTIFACTS.
//
//   node defects.mjs BASE_URL CONFIG_DIR ARTIFACTS

import http from 'node:http';
import fs from 'node:fs';
import {
  assert, axe, configDir, editorText, flows, inViewport, launch, openDevice, openPage, setEditor, shot,
  verdict,
} from './lib.mjs';

const [BASE, DIR, ARTIFACTS] = process.argv.slice(2);
fs.mkdirSync(ARTIFACTS, { recursive: true });
const { disk, file, writeBehind } = configDir(DIR);

// A request from outside the browser, as a device or a script makes it
// (no Sec-Fetch-* headers, so a device fetch is noted).
function send(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${BASE}${path}`, { method, headers: { 'Content-Type': 'application/json', 'User-Agent': 'ESP32HTTPClient' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const config = (name, extra = '') => `{\n  "deviceName": "${name}",\n  "deviceEntityId": "light.${name}",\n  "enableOTA": true,\n  "wifi": {\n    "ssid": "home",\n    "hostname": "${name}"\n  }${extra}\n}\n`;

// MACs whose order a text collation gets wrong (digits as numbers, "4c" after "42").
const SORTED = ['24-0a-c4-00-00-01', '3c-71-bf-42-00-01', '3c-71-bf-4c-00-01', '7c-9e-bd-00-00-01'];

const r = await send('PUT', '/api/schemas/default', JSON.stringify({
  type: 'object',
  properties: { deviceName: { type: 'string' }, enableOTA: { type: 'boolean', description: 'Over-the-air updates.' } },
}));
if (r.status >= 300) throw new Error(`PUT schema: ${r.status} ${r.text}`);
for (const mac of [...SORTED].reverse()) fs.writeFileSync(file(mac), config(`sort${mac.slice(0, 2)}`));

const SETUPS = [
  { name: 'desktop, light', width: 1280, height: 800, colorScheme: 'light', n: 1 },
  { name: 'phone, dark', width: 390, height: 844, colorScheme: 'dark', n: 2 },
];

const browser = await launch();
const { run, failures } = flows(ARTIFACTS);
let total = 0;

for (const setup of SETUPS) {
  const { page, seen } = await openPage(browser, BASE, setup);
  const tag = setup.name.replace(/\W+/g, '-');
  const mac = (i) => `aa-bb-cc-0${setup.n}-00-0${i}`;
  const KITCHEN = mac(1);
  const HALL = mac(2);
  const ATTIC = mac(3);
  const BROKEN = mac(4);   // does not match the schema
  fs.writeFileSync(file(KITCHEN), config(`kitchen${setup.n}`));
  fs.writeFileSync(file(HALL), config(`hall${setup.n}`));
  fs.writeFileSync(file(ATTIC), config(`attic${setup.n}`));
  fs.writeFileSync(file(BROKEN), '{\n  "deviceName": "broken",\n  "enableOTA": "yes"\n}\n');
  const flow = (name, fn) => { total++; return run(`${name} (${setup.name})`, page, fn); };
  const listRows = () => page.$$eval('#devices-body tr', (trs) => trs.map((tr) => tr.querySelector('th a').textContent));
  const openList = async () => {
    await page.goto(`${BASE}/ui/`);
    await page.waitForSelector('#devices-body tr');
  };
  const saveStatus = () => page.textContent('#save-status');
  // Every dialog fits the window, its buttons too, and the page itself is no wider.
  const fits = async (dialog, what) => {
    await page.waitForSelector(`${dialog}[open]`);
    const box = await page.$eval(dialog, (d) => { const b = d.getBoundingClientRect(); return { l: b.left, r: b.right, t: b.top, b: b.bottom }; });
    assert(box.l >= 0 && box.r <= setup.width && box.t >= 0 && box.b <= setup.height, `${what}: dialog at ${JSON.stringify(box)}`);
    const buttons = await page.$$eval(`${dialog} button`, (bs) => bs.filter((b) => b.offsetParent).map((b) => b.getBoundingClientRect().right));
    assert(buttons.every((x) => x <= setup.width), `${what}: a button beyond the right edge (${buttons})`);
    assert(await page.evaluate(() => document.documentElement.scrollWidth) <= setup.width, `${what}: the page is wider than the window`);
  };

  await flow('the tab title names the page and the device', async () => {
    await openList();
    assert((await page.title()) === 'Devices · iotconfig', `list title "${await page.title()}"`);
    await openDevice(page, BASE, HALL);
    assert((await page.title()) === `hall${setup.n} (${HALL}) · iotconfig`, `device title "${await page.title()}"`);
    await page.goto(`${BASE}/ui/#/new/${mac(9)}`);
    await page.waitForFunction(() => document.getElementById('save').textContent === 'Create');
    assert((await page.title()) === `New config ${mac(9)} · iotconfig`, `new config title "${await page.title()}"`);
  });

  await flow('MACs sort as the API sorts them', async () => {
    const api = JSON.parse((await send('GET', '/api/configs')).text).configs.map((c) => c.mac_address);
    await openList();
    await page.evaluate(() => localStorage.removeItem('iotconfig.sort'));
    await openList();
    assert(JSON.stringify(await listRows()) === JSON.stringify(api), `ascending ${await listRows()} vs the API's ${api}`);
    assert(JSON.stringify((await listRows()).filter((m) => SORTED.includes(m))) === JSON.stringify(SORTED), 'not in byte order');
    await page.click('#devices-head button[data-key="mac_address"]');
    assert(JSON.stringify(await listRows()) === JSON.stringify([...api].reverse()), `descending ${await listRows()}`);
    await page.click('#devices-head button[data-key="mac_address"]');
  });

  await flow('an empty filter result says so', async () => {
    await openList();
    await page.fill('#filter', 'no such device');
    await page.waitForSelector('#list-empty:not([hidden])');
    assert((await page.textContent('#list-empty')) === 'No device matches “no such device”.', `message "${await page.textContent('#list-empty')}"`);
    assert((await listRows()).length === 0, 'rows shown');
    await page.fill('#filter', '');
    assert(await page.isHidden('#list-empty'), 'the message stays after clearing the filter');
  });

  await flow('the list marks configs that do not match their schema', async () => {
    await openList();
    const mark = await page.$eval(`#devices-body a[href="#/device/${BROKEN}"]`, (a) => a.closest('tr').querySelector('.badge')?.textContent);
    assert(mark === '1 schema error', `mark "${mark}"`);
    const good = await page.$eval(`#devices-body a[href="#/device/${KITCHEN}"]`, (a) => a.closest('tr').querySelectorAll('.badge').length);
    assert(good === 0, 'a matching config is marked');
  });

  await flow('the device page shows which schema applies and its verdict', async () => {
    await openDevice(page, BASE, BROKEN);
    const facts = await page.textContent('#device-schema');
    assert(facts === '“default” (the default); the stored config does not match it: 1 error.', `schema line "${facts}"`);
    const v = await verdict(page);
    assert(v.state === 'invalid' && /\/enableOTA: must be of type boolean/.test(v.text), `verdict "${v.text}"`);
    await openDevice(page, BASE, KITCHEN);
    assert((await page.textContent('#device-schema')) === '“default” (the default); the stored config matches it.', 'matching config');
  });

  await flow('the device page shows the last fetch and whether the device holds the current version', async () => {
    await openDevice(page, BASE, ATTIC);
    assert((await page.textContent('#device-fetch')) === 'No fetch noted (in the last 90 days).', `before: "${await page.textContent('#device-fetch')}"`);
    const got = await send('GET', `/api/configs/${ATTIC}.json`);
    assert(got.status === 200, `device fetch ${got.status}`);
    // The service notes the fetch after answering it.
    for (let i = 0; i < 50 && (await send('GET', `/api/configs/${ATTIC}/fetch`)).status !== 200; i++) {
      await new Promise((resolve) => { setTimeout(resolve, 200); });
    }
    await openDevice(page, BASE, ATTIC);
    await page.waitForFunction(() => /holds/.test(document.getElementById('device-fetch').textContent));
    const now = await page.textContent('#device-fetch');
    assert(/\d{1,2}:\d{2}:\d{2}/.test(now) && /from 127\.0\.0\.1, ESP32HTTPClient\. It holds the current version\.$/.test(now), `after a fetch: "${now}"`);
    await setEditor(page, config(`attic${setup.n}`).replace('"home"', '"away"'));
    await verdict(page);
    await page.click('#save');
    await page.waitForFunction(() => /older version/.test(document.getElementById('device-fetch').textContent));
  });

  await flow('the list has an "outdated only" filter with a count', async () => {
    await openList();
    assert(await page.isVisible('#outdated-filter'), 'no outdated filter');
    const count = await page.textContent('#outdated-count');
    await page.check('#outdated-only');
    const rows = await listRows();
    assert(rows.includes(ATTIC) && count === `(${rows.length})`, `count "${count}", outdated rows ${rows}`);
    const marks = await page.$$eval('#devices-body tr', (trs) => trs.map((tr) => tr.textContent.includes('old version')));
    assert(marks.every(Boolean), 'a row without the "old version" mark');
    const badge = `#devices-body a[href="#/device/${ATTIC}"]`;
    await page.$eval(badge, (a) => a.scrollIntoView({ block: 'center' }));
    const mark = await page.$eval(badge, (a) => [...a.closest('tr').querySelectorAll('.badge')].find((b) => b.textContent === 'old version')
      .getBoundingClientRect().right);
    assert(mark <= setup.width, `the "old version" mark ends at ${mark} px: it needs sideways scrolling`);
    await page.fill('#filter', 'kitchen');
    assert((await listRows()).length === 0 && (await page.textContent('#list-empty')) === 'No device matches “kitchen” and outdated.', 'filters combined');
    await page.fill('#filter', `attic${setup.n}`);
    assert(JSON.stringify(await listRows()) === JSON.stringify([ATTIC]), `outdated and "attic": ${await listRows()}`);
    await page.fill('#filter', '');
    await page.uncheck('#outdated-only');
    assert((await listRows()).length > 1, 'unchecking did not show every device');
    await shot(page, ARTIFACTS, `list-${tag}`);
    await axe(page, 'list');
  });

  await flow('after Save the confirmation is in view, and a later refusal leaves no "Saved"', async () => {
    await openDevice(page, BASE, KITCHEN);
    await page.evaluate(() => window.scrollTo(0, 0));
    const text = config(`kitchen${setup.n}`).replace('"home"', '"saved"');
    await setEditor(page, text);
    await verdict(page);
    await page.click('#save');
    await page.waitForFunction(() => /^Saved at \d{1,2}:\d{2}:\d{2}/.test(document.getElementById('save-status').textContent));
    assert(disk(KITCHEN) === text, 'not saved');
    assert(await inViewport(page, '#save-status'), 'the confirmation is out of view');
    assert(await inViewport(page, '#save'), 'Save out of view');
    // A later refusal: a schema error.
    await setEditor(page, text.replace('"enableOTA": true', '"enableOTA": "on"'));
    assert((await saveStatus()) === '', `"${await saveStatus()}" stays after an edit`);
    await verdict(page);
    await page.click('#save');
    await page.waitForFunction(() => /^Not saved/.test(document.getElementById('save-status').textContent));
    const all = await page.evaluate(() => document.body.innerText);
    assert(!/Saved at|Saved aa/.test(all), 'a "Saved" is still shown');
    assert(disk(KITCHEN) === text, 'the refused text was written');
    // And a refusal by the service (a config made elsewhere meanwhile).
    await setEditor(page, text);
    await page.click('#save');
    await page.waitForFunction(() => /^Saved at/.test(document.getElementById('save-status').textContent));
    await page.goto(`${BASE}/ui/#/new/${KITCHEN}`);
    await page.waitForFunction(() => document.getElementById('save').textContent === 'Create');
    await verdict(page);
    await page.click('#save');
    await page.waitForSelector('#server-error:not([hidden])');
    assert(/already exists/.test(await page.textContent('#server-error')), 'no refusal shown');
    assert(/^Not saved/.test(await saveStatus()) && !/Saved at/.test(await page.evaluate(() => document.body.innerText)), 'a "Saved" next to the refusal');
    assert(await inViewport(page, '#save-status'), 'the refusal is out of view');
  });

  await flow('Go to the error scrolls the error into view', async () => {
    await openDevice(page, BASE, HALL);
    const lines = Array.from({ length: 120 }, (_, i) => `  "key${i}": ${i},`);
    lines[100] = '  "key100": tru,';
    const text = `{\n  "deviceName": "hall${setup.n}",\n${lines.join('\n')}\n  "last": 0\n}\n`;
    await setEditor(page, text);
    const v = await verdict(page);
    assert(/^Line 103, column 13: invalid literal/.test(v.text), `verdict "${v.text}"`);
    await page.evaluate(() => { window.scrollTo(0, 0); document.querySelector('#editor-box .cm-scroller').scrollTop = 0; });
    await page.locator('#go-to-error').scrollIntoViewIfNeeded();
    await page.click('#go-to-error');
    await page.waitForFunction(() => document.querySelector('#editor-box .cm-lintRange-error'));
    await page.waitForTimeout(200);
    assert(await inViewport(page, '#editor-box .cm-lintRange-error'), 'the error is not in view');
    const line = await page.$eval('#editor-box .cm-activeLine', (l) => l.textContent);
    assert(line === '  "key100": tru,', `cursor on "${line}"`);
    assert(await page.evaluate(() => document.activeElement.id === 'editor'), 'the editor has no focus');
    await shot(page, ARTIFACTS, `go-to-error-${tag}`);
  });

  await flow('the heading keeps the device name while the JSON is invalid', async () => {
    await openDevice(page, BASE, HALL);
    await setEditor(page, `{\n  "deviceName": "hall${setup.n}",\n  "enableOTA": tru\n`);
    await verdict(page);
    assert((await page.textContent('#device-title')) === `hall${setup.n} (${HALL})`, `heading "${await page.textContent('#device-title')}"`);
    assert((await page.title()) === `hall${setup.n} (${HALL}) · iotconfig`, 'tab title');
  });

  await flow('a repeated key is flagged in the editor and not saved', async () => {
    await openDevice(page, BASE, HALL);
    const before = disk(HALL);
    await setEditor(page, `{\n  "deviceName": "hall${setup.n}",\n  "enableOTA": true,\n  "deviceName": "again"\n}\n`);
    const v = await verdict(page);
    assert(v.state === 'invalid' && /^Line 4, column 3: the key "deviceName" is repeated \(first on line 2\)/.test(v.text), `verdict "${v.text}"`);
    const marks = await page.$$eval('#editor-box .cm-lintRange-error', (m) => m.map((x) => x.textContent));
    assert(marks.join() === '"deviceName"', `marked ${marks}`);
    let put = false;
    page.on('request', (q) => { if (q.method() === 'PUT') put = true; });
    await page.click('#save');
    await page.waitForFunction(() => /^Not saved/.test(document.getElementById('save-status').textContent));
    assert(!put && disk(HALL) === before, 'saved anyway');
    await shot(page, ARTIFACTS, `repeated-key-${tag}`);
    await axe(page, 'device page with a repeated key');
  });

  await flow('Duplicate asks for the new MAC, name, entity id and host names first', async () => {
    await openDevice(page, BASE, HALL);
    const source = disk(HALL);
    await page.click('#duplicate');
    await fits('#mac-dialog', 'duplicate dialog');
    const values = await page.$$eval('#mac-fields input', (i) => i.map((x) => `${x.id}=${x.value}`));
    assert(values.join() === `dup-deviceName=hall${setup.n},dup-deviceEntityId=light.hall${setup.n},dup-host-0=hall${setup.n}`, `fields ${values}`);
    const labels = await page.$$eval('#mac-fields label', (l) => l.map((x) => x.textContent));
    assert(labels.join() === 'Device name,Home Assistant entity id,Host name (wifi › hostname)', `labels ${labels}`);
    await page.fill('#mac-input', mac(5));
    await page.waitForFunction(() => /Will be saved as/.test(document.getElementById('mac-canonical').textContent));
    assert(await page.isDisabled('#mac-ok'), 'OK with the entity id unchanged');
    assert(/must not share an entity id/.test(await page.textContent('#dup-deviceEntityId-note')), 'no reason given');
    await page.fill('#dup-deviceEntityId', `light.kitchen${setup.n}`);
    assert(await page.isDisabled('#mac-ok') && (await page.textContent('#dup-deviceEntityId-note')) === `Already the entity id of ${KITCHEN}.`, 'another config\'s entity id accepted');
    await shot(page, ARTIFACTS, `duplicate-${tag}`);
    await axe(page, 'duplicate dialog');
    await page.fill('#dup-deviceEntityId', `light.porch${setup.n}`);
    await page.fill('#dup-deviceName', `porch${setup.n}`);
    await page.fill('#dup-host-0', `porch${setup.n}`);
    assert(!(await page.isDisabled('#mac-ok')), 'OK still disabled');
    await page.click('#mac-ok');
    await page.waitForFunction((m) => location.hash === `#/device/${m}`, mac(5));
    const copy = source.replace(`"hall${setup.n}"`, `"porch${setup.n}"`).replace(`"light.hall${setup.n}"`, `"light.porch${setup.n}"`)
      .replace(`"hostname": "hall${setup.n}"`, `"hostname": "porch${setup.n}"`);
    assert(disk(mac(5)) === copy, `copy on disk ${disk(mac(5))}`);
    assert(disk(HALL) === source, 'the original changed');
  });

  await flow('New config says "already exists" with a link as the MAC is typed', async () => {
    await openList();
    await page.click('#new-config');
    await fits('#mac-dialog', 'new config dialog');
    await page.type('#mac-input', KITCHEN.toUpperCase().replace(/-/g, ':'));
    await page.waitForSelector('#mac-canonical a');
    assert((await page.textContent('#mac-canonical')) === `A config for ${KITCHEN} already exists. Open ${KITCHEN}`, `message "${await page.textContent('#mac-canonical')}"`);
    assert(await page.isDisabled('#mac-ok'), 'Create enabled for an existing MAC');
    await axe(page, 'new config dialog');
    await page.click('#mac-canonical a');
    await page.waitForFunction((m) => location.hash === `#/device/${m}`, KITCHEN);
    assert(!(await page.$('#mac-dialog[open]')), 'the dialog stayed open');
    await verdict(page);
  });

  await flow('New config and the filter take 240AC4991234: one MAC parser', async () => {
    const bare = `240AC49912${setup.n}4`;
    const canonical = `24-0a-c4-99-12-${setup.n}4`;
    await openList();
    await page.fill('#filter', bare);
    await page.waitForSelector('#open-mac:not([hidden])');
    assert((await page.textContent('#open-mac')).startsWith(`No config for ${canonical}.`), `filter: "${await page.textContent('#open-mac')}"`);
    await page.fill('#filter', '');
    await page.click('#new-config');
    await page.fill('#mac-input', bare);
    await page.waitForFunction((c) => document.getElementById('mac-canonical').textContent === `Will be saved as ${c}.`, canonical);
    await page.click('#mac-ok');
    await page.waitForFunction((c) => location.hash === `#/new/${c}`, canonical);
    await verdict(page);
    await page.click('#save');
    await page.waitForFunction(() => /^Created at/.test(document.getElementById('save-status').textContent));
    assert(disk(canonical) !== null, 'not created');
    await openList();
    await page.fill('#filter', bare);
    assert(JSON.stringify(await listRows()) === JSON.stringify([canonical]), `filter rows ${await listRows()}`);
    await page.fill('#filter', '');
  });

  await flow('after Delete the editor shows no error', async () => {
    await openDevice(page, BASE, mac(5));
    await page.click('#delete');
    await fits('#confirm-dialog', 'delete dialog');
    await axe(page, 'delete dialog');
    await page.click('#confirm-ok');
    await page.waitForFunction(() => /^Deleted/.test(document.getElementById('status').textContent));
    const v = await verdict(page);
    assert(v.state === 'none' && v.text === 'No config for this MAC.', `verdict "${v.text}" (${v.state})`);
    assert((await page.$$('#editor-box .cm-lintRange-error, #editor-box .cm-lint-marker-error')).length === 0, 'error marks');
    assert(!(await page.$eval('#validation', (e) => e.classList.contains('invalid'))), 'red verdict');
    assert((await editorText(page)) === '' && /No config/.test(await page.textContent('#editor-box .cm-placeholder')), 'placeholder');
    assert(!/expected/i.test(await page.evaluate(() => document.body.innerText)), 'an "expected" error');
  });

  await flow('Restore asks first', async () => {
    await page.waitForSelector('#history-body tr');
    await page.click('#history-body tr:first-child button:has-text("Restore")');
    await fits('#confirm-dialog', 'restore dialog');
    const q = await page.textContent('#confirm-title');
    assert(/^Restore version \d+ of “porch\d” \(aa-bb-cc-0\d-00-05\)\?$/.test(q), `question "${q}"`);
    assert(/becomes the current config/.test(await page.textContent('#confirm-text')), 'no explanation');
    await axe(page, 'restore dialog');
    await page.click('#confirm-cancel');
    assert(disk(mac(5)) === null, 'restored without asking');
    await page.click('#history-body tr:first-child button:has-text("Restore")');
    await page.click('#confirm-ok');
    await page.waitForFunction(() => /^Restored version/.test(document.getElementById('status').textContent));
    assert(disk(mac(5)) !== null && (await editorText(page)) === disk(mac(5)), 'not restored');
  });

  await flow('history shows readable versions and times to the second', async () => {
    await openDevice(page, BASE, KITCHEN);
    await page.waitForSelector('#history-body tr');
    const row = await page.$$eval('#history-body tr:first-child > *', (c) => c.map((x) => x.textContent));
    assert(/^Version \d+ \d{10}-[0-9a-f]{8}$/.test(row[0]), `version cell "${row[0]}"`);
    assert(/\d{1,2}:\d{2}:\d{2}/.test(row[1]) && /\d{1,2}:\d{2}:\d{2}/.test(row[2]), `times "${row[1]}" "${row[2]}"`);
    assert(/^\d+ bytes$/.test(row[5]), `size "${row[5]}"`);
    const options = await page.$$eval('#diff-from option', (o) => o.map((x) => x.textContent));
    assert(options[0] === 'Current config' && /^Version \d+, saved .*\d{1,2}:\d{2}:\d{2}/.test(options[1]), `options ${options}`);
  });

  await flow('every dialog and the history table fit the screen and pass axe-core', async () => {
    await openDevice(page, BASE, KITCHEN);
    await page.waitForSelector('#history-body tr');
    assert(await page.evaluate(() => document.documentElement.scrollWidth) <= setup.width, 'the device page is wider than the window');
    const wrap = await page.$eval('#history-wrap', (w) => ({ sw: w.scrollWidth, cw: w.clientWidth }));
    assert(wrap.sw <= wrap.cw, `the history table scrolls sideways (${wrap.sw} > ${wrap.cw})`);
    for (const b of await page.$$('#history-body button')) {
      const box = await b.boundingBox();
      assert(box.x >= 0 && box.x + box.width <= setup.width, `a history button at ${box.x}`);
    }
    const sel = await page.$$eval('fieldset.compare select', (s) => s.map((x) => x.getBoundingClientRect().right));
    assert(sel.every((x) => x <= setup.width), `compare selects reach ${sel}`);
    await page.click('#history-body tr:first-child button:has-text("Compare with current")');
    await page.waitForSelector('#diff-out .diff-summary');
    assert(await page.evaluate(() => document.documentElement.scrollWidth) <= setup.width, 'the diff widens the page');
    await shot(page, ARTIFACTS, `device-${tag}`);
    await axe(page, 'device page');
    // The conflict dialog, with the other version shown.
    writeBehind(KITCHEN, config(`kitchen${setup.n}`).replace('"home"', '"theirs"'));
    await setEditor(page, config(`kitchen${setup.n}`).replace('"home"', '"mine"'));
    await verdict(page);
    await page.click('#save');
    await fits('#conflict-dialog', 'conflict dialog');
    await page.click('#conflict-show');
    await page.waitForSelector('#conflict-diff .cm-editor');
    await fits('#conflict-dialog', 'conflict dialog with the diff');
    await shot(page, ARTIFACTS, `conflict-${tag}`);
    await axe(page, 'conflict dialog');
    await page.click('#conflict-reload');
    await page.waitForFunction(() => /Reloaded/.test(document.getElementById('status').textContent));
  });

  await flow('every request went to the test\'s own host; no page error and no CSP violation', async () => {
    assert(seen.foreign.length === 0, `requests elsewhere: ${seen.foreign.join(' ')}`);
    assert(seen.errors.length === 0, `console: ${seen.errors.join(' | ')}`);
    const v = seen.csp;
    assert(v.length === 0, `CSP: ${v.join(' | ')}`);
  });
  await page.context().close();
}

await browser.close();
console.log(`flows run: ${total}`);
console.log(failures() === 0 ? 'all flows passed' : `${failures()} flows failed`);
process.exit(failures() === 0 ? 0 : 1);
