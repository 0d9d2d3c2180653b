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

// Where JSON.parse says the error is: "(line L column C)" or "position N".
function errorPosition(text, message) {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) {
    const line = Number(lc[1]);
    const column = Number(lc[2]);
    let offset = 0;
    for (let l = 1; l < line; l++) offset = text.indexOf('\n', offset) + 1;
    return { line, column, offset: offset + column - 1 };
  }
  const pos = /position (\d+)/.exec(message);
  const offset = pos ? Number(pos[1]) : text.length;
  return { ...lineColumn(text, offset), offset };
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
    errorAt = errorPosition(text, e.message);
    const reason = e.message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
    problem = `Line ${errorAt.line}, column ${errorAt.column}: ${reason}`;
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
