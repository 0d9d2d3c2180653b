// tests/web/credential.mjs: a device's secret on the web page, in Debian's
// Chromium (playwright-core), against a service with DEVICE_AUTH=per-device
// behind the web server's credentials (credential.bats starts it; the
// browser answers the Basic challenge as httpCredentials). The list shows
// the mode and a "Secret" column; a device's panel makes a secret and
// shows it once, with the URL and user, each copied by its button; the
// device fetches with exactly those values, and the list says its last
// fetch carried its secret, and so does the device page; rotating asks first and keeps
// the old secret working until the device uses the new one; revoking asks
// first and opens the device again; the editor still loads the exact
// bytes. Prints "ok <flow>" / "not ok <flow>: <why>".
//
//   node credential.mjs BASE_URL CONFIG_DIR USER PASSWORD

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { assert, editorText, finish, flows, launch } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tools/package.json'));
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [BASE, DIR, USER, PASSWORD] = process.argv.slice(2);
const MAC = 'aa-bb-cc-00-00-01';
const OTHER = 'aa-bb-cc-00-00-02';
const file = path.join(DIR, `${MAC}.json`);
const { run, failures } = flows();
const flow = (name, fn) => run(name, null, fn);

// A device's fetch, outside the browser: the status and the body.
async function deviceFetch(url, headers = {}) {
  const r = await fetch(url, { headers });
  return { status: r.status, body: await r.text() };
}
const basic = (user, secret) => ({ Authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` });

const browser = await launch();
const context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
context.setDefaultTimeout(15000);
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(BASE).origin });
const page = await context.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[14]/.test(m.text())) consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));

const secretCell = (mac) => page.$$eval('#devices-body tr', (trs, m) => {
  const tr = trs.find((t) => t.querySelector('th').textContent === m);
  return tr ? tr.lastElementChild.textContent : null;
}, mac);
const rowText = (mac) => page.$$eval('#devices-body tr', (trs, m) => {
  const tr = trs.find((t) => t.querySelector('th').textContent === m);
  return tr ? tr.textContent : '';
}, mac);
async function openDevice(mac) {
  await page.goto('about:blank');
  await page.goto(`${BASE}/ui/#/device/${mac}`);
  await page.waitForFunction((m) => document.getElementById('device-url').value.endsWith(`/${m}.json`) &&
    !['', 'Loading…'].includes(document.getElementById('device-state').textContent) &&
    !['', 'Loading…'].includes(document.getElementById('credential-state').textContent), mac);
}
async function copied(button) {
  await page.click(button);
  await page.waitForFunction(() => /Copied/.test(document.getElementById('status').textContent));
  return page.evaluate(() => navigator.clipboard.readText());
}
let first = null;

await flow('the list shows the mode and a Secret column', async () => {
  await page.goto(`${BASE}/ui/`);
  await page.waitForSelector('#devices-body tr');
  const mode = await page.textContent('#list-mode');
  assert(/per-device/.test(mode), `mode "${mode}"`);
  const heads = await page.$$eval('#devices-head th', (t) => t.map((x) => x.textContent.replace(/[▲▼]/g, '').trim()));
  assert(heads.includes('Secret'), `columns ${heads}`);
  assert((await secretCell(MAC)) === '—', `cell ${await secretCell(MAC)}`);
});

await flow('making a secret shows it once with the URL and user, each copied by its button', async () => {
  await openDevice(MAC);
  assert(/No secret/.test(await page.textContent('#credential-state')), 'state before');
  assert((await editorText(page)) === fs.readFileSync(file, 'utf8'), 'editor differs from the file');
  await page.click('#credential-create');
  await page.waitForSelector('#secret-dialog[open]');
  const url = await page.inputValue('#secret-url');
  const user = await page.inputValue('#secret-user');
  const secret = await page.inputValue('#secret-value');
  assert(url === `${BASE}/api/configs/${MAC}.json`, `url ${url}`);
  assert(user === MAC, `user ${user}`);
  assert(/^[A-Za-z0-9_-]{32}$/.test(secret), `secret "${secret}"`);
  assert((await copied('#secret-dialog [data-copy="secret-value"]')) === secret, 'copied secret');
  assert((await copied('#secret-dialog [data-copy="secret-url"]')) === url, 'copied URL');
  assert((await copied('#secret-dialog [data-copy="secret-user"]')) === user, 'copied user');
  await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document.getElementById('secret-dialog'), { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(bad.length === 0, `axe: ${bad.map((v) => v.id).join(', ')}`);
  await page.click('#secret-done');
  await page.waitForSelector('#secret-dialog', { state: 'hidden' });
  const html = await page.content();
  assert(!html.includes(secret) && (await page.inputValue('#secret-value')) === '', 'the secret stayed in the page');
  assert(/Secret made/.test(await page.textContent('#credential-state')), 'state after');
  first = { url, user, secret };
});

await flow('the device fetches with exactly the values shown, and not without them', async () => {
  const { url, user, secret } = first;
  const ok = await deviceFetch(url, basic(user, secret));
  assert(ok.status === 200 && ok.body === fs.readFileSync(file, 'utf8'), `with: ${ok.status}`);
  const no = await deviceFetch(url);
  assert(no.status === 401, `without: ${no.status}`);
  // The page still reads the exact bytes, through the admins' route.
  await openDevice(MAC);
  assert((await editorText(page)) === fs.readFileSync(file, 'utf8'), 'editor differs from the file');
  // The device's use is noted once its answer is sent: look again until it shows.
  for (let i = 0; i < 50 && !/last sent it/.test(await page.textContent('#credential-state')); i++) {
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
    await page.waitForFunction(() => !['', 'Loading…'].includes(document.getElementById('credential-state').textContent));
  }
  const state = await page.textContent('#credential-state');
  assert(/last sent it .* from 127\.0\.0\.1/.test(state), `state "${state}"`);
  await page.goto(`${BASE}/ui/`);
  await page.waitForSelector('#devices-body tr');
  assert((await secretCell(MAC)) === 'set', `cell ${await secretCell(MAC)}`);
  assert((await secretCell(OTHER)) === '—', `other ${await secretCell(OTHER)}`);
  // The fleet view counts a device's fetch with its secret as its own (curl:
  // Node's fetch sends Sec-Fetch-Mode, which marks a browser's read).
  execFileSync('curl', ['-sf', '-o', '/dev/null', '-A', 'esp32', '-u', `${user}:${secret}`, url]);
  for (let i = 0; i < 50 && !/with its secret/.test(await rowText(MAC)); i++) {
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
    await page.waitForSelector('#devices-body tr');
  }
  assert(/with its secret/.test(await rowText(MAC)) && !/not yet/.test(await rowText(MAC)), `row "${await rowText(MAC)}"`);
  await openDevice(MAC);
  await page.waitForFunction(() => !['', '…'].includes(document.getElementById('device-fetch').textContent));
  const facts = await page.textContent('#device-fetch');
  assert(/Made with its secret/.test(facts) && /esp32/.test(facts), `device page "${facts}"`);
});

await flow('rotating asks first; the old secret works until the device uses the new one', async () => {
  await openDevice(MAC);
  await page.click('#credential-rotate');
  await page.waitForSelector('#confirm-dialog[open]');
  assert((await page.textContent('#confirm-title')).includes(MAC), 'confirmation names the device');
  await page.click('#confirm-ok');
  await page.waitForSelector('#secret-dialog[open]');
  const secret = await page.inputValue('#secret-value');
  assert(secret !== first.secret, 'the same secret again');
  await page.click('#secret-done');
  assert(/Rotation pending/.test(await page.textContent('#credential-state')), 'no pending rotation shown');
  assert((await deviceFetch(first.url, basic(first.user, first.secret))).status === 200, 'old secret refused too early');
  assert((await deviceFetch(first.url, { Authorization: `Bearer ${secret}` })).status === 200, 'new secret refused');
  await page.goto(`${BASE}/ui/`);
  await page.waitForSelector('#devices-body tr');
  // The use of the new one is noted after the answer: wait for it.
  for (let i = 0; i < 50 && (await secretCell(MAC)) !== 'set'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
    await page.waitForSelector('#devices-body tr');
  }
  assert((await secretCell(MAC)) === 'set', `cell ${await secretCell(MAC)}`);
  assert((await deviceFetch(first.url, basic(first.user, first.secret))).status === 401, 'old secret still works');
  first.secret = secret;
});

await flow('revoking asks first and opens the device again (per-device)', async () => {
  await openDevice(MAC);
  await page.click('#credential-revoke');
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click('#confirm-cancel');
  assert((await deviceFetch(first.url)).status === 401, 'cancel revoked it');
  await page.click('#credential-revoke');
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click('#confirm-ok');
  await page.waitForFunction(() => /No secret/.test(document.getElementById('credential-state').textContent));
  assert(!fs.existsSync(path.join(DIR, '.credentials', MAC)), 'credential file left');
  const open = await deviceFetch(first.url);
  assert(open.status === 200, `after revoking: ${open.status}`);
  assert(consoleErrors.length === 0, `console: ${consoleErrors.join(' | ')}`);
});

await browser.close();
finish(failures());
