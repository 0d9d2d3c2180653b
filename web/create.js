// web/create.js: the dialogs that make a config for a new MAC. New
// config asks for the MAC; Copy from… (a device that asked and has no
// config) asks for the MAC of the config to copy; Duplicate asks for the MAC and, before
// anything is copied, the fields that name a device and must not be
// shared by two of them: the device name, the Home Assistant entity id
// (which must differ from every other config's) and any host name in the
// config. As the MAC is typed it is shown in canonical form (mac.js, the
// parser the list's filter uses), and a MAC that already has a config
// says so at once, with a link to it. The copy is the config's own text
// with only those values replaced, so its layout stays as it was.

import { $, el, openDialog } from './dom.js';
import { configExists, listConfigs } from './api.js';
import { fromText, replaceStrings, stringValues } from './jsontree.js';
import { macNormalise } from './mac.js';

// A key that holds the device's own host name (hostname, wifiHostname,
// mdns_hostname, mdnsName, ...).
const isHostKey = (key) => /(hostname|mdnsname)$/.test(String(key).toLowerCase().replace(/[^a-z]/g, ''));

const TOP_FIELDS = [
  { key: 'deviceName', label: 'Device name' },
  { key: 'deviceEntityId', label: 'Home Assistant entity id', unique: true },
];

// The dialog's MAC field: canonical form, existence check (null: not
// checked yet), and the OK button's state, as `ready()` decides. A new
// MAC is wanted (New config, Duplicate) unless `existing`: then one that
// has a config (the source of a copy).
function macField(ready, dialog, existing = false) {
  const input = $('mac-input');
  const shown = $('mac-canonical');
  const state = { mac: null, exists: null };
  let asked = 0;
  const render = () => {
    const { mac, exists } = state;
    const wrong = existing ? exists === false : exists === true;
    input.setAttribute('aria-invalid', (input.value && !mac) || wrong ? 'true' : 'false');
    if (!input.value) shown.replaceChildren();
    else if (!mac) shown.textContent = 'Not a MAC address yet: six hex pairs (with ":" or "-" between them, or none).';
    else if (existing) {
      shown.textContent = exists === true ? `Will copy the config of ${mac}.`
        : exists === false ? `${mac} has no config to copy.` : `${mac}: checking whether it has a config…`;
    } else if (exists === true) {
      shown.replaceChildren(`A config for ${mac} already exists. `,
        el('a', { href: `#/device/${mac}`, text: `Open ${mac}`, onclick: () => dialog.close('cancel') }));
    } else if (exists === false) shown.textContent = `Will be saved as ${mac}.`;
    else shown.textContent = `${mac}: checking whether it has a config…`;
    ready();
  };
  input.oninput = async () => {
    state.mac = macNormalise(input.value);
    state.exists = null;
    render();
    if (!state.mac) return;
    const mine = ++asked;
    const mac = state.mac;
    let exists;
    try {
      exists = await configExists(mac);
    } catch {
      exists = false;   // the create itself (If-None-Match: *) is the guard; it says so if it fails
    }
    if (mine !== asked) return;
    state.exists = exists;
    render();
  };
  input.value = '';
  render();
  return state;
}

function openMacDialog(title, text, okLabel) {
  $('mac-dialog-title').textContent = title;
  $('mac-dialog-text').textContent = text;
  $('mac-ok').textContent = okLabel;
  $('mac-fields').replaceChildren();
  setTimeout(() => $('mac-input').focus());
}

// New config: a canonical MAC without a config, or null when cancelled.
export async function askNewMac() {
  const d = $('mac-dialog');
  openMacDialog('New config', 'The MAC address of the device, in any usual form (AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff, aabbccddeeff).', 'Create');
  const ok = $('mac-ok');
  let mac = null;
  mac = macField(() => { ok.disabled = !mac || !mac.mac || mac.exists !== false; }, d);
  ok.disabled = mac.exists !== false;
  for (;;) {
    if ((await openDialog(d)) !== 'ok') return null;
    if (mac.mac && mac.exists === false) return mac.mac;
  }
}

// Copy from…: the canonical MAC of a device that has a config, or null
// when cancelled.
export async function askSourceMac(title, text, okLabel) {
  const d = $('mac-dialog');
  openMacDialog(title, text, okLabel);
  const ok = $('mac-ok');
  let mac = null;
  mac = macField(() => { ok.disabled = !mac || !mac.mac || mac.exists !== true; }, d, true);
  ok.disabled = true;
  for (;;) {
    if ((await openDialog(d)) !== 'ok') return null;
    if (mac.mac && mac.exists === true) return mac.mac;
  }
}

// Duplicate: {mac, text} of the copy to make, or null when cancelled.
// text: the config to copy (a JSON object).
export async function askDuplicate(from, text) {
  const d = $('mac-dialog');
  openMacDialog(`Duplicate ${from}`,
    'Copy this config, as it is in the editor, to a new MAC. Give the copy its own name, entity id and host names first: two devices must not share them.',
    'Duplicate');
  const doc = fromText(text);
  const fields = [];
  for (const f of TOP_FIELDS) {
    const found = stringValues(doc, (k, path) => path.length === 0 && k === f.key)[0];
    if (found) fields.push({ ...f, ...found, id: `dup-${f.key}` });
  }
  stringValues(doc, (k) => isHostKey(k)).forEach((h, i) => fields.push({
    ...h, id: `dup-host-${i}`, label: `Host name (${h.path.join(' › ')})`,
  }));
  // Entity ids in use elsewhere (from the list; without it the check is only against this config).
  let taken = new Map();
  if (fields.some((f) => f.unique)) {
    try {
      const list = (await listConfigs()).json.configs;
      taken = new Map(list.filter((c) => c.device_entity_id).map((c) => [c.device_entity_id, c.mac_address]));
    } catch { /* checked against this config only */ }
  }
  const ok = $('mac-ok');
  const notes = new Map();
  const box = $('mac-fields');
  for (const f of fields) {
    const note = el('p', { class: 'muted field-note', id: `${f.id}-note`, 'aria-live': 'polite' });
    const input = el('input', { id: f.id, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': note.id });
    input.value = f.value;
    notes.set(f, { input, note });
    box.append(el('label', { for: f.id, text: f.label }), input, note);
  }
  let mac = null;
  const ready = () => {
    let good = Boolean(mac && mac.mac && mac.exists === false);
    for (const f of fields) {
      const { input, note } = notes.get(f);
      const v = input.value.trim();
      let why = '';
      let blocking = false;
      if (f.unique && !v) { why = 'Needed: the copy must have an entity id of its own.'; blocking = true; }
      else if (f.unique && v === f.value) { why = `Still the original's (${from}): two devices must not share an entity id.`; blocking = true; }
      else if (f.unique && taken.has(v)) { why = `Already the entity id of ${taken.get(v)}.`; blocking = true; }
      else if (v === f.value) why = 'Same as the original.';
      note.textContent = why;
      input.setAttribute('aria-invalid', blocking ? 'true' : 'false');
      if (blocking) good = false;
    }
    ok.disabled = !good;
  };
  for (const { input } of notes.values()) input.addEventListener('input', ready);
  mac = macField(ready, d);
  for (;;) {
    if ((await openDialog(d)) !== 'ok') return null;
    ready();
    if (ok.disabled) continue;
    const edits = fields.map((f) => ({ from: f.from, to: f.to, value: notes.get(f).input.value.trim() }))
      .filter((e, i) => e.value !== fields[i].value);
    return { mac: mac.mac, text: replaceStrings(text, edits) };
  }
}
