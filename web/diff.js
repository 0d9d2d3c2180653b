// web/diff.js: a line diff of two texts (longest common subsequence, after
// trimming the common head and tail, which is all most edits of a config
// leave) and its rendering as a unified diff. Each line keeps its "+",
// "-" or " " in the text, so the diff reads the same without colour and
// to a screen reader.

import { el } from './dom.js';

// The edit script from a to b: [{op: ' '|'-'|'+', line}].
export function diffLines(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head &&
         x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xs = x.slice(head, x.length - tail);
  const ys = y.slice(head, y.length - tail);
  const out = x.slice(0, head).map((line) => ({ op: ' ', line }));
  const n = xs.length;
  const m = ys.length;
  if (n * m > 4e6) {
    // Too large to align line by line here: the whole middle is replaced.
    for (const line of xs) out.push({ op: '-', line });
    for (const line of ys) out.push({ op: '+', line });
  } else {
    // lcs[i][j]: length of the LCS of xs[i..] and ys[j..].
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = xs[i] === ys[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && xs[i] === ys[j]) { out.push({ op: ' ', line: xs[i] }); i++; j++; }
      // Removals before additions, as diff(1) shows a changed line.
      else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) out.push({ op: '-', line: xs[i++] });
      else out.push({ op: '+', line: ys[j++] });
    }
  }
  for (const line of x.slice(x.length - tail)) out.push({ op: ' ', line });
  return out;
}

// Fills box with the diff from a (labelled aName) to b (bName); unchanged
// runs longer than 2 * context lines are folded.
export function renderDiff(box, a, aName, b, bName, context = 3) {
  const ops = diffLines(a, b);
  const added = ops.filter((o) => o.op === '+').length;
  const removed = ops.filter((o) => o.op === '-').length;
  const summary = added || removed
    ? `${removed} line${removed === 1 ? '' : 's'} removed, ${added} added`
    : 'No differences';
  const pre = el('pre', { class: 'diff-lines', tabindex: '0', 'aria-label': `Differences: ${summary}` });
  pre.append(el('span', { class: 'diff-file', text: `--- ${aName}\n+++ ${bName}\n` }));
  const keep = ops.map((o, k) => o.op !== ' ' ||
    ops.slice(Math.max(0, k - context), k + context + 1).some((p) => p.op !== ' '));
  let folded = false;
  ops.forEach((o, k) => {
    if (!keep[k]) {
      if (!folded) pre.append(el('span', { class: 'diff-fold', text: '@@ unchanged lines @@\n' }));
      folded = true;
      return;
    }
    folded = false;
    const cls = o.op === '+' ? 'diff-add' : o.op === '-' ? 'diff-del' : 'diff-same';
    pre.append(el('span', { class: cls, text: `${o.op} ${o.line}\n` }));
  });
  const from = aName.charAt(0).toUpperCase() + aName.slice(1);
  box.replaceChildren(el('p', { class: 'diff-summary', text: `${from} → ${bName}: ${summary}` }), pre);
  box.hidden = false;
}
