// web/list.js: the device list: every config with its MAC, name, entity
// id, OTA flag and last change (and, where the service reports device
// fetches, when each device last fetched, whether it holds an older
// version and, for a device that has a secret, whether that fetch carried
// it; where device secrets are in use, each device's, and the install's
// DEVICE_AUTH mode), the count, a filter applied as one types (a MAC in
// any form, a name or an entity id, and the configs the service found with
// that text inside: setContentMatches), an "outdated only" filter (devices
// that have not fetched their current version, with their count), sorting
// by any column (MACs in the API's order), remembered in localStorage, a
// mark on configs that do not match their schema, a message when nothing
// matches, and the selection of devices (a checkbox per row, one for
// every row the filter shows) that fleet changes work on. It stays quick
// with many thousands of configs: search keys are computed once per load,
// a sort only when the column changes, and only the first rows of a long
// result are put in the page (with "Show more").

import { credentialCell, credentialState, modeText } from './credential.js';
import { $, el, status } from './dom.js';
import { macDigits, macNormalise } from './mac.js';

const PAGE = 200;
const SORT_KEY = 'iotconfig.sort';

const COLUMNS = [
  { key: 'mac_address', label: 'MAC address' },
  { key: 'device_name', label: 'Device name' },
  { key: 'device_entity_id', label: 'Entity id' },
  { key: 'enable_ota', label: 'OTA' },
  { key: 'saved_at', label: 'Last change' },
  { key: 'last_fetch_at', label: 'Last fetch', fetches: true },
  { key: 'secret', label: 'Secret', credentials: true },
];

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const exactly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : when.format(d);
}

// The same, to the second (the history and the device page).
export function formatExact(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : exactly.format(d);
}

const state = {
  rows: [],          // the configs, each with .hay (search text) and .digits
  sorted: null,      // rows in the current order, or null to sort again
  shown: [],         // rows matching the filter
  limit: PAGE,
  fetches: false,    // does the service report fetches?
  credentials: false, // are device secrets in use (a mode other than off, or any secret)?
  sort: loadSort(),
  content: null,     // {query, macs: Set}: configs the service found with the filter's text inside
  selected: new Set(),
  onSelect: () => {},
};

function loadSort() {
  try {
    const s = JSON.parse(localStorage.getItem(SORT_KEY));
    if (s && COLUMNS.some((c) => c.key === s.key) && (s.dir === 1 || s.dir === -1)) return s;
  } catch { /* a missing or unreadable entry: the default */ }
  return { key: 'mac_address', dir: 1 };
}

// setConfigs(configs, fetches, secrets): new data (fetches: the
// /api/fetches list, or null; secrets: the /api/credentials answer, or null).
export function setConfigs(configs, fetches, secrets) {
  const byMac = new Map();
  if (fetches) for (const f of fetches) byMac.set(macNormalise(f.mac_address) || f.mac_address, f);
  const secretOf = new Map();
  if (secrets) for (const c of secrets.credentials) secretOf.set(c.mac_address, credentialState(c));
  state.fetches = Boolean(fetches);
  state.credentials = Boolean(secrets) && (secrets.mode !== 'off' || secrets.credentials.length > 0);
  const mode = $('list-mode');
  mode.hidden = !secrets;
  mode.textContent = secrets ? modeText(secrets.mode) : '';
  state.rows = configs.map((c) => {
    const f = byMac.get(c.mac_address);
    return {
      ...c,
      last_fetch_at: f ? f.last_fetch_at : null,
      old_version: f ? f.current === false : false,
      // A device that has a secret: true when the fetch shown carried it,
      // else when it last fetched with it (false: never yet).
      fetch_secret: f && f.has_secret ? (f.authenticated ? true : f.last_authenticated_fetch_at || false) : null,
      secret: secretOf.get(c.mac_address) || null,
      digits: macDigits(c.mac_address),
      hay: `${c.device_name || ''}\n${c.device_entity_id || ''}`.toLowerCase(),
    };
  });
  state.sorted = null;
  const known = new Set(state.rows.map((r) => r.mac_address));
  for (const mac of state.selected) if (!known.has(mac)) state.selected.delete(mac);
  $('count').textContent = `(${configs.length.toLocaleString()})`;
  const outdated = state.rows.reduce((n, r) => n + (r.old_version ? 1 : 0), 0);
  $('outdated-filter').hidden = !state.fetches;
  $('outdated-count').textContent = `(${outdated.toLocaleString()})`;
  renderHead();
  update();
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

// MACs in the API's order: canonical text, code unit by code unit (the
// byte order of the address); other text as people sort it.
const byCodeUnit = (x, y) => (x < y ? -1 : x > y ? 1 : 0);

function compareValues(x, y, key) {
  if (key === 'mac_address') return byCodeUnit(x, y);
  if (typeof x === 'string') return collator.compare(x, y);
  if (typeof x === 'boolean') return x === y ? 0 : x ? -1 : 1;   // on before off
  return x < y ? -1 : x > y ? 1 : 0;
}

// Rows in the chosen order; empty values last in either direction, equal
// ones by MAC.
function sortedRows() {
  if (!state.sorted) {
    const { key, dir } = state.sort;
    const byMac = (a, b) => (a.mac_address < b.mac_address ? -1 : 1);
    state.sorted = state.rows.slice().sort((a, b) => {
      const x = a[key];
      const y = b[key];
      const xe = x === null || x === undefined;
      const ye = y === null || y === undefined;
      if (xe || ye) return xe && ye ? byMac(a, b) : xe ? 1 : -1;
      return dir * compareValues(x, y, key) || byMac(a, b);
    });
  }
  return state.sorted;
}

function matcher(query) {
  const q = query.trim().toLowerCase();
  if (!q) return null;
  const digits = macDigits(q);
  // Text that is only hex digits and separators may be (part of) a MAC.
  const macLike = digits.length >= 2 && /^[0-9a-f:\-. ]+$/.test(q);
  const inside = state.content && state.content.query === query.trim() ? state.content.macs : null;
  return (r) => r.hay.includes(q) || (macLike && r.digits.includes(digits)) || r.mac_address.includes(q) ||
    (inside !== null && inside.has(r.mac_address));
}

// The configs the service found with the filter's text inside (null: none
// known); shown with the others while the filter still says query.
export function setContentMatches(query, macs) {
  state.content = macs ? { query, macs } : null;
  if ($('filter').value.trim() === query) update();
}

// --- selection ------------------------------------------------------------------
export const selection = () => [...state.selected].sort();

export function onSelectionChange(fn) {
  state.onSelect = fn;
}

function selectionChanged() {
  const all = $('select-all');
  if (all) {
    const shown = state.shown.filter((r) => state.selected.has(r.mac_address)).length;
    all.checked = shown > 0 && shown === state.shown.length;
    all.indeterminate = shown > 0 && shown < state.shown.length;
  }
  state.onSelect(state.selected.size);
}

export function setSelection(macs) {
  state.selected = new Set(macs);
  renderBody();
  selectionChanged();
}

// Selects (or, when all are, clears) every row the filter shows.
function selectShown(on) {
  for (const r of state.shown) {
    if (on) state.selected.add(r.mac_address);
    else state.selected.delete(r.mac_address);
  }
  renderBody();
  selectionChanged();
}

// Filters, then renders the first rows. Returns the rendering time (ms).
export function update() {
  const t0 = performance.now();
  const query = $('filter').value;
  const text = matcher(query);
  const outdated = state.fetches && $('outdated-only').checked;
  const match = text && outdated ? (r) => r.old_version && text(r) : outdated ? (r) => r.old_version : text;
  const all = sortedRows();
  state.shown = match ? all.filter(match) : all;
  state.limit = PAGE;
  renderBody();
  const n = state.shown.length;
  $('match-count').textContent = match ? `${n.toLocaleString()} of ${state.rows.length.toLocaleString()} match` : '';
  const empty = $('list-empty');
  empty.hidden = n > 0 || state.rows.length === 0;
  if (n === 0) {
    const what = [query.trim() ? `“${query.trim()}”` : '', outdated ? 'outdated' : ''].filter(Boolean).join(' and ');
    empty.textContent = what ? `No device matches ${what}.` : '';
  }
  $('list-none').hidden = state.rows.length > 0;
  selectionChanged();
  // A full MAC that is not listed: offer to open it (its history may hold a deleted config).
  const mac = macNormalise(query);
  const open = $('open-mac');
  if (mac && !state.rows.some((r) => r.mac_address === mac)) {
    open.replaceChildren(`No config for ${mac}. `,
      el('a', { href: `#/device/${mac}`, text: `Open ${mac} (history, restore)` }));
    open.hidden = false;
  } else {
    open.hidden = true;
  }
  return performance.now() - t0;
}

function renderHead() {
  const tr = $('devices-head');
  tr.replaceChildren();
  for (const c of COLUMNS) {
    if ((c.fetches && !state.fetches) || (c.credentials && !state.credentials)) continue;
    const active = state.sort.key === c.key;
    const dir = active ? (state.sort.dir === 1 ? 'ascending' : 'descending') : null;
    // The MAC column also holds the box that selects every row shown.
    const all = c.key === 'mac_address'
      ? el('input', { type: 'checkbox', id: 'select-all', class: 'select', 'aria-label': 'Select every device shown',
        onchange: (e) => selectShown(e.target.checked) })
      : null;
    const th = el('th', { scope: 'col', 'aria-sort': dir || 'none', class: all ? 'with-select' : null }, all,
      el('button', {
        type: 'button', class: 'sort', 'data-key': c.key,
        onclick: () => sortBy(c.key),
      }, c.label, el('span', { class: 'arrow', 'aria-hidden': 'true', text: active ? (state.sort.dir === 1 ? ' ▲' : ' ▼') : '' })));
    tr.append(th);
  }
}

function sortBy(key) {
  state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
  try { localStorage.setItem(SORT_KEY, JSON.stringify(state.sort)); } catch { /* private mode */ }
  state.sorted = null;
  renderHead();
  update();
  const col = COLUMNS.find((c) => c.key === key);
  status(`Sorted by ${col.label}, ${state.sort.dir === 1 ? 'ascending' : 'descending'}.`);
  document.querySelector(`#devices-head button[data-key="${key}"]`).focus();
}

function text(v) {
  return v === null || v === undefined ? '' : String(v);
}

// The mark of a config that does not match its schema.
function schemaMark(r) {
  if (!r.schema_errors) return null;
  const n = r.schema_errors;
  return el('span', { class: 'badge', title: `Does not match the schema “${r.schema}”`,
    text: `${n.toLocaleString()} schema error${n === 1 ? '' : 's'}` });
}

function row(r) {
  const mark = schemaMark(r);
  const cells = [
    el('th', { scope: 'row' },
      el('input', { type: 'checkbox', class: 'select', 'data-mac': r.mac_address, 'aria-label': `Select ${r.mac_address}`,
        checked: state.selected.has(r.mac_address), onchange: (e) => toggle(r.mac_address, e.target.checked) }),
      el('a', { href: `#/device/${r.mac_address}`, class: 'mac', text: r.mac_address }),
      mark ? ' ' : null, mark),
    el('td', { text: text(r.device_name) }),
    el('td', { class: 'entity', 'data-label': 'Entity id', text: text(r.device_entity_id) }),
    el('td', { 'data-label': 'OTA', text: r.enable_ota === true ? 'on' : r.enable_ota === false ? 'off' : '' }),
    el('td', { 'data-label': 'Last change' }, r.saved_at ? el('time', { datetime: r.saved_at, text: formatTime(r.saved_at) }) : ''),
  ];
  if (state.fetches) {
    const td = el('td', { 'data-label': 'Last fetch' }, r.last_fetch_at ? el('time', { datetime: r.last_fetch_at, text: formatTime(r.last_fetch_at) }) : 'never');
    if (r.old_version) td.append(' ', el('span', { class: 'badge', text: 'old version' }));
    if (r.fetch_secret === true) td.append(' ', el('span', { class: 'badge', text: 'with its secret' }));
    if (typeof r.fetch_secret === 'string') {
      td.append(' ', el('span', { class: 'badge' }, 'with its secret ', el('time', { datetime: r.fetch_secret, text: formatTime(r.fetch_secret) })));
    }
    if (r.fetch_secret === false && r.last_fetch_at) td.append(' ', el('span', { class: 'badge', text: 'not yet with its secret' }));
    cells.push(td);
  }
  if (state.credentials) cells.push(credentialCell(r.secret));
  return el('tr', {}, ...cells);
}

function toggle(mac, on) {
  if (on) state.selected.add(mac);
  else state.selected.delete(mac);
  selectionChanged();
}

function renderBody() {
  const frag = document.createDocumentFragment();
  const n = Math.min(state.limit, state.shown.length);
  for (let i = 0; i < n; i++) frag.append(row(state.shown[i]));
  $('devices-body').replaceChildren(frag);
  const more = $('list-more');
  more.hidden = state.shown.length <= n;
  $('show-more').textContent = `Show more (${n.toLocaleString()} of ${state.shown.length.toLocaleString()} shown)`;
}

export function showMore() {
  state.limit += PAGE * 5;
  renderBody();
}

export function knownMac(mac) {
  return state.rows.find((r) => r.mac_address === mac) || null;
}
