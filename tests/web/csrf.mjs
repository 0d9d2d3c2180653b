// tests/web/csrf.mjs: another site's page in the admin's browser, on plain
// http, where browsers send no Sec-Fetch-Site. Chromium maps two names to
// loopback (neither is potentially trustworthy): iot.test (the service,
// which asks for Basic credentials on writes) and evil.test (a page of
// another origin, served by csrf.bats). The browser holds the admin's
// credentials (playwright-core's httpCredentials answers every challenge,
// as a browser that cached them does). Each attack must leave the config
// file and its history as they were; the same restore from the service's
// own origin must succeed (so the credentials do work). Prints
// "ok <flow>" / "not ok <flow>: <why>".
//
//   node csrf.mjs SERVICE_PORT EVIL_PORT CONFIG_DIR MAC REVISION USER PASSWORD

import fs from 'node:fs';
import path from 'node:path';
import { assert, finish, flows, launch } from './lib.mjs';

const [PORT, EVIL_PORT, DIR, MAC, REV, USER, PASSWORD] = process.argv.slice(2);
const SERVICE = `http://iot.test:${PORT}`;
const EVIL = `http://evil.test:${EVIL_PORT}`;
const file = path.join(DIR, `${MAC}.json`);
const historyDir = path.join(DIR, '.history', MAC);
const state = () => [fs.readFileSync(file, 'utf8'), fs.readdirSync(historyDir).sort().join(',')].join('\n');
const { run, failures } = flows();
const flow = (name, fn) => run(name, null, fn);

const browser = await launch(['--host-resolver-rules=MAP iot.test 127.0.0.1, MAP evil.test 127.0.0.1, MAP * ~NOTFOUND']);
const context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
context.setDefaultTimeout(15000);
// What reached the service, as the browser saw it.
const seen = [];
context.on('response', (r) => {
  const u = new URL(r.url());
  if (u.host === `iot.test:${PORT}` && r.request().method() !== 'GET') {
    seen.push(`${r.request().method()} ${r.status()} origin=${r.request().headers().origin || '-'}`);
  }
});
const page = await context.newPage();
// The admin is logged in: a write of the service's own page answered with the credentials.
await page.goto(`${SERVICE}/ui/`);
const before = state();

// attack PAGE: the evil page auto-submits; the form's answer (or the page's
// own report) is waited for, then nothing may have changed.
async function attack(pageName, done) {
  seen.length = 0;
  await page.goto(`${EVIL}/${pageName}`);
  await done();
  assert(state() === before, `the config or its history changed; the service saw: ${seen.join('; ')}`);
}

const target = `${SERVICE}/api/configs/${MAC}/history/${REV}/restore`;

await flow('an empty form POST from another origin does not restore', async () => {
  await attack('form-empty.html', () => page.waitForURL(target));
  const text = await page.textContent('body');
  assert(/ORIGIN_NOT_ALLOWED|UNSUPPORTED_MEDIA_TYPE/.test(text), `answer: ${text}`);
  assert(seen.some((s) => s.startsWith('POST 4') && s.includes(`origin=${EVIL}`)), `the browser sent: ${seen}`);
});

await flow('a text/plain form POST with a JSON-looking body does not restore', async () => {
  await attack('form-text.html', () => page.waitForURL(target));
  assert(/ORIGIN_NOT_ALLOWED|UNSUPPORTED_MEDIA_TYPE/.test(await page.textContent('body')), 'answer');
});

await flow('fetch from another origin (no-cors POST; PUT, DELETE, JSON POST needing a preflight) changes nothing', async () => {
  await attack('fetch.html', () => page.waitForFunction(() => document.title === 'done'));
  const report = await page.textContent('body');
  // PUT and DELETE cannot be sent no-cors; with cors their preflight fails.
  assert(/no-cors PUT: TypeError/.test(report) && /no-cors DELETE: TypeError/.test(report), report);
  assert(/cors PUT: TypeError/.test(report) && /cors JSON POST: TypeError/.test(report), report);
});

await flow('the same restore from the service\'s own page is made, with the credentials', async () => {
  await page.goto(`${SERVICE}/ui/`);
  const status = await page.evaluate(async (url) => (await fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '',
  })).status, `/api/configs/${MAC}/history/${REV}/restore`);
  assert(status === 200, `status ${status}`);
  assert(state() !== before, 'nothing changed');
});

await browser.close();
finish(failures());
