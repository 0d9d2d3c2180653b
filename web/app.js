// web/app.js: the page's entry point and its one piece of state: which
// view is shown (the list at #/, one device at #/device/<mac>, a new one
// at #/new/<mac>), the device's text and ETag as loaded, and the flows
// that change a config: save (If-Match), the conflict when it was changed
// elsewhere (412: see the other version, reload, or overwrite on
// purpose), create (If-None-Match: *), duplicate, delete after a
// confirmation naming the device, and restore from the history. Leaving a
// device with unsaved edits asks first. The device's secret has its own
// panel (credential.js); the install's DEVICE_AUTH mode comes with the list.

import { $, askMac, clearErrors, confirmDialog, copyFrom, openDialog, showError, status } from './dom.js';
import { deleteFile, fileUrl, getFile, listConfigs, listCredentials, listFetches, putFile, restoreRevision } from './api.js';
import { clearCredential, initCredential, loadCredential } from './credential.js';
import { renderDiff } from './diff.js';
import { check, getText, initEditor, setText, showServerError } from './editor.js';
import { clearHistory, initHistory, loadHistory } from './history.js';
import { knownMac, setConfigs, showMore, update } from './list.js';
import { macNormalise } from './mac.js';

const NEW_CONFIG = '{\n  "deviceName": "",\n  "deviceEntityId": "",\n  "enableOTA": false\n}\n';

// The device shown: mac, etag (null: no config), loaded (its text as
// loaded or saved, null when none), creating (not saved yet).
let device = null;
let route = '';
let flash = '';   // a message for the next view (navigation clears the status line)
let mode = null;  // DEVICE_AUTH, as the last list said (null: unknown)

const dirty = () => device !== null && getText() !== (device.loaded ?? (device.creating ? NEW_CONFIG : ''));

function fail(what) {
  return (e) => showError(e, what);
}

// --- the list ---------------------------------------------------------------
async function loadList() {
  status('Loading the devices…');
  // The fetch and secret columns are extra: a failure is shown, and the list still comes.
  const fetching = listFetches().catch((e) => { showError(e, 'Device fetches'); return null; });
  const secrets = listCredentials().catch((e) => { showError(e, 'Device secrets'); return null; });
  const [list, fetches, creds] = await Promise.all([listConfigs(), fetching, secrets]);
  mode = creds ? creds.mode : null;
  setConfigs(list.json.configs, fetches, creds);
  status(`${list.json.count.toLocaleString()} devices.`);
}

// --- one device -------------------------------------------------------------
function showDevice(mac, creating) {
  const url = new URL(fileUrl(mac), location.href).href;
  $('device-url').value = url;
  // A person's read of the device URL: ?peek keeps it out of the fleet view.
  $('device-curl').value = `curl -s '${url}?peek'`;
  device = { mac, etag: null, loaded: null, creating };
  $('device-state').textContent = 'Loading…';
  showServerError(null);
  clearHistory();
  clearCredential();
  loadSecret(mac);
  return creating ? startNew() : loadDevice();
}

// The device's secret panel; the mode comes with the list, fetched here
// when the page opened on a device.
async function loadSecret(mac) {
  try {
    if (mode === null) {
      const creds = await listCredentials();
      if (!creds) return;   // a service without device secrets
      mode = creds.mode;
    }
    await loadCredential(mac, mode);
  } catch (e) {
    showError(e, 'Device secret');
  }
}

function title() {
  let name = null;
  try { name = JSON.parse(getText()).deviceName; } catch { /* keep the MAC */ }
  const mac = device.mac;
  $('device-title').textContent = typeof name === 'string' && name ? `${name} (${mac})` : mac;
}

function setState(text) {
  $('device-state').textContent = text;
  const exists = device.etag !== null;
  $('save').textContent = device.creating ? 'Create' : 'Save';
  $('save').disabled = !device.creating && !exists;
  $('reload').disabled = device.creating;
  $('duplicate').disabled = !exists;
  $('delete').disabled = !exists;
}

async function startNew() {
  setText(NEW_CONFIG);
  title();
  setState('New config: not saved yet. Create saves it only if this MAC has no config.');
  await refreshHistory();
}

async function loadDevice() {
  const mac = device.mac;
  try {
    const r = await getFile(mac);
    if (device.mac !== mac) return;
    device.etag = r.etag;
    device.loaded = r.text;
    setText(r.text);
    setState(`Version ${r.etag}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    device.etag = null;
    device.loaded = '';
    setText('');
    setState('This MAC has no config: it was deleted, or never made. A version in the history below can be restored.');
  }
  title();
  await refreshHistory();
}

const refreshHistory = () => loadHistory(device.mac, () => device.loaded, restore);

async function save() {
  clearErrors();
  if (!check()) {
    $('editor').focus();
    status('Not saved: the JSON has an error.');
    return;
  }
  const { mac } = device;
  const text = getText();
  try {
    const r = await putFile(mac, text, device.creating ? null : device.etag);
    const created = device.creating;
    device.etag = r.etag;
    device.loaded = text;
    device.creating = false;
    showServerError(null);
    setState(`Version ${r.etag}`);
    if (created) history.replaceState(null, '', `#/device/${mac}`);
    route = location.hash;
    status(created ? `Created the config of ${mac}.` : `Saved ${mac}.`);
    await refreshHistory();
  } catch (e) {
    if (e.status === 412 && !device.creating) return conflict(text);
    if (e.status === 412 || e.status === 409) {
      e.error = `A config for ${mac} already exists: nothing was saved. Open it from the list to edit it.`;
    }
    if (e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 403) showServerError(e);
    else showError(e, 'Saving');
  }
}

// The save was refused because the config changed since it was loaded.
async function conflict(mine) {
  const { mac } = device;
  const box = $('conflict-diff');
  box.hidden = true;
  let theirs = null;
  const fetchTheirs = async () => {
    try {
      const r = await getFile(mac);
      theirs = { text: r.text, etag: r.etag };
    } catch (e) {
      if (e.status !== 404) throw e;
      theirs = { text: '', etag: null };
    }
    return theirs;
  };
  const show = async (ev) => {
    ev.preventDefault();   // keep the dialog open
    try {
      await fetchTheirs();
      renderDiff(box, theirs.text, theirs.etag ? 'the version saved elsewhere' : '(deleted elsewhere)', mine, 'your edits');
      box.querySelector('pre').focus();
    } catch (e) { showError(e, 'Fetching the other version'); }
  };
  $('conflict-show').addEventListener('click', show);
  const choice = await openDialog($('conflict-dialog'));
  $('conflict-show').removeEventListener('click', show);
  if (choice === 'reload') {
    await loadDevice();
    status('Reloaded: your edits were discarded.');
  } else if (choice === 'overwrite') {
    try {
      if (!theirs) await fetchTheirs();
      const r = await putFile(mac, mine, theirs.etag);
      device.etag = r.etag;
      device.loaded = mine;
        setState(`Version ${r.etag}`);
      status(`Overwrote the other version of ${mac} with yours.`);
      await refreshHistory();
    } catch (e) {
      if (e.status === 412) return conflict(mine);
      showError(e, 'Overwriting');
    }
  } else {
    status('Not saved: your edits are still in the editor.');
    $('editor').focus();
  }
}

async function duplicate() {
  clearErrors();
  if (!check()) return;
  const text = getText();
  const to = await askMac(`Duplicate ${device.mac}`, 'Copy this config, as shown in the editor, to a new MAC. A MAC that has a config already is refused.', 'Duplicate');
  if (!to) return;
  try {
    await putFile(to, text, null);
    flash = `Copied ${device.mac} to ${to}.`;
    device.loaded = text;   // the copy is made: do not ask about these edits
    location.hash = `#/device/${to}`;
  } catch (e) {
    if (e.status === 412) e.error = `A config for ${to} already exists: nothing was copied.`;
    showError(e, 'Duplicating');
  }
}

async function remove() {
  clearErrors();
  const { mac } = device;
  const name = knownMac(mac)?.device_name || (() => { try { return JSON.parse(device.loaded).deviceName; } catch { return null; } })();
  const who = name ? `“${name}” (${mac})` : mac;
  const ok = await confirmDialog(`Delete ${who}?`,
    `The config of ${who} is deleted; the device gets 404 until a config is saved or restored. The deleted version stays in the history.`,
    `Delete ${name || mac}`);
  if (!ok) return;
  try {
    await deleteFile(mac, device.etag);
    status(`Deleted the config of ${who}.`);
    await loadDevice();
  } catch (e) {
    if (e.status === 412) e.error = `Not deleted: ${mac} changed elsewhere since you opened it. Reload to see it.`;
    showError(e, 'Deleting');
  }
}

async function restore(rev) {
  clearErrors();
  if (dirty() && !window.confirm('Restoring replaces your unsaved edits. Restore anyway?')) return;
  try {
    await restoreRevision(device.mac, rev, device.etag);
    device.creating = false;
    await loadDevice();
    status(`Restored version ${rev} of ${device.mac}.`);
  } catch (e) {
    if (e.status === 412) e.error = `Not restored: ${device.mac} changed elsewhere since you opened it. Reload first.`;
    showError(e, 'Restoring');
  }
}

// --- views and navigation -----------------------------------------------------
async function newConfig() {
  const mac = await askMac('New config', 'The MAC address of the device, in any form the service accepts.', 'Create');
  if (mac) location.hash = `#/new/${mac}`;
}

async function navigate() {
  const hash = location.hash || '#/';
  if (hash === route) return;
  if (dirty() && !window.confirm('You have unsaved changes. Leave them?')) {
    history.pushState(null, '', route);
    return;
  }
  route = hash;
  status(flash);
  flash = '';
  const m = /^#\/(device|new)\/(.+)$/.exec(hash);
  const mac = m && macNormalise(decodeURIComponent(m[2]));
  $('list-view').hidden = Boolean(mac);
  $('device-view').hidden = !mac;
  if (mac) {
    await showDevice(mac, m[1] === 'new');
    $('device-title').focus();
  } else {
    device = null;
    if (m) showError(new Error(`"${decodeURIComponent(m[2])}" is not a MAC address.`));
    await loadList();   // always afresh: others change configs too
    $('list-title').focus();
  }
}

function start() {
  initEditor(() => { if (device) title(); });
  initHistory(fail('History'));
  initCredential((e, what) => showError(e, what));
  $('device-title').tabIndex = -1;
  $('list-title').tabIndex = -1;
  $('filter').addEventListener('input', update);
  $('show-more').addEventListener('click', showMore);
  $('new-config').addEventListener('click', () => newConfig().catch(fail('New config')));
  $('save').addEventListener('click', () => save().catch(fail('Saving')));
  $('reload').addEventListener('click', async () => {
    if (dirty() && !window.confirm('Reloading discards your unsaved changes. Reload?')) return;
    await loadDevice().catch(fail('Reloading'));
    status('Reloaded.');
  });
  $('duplicate').addEventListener('click', () => duplicate().catch(fail('Duplicating')));
  $('delete').addEventListener('click', () => remove().catch(fail('Deleting')));
  for (const b of document.querySelectorAll('[data-copy]')) {
    b.addEventListener('click', () => copyFrom($(b.dataset.copy)));
  }
  document.addEventListener('keydown', (e) => {
    // Ctrl+S / Cmd+S saves the config being edited.
    if ((e.ctrlKey || e.metaKey) && e.key === 's' && device) { e.preventDefault(); save().catch(fail('Saving')); }
  });
  window.addEventListener('beforeunload', (e) => { if (dirty()) e.preventDefault(); });
  window.addEventListener('hashchange', () => navigate().catch(fail('Loading')));
  navigate().catch(fail('Loading'));
}

start();
