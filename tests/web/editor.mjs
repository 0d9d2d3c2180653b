// tests/web/editor.mjs: the config editor (CodeMirror 6, web/editor.js)
// in Debian's Chromium, used with the keyboard and the mouse as a person
// does: highlighting, line numbers and folding, auto-indent, Tab and the
// way out of the editor, bracket matching and closing, search, every
// mistake marked where it is from the service's verdict (syntax, a
// repeated key, schema errors), key and value completion and hover help
// from the schema (through a $ref to another schema), the merge view in
// the conflict dialog (taking the other version's change) and in the
// history, and the Content-Security-Policy kept (the editor's style
// rules carry the page's nonce). Light and dark, desktop and phone width,
// axe-core clean. Prints "ok <flow>" / "not ok <flow>: <why>" lines
// (editor.bats checks them); screenshots go to ARTIFACTS.
//
//   node editor.mjs BASE_URL CONFIG_DIR ARTIFACTS
//
// Seeds its own schemas (PUT /api/schemas/...) and configs (files).

import http from 'node:http';
import fs from 'node:fs';
import {
  assert, axe, configDir, editorText, flows, launch, openDevice, openPage, setEditor, shot, verdict,
} from './lib.mjs';

const [BASE, DIR, ARTIFACTS] = process.argv.slice(2);
fs.mkdirSync(ARTIFACTS, { recursive: true });
const { disk, file, writeBehind } = configDir(DIR);

// A request from outside the browser (no Sec-Fetch-* headers).
function send(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${BASE}${path}`, { method, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const COMMON = {
  $defs: {
    wifi: {
      type: 'object',
      description: 'How the device joins the network.',
      properties: {
        ssid: { type: 'string', maxLength: 32, description: 'The network name.' },
        hostname: { type: 'string', description: 'The name the device announces.' },
      },
      additionalProperties: false,
    },
  },
};
const DEFAULT = {
  type: 'object',
  properties: {
    deviceName: { type: 'string', description: 'The name shown in Home Assistant.', maxLength: 40 },
    deviceEntityId: { type: 'string' },
    enableOTA: { type: 'boolean', description: 'Whether the device accepts over-the-air updates.' },
    deviceModel: { enum: ['esp32', 'esp32-cam', 'free'], description: 'The hardware.' },
    wifi: { $ref: 'common#/$defs/wifi' },
  },
  required: ['deviceName'],
  additionalProperties: false,
};
const MAC = 'aa-bb-cc-00-00-01';
const LONG = 'aa-bb-cc-00-00-02';   // a config of the "free" model, whose schema allows any key
const CONFIG = '{\n  "deviceName": "kitchen",\n  "deviceEntityId": "light.kitchen",\n  "enableOTA": true,\n  "wifi": {\n    "ssid": "home",\n    "hostname": "kitchen"\n  }\n}\n';

for (const [name, doc] of [['common', COMMON], ['default', DEFAULT], ['free', { type: 'object' }]]) {
  const r = await send('PUT', `/api/schemas/${name}`, JSON.stringify(doc));
  if (r.status >= 300) throw new Error(`PUT schema ${name}: ${r.status} ${r.text}`);
}
fs.writeFileSync(file(MAC), CONFIG);

const browser = await launch();
const { page, seen } = await openPage(browser, BASE);
const { run, failures } = flows(ARTIFACTS);
const flow = (name, fn) => run(name, page, fn);

// The text of the editor's line n (1-based), as shown.
const lineText = (n) => page.$eval('#editor-box .cm-content', (c, i) => c.querySelectorAll('.cm-line')[i - 1]?.textContent, n);
// Puts the cursor at a character offset of the text.
const cursorAt = (pos) => page.evaluate(async (p) => {
  const src = document.querySelector('script[type=module]').src.replace(/app\.js$/, 'codemirror.js');
  const { EditorView } = await import(src);
  const v = EditorView.findFromDOM(document.querySelector('#editor-box .cm-editor'));
  v.focus();
  v.dispatch({ selection: { anchor: p } });
}, pos);
// The marked error ranges, as text.
const marked = () => page.$$eval('#editor-box .cm-lintRange-error', (m) => m.map((x) => x.textContent));

await flow('the editor highlights JSON, numbers its lines and folds an object', async () => {
  await openDevice(page, BASE, MAC);
  assert((await editorText(page)) === CONFIG, 'the editor does not hold the file exactly');
  const keys = await page.$$eval('#editor-box .tok-propertyName', (t) => t.map((x) => x.textContent));
  assert(keys.includes('"deviceName"') && keys.includes('"ssid"'), `keys highlighted: ${keys}`);
  assert((await page.$$('#editor-box .tok-bool')).length === 1, 'true not highlighted');
  const numbers = await page.$$eval('#editor-box .cm-lineNumbers .cm-gutterElement', (g) => g.map((x) => x.textContent).filter(Boolean));
  assert(numbers.includes('1') && numbers.includes('10'), `line numbers ${numbers}`);
  // Fold "wifi" (line 5) with its gutter marker: its members disappear;
  // a click on the mark that stands for them, held as a person holds it
  // (a tenth of a second), unfolds them. Once with the editor unfocused,
  // once focused with its cursor on line 1: either way the press moves
  // the caret beside the mark, and the editor redraws that part of the
  // line (the brackets matched there) while the button is still down.
  const folded = async () => {
    const markers = await page.$$('#editor-box .cm-foldGutter span[title="Fold line"]');
    assert(markers.length === 2, `${markers.length} fold markers`);
    await markers[1].click();
    await page.waitForSelector('#editor-box .cm-foldPlaceholder');
    const shown = await page.textContent('#editor-box .cm-content');
    assert(!shown.includes('"ssid"') && shown.includes('"wifi"'), `folded text ${shown}`);
  };
  for (const how of ['unfocused', 'focused']) {
    await folded();
    if (how === 'focused') await cursorAt(0);
    await page.click('#editor-box .cm-foldPlaceholder', { delay: 100 });
    const shown = await page.textContent('#editor-box .cm-content');
    assert(shown.includes('"ssid"') && !(await page.$('#editor-box .cm-foldPlaceholder')), `not unfolded (${how}): ${shown}`);
    assert(await page.evaluate(() => document.activeElement.id === 'editor'), `the editor has no focus after unfolding (${how})`);
  }
  assert((await editorText(page)) === CONFIG, 'folding changed the text');
});

await flow('Enter indents, Tab indents, and Esc then Tab moves on to the next control', async () => {
  await setEditor(page, '{\n  "wifi": {}\n}');
  await cursorAt('{\n  "wifi": {'.length);
  await page.keyboard.press('Enter');
  assert((await editorText(page)) === '{\n  "wifi": {\n    \n  }\n}', `after Enter: ${JSON.stringify(await editorText(page))}`);
  await page.keyboard.type('"ssid": "x",');
  await page.keyboard.press('Enter');
  assert((await lineText(4)) === '    ', `new line indented as "${await lineText(4)}"`);
  // Tab at the start of a line indents it by one unit (two spaces).
  await setEditor(page, '{\n"a": 1\n}');
  await cursorAt(2);
  await page.keyboard.press('Tab');
  assert((await editorText(page)) === '{\n  "a": 1\n}', `after Tab: ${JSON.stringify(await editorText(page))}`);
  assert(await page.evaluate(() => document.activeElement.id === 'editor'), 'Tab left the editor');
  await page.keyboard.press('Shift+Tab');
  assert((await editorText(page)) === '{\n"a": 1\n}', 'Shift+Tab did not unindent');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  const next = await page.evaluate(() => ({ id: document.activeElement.id, inEditor: Boolean(document.activeElement.closest('#editor-box')) }));
  assert(!next.inEditor && next.id, `Esc, Tab: focus on "${next.id}" in the editor: ${next.inEditor}`);
});

await flow('brackets are matched and closed', async () => {
  await setEditor(page, '{\n  "list": [1, 2]\n}');
  await cursorAt('{\n  "list": ['.length);
  const matched = await page.$$eval('#editor-box .cm-matchingBracket', (m) => m.map((x) => x.textContent));
  assert(matched.join('') === '[]', `matching brackets ${matched}`);
  await cursorAt('{\n  "list": [1, 2]'.length);
  await page.keyboard.type(', "more": [');
  assert((await editorText(page)) === '{\n  "list": [1, 2], "more": []\n}', `closing: ${JSON.stringify(await editorText(page))}`);
});

await flow('Ctrl+F searches the config', async () => {
  await setEditor(page, CONFIG);
  await cursorAt(0);
  await page.keyboard.press('Control+f');
  await page.waitForSelector('#editor-box .cm-search input[name=search]');
  await page.keyboard.type('hostname');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#editor-box .cm-searchMatch');
  const sel = await page.evaluate(() => window.getSelection().toString());
  assert(sel === 'hostname', `selected "${sel}"`);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#editor-box .cm-search', { state: 'detached' });
});

await flow('a syntax error is marked where it is, from the service\'s verdict', async () => {
  const [req] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/configs/${MAC}/validate`)),
    setEditor(page, '{\n  "deviceName": "kitchen",\n  "enableOTA": tru\n}\n'),
  ]);
  assert(req.postData() === '{\n  "deviceName": "kitchen",\n  "enableOTA": tru\n}\n', 'the check did not send the text');
  const v = await verdict(page);
  assert(v.state === 'invalid' && /^Line 3, column 16: invalid literal/.test(v.text), `verdict "${v.text}"`);
  assert((await marked()).join() === 't', `marked ${await marked()}`);
  const gutter = await page.$$eval('#editor-box .cm-gutter-lint .cm-gutterElement', (g) => g.filter((x) => x.querySelector('.cm-lint-marker-error')).length);
  assert(gutter === 1, `${gutter} gutter marks`);
  assert((await page.getAttribute('#editor', 'aria-invalid')) === 'true', 'aria-invalid');
  await shot(page, ARTIFACTS, 'editor-syntax-error-desktop');
});

await flow('schema errors are marked at their place, through a $ref to another schema', async () => {
  await setEditor(page, '{\n  "deviceName": "kitchen",\n  "colour": "red",\n  "wifi": {\n    "ssid": 5\n  }\n}\n');
  const v = await verdict(page);
  assert(v.state === 'invalid' && /2 problems in all/.test(v.text), `verdict "${v.text}"`);
  const m = await marked();
  assert(m.length === 2 && m.includes('"colour"') && m.includes('5'), `marked ${m}`);
  // Pointing at a mark shows the service's message and where in the schema.
  await page.hover('#editor-box .cm-lintRange-error >> text=5');
  await page.waitForSelector('#editor-box .cm-tooltip-lint');
  const tip = await page.textContent('#editor-box .cm-tooltip-lint');
  assert(/\/wifi\/ssid: must be of type string/.test(tip) && /schema “default”, type at \/properties\/wifi\/\$ref\/properties\/ssid\/type/.test(tip), `tooltip "${tip}"`);
  await page.mouse.move(0, 0);
  await setEditor(page, CONFIG);
  const ok = await verdict(page);
  assert(ok.state === 'valid' && /schema “default”/.test(ok.text), `verdict "${ok.text}"`);
  assert((await marked()).length === 0, 'marks left');
});

await flow('key completion from the schema, following a $ref to another schema', async () => {
  await setEditor(page, '{\n  "deviceName": "kitchen",\n  "wifi": {\n    \n  }\n}\n');
  await verdict(page);
  await cursorAt('{\n  "deviceName": "kitchen",\n  "wifi": {\n    '.length);
  await page.keyboard.type('"');
  await page.waitForSelector('#editor-box .cm-tooltip-autocomplete');
  const options = await page.$$eval('#editor-box .cm-completionLabel', (o) => o.map((x) => x.textContent));
  assert(options.join() === 'hostname,ssid' || options.join() === 'ssid,hostname', `options ${options}`);
  await shot(page, ARTIFACTS, 'editor-completion-desktop');
  await page.keyboard.type('ss');
  await page.keyboard.press('Enter');
  assert((await lineText(4)) === '    "ssid": ', `line 4 "${await lineText(4)}"`);
  // At the top: the keys not there yet, required ones first.
  await setEditor(page, '{\n  \n}');
  await cursorAt(4);
  await page.keyboard.press('Control+Space');
  await page.waitForSelector('#editor-box .cm-tooltip-autocomplete');
  const top = await page.$$eval('#editor-box .cm-completionLabel', (o) => o.map((x) => x.textContent));
  assert(top[0] === 'deviceName' && top.length === 5, `top-level options ${top}`);
  await page.keyboard.press('Escape');
  // A value: the enum's members.
  await setEditor(page, '{\n  "deviceName": "k",\n  "deviceModel": \n}');
  await cursorAt('{\n  "deviceName": "k",\n  "deviceModel": '.length);
  await page.keyboard.press('Control+Space');
  await page.waitForSelector('#editor-box .cm-tooltip-autocomplete');
  const values = await page.$$eval('#editor-box .cm-completionLabel', (o) => o.map((x) => x.textContent));
  assert(values.sort().join() === '"esp32","esp32-cam","free"', `values ${values}`);
  await page.keyboard.type('"esp32-');
  await page.waitForFunction(() => [...document.querySelectorAll('#editor-box .cm-completionLabel')].map((o) => o.textContent).join() === '"esp32-cam"');
  await page.keyboard.press('Enter');
  assert((await editorText(page)) === '{\n  "deviceName": "k",\n  "deviceModel": "esp32-cam"\n}', `after value: ${await editorText(page)}`);
});

await flow('pointing at a key shows its help from the schema', async () => {
  await setEditor(page, CONFIG);
  await verdict(page);
  await page.locator('#editor-box .tok-propertyName', { hasText: '"enableOTA"' }).hover();
  await page.waitForSelector('#editor-box .cm-tooltip-hover .schema-help');
  const help = await page.textContent('#editor-box .cm-tooltip-hover');
  assert(/enableOTA \(boolean\)/.test(help) && /over-the-air updates/.test(help), `help "${help}"`);
  await page.mouse.move(0, 0);
  await page.locator('#editor-box .tok-propertyName', { hasText: '"ssid"' }).hover();
  await page.waitForFunction(() => /The network name/.test(document.querySelector('#editor-box .cm-tooltip-hover')?.textContent || ''));
  const ssid = await page.textContent('#editor-box .cm-tooltip-hover');
  assert(/at most 32 characters/.test(ssid), `help "${ssid}"`);
  await shot(page, ARTIFACTS, 'editor-help-desktop');
  await page.mouse.move(0, 0);
});

await flow('the conflict dialog shows both versions in the merge view, and their change can be taken', async () => {
  await openDevice(page, BASE, MAC);
  const theirs = CONFIG.replace('"ssid": "home"', '"ssid": "office"');
  writeBehind(MAC, theirs);
  const mine = CONFIG.replace('"enableOTA": true', '"enableOTA": false');
  await setEditor(page, mine);
  await verdict(page);
  await page.click('#save');
  await page.waitForSelector('#conflict-dialog[open]');
  await page.click('#conflict-show');
  await page.waitForSelector('#conflict-diff .cm-mergeView');
  const a = await page.textContent('#conflict-diff .cm-merge-a .cm-content');
  const b = await page.textContent('#conflict-diff .cm-merge-b .cm-content');
  assert(a.includes('"office"') && !a.includes('"home"') && b.includes('"home"') && b.includes('false'), `a "${a}" b "${b}"`);
  const summary = await page.textContent('#conflict-diff .diff-summary');
  assert(summary === 'The version saved elsewhere → your edits: 2 lines removed, 2 added', `summary "${summary}"`);
  await shot(page, ARTIFACTS, 'conflict-merge-desktop');
  await axe(page, 'conflict merge view');
  // Take their ssid (the second change), keep my enableOTA; save that.
  const takes = await page.$$('#conflict-diff .cm-merge-revert button');
  assert(takes.length === 2, `${takes.length} take buttons`);
  await takes[1].click();
  await page.waitForFunction(() => /1 line removed, 1 added/.test(document.querySelector('#conflict-diff .diff-summary').textContent));
  await page.click('#conflict-overwrite');
  await page.waitForFunction(() => /Saved at/.test(document.getElementById('save-status').textContent));
  const merged = CONFIG.replace('"enableOTA": true', '"enableOTA": false').replace('"ssid": "home"', '"ssid": "office"');
  assert(disk(MAC) === merged, `file on disk ${disk(MAC)}`);
  assert((await editorText(page)) === merged, 'editor after the overwrite');
});

await flow('history differences are shown in the merge view, unchanged lines folded', async () => {
  // A config of many lines, saved twice through the API: one line changed in the middle.
  const first = `{\n  "deviceName": "long",\n  "deviceModel": "free",\n${Array.from({ length: 30 }, (_, i) => `  "key${i}": ${i}`).join(',\n')}\n}\n`;
  const second = first.replace('"key15": 15', '"key15": 1500');
  for (const t of [first, second]) {
    const r = await send('PUT', `/api/configs/${LONG}.json`, t);
    assert(r.status === 200, `PUT ${r.status} ${r.text}`);
  }
  await openDevice(page, BASE, LONG);
  await page.waitForSelector('#history-body tr');
  await page.click('#history-body tr:first-child button:has-text("Compare with current")');
  await page.waitForSelector('#diff-out .cm-mergeView');
  const summary = await page.textContent('#diff-out .diff-summary');
  assert(/^Version \d+ → current config: 1 line removed, 1 added$/.test(summary), `summary "${summary}"`);
  assert((await page.$$('#diff-out .cm-merge-b .cm-collapsedLines')).length === 2, 'unchanged lines not folded');
  const changed = await page.$$eval('#diff-out .cm-merge-b .cm-changedLine', (l) => l.map((x) => x.textContent));
  assert(changed.length === 1 && changed[0].includes('1500'), `changed lines ${changed}`);
  const removed = await page.$$eval('#diff-out .cm-merge-a .cm-changedLine', (l) => l.map((x) => x.textContent));
  assert(removed.length === 1 && removed[0].includes('"key15": 15'), `removed lines ${removed}`);
  assert(await page.$eval('#diff-out .cm-merge-b .cm-content', (c) => c.getAttribute('contenteditable') === 'false'), 'history diff editable');
  await shot(page, ARTIFACTS, 'history-merge-desktop');
  await axe(page, 'history diff');
});

await flow('at phone width the differences are one text, removed lines above added ones', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click('#history-body tr:first-child button:has-text("Compare with current")');
  await page.waitForSelector('#diff-out .diff-unified .cm-deletedChunk');
  const removed = await page.textContent('#diff-out .cm-deletedChunk');
  assert(removed.includes('"key15": 15,'), `removed "${removed}"`);
  const added = await page.$$eval('#diff-out .cm-insertedLine', (l) => l.map((x) => x.textContent));
  assert(added.join() === '  "key15": 1500,', `added ${added}`);
  assert(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'page wider than the phone');
  await shot(page, ARTIFACTS, 'history-merge-phone');
  await axe(page, 'history diff at phone width');
  await page.setViewportSize({ width: 1280, height: 800 });
});

await flow('dark mode: the editor with its marks, completion and help is readable (axe-core)', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openDevice(page, BASE, MAC);
  await setEditor(page, '{\n  "deviceName": "kitchen",\n  "colour": "red"\n}\n');
  await verdict(page);
  await shot(page, ARTIFACTS, 'editor-error-dark');
  await axe(page, 'dark editor with an error');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, ARTIFACTS, 'editor-error-phone-dark');
  await axe(page, 'dark editor at phone width');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
  await axe(page, 'light editor with an error');
});

await flow('the editor\'s style rules carry the page\'s CSP nonce, and nothing was blocked', async () => {
  const res = await page.request.get(`${BASE}/ui/`);
  const csp = res.headers()['content-security-policy'];
  assert(/style-src 'self' 'nonce-[0-9a-f]{32}'/.test(csp) && !csp.includes('unsafe'), `CSP ${csp}`);
  const styles = await page.evaluate(() => {
    const nonce = document.querySelector('meta[name="csp-nonce"]').nonce;
    return { nonce, tags: [...document.querySelectorAll('style')].map((s) => ({ nonce: s.nonce, rules: s.sheet.cssRules.length })) };
  });
  assert(/^[0-9a-f]{32}$/.test(styles.nonce), `page nonce "${styles.nonce}"`);
  assert(styles.tags.length >= 1 && styles.tags.every((t) => t.nonce === styles.nonce && t.rules > 0), `style elements ${JSON.stringify(styles.tags)}`);
  const v = seen.csp;
  assert(v.length === 0, `violations: ${v.join(' | ')}`);
  // A second load gets another nonce.
  const again = await page.request.get(`${BASE}/ui/`);
  assert(again.headers()['content-security-policy'] !== csp, 'the nonce did not change');
});

await flow('every request went to the test\'s own host, and the page logged no error', async () => {
  assert(seen.foreign.length === 0, `requests elsewhere: ${seen.foreign.join(' ')}`);
  assert(seen.errors.length === 0, `console: ${seen.errors.join(' | ')}`);
});

await browser.close();
console.log(failures() === 0 ? 'all flows passed' : `${failures()} flows failed`);
process.exit(failures() === 0 ? 0 : 1);
