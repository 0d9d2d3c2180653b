// web/waiting.js: the devices that asked for a config and have none yet
// (their fetches are noted by the service: /api/fetches), listed under the
// device table with when they last asked and from where, each with
// "Create" (a new config, in the editor) and "Copy from…" (a copy of
// another device's config, made at once with If-None-Match: *, so an
// existing one is never replaced).

import { $, el, showError, status } from './dom.js';
import { getFile, putFile } from './api.js';
import { formatTime } from './list.js';

async function copyFrom(mac) {
  // The dialog is the device view's (create.js), loaded when first needed.
  const { askSourceMac } = await import('./create.js');
  const from = await askSourceMac(`Copy a config to ${mac}`, 'The MAC of the device whose config to copy.', 'Copy');
  if (!from) return;
  const r = await getFile(from);
  try {
    await putFile(mac, r.text, null);
  } catch (e) {
    if (e.status === 412) e.error = `${mac} has a config already: nothing was copied.`;
    throw e;
  }
  status(`Copied the config of ${from} to ${mac}.`);
  location.hash = `#/device/${mac}`;
}

// showWaiting(configs, fetches): fetches is the /api/fetches list, or null.
export function showWaiting(configs, fetches) {
  const have = new Set(configs.map((c) => c.mac_address));
  const waiting = (fetches || []).filter((f) => !have.has(f.mac_address))
    .sort((a, b) => (a.last_fetch_at < b.last_fetch_at ? 1 : -1));
  $('waiting').hidden = waiting.length === 0;
  $('waiting-count').textContent = `(${waiting.length.toLocaleString()})`;
  $('waiting-body').replaceChildren(...waiting.map((f) => el('tr', { 'data-mac': f.mac_address },
    el('th', { scope: 'row', class: 'mac', text: f.mac_address }),
    el('td', { 'data-label': 'Last asked' }, el('time', { datetime: f.last_fetch_at, text: formatTime(f.last_fetch_at) })),
    el('td', { 'data-label': 'From', text: f.remote_addr || '' }),
    el('td', { 'data-label': 'Client', text: f.user_agent || '' }),
    el('td', { class: 'row-actions' },
      el('a', { href: `#/new/${f.mac_address}`, class: 'button', text: 'Create', 'aria-label': `Create a config for ${f.mac_address}` }),
      el('button', { type: 'button', text: 'Copy from…', 'aria-label': `Copy another device's config to ${f.mac_address}`,
        onclick: () => copyFrom(f.mac_address).catch((e) => showError(e, 'Copying')) })),
  )));
}
