// tests/web/fleet.mjs: drives the page's fleet flows (web/fleet.js,
// search.js, transfer.js, waiting.js) in Debian's Chromium, headless,
// through playwright-core, the way a person uses them, and checks the
// files in CONFIG_DIR after each. Prints "ok <flow>" or "not ok <flow>:
// <why>" per flow; fleet.bats checks the lines.
//
//   node fleet.mjs BASE_URL CONFIG_DIR ARTIFACTS IMPORT_ARCHIVE
//
// Seeded by fleet.bats: cc-00-00-00-00-00 .. -03 ("room N", broker
// 10.0.0.1), -10 ("garage", broker 10.77.1.9); -99 asked for its config
// and has none; IMPORT_ARCHIVE holds -20 (new), -10 (changed), -03 (the
// same) and -21 (not JSON).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { assert, finish, flows, launch } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tools/package.json'));
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [BASE, DIR, ARTIFACTS, ARCHIVE] = process.argv.slice(2);
const ORIGIN = new URL(BASE).origin;
const STEP_TIMEOUT = 15000;
fs.mkdirSync(ARTIFACTS, { recursive: true });

const mac = (n) => `cc-00-00-00-00-${n}`;
const file = (m) => path.join(DIR, `${m}.json`);
const disk = (m) => (fs.existsSync(file(m)) ? fs.readFileSync(file(m), 'utf8') : null);
const original = (i) => `{\n  "deviceName": "room ${i}",\n  "mqtt": {\n    "broker": "10.0.0.1",\n    "port": 1883,\n    "keepalive": 0.50\n  }\n}\n`;
function writeBehind(m, text) {
  const tmp = path.join(DIR, `.behind-${process.pid}`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file(m));
}

const { run, failures } = flows(ARTIFACTS);
const flow = (name, fn) => run(name, page, fn);

const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', acceptDownloads: true });
context.setDefaultTimeout(STEP_TIMEOUT);
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
  if (m.type() === 'error' && !/status of 404/.test(m.text())) consoleErrors.push(m.text());
});
page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
page.on('dialog', (d) => d.accept());

const rows = () => page.$$eval('#devices-body tr', (trs) => trs.map((tr) => tr.querySelector('th a').textContent));
const panelRows = () => page.$$eval('#change-table tbody tr', (trs) => trs.map((tr) => ({
  mac: tr.dataset.mac, result: tr.dataset.result, shown: tr.children[2].textContent, what: tr.children[3].textContent,
})));
async function waitStatus(re) {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent), re.source);
}
async function list() {
  await page.goto(`${BASE}/ui/`);
  await page.waitForSelector('#devices-body tr');
}
async function select(...macs) {
  for (const m of macs) await page.check(`#devices-body input[data-mac="${m}"]`);
}
// Opens "Change selected…", fills it with fill(), and previews.
async function changeSelected(fill) {
  await page.click('#change-selected');
  await page.waitForSelector('#change-dialog[open]');
  await fill();
  await page.click('#change-preview');
  await page.waitForSelector('#change-panel:not([hidden]) #change-table');
}
async function axe(what) {
  await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(bad.length === 0, `${what}: ${bad.map((v) => `${v.id} (${v.impact}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')})`).join('; ')}`);
}

// --- flows ------------------------------------------------------------------
await flow('devices are selected one by one, and all the filter shows at once', async () => {
  await list();
  assert(await page.isDisabled('#change-selected'), 'Change selected… enabled with nothing selected');
  await select(mac('00'));
  assert((await page.textContent('#selected-count')) === '1 selected', `count ${await page.textContent('#selected-count')}`);
  await page.uncheck(`#devices-body input[data-mac="${mac('00')}"]`);
  assert((await page.textContent('#selected-count')) === '', 'not cleared');
  await page.fill('#filter', 'room');
  await page.waitForFunction(() => document.querySelectorAll('#devices-body tr').length === 4);
  await page.check('#select-all');
  assert((await page.textContent('#selected-count')) === '4 selected', `count ${await page.textContent('#selected-count')}`);
  assert(!(await page.isDisabled('#change-selected')), 'Change selected… disabled');
});

let applied = null;   // the id of the change applied below
await flow("Change selected… previews each device's diff and writes nothing", async () => {
  await changeSelected(async () => {
    await page.check('input[name="change-mode"][value="set"]');
    await page.fill('#change-path', 'mqtt/broker');
    await page.fill('#change-value', '10.0.20.5');
    await page.selectOption('#change-type', 'text');
  });
  const got = await panelRows();
  assert(got.length === 4 && got.every((r) => r.result === 'changed' && r.shown === 'will change' &&
    r.what === '~ /mqtt/broker: "10.0.0.1" → "10.0.20.5"'), `preview ${JSON.stringify(got)}`);
  assert(/^Preview: merge patch, 4 devices/.test(await page.textContent('#change-panel-title')), 'title');
  for (const i of [0, 1, 2, 3]) assert(disk(mac(`0${i}`)) === original(i), `${mac(`0${i}`)} written by a preview`);
  assert(!fs.existsSync(path.join(DIR, '.changes')), 'a preview was recorded');
  await page.screenshot({ path: path.join(ARTIFACTS, 'preview-desktop.png') });
});

const behind = '{\n  "deviceName": "room 2",\n  "mqtt": {"broker": "10.9.9.9"}\n}\n';
await flow('Apply writes what was previewed; a device changed meanwhile is reported and keeps its bytes', async () => {
  writeBehind(mac('02'), behind);
  await page.click('#change-apply');
  await waitStatus(/^Change [0-9]{8}-[0-9]{6}-[0-9a-f]{8}: 3 devices written, 1 changed meanwhile/);
  applied = /^Change (\S+):/.exec(await page.textContent('#status'))[1];
  const got = await panelRows();
  assert(JSON.stringify(got.map((r) => r.result)) === '["changed","changed","conflict","changed"]', `results ${JSON.stringify(got)}`);
  assert(got[2].shown === 'changed meanwhile: left as it is', `conflict shown as "${got[2].shown}"`);
  assert(disk(mac('02')) === behind, 'the device changed meanwhile was overwritten');
  for (const i of [0, 1, 3]) {
    assert(disk(mac(`0${i}`)) === original(i).replace('"10.0.0.1"', '"10.0.20.5"'), `${mac(`0${i}`)} is ${disk(mac(`0${i}`))}`);
  }
  assert(await page.isVisible('#change-undo'), 'no Undo');
});

await flow('Undo puts the previous versions back byte for byte and leaves the edited device alone', async () => {
  await page.click('#change-undo');
  await page.waitForFunction(() => document.getElementById('change-panel-title').textContent.startsWith('Undone'));
  const got = await panelRows();
  assert(JSON.stringify(got.map((r) => r.result)) === '["restored","restored","restored"]', `undo ${JSON.stringify(got)}`);
  for (const i of [0, 1, 3]) assert(disk(mac(`0${i}`)) === original(i), `${mac(`0${i}`)} not restored: ${disk(mac(`0${i}`))}`);
  assert(disk(mac('02')) === behind, 'the device edited meanwhile was touched');
});

await flow('the recent changes list the change and its undo, each with Undo', async () => {
  await page.click('#changes summary');
  await page.waitForSelector('#changes-body tr:nth-child(2)');
  const got = await page.$$eval('#changes-body tr', (trs) => trs.map((tr) => [tr.dataset.id, tr.children[1].textContent, tr.children[3].textContent]));
  assert(got[0][1] === `undo of ${applied}` && got[0][2] === '3 of 3', `newest ${JSON.stringify(got[0])}`);
  assert(got[1][0] === applied && got[1][1] === 'patch' && got[1][2] === '3 of 4', `applied ${JSON.stringify(got[1])}`);
  assert((await page.textContent(`#changes-body tr[data-id="${applied}"]`)).includes('undone'), 'not marked undone');
  assert(!(await page.isDisabled(`#changes-body tr[data-id="${got[0][0]}"] button`)), 'the undo cannot be undone');
});

await flow('a merge patch and a removal by path from the dialog', async () => {
  await list();
  await select(mac('00'), mac('01'));
  await changeSelected(async () => {
    await page.check('input[name="change-mode"][value="patch"]');
    await page.fill('#change-patch', '{"mqtt": {"port": 8883}, "tags": ["lab"]}');
  });
  await page.click('#change-apply');
  await waitStatus(/: 2 devices written/);
  const patched = (i) => original(i).replace('"port": 1883', '"port": 8883').replace('\n}\n', ',\n  "tags": [\n    "lab"\n  ]\n}\n');
  for (const i of [0, 1]) assert(disk(mac(`0${i}`)) === patched(i), `${mac(`0${i}`)} is ${disk(mac(`0${i}`))}`);
  await select(mac('00'), mac('01'));
  await changeSelected(async () => {
    await page.check('input[name="change-mode"][value="remove"]');
    await page.fill('#change-path', '/tags');
  });
  const got = await panelRows();
  assert(got.every((r) => r.what === '− /tags: ["lab"]'), `removal preview ${JSON.stringify(got)}`);
  await page.click('#change-apply');
  await waitStatus(/: 2 devices written/);
  for (const i of [0, 1]) {
    assert(disk(mac(`0${i}`)) === original(i).replace('"port": 1883', '"port": 8883'), `${mac(`0${i}`)} is ${disk(mac(`0${i}`))}`);
  }
  // A value that is not of its type is refused in the dialog, and nothing is sent.
  await select(mac('00'));
  await page.click('#change-selected');
  await page.check('input[name="change-mode"][value="set"]');
  await page.fill('#change-path', 'mqtt/port');
  await page.fill('#change-value', 'eighty');
  await page.selectOption('#change-type', 'number');
  await page.click('#change-preview');
  await page.waitForFunction(() => document.getElementById('change-problem').textContent.includes('not a number'));
  await page.keyboard.press('Escape');
});

await flow('the filter box finds a config by a value inside it', async () => {
  await list();
  await page.fill('#filter', '10.77.1.9');
  await page.waitForFunction(() => document.querySelectorAll('#devices-body tr').length === 1);
  const got = await rows();
  assert(JSON.stringify(got) === JSON.stringify([mac('10')]), `"10.77.1.9" shows ${got}`);
  await page.fill('#filter', '/mqtt/port=8883');
  await page.waitForFunction(() => document.querySelectorAll('#devices-body tr').length === 2);
  assert(JSON.stringify(await rows()) === JSON.stringify([mac('00'), mac('01')]), `pointer shows ${await rows()}`);
  await page.fill('#filter', '');
});

await flow('Export downloads every config exactly as stored', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  assert(/^iotconfig-[0-9]{8}-[0-9]{6}\.tar\.gz$/.test(download.suggestedFilename()), `name ${download.suggestedFilename()}`);
  const saved = path.join(ARTIFACTS, 'export.tar.gz');
  await download.saveAs(saved);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-export-'));
  execFileSync('tar', ['-xzf', saved, '-C', out]);
  const names = fs.readdirSync(out).sort();
  const want = fs.readdirSync(DIR).filter((n) => !n.startsWith('.')).sort();
  assert(JSON.stringify(names) === JSON.stringify(want), `exported ${names}, stored ${want}`);
  for (const n of names) assert(fs.readFileSync(path.join(out, n)).equals(fs.readFileSync(path.join(DIR, n))), `${n} differs`);
  fs.rmSync(out, { recursive: true });
});

await flow('Import shows new, changed, unchanged and invalid before writing, then imports, and Undo takes it back', async () => {
  const before10 = disk(mac('10'));
  await page.click('#import');
  await page.waitForSelector('#import-dialog[open]');
  await page.setInputFiles('#import-file', ARCHIVE);
  await page.selectOption('#import-existing', 'overwrite');
  await page.click('#import-preview');
  await page.waitForSelector('#change-panel:not([hidden]) #change-table');
  const got = await panelRows();
  const by = Object.fromEntries(got.map((r) => [r.mac, r]));
  assert(by[mac('20')]?.shown === 'new' && by[mac('10')]?.shown === 'will change' && by[mac('03')]?.result === 'unchanged' &&
    by[mac('21')]?.result === 'invalid' && by[mac('21')].what.length > 0, `preview ${JSON.stringify(got)}`);
  assert(disk(mac('20')) === null && disk(mac('10')) === before10, 'a dry run wrote');
  await page.click('#change-apply');
  await waitStatus(/: 2 devices written/);
  assert(disk(mac('20')) === '{"deviceName":"new one"}\n', `imported ${disk(mac('20'))}`);
  assert(disk(mac('10')) === '{"deviceName":"garage","mqtt":{"broker":"10.77.1.10","port":1883}}\n', `overwritten ${disk(mac('10'))}`);
  assert(disk(mac('21')) === null, 'the invalid config was written');
  await page.click('#change-undo');
  await page.waitForFunction(() => document.getElementById('change-panel-title').textContent.startsWith('Undone'));
  assert(disk(mac('20')) === null && disk(mac('10')) === before10, `undo left ${disk(mac('20'))} / ${disk(mac('10'))}`);
});

await flow('devices that asked and have no config are listed; Create and Copy from… make one', async () => {
  await list();
  await page.waitForSelector('#waiting:not([hidden])');
  const waiting = await page.$$eval('#waiting-body tr', (trs) => trs.map((tr) => tr.dataset.mac));
  assert(JSON.stringify(waiting) === JSON.stringify([mac('98'), mac('99')]) || JSON.stringify(waiting) === JSON.stringify([mac('99'), mac('98')]),
    `waiting ${waiting}`);
  assert((await page.textContent(`#waiting-body tr[data-mac="${mac('99')}"]`)).includes('ESP32HTTPClient'), 'no client shown');
  await page.click(`#waiting-body tr[data-mac="${mac('99')}"] button`);
  await page.waitForSelector('#mac-dialog[open]');
  await page.fill('#mac-input', 'CC:00:00:00:00:10');
  await page.click('#mac-ok');
  await page.waitForFunction((m) => location.hash === `#/device/${m}`, mac('99'));
  assert(disk(mac('99')) === disk(mac('10')), `copy is ${disk(mac('99'))}`);
  await list();
  await page.click(`#waiting-body tr[data-mac="${mac('98')}"] a`);
  await page.waitForFunction((m) => location.hash === `#/new/${m}`, mac('98'));
  await page.waitForFunction(() => document.getElementById('save').textContent === 'Create');
  await page.click('#save');
  await page.waitForFunction(() => document.getElementById('save-status').textContent.startsWith('Created'));
  assert(disk(mac('98')) !== null, 'not created');
  await list();
  assert(await page.isHidden('#waiting'), 'still listed as waiting');
});

await flow('the fleet views pass the accessibility check and fit at phone width', async () => {
  await list();
  await page.click('#changes summary');
  await page.waitForSelector('#changes-body tr');
  await select(mac('00'));
  await changeSelected(async () => {
    await page.fill('#change-path', 'note');
    await page.fill('#change-value', 'x');
  });
  await axe('preview and recent changes');
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  // What sticks out, when something does: the innermost elements past the edge.
  const over = wide <= 390 ? [] : await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > 390.5 && e.getClientRects().length > 0 &&
      ![...e.children].some((c) => c.getBoundingClientRect().right > 390.5))
    .slice(0, 8).map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className}`));
  assert(wide <= 390, `page is ${wide}px wide: ${over.join(' ')}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'preview-phone.png'), fullPage: true });
  await page.click('#change-selected');
  await page.waitForSelector('#change-dialog[open]');
  await axe('change dialog');
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 1280, height: 800 });
});

await flow('every request went to the test\'s own host, and the page logged no error', async () => {
  assert(requests.length > 20, `only ${requests.length} requests seen`);
  assert(foreign.length === 0, `requests elsewhere: ${foreign.join(' ')}`);
  assert(consoleErrors.length === 0, `console: ${consoleErrors.join(' | ')}`);
});

await browser.close();
finish(failures());
