// web/device.js: what the device page says about a device beside its
// config: which schema applies to the stored config (its own model's or
// the default, and why) and whether the config matches it
// (GET /api/configs/{mac}/schema), and when the device last fetched its
// config, from where, and whether it holds the current version
// (GET /api/configs/{mac}/fetch), and for a device that has a secret
// whether it fetched with it. Refreshed on opening and after each change.

import { $, el } from './dom.js';
import { getConfigSchema, getFetch } from './api.js';
import { formatExact } from './list.js';

let shown = null;   // the MAC the facts are for

function schemaFacts(s) {
  const box = $('device-schema');
  if (!s) {
    box.textContent = 'None: the MAC has no config.';
    return;
  }
  if (!s.schema) {
    box.textContent = 'None applies (there is no “default” schema, nor one for this config’s model).';
    return;
  }
  const why = s.device_model && s.device_model === s.schema
    ? `the schema of its model “${s.device_model}”`
    : s.device_model ? `the default (its model “${s.device_model}” has no schema of its own)` : 'the default';
  const verdict = s.valid
    ? el('span', { class: 'ok', text: 'the stored config matches it.' })
    : el('span', { class: 'bad', text: `the stored config does not match it: ${s.error_count} error${s.error_count === 1 ? '' : 's'}.` });
  box.replaceChildren(el('strong', { text: `“${s.schema}”` }), ` (${why}); `, verdict);
}

function fetchFacts(f, etag) {
  const box = $('device-fetch');
  if (!f) {
    box.textContent = 'No fetch noted (in the last 90 days).';
    return;
  }
  const from = [f.remote_addr, f.user_agent].filter(Boolean).join(', ');
  let holds;
  if (f.current) holds = el('span', { class: 'ok', text: f.etag ? 'It holds the current version.' : 'There was no config then, nor is there now.' });
  else if (!etag) holds = el('span', { class: 'bad', text: 'It holds a version that has since been deleted.' });
  else holds = el('span', { class: 'bad', text: f.etag ? 'It holds an older version: it has not fetched since the last change.' : 'It fetched when there was no config yet.' });
  // A device that has a secret: was this fetch made with it, or when was one?
  const secret = [];
  if (f.has_secret && f.authenticated) secret.push(' Made with its secret.');
  else if (f.has_secret && f.last_authenticated_fetch_at) {
    secret.push(' Last fetch with its secret: ',
      el('time', { datetime: f.last_authenticated_fetch_at, text: formatExact(f.last_authenticated_fetch_at) }), '.');
  } else if (f.has_secret) secret.push(' Not yet made with its secret.');
  box.replaceChildren(el('time', { datetime: f.last_fetch_at, text: formatExact(f.last_fetch_at) }),
    from ? ` from ${from}. ` : '. ', holds, ...secret);
}

// loadFacts(mac, etag): fills both lines; etag: the current config's
// (null: none). Each failure is reported and leaves its line saying so.
export async function loadFacts(mac, etag, onError) {
  shown = mac;
  const [schema, fetch] = await Promise.all([
    getConfigSchema(mac).catch((e) => { onError(e, 'Schema'); return undefined; }),
    getFetch(mac).catch((e) => { onError(e, 'Last fetch'); return undefined; }),
  ]);
  if (shown !== mac) return;
  if (schema === undefined) $('device-schema').textContent = 'Unknown (the request failed).';
  else schemaFacts(schema);
  if (fetch === undefined) $('device-fetch').textContent = 'Unknown (the request failed).';
  else fetchFacts(fetch, etag);
}

export function clearFacts() {
  shown = null;
  $('device-schema').textContent = '…';
  $('device-fetch').textContent = '…';
}
