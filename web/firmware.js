// web/firmware.js: the firmware view (#/firmware): every model with its
// chip, target, canary and how many of its devices are in each state;
// one model's kept versions, with "make target", "canary" and "delete";
// uploading an image (.bin) for a model; and every device with a model,
// its target, what it runs and its state. Also the one-line firmware
// summary the device view shows. Every change goes through api.js and is
// followed by a fresh load: others change targets too.

import { $, confirmDialog, el, showError, status } from './dom.js';
import { deleteFirmware, deviceFirmware, listFirmware, modelFirmware, putTarget, uploadFirmware } from './api.js';
import { formatTime } from './list.js';
import { macNormalise } from './mac.js';

const STATES = ['current', 'behind', 'downloading', 'failed', 'unknown'];

let model = null;   // the model whose versions are shown, or null
let showModel = null;   // (app.js) records #/firmware/<model> as the view shown

const cell = (text, cls) => el('td', { class: cls, text: text ?? '' });

function statesText(s) {
  return STATES.filter((k) => s[k] > 0).map((k) => `${s[k]} ${k}`).join(', ') || 'no devices';
}

function renderModels(models) {
  const body = $('fw-models-body');
  body.replaceChildren();
  for (const m of models) {
    const t = m.target;
    const canary = t && t.canary ? `${t.canary.version} (${t.canary.devices.length} devices)` : '';
    const open = el('a', { href: `#/firmware/${encodeURIComponent(m.model)}`, text: m.model });
    body.append(el('tr', { 'data-model': m.model },
      el('th', { scope: 'row' }, open), cell(m.chip), cell(t ? t.version : 'none'), cell(canary),
      cell(String(m.versions)), cell(statesText(m.states), 'states')));
  }
  $('fw-models-empty').hidden = models.length > 0;
}

function renderDevices(devices) {
  const body = $('fw-devices-body');
  body.replaceChildren();
  for (const d of devices) {
    const mac = el('a', { href: `#/device/${d.mac_address}`, class: 'mac', text: d.mac_address });
    body.append(el('tr', { 'data-mac': d.mac_address },
      el('th', { scope: 'row' }, mac), cell(d.model), cell(d.target), cell(d.running),
      el('td', {}, el('span', { class: `badge fw-${d.state || 'none'}`, text: d.state || '–' })),
      cell(d.download ? `${d.download.version}${d.download.completed_at ? '' : ' (partial)'}` : ''),
      cell(formatTime(d.last_seen_at))));
  }
}

// Runs a change (fn returns what to say), then loads the view afresh.
async function act(what, fn) {
  try {
    const said = await fn();
    await loadFirmware(model);
    status(said);
  } catch (e) {
    showError(e, what);
  }
}

function versionActions(m, v) {
  const t = m.target;
  const box = el('td', { class: 'fw-actions' });
  if (!v.target) {
    box.append(el('button', {
      type: 'button', text: 'Make target', 'data-action': 'target',
      onclick: () => act('Setting the target', async () => {
        await putTarget(m.model, { version: v.version, canary: null });
        return `Every ${m.model} device is now to run ${v.version}.`;
      }),
    }));
  }
  if (t && t.version && !v.target && !v.canary) {
    box.append(el('button', {
      type: 'button', text: 'Canary…', 'data-action': 'canary',
      onclick: () => canary(m, v.version),
    }));
  }
  if (!v.target && !v.canary) {
    box.append(el('button', {
      type: 'button', class: 'danger', text: 'Delete…', 'data-action': 'delete',
      onclick: async () => {
        const ok = await confirmDialog(`Delete ${m.model} ${v.version}?`,
          `The image of ${v.version} is removed from the config directory; devices can no longer be sent it.`,
          `Delete ${v.version}`);
        if (ok) await act('Deleting', async () => { await deleteFirmware(m.model, v.version); return `Deleted ${m.model} ${v.version}.`; });
      },
    }));
  }
  return box;
}

async function canary(m, version) {
  const text = window.prompt(`MAC addresses that get ${version} first (comma or space separated):`, '');
  if (text === null) return;
  const macs = text.split(/[\s,]+/).filter(Boolean);
  const bad = macs.filter((x) => !macNormalise(x));
  if (bad.length || !macs.length) {
    showError(new Error(bad.length ? `Not a MAC address: ${bad.join(', ')}` : 'No MAC address given.'), 'Canary');
    return;
  }
  await act('Setting the canary', async () => {
    await putTarget(m.model, { version: m.target.version, canary: { version, devices: macs } });
    return `${macs.length} device(s) of ${m.model} are now to run ${version} first.`;
  });
}

function renderModel(m) {
  $('fw-model').hidden = !m;
  if (!m) return;
  $('fw-model-title').textContent = `${m.model} (${m.chip || 'no image'})`;
  const t = m.target;
  $('fw-model-target').textContent = t && t.version
    ? `Target ${t.version}${t.canary ? `, canary ${t.canary.version} for ${t.canary.devices.join(', ')}` : ''}; ${statesText(m.states)}.`
    : 'No target yet: uploading does not change what devices run; make a version the target.';
  const body = $('fw-versions-body');
  body.replaceChildren();
  for (const v of m.versions) {
    const role = v.target ? 'target' : v.canary ? 'canary' : '';
    body.append(el('tr', { 'data-version': v.version },
      el('th', { scope: 'row', class: 'rev', text: v.version }), cell(role),
      cell(`${v.project_name} (ESP-IDF ${v.idf_version})`), cell(v.size.toLocaleString()),
      cell(formatTime(v.uploaded_at)), cell(v.sha256.slice(0, 12), 'rev'), versionActions(m, v)));
  }
  $('fw-upload-model').value = m.model;
}

// Loads the fleet view, and the model name's versions (null: none).
export async function loadFirmware(name) {
  model = name;
  status('Loading the firmware…');
  const list = await listFirmware();
  renderModels(list.json.models);
  renderDevices(list.json.devices);
  let m = null;
  if (name) {
    try {
      m = (await modelFirmware(name)).json;
    } catch (e) {
      if (e.status !== 404) throw e;
      showError(e, `Model ${name}`);
    }
  }
  renderModel(m);
  status(`${list.json.count} models, ${list.json.devices.length} devices with a model.`);
}

async function upload(ev) {
  ev.preventDefault();
  const name = $('fw-upload-model').value.trim();
  const file = $('fw-upload-file').files[0];
  const version = $('fw-upload-version').value.trim();
  if (!name || !file || !version) {
    showError(new Error('Give the model, the version and the image file.'), 'Upload');
    return;
  }
  status(`Uploading ${file.name}…`);
  try {
    const r = await uploadFirmware(name, version, await file.arrayBuffer());
    const pruned = r.json.pruned && r.json.pruned.length ? `; removed ${r.json.pruned.join(', ')}` : '';
    $('fw-upload-file').value = '';
    showModel(`#/firmware/${encodeURIComponent(name)}`);
    await loadFirmware(name);
    status(`${r.status === 201 ? 'Uploaded' : 'Already kept:'} ${name} ${r.json.version} for ${r.json.chip}${pruned}.`);
  } catch (e) {
    showError(e, 'Upload');
  }
}

// The file's version, read from its app descriptor (esp_app_desc_t after
// the 24-byte image header and the first 8-byte segment header), to fill
// the version field; the service checks it again.
async function readVersion() {
  const file = $('fw-upload-file').files[0];
  if (!file) return;
  const b = new Uint8Array(await file.slice(0, 24 + 8 + 48).arrayBuffer());
  const d = 24 + 8;
  const magic = b[d] | (b[d + 1] << 8) | (b[d + 2] << 16) | (b[d + 3] << 24);
  if (b.length < d + 48 || magic >>> 0 !== 0xABCD5432) return;
  const raw = b.subarray(d + 16, d + 48);
  const end = raw.indexOf(0);
  $('fw-upload-version').value = new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
}

// fail: shows an error; show(hash): records the view now shown (app.js).
export function initFirmware(fail, show) {
  showModel = show;
  $('fw-upload').addEventListener('submit', (ev) => upload(ev).catch(fail));
  $('fw-upload-file').addEventListener('change', () => readVersion().catch(fail));
  $('fw-refresh').addEventListener('click', () => loadFirmware(model).catch(fail));
}

// The device view's firmware fact: its model, target, what it runs and its state.
export async function showDeviceFirmware(mac) {
  const line = $('device-firmware');
  line.textContent = '…';
  try {
    const d = (await deviceFirmware(mac)).json;
    line.textContent = '';
    if (!d.model) {
      line.textContent = 'no model (set "deviceModel" in the config)';
      return;
    }
    line.append(el('a', { href: `#/firmware/${encodeURIComponent(d.model)}`, text: d.model }),
      `, target ${d.target ?? 'none'}, runs ${d.running ?? 'unknown'}, `,
      el('span', { class: `badge fw-${d.state || 'none'}`, text: d.state || 'no target' }));
  } catch (e) {
    if (e.status !== 404) throw e;
    line.textContent = 'no config';
  }
}
