// web/editor.js: the config editor, CodeMirror 6 (codemirror.js, bundled
// from the pinned npm packages): JSON highlighting, line numbers, folding,
// auto-indent, Tab to indent (Esc then Tab moves on), bracket matching,
// search (Ctrl+F), undo, and key completion and hover help from the
// schema (schema.js). Every mistake is marked where it is, as one types:
// a short pause after an edit the text goes to the service's validate
// route, and its verdict, the one a save would get (a syntax error, a
// repeated key, a value that is not an object, each schema error), is put
// on the text, in the gutter and in the line under the editor, with "Go to
// the error". The service's refusal of a save (VALIDATION_FAILED and the
// like) is shown next to it.

import {
  EditorState, EditorView, StateEffect, StateField, autocompletion, bracketMatching, classHighlighter, closeBrackets,
  closeBracketsKeymap, codeFolding, completionKeymap, defaultKeymap, drawSelection, foldGutter, foldKeymap,
  highlightActiveLine, highlightActiveLineGutter, highlightSelectionMatches, highlightSpecialChars, history,
  historyKeymap, hoverTooltip, indentOnInput, indentUnit, indentWithTab, json, keymap, lineNumbers, lintGutter,
  lintKeymap, placeholder, search, searchKeymap, setDiagnostics, syntaxHighlighting, temporarilySetTabFocusMode,
} from './codemirror.js';
import { $, el } from './dom.js';
import { validateConfig } from './api.js';
import { charOffset, fromState, rangeAt, repeatedKeys } from './jsontree.js';
import { complete, hover, setSchema } from './schema.js';

const PAUSE_MS = 350;   // after the last keystroke, before asking the service
// Errors about a member being there at all: marked on its key.
const MEMBER_KEYWORDS = new Set(['additionalProperties', 'unevaluatedProperties', 'propertyNames', 'false']);

// The nonce of this page answer's Content-Security-Policy (api_ui.c), for
// the style rules CodeMirror adds.
export const cspNonce = document.querySelector('meta[name="csp-nonce"]')?.nonce || '';

let view = null;
let extensions = [];

// aria-invalid on the editor's content, following the verdict shown.
const setInvalid = StateEffect.define();
const invalidField = StateField.define({
  create: () => false,
  update: (value, tr) => tr.effects.reduce((v, e) => (e.is(setInvalid) ? e.value : v), value),
  provide: (f) => EditorView.contentAttributes.from(f, (bad) => ({ 'aria-invalid': bad ? 'true' : 'false' })),
});
let onChange = () => {};
let mac = null;           // whose config is edited (the validate route's MAC)
let noConfig = false;     // the MAC has no config and none is being made
let verdict = null;       // the verdict shown: {text, ok, problems, schema, count}
let pending = null;       // {text, promise} of the check under way
let timer = null;
let seq = 0;

// The mark that stands for a folded range: a press on it unfolds. The
// library's own mark unfolds on 'click', which a press with the editor's
// cursor elsewhere loses: the press moves the caret beside the mark (the
// browser does, and the editor reads it a moment later), the brackets
// matched there are marked, and the editor redraws that stretch of the
// line with a new mark in the old one's place, so the release lands on
// another element and no click follows. Taking the press itself (and
// keeping it from the browser and the editor) leaves nothing to redraw
// in between. 'click' stays for clicks that come without a press (a
// screen reader's).
// After unfolding, the caret and the focus go where a click on the text
// would have put them: at the start of the unfolded stretch.
function foldMark(view, unfold) {
  const open = (e) => {
    if (!e.target.isConnected) return; // the press already unfolded it
    const at = view.posAtDOM(e.target);
    unfold(e);
    view.dispatch({ selection: { anchor: at } });
    view.focus();
  };
  return el('span', {
    class: 'cm-foldPlaceholder', text: '…', title: view.state.phrase('unfold'), 'aria-label': view.state.phrase('folded code'),
    onmousedown: (e) => { if (e.button === 0) open(e); },
    onclick: open,
  });
}

// What every editor of the page shares (this one, and the merge views of diff.js).
export function baseExtensions() {
  return [
    EditorView.cspNonce.of(cspNonce),
    json(),
    syntaxHighlighting(classHighlighter),
    EditorState.tabSize.of(2),
    indentUnit.of('  '),
  ];
}

export function initEditor(changed) {
  onChange = changed;
  extensions = [
    ...baseExtensions(),
    lineNumbers(),
    highlightActiveLineGutter(),
    foldGutter(),
    codeFolding({ placeholderDOM: foldMark }),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ override: [complete], icons: false }),
    highlightActiveLine(),
    highlightSelectionMatches(),
    search({ top: true }),
    lintGutter(),
    hoverTooltip(hover, { hoverTime: 300 }),
    placeholder('No config.'),
    keymap.of([
      ...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...foldKeymap,
      ...completionKeymap, ...lintKeymap, indentWithTab,
      // Tab indents; Esc, then Tab, moves on to the next control.
      { key: 'Escape', run: temporarilySetTabFocusMode },
    ]),
    // tabindex: focusable as far as every checker knows (a scrolling region must be).
    EditorView.contentAttributes.of({
      id: 'editor', tabindex: '0', 'aria-labelledby': 'editor-label', 'aria-describedby': 'editor-help validation server-error',
    }),
    invalidField,
    EditorView.updateListener.of((u) => {
      if (!u.docChanged) return;
      onChange();
      scheduleCheck();
    }),
  ];
  view = new EditorView({ parent: $('editor-box'), state: EditorState.create({ doc: '', extensions }) });
}

// A new text (a fresh undo history). options.noConfig: the MAC has no
// config (nothing to check; the editor is read-only until one is made).
export function setText(text, options = {}) {
  mac = options.mac ?? mac;
  noConfig = Boolean(options.noConfig);
  verdict = null;
  pending = null;
  view.setState(EditorState.create({ doc: text, extensions: [extensions, EditorView.editable.of(!noConfig)] }));
  view.scrollDOM.scrollTop = 0;
  onChange();
  check();
}

export const getText = () => view.state.doc.toString();

export function focusEditor() {
  view.focus();
}

function scheduleCheck() {
  clearTimeout(timer);
  showChecking();
  timer = setTimeout(() => { check().catch(() => {}); }, PAUSE_MS);
}

// The verdict for the text now in the editor: the one shown when it is
// current, else the service is asked at once.
export function checked() {
  const text = getText();
  if (verdict && verdict.text === text) return Promise.resolve(verdict);
  return check();
}

function check() {
  clearTimeout(timer);
  const text = getText();
  if (pending && pending.text === text) return pending.promise;
  const mine = ++seq;
  const state = view.state;
  const promise = judge(state, text).then((v) => {
    if (mine === seq && getText() === text) show(v);
    return v;
  });
  pending = { text, promise };
  return promise;
}

// Asks the service; the answer as {text, ok, problems: [{from, to, message}], schema, count}.
async function judge(state, text) {
  if (noConfig || !mac) return { text, ok: true, problems: [], schema: null, count: 0, none: true };
  let answer = null;
  try {
    answer = await validateConfig(mac, text);
  } catch (e) {
    if (e.status !== 400 || e.code !== 'VALIDATION_FAILED') return { text, ok: null, problems: [], error: e, count: 0 };
    const problems = refusal(fromState(state), e);
    return { text, ok: false, problems, schema: undefined, count: problems.length };
  }
  const doc = fromState(state);
  const problems = answer.errors.map((err) => ({
    ...rangeAt(doc, err.instancePath, MEMBER_KEYWORDS.has(err.keyword)),
    message: `${err.instancePath || '(the config)'}: ${err.message}`,
    source: `schema “${answer.schema}”, ${err.keyword} at ${err.schemaPath || '/'}`,
  }));
  return { text, ok: answer.valid, problems, schema: answer.schema, count: answer.error_count };
}

// Where the service's refusal of the text as JSON points.
function refusal(doc, e) {
  const why = e.details || e.error;
  const at = / at byte (\d+)$/.exec(why);
  if (at) {
    const from = Math.min(charOffset(doc.text, Number(at[1])), doc.text.length);
    return [{ from, to: Math.min(from + 1, doc.text.length), message: why.slice(0, at.index) }];
  }
  if (/repeats a key/.test(why)) {
    const lineOf = (pos) => doc.text.slice(0, pos).split('\n').length;
    const repeats = repeatedKeys(doc);
    if (repeats.length) {
      return repeats.map((r) => ({
        from: r.from, to: r.to,
        message: `the key ${JSON.stringify(r.key)} is repeated (first on line ${lineOf(r.first)}); the service keeps no config that repeats a key`,
      }));
    }
  }
  if (/not an object|is empty/.test(`${e.error} ${why}`)) {
    const from = doc.text.length - doc.text.trimStart().length;
    return [{ from, to: Math.min(from + 1, doc.text.length), message: 'a config must be a JSON object ({ … })' }];
  }
  return [{ from: 0, to: Math.min(1, doc.text.length), message: `${e.error}: ${why}` }];
}

function lineColumn(pos) {
  const line = view.state.doc.lineAt(pos);
  return { line: line.number, column: pos - line.from + 1 };
}

function showChecking() {
  const out = $('validation');
  out.dataset.state = 'checking';
  out.className = 'validation checking';
  out.textContent = 'Checking…';
}

function show(v) {
  verdict = v;
  const out = $('validation');
  if (v.schema !== undefined && !v.none) setSchema(v.schema);
  const diagnostics = v.problems.map((p) => ({ from: p.from, to: p.to, severity: 'error', message: p.message, source: p.source }));
  view.dispatch(setDiagnostics(view.state, diagnostics), { effects: setInvalid.of(v.ok === false) });
  if (v.none) {
    out.dataset.state = 'none';
    out.className = 'validation muted';
    out.textContent = 'No config for this MAC.';
  } else if (v.ok === null) {
    out.dataset.state = 'unchecked';
    out.className = 'validation invalid';
    out.textContent = `Could not check the config: ${v.error.error || v.error.message}`;
  } else if (v.ok) {
    out.dataset.state = 'valid';
    out.className = 'validation valid';
    out.textContent = v.schema ? `Valid: a JSON object that matches the schema “${v.schema}”.` : 'Valid: a JSON object (no schema applies).';
  } else {
    const first = v.problems[0];
    const { line, column } = lineColumn(first.from);
    const more = v.count > 1 ? ` (${v.count} problems in all, each marked in the editor)` : '';
    out.dataset.state = 'invalid';
    out.className = 'validation invalid';
    out.replaceChildren(el('span', { text: `Line ${line}, column ${column}: ${first.message}${more}` }), ' ',
      el('button', { type: 'button', class: 'link', id: 'go-to-error', text: 'Go to the error', onclick: goToError }));
  }
}

// Puts the cursor on the first problem, scrolled into view in the editor
// and in the page.
export function goToError() {
  if (!verdict || !verdict.problems.length) return;
  const { from, to } = verdict.problems[0];
  view.dispatch({ selection: { anchor: from, head: Math.max(from, to) }, effects: EditorView.scrollIntoView(from, { y: 'center' }) });
  view.focus();
}

// The service's refusal of a save, shown beside the editor (null clears it).
export function showServerError(err) {
  const box = $('server-error');
  if (!err) { box.hidden = true; box.replaceChildren(); return; }
  const errors = err.errors || [];
  box.replaceChildren(
    el('p', { class: 'error-title', text: `The service refused to save: ${err.error}` }),
    err.details && !errors.length ? el('p', { text: err.details }) : null,
    errors.length ? el('ul', {}, ...errors.map((e) => el('li', { text: `${e.instancePath || '(the config)'}: ${e.message}` }))) : null,
    el('p', { class: 'muted', text: `${err.code || `HTTP ${err.status}`} · correlationId ${err.correlationId || '(none)'}` }));
  box.hidden = false;
  // The service's verdict may have changed (a schema changed meanwhile): ask again, to mark it.
  if (err.status === 400) recheck();
}

// Forgets the verdict shown and asks the service again.
export function recheck() {
  verdict = null;
  pending = null;
  check().catch(() => {});
}
