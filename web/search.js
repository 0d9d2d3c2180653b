// web/search.js: searching inside configs from the list's filter box.
// A moment after one stops typing, the service is asked which configs
// hold the filter's text in any key or value (GET /api/configs?q=…; a
// text starting with "/" is a JSON Pointer term, "/mqtt/port=8883"), and
// those are shown with the ones the filter matches by MAC, name or entity
// id (list.js). An answer for a text no longer in the box is dropped; a
// failed search shows nothing more than the filter does.

import { $ } from './dom.js';
import { request } from './api.js';
import { setContentMatches } from './list.js';

const WAIT_MS = 250;
let timer = null;
let asked = 0;   // the newest search sent; older answers are dropped

async function search(query) {
  const mine = ++asked;
  if (!query || query.length > 256) {
    setContentMatches(query, null);
    return;
  }
  try {
    const r = await request('GET', `/api/configs?q=${encodeURIComponent(query)}`);
    if (mine === asked) setContentMatches(query, new Set(r.json.configs.map((c) => c.mac_address)));
  } catch {
    if (mine === asked) setContentMatches(query, null);
  }
}

export function initSearch() {
  $('filter').addEventListener('input', () => {
    clearTimeout(timer);
    const query = $('filter').value.trim();
    timer = setTimeout(() => search(query), WAIT_MS);
  });
}
