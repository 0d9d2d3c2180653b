// tests/web/firmware.mjs: the firmware view of the page, as a person uses
// it (firmware.bats starts the server and makes the images): upload an
// image through the file input (its version read from the image), see it
// kept on disk byte for byte; make it the target; a canary; watch each
// device's state after device fetches made by the bats file; a refused
// image shows the service's error; the device view's firmware line.
// Prints "ok <flow>" / "not ok <flow>: <why>".
//
//   node firmware.mjs upload BASE_URL CONFIG_DIR IMAGE_1_0 IMAGE_1_1 BAD_IMAGE
//   node firmware.mjs states BASE_URL CONFIG_DIR
// (the bats file makes the devices' fetches between the two)

import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import { assert, finish, flows, launch } from './lib.mjs';

const [STAGE, BASE, DIR, IMG10, IMG11, BAD] = process.argv.slice(2);
const sha = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const { run, failures } = flows();
const flow = (name, fn) => run(name, null, fn);

const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
context.setDefaultTimeout(15000);
const page = await context.newPage();
const consoleErrors = [];
// Chromium logs every refused request (the damaged image's 400) as an error: not the page's.
page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) consoleErrors.push(m.text()); });
const statusIs = (re) => page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent), re.source);

async function upload(model, file) {
  await page.fill('#fw-upload-model', model);
  await page.setInputFiles('#fw-upload-file', file);
  await page.waitForFunction(() => document.getElementById('fw-upload-version').value !== '');
  await page.click('#fw-upload-go');
}

if (STAGE === 'upload') {
await flow('an image uploaded through the page is kept byte for byte, its version read from the image', async () => {
  await page.goto(`${BASE}/ui/`);
  await page.click('#nav-firmware');
  await page.waitForSelector('#firmware-view:not([hidden])');
  await upload('cam', IMG10);
  await statusIs(/^Uploaded cam 1\.0\.0 for ESP32/);
  assert(await page.inputValue('#fw-upload-version') === '1.0.0', 'version field');
  const kept = path.join(DIR, '.firmware', 'cam', `${sha(IMG10)}.bin`);
  assert(fs.existsSync(kept) && fs.readFileSync(kept).equals(fs.readFileSync(IMG10)), 'image on disk');
  await upload('cam', IMG11);
  await statusIs(/^Uploaded cam 1\.1\.0/);
  await page.waitForSelector('#fw-versions-body tr[data-version="1.1.0"]');
  const versions = await page.$$eval('#fw-versions-body tr', (trs) => trs.map((t) => t.dataset.version));
  assert(versions.join() === '1.1.0,1.0.0', `versions ${versions}`);
  assert(!fs.existsSync(path.join(DIR, '.firmware', 'cam', '.target')), 'an upload set a target');
});

await flow('a damaged image is refused with the service\'s error, nothing kept', async () => {
  await page.fill('#fw-upload-model', 'cam');
  await page.setInputFiles('#fw-upload-file', BAD);
  await page.fill('#fw-upload-version', '1.2.0');
  await page.click('#fw-upload-go');
  await page.waitForSelector('#errors .error');
  const t = await page.textContent('#errors');
  assert(/VALIDATION_FAILED/.test(t) && /checksum/.test(t), `error panel "${t}"`);
  assert(!fs.existsSync(path.join(DIR, '.firmware', 'cam', '1.2.0.meta')), 'kept');
  await page.click('#errors .dismiss');
});

await flow('making a version the target, then a canary, writes them; the model row shows both', async () => {
  await page.click('#fw-versions-body tr[data-version="1.0.0"] [data-action=target]');
  await statusIs(/now to run 1\.0\.0/);
  let t = JSON.parse(fs.readFileSync(path.join(DIR, '.firmware', 'cam', '.target'), 'utf8'));
  assert(t.version === '1.0.0', `target ${JSON.stringify(t)}`);
  page.once('dialog', (d) => d.accept('AA:BB:CC:00:50:01'));
  await page.click('#fw-versions-body tr[data-version="1.1.0"] [data-action=canary]');
  await statusIs(/run 1\.1\.0 first/);
  t = JSON.parse(fs.readFileSync(path.join(DIR, '.firmware', 'cam', '.target'), 'utf8'));
  assert(JSON.stringify(t.canary) === JSON.stringify({ version: '1.1.0', devices: ['aa-bb-cc-00-50-01'] }),
    `canary ${JSON.stringify(t)}`);
  const row = await page.textContent('#fw-models-body tr[data-model="cam"]');
  assert(/1\.0\.0/.test(row) && /1\.1\.0 \(1 devices\)/.test(row), `model row "${row}"`);
  // The canary's version cannot be deleted: the page offers no delete for it.
  assert(await page.$('#fw-versions-body tr[data-version="1.1.0"] [data-action=delete]') === null, 'delete offered');
});

}

if (STAGE === 'states') {
await flow('each device\'s model, target, running version and state show in the fleet table', async () => {
  await page.goto(`${BASE}/ui/#/firmware/cam`);
  await page.waitForSelector('#fw-devices-body tr[data-mac="aa-bb-cc-00-50-03"]');
  const rows = await page.$$eval('#fw-devices-body tr', (trs) => trs.map((t) =>
    [t.dataset.mac, ...[...t.querySelectorAll('td')].slice(0, 4).map((c) => c.textContent)].join('|')));
  const want = ['aa-bb-cc-00-50-01|cam|1.1.0|1.1.0|current', 'aa-bb-cc-00-50-02|cam|1.0.0|0.9.0|behind',
    'aa-bb-cc-00-50-03|cam|1.0.0|0.9.0|downloading'];
  for (const w of want) assert(rows.some((r) => r.startsWith(w)), `no row ${w} in ${rows.join(' / ')}`);
  const model = await page.textContent('#fw-models-body tr[data-model="cam"] .states');
  assert(model === '1 current, 1 behind, 1 downloading', `model states "${model}"`);
  const target = await page.textContent('#fw-model-target');
  assert(/1 current, 1 behind, 1 downloading/.test(target), `model line "${target}"`);
});

await flow('the device view shows the device\'s firmware and links to its model', async () => {
  await page.goto(`${BASE}/ui/#/device/aa-bb-cc-00-50-02`);
  await page.waitForFunction(() => /^cam/.test(document.getElementById('device-firmware').textContent));
  const t = await page.textContent('#device-firmware');
  assert(t === 'cam, target 1.0.0, runs 0.9.0, behind', `line "${t}"`);
  await page.click('#device-firmware a');
  await page.waitForSelector('#firmware-view:not([hidden]) #fw-model:not([hidden])');
});
}

await browser.close();
console.log(consoleErrors.length ? `console errors: ${consoleErrors.join(' | ')}` : 'no console errors');
finish(failures());
