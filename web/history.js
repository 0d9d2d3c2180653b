// web/history.js: the history panel of one device: its past versions,
// newest first, with when each was saved and replaced and by whom; a diff
// of any two of them or of one and the current config; and restoring one
// with a click, also when the config was deleted (the service keeps the
// deleted version).

import { $, el } from './dom.js';
import { getRevision, listHistory } from './api.js';
import { renderDiff } from './diff.js';
import { formatTime } from './list.js';

const CURRENT = '';   // the select value of "the current config"
const OPS = { save: 'saved over', delete: 'deleted', restore: 'restored over' };

let ctx = null;  // {mac, current: () => text|null, restore: (rev) => Promise}
let reportError = () => {};

// loadHistory(mac, current, restore): fills the panel; current() gives
// the current config's text (null when there is none).
export async function loadHistory(mac, current, restore) {
  ctx = { mac, current, restore, revisions: [] };
  $('diff-out').hidden = true;
  let revisions = [];
  try {
    revisions = (await listHistory(mac)).json.revisions;
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  if (!ctx || ctx.mac !== mac) return;
  ctx.revisions = revisions;
  const body = $('history-body');
  body.replaceChildren(...revisions.map((r, i) => el('tr', {},
    el('th', { scope: 'row', class: 'rev', text: r.revision }),
    el('td', {}, el('time', { datetime: r.saved_at, text: formatTime(r.saved_at) })),
    el('td', {}, el('time', { datetime: r.replaced_at, text: formatTime(r.replaced_at) })),
    el('td', { text: r.replaced_by || '—' }),
    el('td', { text: OPS[r.replaced_by_operation] || r.replaced_by_operation }),
    el('td', { class: 'row-actions' },
      el('button', { type: 'button', text: 'Compare with current', 'aria-label': `Compare with current: version ${r.revision}`,
        onclick: () => compare(r.revision, CURRENT).catch((e) => reportError(e, 'Comparing versions')) }),
      el('button', { type: 'button', text: 'Restore', 'aria-label': `Restore version ${r.revision}`,
        'data-revision': r.revision, onclick: () => ctx.restore(r.revision) })),
  )));
  $('history-wrap').hidden = revisions.length === 0;
  const empty = $('history-empty');
  empty.hidden = revisions.length > 0;
  empty.textContent = 'No past versions are kept for this device.';
  const options = () => [
    el('option', { value: CURRENT, text: 'Current config' }),
    ...revisions.map((r) => el('option', { value: r.revision, text: `${r.revision} (${formatTime(r.saved_at)})` })),
  ];
  $('diff-from').replaceChildren(...options());
  $('diff-to').replaceChildren(...options());
  if (revisions.length) $('diff-from').value = revisions[0].revision;
  $('diff-to').value = CURRENT;
  $('history').querySelector('.compare').hidden = revisions.length === 0;
}

async function textOf(rev) {
  if (rev === CURRENT) return ctx.current() ?? '';
  return (await getRevision(ctx.mac, rev)).text;
}

const nameOf = (rev) => (rev === CURRENT ? 'current config' : `version ${rev}`);

export async function compare(from, to) {
  const [a, b] = await Promise.all([textOf(from), textOf(to)]);
  renderDiff($('diff-out'), a, nameOf(from), b, nameOf(to));
  $('diff-out').querySelector('pre').focus();
}

export function initHistory(onError) {
  reportError = onError;
  $('diff-show').addEventListener('click', () =>
    compare($('diff-from').value, $('diff-to').value).catch((e) => onError(e, 'Comparing versions')));
}

export function clearHistory() {
  ctx = null;
  $('history-body').replaceChildren();
  $('diff-out').hidden = true;
}
