// web/history.js: the history panel of one device: its past versions,
// newest first, each by its number with when (to the second) it was saved
// and replaced, by whom, how and its size; the differences between any
// two of them or one and the current config (diff.js, the merge view);
// and restoring one (app.js asks first), also when the config was deleted
// (the service keeps the deleted version). At phone width each version is
// a card, so nothing needs sideways scrolling.

import { $, el } from './dom.js';
import { getRevision, listHistory } from './api.js';
import { renderDiff } from './diff.js';
import { formatExact } from './list.js';

const CURRENT = '';   // the select value of "the current config"
const OPS = { save: 'saved over', delete: 'deleted', restore: 'restored over' };

let ctx = null;  // {mac, current: () => text|null, restore: (rev) => Promise}
let reportError = () => {};
let shownDiff = null;   // the merge view shown, to destroy before the next

// "0000000012-9f3a1c2b" -> 12: the number of the change that made it.
export const versionNumber = (rev) => Number(/^([0-9]+)-/.exec(rev)?.[1] ?? NaN);
export const versionName = (rev) => (Number.isFinite(versionNumber(rev)) ? `version ${versionNumber(rev)}` : `version ${rev}`);
const cap = (t) => t.charAt(0).toUpperCase() + t.slice(1);

// loadHistory(mac, current, restore): fills the panel; current() gives
// the current config's text (null when there is none).
export async function loadHistory(mac, current, restore) {
  ctx = { mac, current, restore, revisions: [] };
  hideDiff();
  let revisions = [];
  try {
    revisions = (await listHistory(mac)).json.revisions;
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  if (!ctx || ctx.mac !== mac) return;
  ctx.revisions = revisions;
  const body = $('history-body');
  body.replaceChildren(...revisions.map((r) => el('tr', {},
    el('th', { scope: 'row', class: 'rev' }, el('span', { class: 'rev-name', text: cap(versionName(r.revision)) }),
      ' ', el('span', { class: 'rev-id muted', text: r.revision })),
    el('td', { 'data-label': 'Saved' }, el('time', { datetime: r.saved_at, text: formatExact(r.saved_at) })),
    el('td', { 'data-label': 'Replaced' }, el('time', { datetime: r.replaced_at, text: formatExact(r.replaced_at) })),
    el('td', { 'data-label': 'By', text: r.replaced_by || '—' }),
    el('td', { 'data-label': 'Change', text: OPS[r.replaced_by_operation] || r.replaced_by_operation }),
    el('td', { 'data-label': 'Size', text: `${Number(r.size).toLocaleString()} bytes` }),
    el('td', { class: 'row-actions' },
      el('button', { type: 'button', text: 'Compare with current', 'aria-label': `Compare with current: ${versionName(r.revision)}`,
        onclick: () => compare(r.revision, CURRENT).catch((e) => reportError(e, 'Comparing versions')) }),
      el('button', { type: 'button', text: 'Restore…', 'aria-label': `Restore ${versionName(r.revision)}`,
        'data-revision': r.revision, onclick: () => ctx.restore(r.revision, r) })),
  )));
  $('history-wrap').hidden = revisions.length === 0;
  const empty = $('history-empty');
  empty.hidden = revisions.length > 0;
  empty.textContent = 'No past versions are kept for this device.';
  const options = () => [
    el('option', { value: CURRENT, text: 'Current config' }),
    ...revisions.map((r) => el('option', { value: r.revision, text: `${cap(versionName(r.revision))}, saved ${formatExact(r.saved_at)}` })),
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

const nameOf = (rev) => (rev === CURRENT ? 'current config' : versionName(rev));

function hideDiff() {
  if (shownDiff) shownDiff.destroy();
  shownDiff = null;
  $('diff-out').hidden = true;
  $('diff-out').replaceChildren();
}

export async function compare(from, to) {
  const [a, b] = await Promise.all([textOf(from), textOf(to)]);
  hideDiff();
  shownDiff = renderDiff($('diff-out'), a, nameOf(from), b, nameOf(to));
  $('diff-out').scrollIntoView({ block: 'nearest' });
  $('diff-out').querySelector('.diff-summary').focus();
}

export function initHistory(onError) {
  reportError = onError;
  $('diff-show').addEventListener('click', () =>
    compare($('diff-from').value, $('diff-to').value).catch((e) => onError(e, 'Comparing versions')));
}

export function clearHistory() {
  ctx = null;
  $('history-body').replaceChildren();
  hideDiff();
}
