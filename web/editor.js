// web/editor.js: the config editor: a monospace textarea with line
// numbers (Tab moves on to the next control, as everywhere on the page), checked as one types. A syntax error is reported with its line
// and column (from the browser's JSON.parse message), its line is marked
// in the gutter and "Go to the error" puts the cursor there; a config must
// be a JSON object, as the service requires. The service's own refusal
// (VALIDATION_FAILED and the like) is shown next to the editor.

import { $, el } from './dom.js';

const area = () => $('editor');
let onChange = () => {};
let errorAt = null;   // {line, column, offset} of the current syntax error

export function initEditor(changed) {
  onChange = changed;
  const t = area();
  t.addEventListener('input', () => { check(); onChange(); });
  t.addEventListener('scroll', () => { $('gutter').scrollTop = t.scrollTop; });
}

export function setText(text) {
  area().value = text;
  area().scrollTop = 0;
  check();
}

export const getText = () => area().value;

// Line and column (1-based) of a character offset.
export function lineColumn(text, offset) {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; last = i; }
  }
  return { line, column: offset - last };
}

// Where the first syntax error of text is, and what is wrong there: a
// small scanner of the JSON grammar (RFC 8259), because browsers' JSON.parse
// messages do not all give a position.
export function jsonError(text) {
  let i = 0;
  const fail = (what) => { const e = new Error(what); e.offset = i; throw e; };
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const lit = (word) => { if (text.startsWith(word, i)) i += word.length; else fail(`expected a value, found ${shown()}`); };
  const shown = () => (i >= text.length ? 'the end of the text' : `"${text[i]}"`);
  function string() {
    i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i];
      if (c === '"') { i++; return; }
      if (c < ' ') fail('control character in a string (write it as \\n, \\t, …)');
      if (c === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('\\u needs four hex digits');
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i]) && i < text.length) i++;
        else fail(`invalid escape \\${text[i] ?? ''}`);
      } else i++;
    }
  }
  function number() {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail(`expected a value, found ${shown()}`);
    i += m[0].length;
  }
  function value() {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a "key" in quotes, found ${shown()}`);
        string(); ws();
        if (text[i] !== ':') fail(`expected ":" after the key, found ${shown()}`);
        i++; value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail(`expected "," or "}", found ${shown()}`);
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail(`expected "," or "]", found ${shown()}`);
      }
    }
    if (c === '"') return string();
    if (c === 't') return lit('true');
    if (c === 'f') return lit('false');
    if (c === 'n') return lit('null');
    return number();
  }
  try {
    value(); ws();
    if (i < text.length) fail(`unexpected ${shown()} after the end of the JSON value`);
    return null;
  } catch (e) {
    return { ...lineColumn(text, e.offset), offset: e.offset, message: e.message };
  }
}

// Checks the text; returns true when it is a JSON object.
export function check() {
  const text = area().value;
  const out = $('validation');
  errorAt = null;
  let problem = null;
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      problem = 'A config must be a JSON object ({ … }).';
      errorAt = { line: 1, column: 1, offset: 0 };
    }
  } catch (e) {
    errorAt = jsonError(text) || { ...lineColumn(text, text.length), offset: text.length, message: e.message };
    problem = `Line ${errorAt.line}, column ${errorAt.column}: ${errorAt.message}`;
  }
  area().setAttribute('aria-invalid', problem ? 'true' : 'false');
  if (problem) {
    out.className = 'validation invalid';
    out.replaceChildren(el('span', { text: problem }), ' ',
      el('button', { type: 'button', class: 'link', text: 'Go to the error', onclick: goToError }));
  } else {
    out.className = 'validation valid';
    out.textContent = 'Valid JSON.';
  }
  renderGutter(text);
  return !problem;
}

function goToError() {
  if (!errorAt) return;
  const t = area();
  t.focus();
  t.setSelectionRange(errorAt.offset, Math.min(errorAt.offset + 1, t.value.length));
}

function renderGutter(text) {
  let lines = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  const g = $('gutter');
  const frag = document.createDocumentFragment();
  for (let l = 1; l <= lines; l++) {
    const s = el('span', { text: `${l}\n` });
    if (errorAt && errorAt.line === l) s.className = 'bad';
    frag.append(s);
  }
  g.replaceChildren(frag);
  g.scrollTop = area().scrollTop;
}

// The service's refusal of a save, shown beside the editor (null clears it).
export function showServerError(err) {
  const box = $('server-error');
  if (!err) { box.hidden = true; box.replaceChildren(); return; }
  box.replaceChildren(
    el('p', { class: 'error-title', text: `The service refused to save: ${err.error}` }),
    err.details ? el('p', { text: err.details }) : null,
    el('p', { class: 'muted', text: `${err.code || `HTTP ${err.status}`} · correlationId ${err.correlationId || '(none)'}` }));
  box.hidden = false;
}
