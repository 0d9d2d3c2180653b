// web/app.js: the page's entry point and its one piece of state: which
// view is shown (the list at #/, one device at #/device/<mac>, a new one
// at #/new/<mac>, named in the tab's title too; firmware at
// #/firmware[/<model>], firmware.js), the device's text and
// ETag as loaded, and the flows that change a config: save (If-Match; its
// outcome shown next to the Save button), the conflict when it was changed
// elsewhere (412: see the other version, take its changes, reload, or
// overwrite on purpose), create (If-None-Match: *), duplicate (asking for
// the copy's MAC, name, entity id and host names first), delete after a
// confirmation naming the device, and restore from the history after one
// too. Leaving a device with unsaved edits asks first. The device's secret
// has its own panel (credential.js); the install's DEVICE_AUTH mode comes
// with the list.

import { $, clearErrors, confirmDialog, copyFrom, openDialog, showError, status } from './dom.js';
import { deleteFile, fileUrl, getFile, getRevision, listConfigs, listCredentials, listFetches, putFile, restoreRevision } from './api.js';
import { clearCredential, initCredential, loadCredential } from './credential.js';
import { clearFacts, loadFacts } from './device.js';
import { initFirmware, loadFirmware, showDeviceFirmware } from './firmware.js';
import { knownMac, onSelectionChange, setConfigs, showMore, update } from './list.js';
import { macNormalise } from './mac.js';
import { initFleet, refreshChanges, selectionChanged } from './fleet.js';
import { initSearch } from './search.js';
import { initTransfer } from './transfer.js';
import { showWaiting } from './waiting.js';

const NEW_CONFIG = '{\n  "deviceName": "",\n  "deviceEntityId": "",\n  "enableOTA": false\n}\n';

// The device shown: mac, etag (null: no config), loaded (its text as
// loaded or saved, null when none), creating (not saved yet), name (the
// deviceName last read from the editor).
let device = null;
let route = '';
let flash = '';   // a message for the next view (navigation clears the status line)
let mode = null;  // DEVICE_AUTH, as the last list said (null: unknown)

// The device view's modules: the editor and everything built on
// CodeMirror (codemirror.js, some 460 kB), loaded when the first device
// (or the New config dialog) is shown, so that the list never waits for
// them. null until then.
let dv = null;
async function deviceView() {
  if (!dv) {
    const parts = await Promise.all(['./editor.js', './history.js', './jsontree.js', './diff.js', './create.js', './schema.js']
      .map((m) => import(m)));
    const loaded = Object.assign({}, ...parts);
    loaded.initEditor(edited);
    loaded.initHistory(fail('History'));
    dv = loaded;
  }
  return dv;
}

const dirty = () => device !== null && dv !== null && dv.getText() !== (device.loaded ?? (device.creating ? NEW_CONFIG : ''));

function fail(what) {
  return (e) => showError(e, what);
}

// The tab's title: the page and the device shown.
function tabTitle(what) {
  document.title = what ? `${what} · iotconfig` : 'iotconfig';
}

// The outcome of a save, next to the Save button (empty: none to show).
function saveStatus(text, bad = false) {
  const s = $('save-status');
  s.textContent = text;
  s.classList.toggle('bad', bad);
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
  showWaiting(list.json.configs, fetches);
  if ($('changes').open) refreshChanges().catch((e) => showError(e, 'Recent changes'));
  status(`${list.json.count.toLocaleString()} devices.`);
}

// --- one device -------------------------------------------------------------
async function showDevice(mac, creating) {
  await deviceView();
  const url = new URL(fileUrl(mac), location.href).href;
  $('device-url').value = url;
  // A person's read of the device URL: ?peek keeps it out of the fleet view.
  $('device-curl').value = `curl -s '${url}?peek'`;
  device = { mac, etag: null, loaded: null, creating, name: null };
  $('device-state').textContent = 'Loading…';
  dv.showServerError(null);
  saveStatus('');
  dv.clearHistory();
  clearFacts();
  dv.forgetSchemas();
  showDeviceFirmware(mac).catch(fail('Firmware'));
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

// The heading and the tab's title: the device's name (as the editor has
// it; read from the syntax tree, so that a mistake elsewhere in the text
// does not lose it) and MAC.
function title() {
  const text = dv.getText();
  const name = dv.topString(dv.fromText(text), 'deviceName');
  if (name !== null || !text.trim()) device.name = name;
  const { mac } = device;
  const shown = device.name ? `${device.name} (${mac})` : mac;
  $('device-title').textContent = shown;
  tabTitle(device.creating ? `New config ${mac}` : shown);
}

// The editor changed: the heading follows; a "Saved" no longer holds.
function edited() {
  if (!device) return;
  title();
  if (dirty()) saveStatus('');
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
  dv.setText(NEW_CONFIG, { mac: device.mac });
  clearFacts();
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
    dv.setText(r.text, { mac });
    setState(`Version ${r.etag}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    device.etag = null;
    device.loaded = '';
    dv.setText('', { mac, noConfig: true });
    setState('This MAC has no config: it was deleted, or never made. A version in the history below can be restored.');
  }
  title();
  await Promise.all([refreshHistory(), refreshFacts()]);
}

const refreshHistory = () => dv.loadHistory(device.mac, () => device.loaded, restore);
const refreshFacts = () => loadFacts(device.mac, device.etag, (e, what) => showError(e, what));

// The time now, to the second, for "Saved at …".
const now = () => new Date().toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

async function save() {
  clearErrors();
  saveStatus('');
  status('');
  const { mac } = device;
  const text = dv.getText();
  const v = await dv.checked();
  if (device.mac !== mac || dv.getText() !== text) return;
  if (v.ok === false) {
    saveStatus(`Not saved: ${v.count === 1 ? 'the problem' : `the ${v.count} problems`} marked in the editor must be fixed first.`, true);
    dv.goToError();
    return;
  }
  try {
    const r = await putFile(mac, text, device.creating ? null : device.etag);
    const created = device.creating;
    device.etag = r.etag;
    device.loaded = text;
    device.creating = false;
    dv.showServerError(null);
    setState(`Version ${r.etag}`);
    if (created) history.replaceState(null, '', `#/device/${mac}`);
    route = location.hash;
    title();
    saveStatus(created ? `Created at ${now()}.` : `Saved at ${now()}.`);
    await Promise.all([refreshHistory(), refreshFacts()]);
  } catch (e) {
    if (e.status === 412 && !device.creating) return conflict(text);
    if (e.status === 412 || e.status === 409) {
      e.error = `A config for ${mac} already exists: nothing was saved. Open it from the list to edit it.`;
    }
    saveStatus('Not saved: see why below.', true);
    if (e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 403) {
      dv.showServerError(e);
      $('server-error').scrollIntoView({ block: 'nearest' });
    } else {
      saveStatus('Not saved: see the error at the top of the page.', true);
      showError(e, 'Saving');
    }
  }
}

// The save was refused because the config changed since it was loaded.
// The other version can be shown beside the user's edits (the merge view,
// where each change can be taken from it), and the result saved.
async function conflict(mine) {
  const { mac } = device;
  const box = $('conflict-diff');
  box.hidden = true;
  box.replaceChildren();
  let merge = null;
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
      const yours = merge ? merge.text() : mine;
      if (merge) merge.destroy();
      merge = dv.renderDiff(box, theirs.text, theirs.etag ? 'the version saved elsewhere' : '(deleted elsewhere)', yours, 'your edits',
        { editable: true });
      box.querySelector('.diff-summary').focus();
    } catch (e) { showError(e, 'Fetching the other version'); }
  };
  $('conflict-show').addEventListener('click', show);
  const choice = await openDialog($('conflict-dialog'));
  $('conflict-show').removeEventListener('click', show);
  if (merge) {
    mine = merge.text();
    merge.destroy();
    box.hidden = true;
  }
  if (choice === 'reload') {
    await loadDevice();
    status('Reloaded: your edits were discarded.');
  } else if (choice === 'overwrite') {
    try {
      if (!theirs) await fetchTheirs();
      const r = await putFile(mac, mine, theirs.etag);
      device.etag = r.etag;
      device.loaded = mine;
      if (dv.getText() !== mine) dv.setText(mine, { mac });
      setState(`Version ${r.etag}`);
      saveStatus(`Saved at ${now()}, over the other version.`);
      status(`Overwrote the other version of ${mac} with yours.`);
      await Promise.all([refreshHistory(), refreshFacts()]);
    } catch (e) {
      if (e.status === 412) return conflict(mine);
      saveStatus('Not saved.', true);
      if (e.status === 400) dv.showServerError(e);
      else showError(e, 'Overwriting');
    }
  } else {
    if (dv.getText() !== mine) dv.setText(mine, { mac });
    saveStatus('Not saved: your edits are still in the editor.', true);
    dv.focusEditor();
  }
}

async function duplicate() {
  clearErrors();
  const text = dv.getText();
  const v = await dv.checked();
  if (v.ok === false) {
    saveStatus('Not copied: fix the problems marked in the editor first.', true);
    dv.goToError();
    return;
  }
  const copy = await dv.askDuplicate(device.mac, text);
  if (!copy) return;
  const to = copy.mac;
  try {
    await putFile(to, copy.text, null);
    flash = `Copied ${device.mac} to ${to}.`;
    device.loaded = text;   // the copy is made: do not ask about these edits
    location.hash = `#/device/${to}`;
  } catch (e) {
    if (e.status === 412) e.error = `A config for ${to} already exists: nothing was copied.`;
    showError(e, 'Duplicating');
  }
}

// The device in words: {name, text}: "“kitchen” (aa-bb-…)", or the MAC alone.
function who() {
  const { mac } = device;
  const name = knownMac(mac)?.device_name || (device.loaded && dv.topString(dv.fromText(device.loaded), 'deviceName')) || null;
  return { name, text: name ? `“${name}” (${mac})` : mac };
}

async function remove() {
  clearErrors();
  saveStatus('');
  const { mac } = device;
  const { name, text } = who();
  const ok = await confirmDialog(`Delete ${text}?`,
    `The config of ${text} is deleted; the device gets 404 until a config is saved or restored. The deleted version stays in the history.`,
    `Delete ${name || mac}`);
  if (!ok) return;
  try {
    await deleteFile(mac, device.etag);
  } catch (e) {
    if (e.status === 412) e.error = `Not deleted: ${mac} changed elsewhere since you opened it. Reload to see it.`;
    showError(e, 'Deleting');
    return;
  }
  // Said once the page shows the config gone, not while it still shows it.
  await loadDevice().catch((e) => showError(e, 'Reloading'));
  status(`Deleted the config of ${text}.`);
}

// Restores a past version (rev, its history entry r) after asking.
async function restore(rev, r) {
  clearErrors();
  saveStatus('');
  const { mac } = device;
  // The device by its name now, or else by the name in the version restored.
  let { text } = who();
  if (text === mac) {
    const old = dv.topString(dv.fromText((await getRevision(mac, rev)).text), 'deviceName');
    if (old) text = `“${old}” (${mac})`;
  }
  const name = dv.versionName(rev);
  const saved = r && r.saved_at ? ` (saved ${new Date(r.saved_at).toLocaleString()})` : '';
  const now = device.etag
    ? `It replaces the current config of ${text}, which stays in the history.`
    : `${text} has no config now: the device gets this version at its next fetch.`;
  const unsaved = dirty() ? ' Your unsaved edits in the editor are discarded.' : '';
  const ok = await confirmDialog(`Restore ${name} of ${text}?`, `${name.charAt(0).toUpperCase() + name.slice(1)}${saved} becomes the current config. ${now}${unsaved}`, `Restore ${name}`);
  if (!ok || device.mac !== mac) return;
  try {
    await restoreRevision(mac, rev, device.etag);
    device.creating = false;
    await loadDevice();
    status(`Restored ${name} of ${mac}.`);
  } catch (e) {
    if (e.status === 412) e.error = `Not restored: ${mac} changed elsewhere since you opened it. Reload first.`;
    if (e.status === 400) dv.showServerError(e);
    else showError(e, 'Restoring');
  }
}

// --- views and navigation -----------------------------------------------------
async function newConfig() {
  await deviceView();
  const mac = await dv.askNewMac();
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
  const fw = /^#\/firmware(?:\/(.+))?$/.exec(hash);
  const m = fw ? null : /^#\/(device|new)\/(.+)$/.exec(hash);
  const mac = m && macNormalise(decodeURIComponent(m[2]));
  $('list-view').hidden = Boolean(mac) || Boolean(fw);
  $('device-view').hidden = !mac;
  $('firmware-view').hidden = !fw;
  if (fw) {
    device = null;
    tabTitle('Firmware');
    await loadFirmware(fw[1] ? decodeURIComponent(fw[1]) : null);
    $('firmware-title').focus();
  } else if (mac) {
    await showDevice(mac, m[1] === 'new');
    $('device-title').focus();
  } else {
    device = null;
    tabTitle('Devices');
    if (m) showError(new Error(`"${decodeURIComponent(m[2])}" is not a MAC address.`));
    await loadList();   // always afresh: others change configs too
    $('list-title').focus();
  }
}

function start() {
  initCredential((e, what) => showError(e, what));
  $('device-title').tabIndex = -1;
  $('list-title').tabIndex = -1;
  $('firmware-title').tabIndex = -1;
  initFirmware(fail('Firmware'), (hash) => { history.replaceState(null, '', hash); route = hash; });
  $('filter').addEventListener('input', update);
  $('outdated-only').addEventListener('change', update);
  onSelectionChange(selectionChanged);
  initSearch();
  initFleet({ reload: loadList });
  initTransfer({ reload: loadList });
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
