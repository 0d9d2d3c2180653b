// web/dom.js: small DOM helpers shared by the page's modules: element
// lookup and creation, the status line, the error panel (every failed
// request stays there, with its error, code and correlationId, until
// dismissed), copying text, and the modal dialogs (confirm, and the
// answer of any other).

export const $ = (id) => document.getElementById(id);

// el('td', {class: 'x', text: 'y'}, child...): a new element.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function status(text) {
  $('status').textContent = text;
}

// Shows a failed request (an ApiError from api.js, or any Error) until dismissed.
export function showError(err, what) {
  const box = el('div', { class: 'error' });
  const title = what ? `${what}: ` : '';
  box.append(el('p', { class: 'error-title', text: title + (err.error || err.message || String(err)) }));
  if (err.details) box.append(el('p', { text: err.details }));
  const facts = el('dl');
  if (err.status) facts.append(el('dt', { text: 'HTTP status' }), el('dd', { text: String(err.status) }));
  if (err.code) facts.append(el('dt', { text: 'code' }), el('dd', { class: 'code', text: err.code }));
  if (err.status) {
    facts.append(el('dt', { text: 'correlationId' }),
      el('dd', { class: 'correlation', text: err.correlationId || '(none)' }));
  }
  if (facts.childNodes.length) box.append(facts);
  box.append(el('button', { type: 'button', class: 'dismiss', text: 'Dismiss', onclick: () => box.remove() }));
  $('errors').append(box);
}

export function clearErrors() {
  $('errors').replaceChildren();
}

// Copies the value of an input: the clipboard API where the page is a
// secure context, else the selection and execCommand.
export async function copyFrom(input) {
  input.select();
  try {
    if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(input.value);
    else if (!document.execCommand('copy')) throw new Error('copy refused');
    status('Copied to the clipboard.');
  } catch {
    status('Could not copy: the text is selected, press Ctrl+C (or Cmd+C).');
  }
}

// The answer of a <dialog> whose form uses method="dialog": the value of
// the button that closed it, or "cancel" (Escape).
function answer(dialog) {
  return new Promise((resolve) => {
    dialog.returnValue = 'cancel';
    dialog.addEventListener('close', () => resolve(dialog.returnValue || 'cancel'), { once: true });
    dialog.showModal();
  });
}

// confirmDialog(title, text, okLabel): true when confirmed.
export async function confirmDialog(title, text, okLabel) {
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  const d = $('confirm-dialog');
  setTimeout(() => $('confirm-cancel').focus());
  return (await answer(d)) === 'ok';
}

export function openDialog(d) {
  return answer(d);
}
