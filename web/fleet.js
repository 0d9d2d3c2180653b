// web/fleet.js: changing many devices at once. "Change selected…" asks
// for the change (set or change one value by its path, remove one, or a
// whole merge patch), previews it on the selected devices (each device's
// diff, nothing written), applies exactly what was previewed (each device
// only if it still has the previewed version: the others come back as
// conflicts), shows each device's result, and offers Undo. The recent
// changes are listed with Undo too. The results panel (showChange) is
// also what an import shows (transfer.js).

import { $, el, clearErrors, openDialog, showError, status } from './dom.js';
import { request } from './api.js';
import { formatTime, knownMac, selection, setSelection } from './list.js';

const jsonBody = (body) => ({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const postChange = (body) => request('POST', '/api/changes', jsonBody(body)).then((r) => r.json);
const undoChange = (id) => request('POST', `/api/changes/${encodeURIComponent(id)}/undo`, jsonBody({})).then((r) => r.json);
const listChanges = () => request('GET', '/api/changes').then((r) => r.json);

let reload = async () => {};

// --- the change asked for -------------------------------------------------------

// "mqtt/broker", "/mqtt/broker": the keys of a path (a JSON Pointer, the
// leading "/" optional; "~1" is "/" and "~0" is "~" inside a key).
export function pathKeys(path) {
  const p = path.trim().replace(/^\//, '');
  if (!p) return null;
  const keys = p.split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  return keys.some((k) => k === '') ? null : keys;
}

// JSON text to put in a patch as it was typed (a number keeps 1.50).
export class RawJson {
  constructor(text) { this.text = text; }
}

// The value field as the type chosen says; throws a sentence when it is not one.
export function parseValue(text, type) {
  if (type === 'text') return text;
  if (type === 'number') {
    if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(text.trim())) throw new Error(`"${text}" is not a number`);
    return new RawJson(text.trim());
  }
  if (type === 'true' || type === 'false') return type === 'true';
  let v;
  try { v = JSON.parse(text); } catch (e) { throw new Error(`The value is not JSON: ${e.message}`); }
  if (v === null) throw new Error('null would remove the value: choose "Remove it" instead');
  return new RawJson(text.trim());
}

// A merge patch setting (value) or removing (value undefined) the value at keys.
export function patchFor(keys, value) {
  let inner = value === undefined ? null : value;
  for (let i = keys.length - 1; i >= 0; i--) inner = { [keys[i]]: inner };
  return inner;
}

// The patch as JSON text; RawJson values are written as typed, so a
// number keeps its text (1.50 stays 1.50) all the way to the file.
export function patchText(patch) {
  const raws = [];
  const mark = `\u0000${Math.random().toString(36).slice(2)}`;
  const text = JSON.stringify(patch, (k, v) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `${mark}${raws.length - 1}`;
    }
    return v;
  });
  const quoted = JSON.stringify(mark).slice(1, -1);
  return text.replace(new RegExp(`"${quoted.replace(/\\/g, '\\\\')}(\\d+)"`, 'g'), (_, i) => raws[Number(i)]);
}

// The patch the dialog describes, as text; throws a sentence when it is incomplete.
function patchFromForm() {
  const mode = document.querySelector('input[name="change-mode"]:checked').value;
  if (mode === 'patch') {
    const text = $('change-patch').value.trim();
    let v;
    try { v = JSON.parse(text); } catch (e) { throw new Error(`The merge patch is not JSON: ${e.message}`); }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('A merge patch is a JSON object, e.g. {"mqtt": {"port": 8883}}');
    return text;
  }
  const keys = pathKeys($('change-path').value);
  if (!keys) throw new Error('Give the path of the value, e.g. mqtt/broker');
  if (mode === 'remove') return patchText(patchFor(keys));
  return patchText(patchFor(keys, parseValue($('change-value').value, $('change-type').value)));
}

function syncForm() {
  const mode = document.querySelector('input[name="change-mode"]:checked').value;
  $('change-by-path').hidden = mode === 'patch';
  $('change-value-row').hidden = mode !== 'set';
  $('change-by-patch').hidden = mode !== 'patch';
}

async function askChange() {
  clearErrors();
  const macs = selection();
  if (macs.length === 0) return;
  $('change-title').textContent = `Change ${macs.length.toLocaleString()} selected device${macs.length === 1 ? '' : 's'}`;
  $('change-problem').textContent = '';
  syncForm();
  for (;;) {
    const answer = await openDialog($('change-dialog'));
    if (answer !== 'preview') return;
    let text;
    try {
      text = patchFromForm();
    } catch (e) {
      $('change-problem').textContent = e.message;
      continue;
    }
    await preview(text, macs);
    return;
  }
}

// --- preview, apply, results -------------------------------------------------------

async function preview(patchTextValue, macs) {
  // The panel still shows the last change's results: not this one's.
  $('change-panel').hidden = true;
  status('Previewing the change…');
  const body = `{"patch":${patchTextValue},"devices":${JSON.stringify(macs)},"dry_run":true}`;
  const r = await request('POST', '/api/changes', { headers: { 'Content-Type': 'application/json' }, body });
  showChange(r.json, {
    title: `Preview: ${describe(r.json)}`,
    apply: {
      label: `Apply to ${r.json.summary.changed.toLocaleString()} device${r.json.summary.changed === 1 ? '' : 's'}`,
      disabled: r.json.summary.changed === 0,
      run: () => apply(patchTextValue, r.json),
    },
  });
  status('Nothing is written until you apply the change.');
}

async function apply(patchTextValue, previewed) {
  // Exactly what was previewed: each device only if it still has that ETag.
  const devices = previewed.devices.filter((d) => d.result === 'changed').map((d) => ({ mac_address: d.mac_address, etag: d.etag }));
  const body = `{"patch":${patchTextValue},"devices":${JSON.stringify(devices)}}`;
  status('Applying the change…');
  const r = await request('POST', '/api/changes', { headers: { 'Content-Type': 'application/json' }, body });
  setSelection([]);
  await reload();
  showResult(r.json);
}

// After a change: each device's result, and Undo.
export function showResult(change) {
  const s = change.summary;
  const conflicts = s.conflict ? `, ${s.conflict} changed meanwhile and left as they were` : '';
  showChange(change, {
    title: `${change.kind === 'undo' ? 'Undone' : 'Applied'}: ${describe(change)}`,
    undo: change.id && written(change) > 0 ? { label: 'Undo this change', run: () => undo(change.id) } : null,
  });
  status(`Change ${change.id}: ${written(change)} device${written(change) === 1 ? '' : 's'} written${conflicts}.`);
  refreshChanges().catch((e) => showError(e, 'Recent changes'));
}

async function undo(id) {
  clearErrors();
  status('Undoing the change…');
  const r = await undoChange(id);
  await reload();
  showResult(r);
}

const written = (c) => c.summary.changed + c.summary.created + c.summary.deleted + c.summary.restored;

function describe(c) {
  const s = c.summary;
  const word = (k) => (c.dry_run && { changed: 'will change', created: 'new' }[k]) || k;
  const parts = Object.entries(s).filter(([, n]) => n > 0).map(([k, n]) => `${n.toLocaleString()} ${word(k)}`);
  const what = c.kind === 'import' ? 'import' : c.kind === 'undo' ? `undo of ${c.undoes}` : 'merge patch';
  return `${what}, ${c.count.toLocaleString()} device${c.count === 1 ? '' : 's'} (${parts.join(', ') || 'nothing'})`;
}

const show = (v) => (v === undefined ? '' : JSON.stringify(v));

// One device's diff as lines: "~ /path: old → new", "+ /path: new", "- /path: old".
function diffList(diff) {
  return el('ul', { class: 'change-diff' }, ...diff.map((d) => {
    const text = d.op === 'add' ? `+ ${d.path}: ${show(d.value)}`
      : d.op === 'remove' ? `− ${d.path}: ${show(d.old)}`
        : `~ ${d.path}: ${show(d.old)} → ${show(d.value)}`;
    return el('li', { class: `diff-${d.op}`, text });
  }));
}

const RESULT_TEXT = {
  changed: 'changed', created: 'created', deleted: 'deleted', restored: 'restored', unchanged: 'unchanged',
  skipped: 'skipped', conflict: 'changed meanwhile: left as it is', missing: 'missing', invalid: 'invalid', failed: 'failed',
};

const PREVIEW_TEXT = { changed: 'will change', created: 'new' };

// Fills the results panel with a change (or a preview): one row per device.
// opts: {title, apply: {label, disabled, run}, undo: {label, run}}.
export function showChange(change, opts) {
  const panel = $('change-panel');
  const name = (mac) => knownMac(mac)?.device_name || '';
  const rows = change.devices.map((d) => el('tr', { 'data-mac': d.mac_address, 'data-result': d.result },
    el('th', { scope: 'row', class: 'mac', text: d.mac_address }),
    el('td', { 'data-label': change.kind === 'import' ? 'Entry' : 'Name', text: d.entry || name(d.mac_address) }),
    el('td', { class: `result result-${d.result}`, 'data-label': 'Result', text: (change.dry_run && PREVIEW_TEXT[d.result]) || RESULT_TEXT[d.result] || d.result }),
    el('td', { 'data-label': 'What changes' }, d.diff && d.diff.length ? diffList(d.diff) : d.message ? el('span', { class: 'muted', text: d.message }) : ''),
  ));
  const actions = el('div', { class: 'actions' });
  const run = (fn, what) => async (e) => {
    e.target.disabled = true;
    try { await fn(); } catch (err) { showError(err, what); e.target.disabled = false; }
  };
  if (opts.apply) {
    actions.append(el('button', { type: 'button', class: 'primary', id: 'change-apply', text: opts.apply.label,
      disabled: opts.apply.disabled, onclick: run(opts.apply.run, 'Applying') }));
  }
  if (opts.undo) {
    actions.append(el('button', { type: 'button', class: 'danger', id: 'change-undo', text: opts.undo.label, onclick: run(opts.undo.run, 'Undoing') }));
  }
  actions.append(el('button', { type: 'button', text: opts.apply ? 'Cancel' : 'Close', onclick: () => { panel.hidden = true; } }));
  panel.replaceChildren(
    el('h3', { id: 'change-panel-title', tabindex: '-1', text: opts.title }),
    change.id ? el('p', { class: 'muted' }, `Change ${change.id}, ${formatTime(change.created_at)}${change.user ? ` by ${change.user}` : ''}.`) : '',
    el('div', { class: 'table-wrap' }, el('table', { id: 'change-table' },
      el('caption', { class: 'visually-hidden', text: 'Each device and what the change does to it' }),
      el('thead', {}, el('tr', {}, ...['Device', change.kind === 'import' ? 'Entry' : 'Name', 'Result', 'What changes'].map((t) => el('th', { scope: 'col', text: t })))),
      el('tbody', {}, ...rows))),
    actions);
  panel.hidden = false;
  $('change-panel-title').focus();
}

// --- recent changes -------------------------------------------------------------------

export async function refreshChanges() {
  const list = await listChanges();
  const body = $('changes-body');
  body.replaceChildren(...list.changes.map((c) => el('tr', { 'data-id': c.id },
    el('th', { scope: 'row' }, el('time', { datetime: c.created_at, text: formatTime(c.created_at) })),
    el('td', { 'data-label': 'What', text: c.kind === 'undo' ? `undo of ${c.undoes}` : c.kind }),
    el('td', { 'data-label': 'By', text: c.user || '—' }),
    el('td', { 'data-label': 'Written', text: `${written(c)} of ${c.count}` }),
    el('td', { class: 'patch', 'data-label': 'Patch', text: c.patch ? JSON.stringify(c.patch) : c.kind === 'import' ? `existing: ${c.existing}` : '' }),
    el('td', { class: 'row-actions' },
      c.undone_by.length ? el('span', { class: 'muted', text: 'undone' }) : '',
      el('button', { type: 'button', text: 'Undo', 'aria-label': `Undo change ${c.id}`, disabled: c.state !== 'done' || written(c) === 0,
        onclick: async (e) => {
          e.target.disabled = true;
          try { await undo(c.id); } catch (err) { showError(err, 'Undoing'); e.target.disabled = false; }
        } })),
  )));
  $('changes-empty').hidden = list.count > 0;
  $('changes-wrap').hidden = list.count === 0;
}

// init({reload}): reload() loads the list again after a change.
export function initFleet(opts) {
  reload = opts.reload;
  for (const r of document.querySelectorAll('input[name="change-mode"]')) r.addEventListener('change', syncForm);
  $('change-selected').addEventListener('click', () => askChange().catch((e) => showError(e, 'Previewing')));
  $('changes').addEventListener('toggle', () => {
    if ($('changes').open) refreshChanges().catch((e) => showError(e, 'Recent changes'));
  });
}

// The selection's count, in the button that works on it.
export function selectionChanged(n) {
  $('change-selected').disabled = n === 0;
  $('selected-count').textContent = n ? `${n.toLocaleString()} selected` : '';
}
