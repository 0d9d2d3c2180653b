// tests/web/lib.mjs: what the page's browser tests share: Debian's
// Chromium (headless, through the pinned playwright-core), one line per
// flow ("ok <flow>" / "not ok <flow>: <why>", with a screenshot of a
// failure), the config directory seen from the test, the editor's text
// read and replaced through CodeMirror itself (typing a whole config key
// by key would let auto-indent and bracket closing change it), axe-core's
// check, Content-Security-Policy violations collected, and screenshots.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tools/package.json'));
const { chromium } = require('playwright-core');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const STEP_TIMEOUT = Number(process.env.WEB_STEP_TIMEOUT || 15000);

export function assert(cond, why) {
  if (!cond) throw new Error(why);
}

// The config directory: a file's text (null when absent), and a write
// behind the page's back, atomic as another writer's.
export function configDir(dir) {
  const file = (mac) => path.join(dir, `${mac}.json`);
  return {
    file,
    disk: (mac) => (fs.existsSync(file(mac)) ? fs.readFileSync(file(mac), 'utf8') : null),
    writeBehind(mac, text) {
      const tmp = path.join(dir, `.behind-${process.pid}`);
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file(mac));
    },
  };
}

// Debian's Chromium, headless; extra flags after the common ones.
export async function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extra],
  });
}

// A page of its own context (viewport, colour scheme) that records
// console errors, page errors and CSP violations, refuses every request
// to another origin and accepts window.confirm (the unsaved-edits guard).
export async function openPage(browser, base, { width = 1280, height = 800, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const origin = new URL(base).origin;
  const seen = { requests: [], foreign: [], errors: [], csp: [] };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    seen.requests.push(url);
    if (new URL(url).origin !== origin && !url.startsWith('data:')) {
      seen.foreign.push(url);
      return route.abort();
    }
    return route.continue();
  });
  // Every Content-Security-Policy violation of every page load.
  await context.exposeBinding('reportCspViolation', (source, text) => { seen.csp.push(text); });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.reportCspViolation(`${e.violatedDirective}: ${e.blockedURI || e.sample}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    // Answers the page expects and shows itself (a missing config or fetch
    // note, a refused save or check) are logged by the browser too.
    if (m.type() === 'error' && !/status of (400|404|409|412)/.test(m.text())) seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(`page error: ${e.message}`));
  page.on('dialog', (d) => d.accept());
  return { context, page, seen };
}

// run(name, page, fn): runs one flow and prints its line; a failure is
// counted and, when there are a page and an artifacts folder, shot.
export function flows(artifacts = null) {
  let failures = 0;
  const run = async (name, page, fn) => {
    try {
      await fn();
      console.log(`ok ${name}`);
    } catch (e) {
      failures++;
      console.log(`not ok ${name}: ${String(e.message).split('\n')[0]}`);
      if (page && artifacts) {
        await page.screenshot({ path: path.join(artifacts, `failed-${name.replace(/\W+/g, '-').slice(0, 80)}.png`), fullPage: true })
          .catch(() => {});
      }
    }
  };
  return { run, failures: () => failures };
}

// The end of a script: its summary line and its exit status.
export function finish(failures) {
  console.log(failures === 0 ? 'all flows passed' : `${failures} flows failed`);
  process.exit(failures === 0 ? 0 : 1);
}

// The editor's text, and replacing it (one change, as a paste would be).
export function editorText(page) {
  return page.evaluate(async () => {
    const src = document.querySelector('script[type=module]').src.replace(/app\.js$/, 'codemirror.js');
    const { EditorView } = await import(src);
    return EditorView.findFromDOM(document.querySelector('#editor-box .cm-editor')).state.doc.toString();
  });
}

export async function setEditor(page, text) {
  await page.evaluate(async (t) => {
    const src = document.querySelector('script[type=module]').src.replace(/app\.js$/, 'codemirror.js');
    const { EditorView } = await import(src);
    const v = EditorView.findFromDOM(document.querySelector('#editor-box .cm-editor'));
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t }, userEvent: 'input.paste' });
  }, text);
}

// Waits for the service's verdict on the editor's text: its state
// ("valid", "invalid", "none", "unchecked") and the line's text.
export async function verdict(page) {
  await page.waitForFunction(() => {
    const s = document.getElementById('validation').dataset.state;
    return s && s !== 'checking';
  });
  return page.$eval('#validation', (v) => ({ state: v.dataset.state, text: v.textContent }));
}

export async function axe(page, what) {
  await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(bad.length === 0, `${what}: ${bad.map((v) => `${v.id} (${v.impact}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')})`).join('; ')}`);
}

export const shot = (page, artifacts, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false });


// Opens a device afresh (a new page load, even when it is shown already)
// and waits for its config and the verdict on it.
export async function openDevice(page, base, mac) {
  await page.goto('about:blank');
  await page.goto(`${base}/ui/#/device/${mac}`);
  await page.waitForFunction((m) => document.getElementById('device-url').value.endsWith(`/${m}.json`) &&
    !['', 'Loading…'].includes(document.getElementById('device-state').textContent), mac);
  await verdict(page);
}

// Whether an element's box lies within the window's visible area.
export function inViewport(page, selector) {
  return page.$eval(selector, (e) => {
    const r = e.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
  });
}
