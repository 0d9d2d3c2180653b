// tests/web/auth.mjs: the web page with the shipped write-auth snippet on
// (auth.bats starts that server). The page reads everything, and checks
// the config as it is typed, without being asked; when a write's Basic
// challenge is answered wrongly the service's
// 401 is shown and nothing changes; answered rightly (as a person does in
// the browser's prompt, which playwright-core's httpCredentials stands in
// for) the config is saved and the history names the user. Prints
// "ok <flow>" / "not ok <flow>: <why>".
//
//   node auth.mjs BASE_URL CONFIG_DIR USER PASSWORD

import fs from 'node:fs';
import path from 'node:path';
import { assert, finish, flows, launch, setEditor, verdict } from './lib.mjs';

const [BASE, DIR, USER, PASSWORD] = process.argv.slice(2);
const MAC = 'aa-bb-cc-00-00-01';
const file = path.join(DIR, `${MAC}.json`);
const { run, failures } = flows();
const flow = (name, fn) => run(name, null, fn);

const browser = await launch();

async function editAndSave(page, text) {
  await page.goto(`${BASE}/`);
  await page.waitForSelector('#devices-body tr');
  await page.click(`text=${MAC}`);
  await page.waitForFunction(() => document.getElementById('device-state').textContent.startsWith('Version'));
  await setEditor(page, text);
  // The check as one types writes nothing and needs no credentials.
  const v = await verdict(page);
  assert(v.state === 'valid', `verdict ${v.state}: ${v.text}`);
  await page.click('#save');
}

await flow('without credentials the page reads, and a refused prompt shows the 401', async () => {
  // Reading asks nothing. The write's challenge is answered with a wrong
  // password, as a person mistyping it would (a headless browser cannot
  // show the prompt, so a prompt left unanswered would wait for ever).
  const context = await browser.newContext({ httpCredentials: { username: USER, password: 'wrong' } });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const asked = [];
  page.on('response', (r) => { if (r.status() === 401) asked.push(`${r.request().method()} ${new URL(r.url()).pathname}`); });
  const before = fs.readFileSync(file, 'utf8');
  await editAndSave(page, '{\n  "deviceName": "anonymous"\n}\n');
  await page.waitForSelector('#errors .error');
  const t = await page.textContent('#errors');
  assert(/HTTP status401/.test(t), `error panel "${t}"`);
  assert(asked.length > 0 && asked.every((a) => a.startsWith('PUT ')), `401s: ${asked}`);
  assert(fs.readFileSync(file, 'utf8') === before, 'file changed');
  await context.close();
});

await flow('answering the credentials prompt saves, and the history names the user', async () => {
  const context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const text = '{\n  "deviceName": "kitchen",\n  "by": "alice"\n}\n';
  await editAndSave(page, text);
  await page.waitForFunction(() => /^Saved at/.test(document.getElementById('save-status').textContent));
  assert(fs.readFileSync(file, 'utf8') === text, 'file on disk differs');
  await page.waitForSelector('#history-body tr');
  const by = await page.textContent('#history-body tr:first-child td:nth-child(4)');
  assert(by === USER, `history says "${by}"`);
  await context.close();
});

await browser.close();
finish(failures());
