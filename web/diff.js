// web/diff.js: two versions of a config side by side, CodeMirror's merge
// view (codemirror.js): changed lines and the changed characters in them
// marked, long unchanged stretches folded, and a one-line summary ("2
// lines removed, 1 added") that reads the same without colour and to a
// screen reader. Where the box is narrow (a phone) the two versions are
// shown as one text with the removed lines above the added ones (the
// merge package's unified view). For the conflict dialog the second
// version, the user's edits, stays editable, and each change can be
// replaced by the other version's with one button.

import { Chunk, EditorState, EditorView, MergeView, Text, unifiedMergeView } from './codemirror.js';
import { el } from './dom.js';
import { baseExtensions } from './editor.js';

const SIDE_BY_SIDE_PX = 640;   // narrower boxes get the unified view
const COLLAPSE = { margin: 3, minSize: 6 };

const lines = (text, from, to) => {
  if (to <= from) return 0;
  const end = Math.min(to, text.length);
  return text.slice(from, end).split('\n').length - (to <= text.length ? 1 : 0);
};

// "N lines removed, M added", or "No differences".
export function summarise(a, b) {
  const chunks = Chunk.build(Text.of(a.split('\n')), Text.of(b.split('\n')));
  let removed = 0;
  let added = 0;
  for (const c of chunks) {
    removed += lines(a, c.fromA, c.toA);
    added += lines(b, c.fromB, c.toB);
  }
  return removed || added
    ? `${removed} line${removed === 1 ? '' : 's'} removed, ${added} added`
    : 'No differences';
}

function readOnly(label) {
  return [
    EditorState.readOnly.of(true),
    EditorView.editable.of(false),
    // Focusable, so that the keyboard can scroll it.
    EditorView.contentAttributes.of({ tabindex: '0', 'aria-label': label }),
  ];
}

function takeButton(onClick) {
  const b = el('button', { type: 'button', class: 'take', text: 'Take theirs', title: 'Replace this change of yours with the other version' });
  b.addEventListener('mousedown', onClick);
  return b;
}

// Fills box with the differences from a (named aName) to b (bName) and
// returns {text(), destroy()}; text() is b as it now is. options.editable:
// b can be edited, and each change taken back from a.
export function renderDiff(box, a, aName, b, bName, options = {}) {
  const edit = Boolean(options.editable);
  const from = aName.charAt(0).toUpperCase() + aName.slice(1);
  const summary = el('p', { class: 'diff-summary', tabindex: '-1', text: `${from} → ${bName}: ${summarise(a, b)}` });
  box.replaceChildren(summary);
  box.hidden = false;
  // b's summary follows its edits.
  const follow = EditorView.updateListener.of((u) => {
    if (u.docChanged) summary.textContent = `${from} → ${bName}: ${summarise(a, u.state.doc.toString())}`;
  });
  const bExtensions = [...baseExtensions(), EditorView.lineWrapping,
    ...(edit ? [EditorView.contentAttributes.of({ 'aria-label': bName }), follow] : readOnly(bName))];
  let handle;
  if (box.clientWidth >= SIDE_BY_SIDE_PX) {
    const heads = el('div', { class: 'diff-heads', 'aria-hidden': 'true' },
      el('span', { class: 'diff-head-a', text: `− ${aName}` }), el('span', { class: 'diff-head-b', text: `+ ${bName}` }));
    box.append(heads);
    const mv = new MergeView({
      a: { doc: a, extensions: [...baseExtensions(), EditorView.lineWrapping, ...readOnly(aName)] },
      b: { doc: b, extensions: bExtensions },
      parent: box,
      collapseUnchanged: COLLAPSE,
      gutter: true,
      ...(edit ? { revertControls: 'a-to-b', renderRevertControl: () => el('button', {
        type: 'button', class: 'take', text: '→', title: 'Replace this change of yours with the other version',
        'aria-label': 'Take the other version of this change',
      }) } : {}),
    });
    mv.dom.classList.add('diff-view');
    handle = { view: mv.b, text: () => mv.b.state.doc.toString(), destroy: () => mv.destroy() };
  } else {
    const view = new EditorView({
      parent: box,
      state: EditorState.create({
        doc: b,
        extensions: [...bExtensions, unifiedMergeView({
          original: a,
          collapseUnchanged: COLLAPSE,
          gutter: true,
          syntaxHighlightDeletions: true,
          // Only "take theirs": accepting would change their version, which is not saved.
          mergeControls: edit ? (type, action) => (type === 'reject' ? takeButton(action) : el('span')) : false,
        })],
      }),
    });
    view.dom.classList.add('diff-view', 'diff-unified');
    handle = { view, text: () => view.state.doc.toString(), destroy: () => view.destroy() };
  }
  return handle;
}
