// web/credential.js: a device's secret (DEVICE_AUTH) on the page: its
// state in the device view (none, in use, which one the device presents,
// a rotation waiting for the device), making one, rotating it and
// revoking it (both after a confirmation naming the device), and the one
// time the service shows a new secret: a dialog with the values to put
// on the device (URL, user, secret), each with a copy button, emptied
// when it closes. The list's column and the install's mode come from
// credentialState() and modeText().

import { $, confirmDialog, copyFrom, el, openDialog, status } from './dom.js';
import { createCredential, fileUrl, getCredential, revokeCredential } from './api.js';
import { formatTime } from './list.js';

let shown = null;        // {mac, mode}: the device in the view
let reportError = () => {};

const MODE_TEXT = {
  off: 'Device secrets are off (DEVICE_AUTH=off): devices fetch without one.',
  'per-device': 'Devices that have a secret must send it (DEVICE_AUTH=per-device); the others fetch without one.',
  required: 'Every device must send its secret (DEVICE_AUTH=required).',
};

// The install's mode, as a sentence.
export const modeText = (mode) => MODE_TEXT[mode] || '';

// A credential's state in a few words, for the list: null (none),
// "rotating" (the old secret still works) or "set".
export function credentialState(c) {
  if (!c) return null;
  return c.rotation_pending ? 'rotating' : 'set';
}

function describe(c, mode) {
  if (!c) {
    return mode === 'required' ? 'No secret: this device is refused until it gets one.'
      : mode === 'per-device' ? 'No secret: this device fetches without one.'
        : 'No secret.';
  }
  const parts = [`Secret made ${formatTime(c.created_at)}.`];
  if (c.in_use === null) parts.push('The device has not sent it yet.');
  else {
    parts.push(`The device last sent ${c.in_use === 'current' ? 'it' : 'the previous secret'} ${formatTime(c.last_used_at)}` +
      (c.last_used_from ? ` from ${c.last_used_from}.` : '.'));
  }
  if (c.rotation_pending) {
    parts.push(`Rotation pending: the previous secret works until the device sends the new one, or until ${formatTime(c.previous_valid_until)}.`);
  }
  return parts.join(' ');
}

function render(c) {
  const { mode } = shown;
  $('credential-state').textContent = describe(c, mode);
  $('credential-mode').textContent = modeText(mode);
  $('credential-create').hidden = Boolean(c);
  $('credential-rotate').hidden = !c;
  $('credential-revoke').hidden = !c;
}

// loadCredential(mac, mode): fills the panel of the device in the view.
export async function loadCredential(mac, mode) {
  shown = { mac, mode };
  $('credential').hidden = false;
  $('credential-state').textContent = 'Loading…';
  const c = await getCredential(mac);
  if (!shown || shown.mac !== mac) return;
  render(c);
}

export function clearCredential() {
  shown = null;
  $('credential-state').textContent = '';
}

// Shows the secret once, with what the device needs, and forgets it on close.
async function reveal(mac, secret) {
  const url = new URL(fileUrl(mac), location.href).href;
  $('secret-url').value = url;
  $('secret-user').value = mac;
  $('secret-value').value = secret;
  $('secret-dialog-title').textContent = `Secret for ${mac}`;
  setTimeout(() => $('secret-value').focus());
  await openDialog($('secret-dialog'));
  for (const id of ['secret-url', 'secret-user', 'secret-value']) $(id).value = '';
}

async function create(rotating) {
  const { mac } = shown;
  if (rotating) {
    const ok = await confirmDialog(`New secret for ${mac}?`,
      `A new secret replaces the one ${mac} has. The old one keeps working until the device sends the new one, or until the overlap ends; put the new one on the device soon.`,
      'Make a new secret');
    if (!ok) return;
  }
  const r = await createCredential(mac);
  const c = r.json;
  const secret = c.secret;
  delete c.secret;
  if (shown && shown.mac === mac) render(c);
  status(rotating ? `Made a new secret for ${mac}; the old one still works for now.` : `Made a secret for ${mac}.`);
  await reveal(mac, secret);
}

async function revoke() {
  const { mac } = shown;
  const ok = await confirmDialog(`Revoke the secret of ${mac}?`,
    shown.mode === 'required'
      ? `${mac} is refused from now on, until it gets a new secret.`
      : `Its secrets stop working at once${shown.mode === 'per-device' ? `; ${mac} then fetches without one` : ''}.`,
    'Revoke');
  if (!ok) return;
  await revokeCredential(mac);
  if (shown && shown.mac === mac) render(null);
  status(`Revoked the secret of ${mac}.`);
}

export function initCredential(onError) {
  reportError = onError;
  $('credential-create').addEventListener('click', () => create(false).catch((e) => reportError(e, 'Making a secret')));
  $('credential-rotate').addEventListener('click', () => create(true).catch((e) => reportError(e, 'Making a new secret')));
  $('credential-revoke').addEventListener('click', () => revoke().catch((e) => reportError(e, 'Revoking the secret')));
  for (const b of $('secret-dialog').querySelectorAll('[data-copy]')) {
    b.addEventListener('click', (ev) => { ev.preventDefault(); copyFrom($(b.dataset.copy)); });
  }
}

// The list's cell for a device: its state, or a dash.
export function credentialCell(state) {
  return el('td', { class: state ? 'secret' : 'muted', text: state || '—' });
}
