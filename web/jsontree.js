// web/jsontree.js: places in a config's text, read from the syntax tree
// the editor's JSON grammar (@lezer/json, in codemirror.js) builds: the
// path (keys and indices) at a position, the text range a JSON Pointer
// names (where the service's schema errors point), the keys an object
// repeats (the service says only that one is repeated), a byte offset of
// the service's as a character offset, and string values to replace in
// place (Duplicate). It judges nothing: whether a text is a valid config
// is the service's verdict (editor.js asks it).

import { ensureSyntaxTree, jsonLanguage } from './codemirror.js';

// A parsed text: {tree, text}. From an editor state (its own tree, made
// complete), or from a string.
export function fromState(state) {
  const tree = ensureSyntaxTree(state, state.doc.length, 500) || jsonLanguage.parser.parse(state.doc.toString());
  return { tree, text: state.doc.toString() };
}

export function fromText(text) {
  return { tree: jsonLanguage.parser.parse(text), text };
}

const VALUES = new Set(['Object', 'Array', 'String', 'Number', 'True', 'False', 'Null']);

// The key of a Property node (its PropertyName, unescaped).
export function keyOf(doc, prop) {
  const name = prop.getChild('PropertyName');
  if (!name) return null;
  const raw = doc.text.slice(name.from, name.to);
  try {
    return JSON.parse(raw);
  } catch {
    return raw.replace(/^"|"$/g, '');
  }
}

// The value node of a Property (after its ":"), or null.
export function valueOf(prop) {
  for (let c = prop.firstChild; c; c = c.nextSibling) {
    if (VALUES.has(c.name) && c.name !== 'PropertyName') return c;
  }
  return null;
}

// The value nodes of an Array, in order.
function items(arr) {
  const out = [];
  for (let c = arr.firstChild; c; c = c.nextSibling) if (VALUES.has(c.name)) out.push(c);
  return out;
}

// The top value of the text, or null.
function topValue(doc) {
  for (let c = doc.tree.topNode.firstChild; c; c = c.nextSibling) if (VALUES.has(c.name)) return c;
  return null;
}

// The keys and indices from the top down to a container node (an Object
// or Array).
export function pathOf(doc, node) {
  const path = [];
  for (let c = node, p = node.parent; p; c = p, p = p.parent) {
    if (p.name === 'Property' && c.name !== 'PropertyName') path.unshift(keyOf(doc, p));
    else if (p.name === 'Array') path.unshift(items(p).findIndex((v) => v.from === c.from));
  }
  return path;
}

// Where pos is, for completion and help: {kind, path, key, name}.
// kind "key": in a property name, or where one would be typed (name: the
// PropertyName node when in one); kind "value": in a property's value
// (key: that property's key) or an array's item; null elsewhere. path:
// the keys and indices down to the object or array holding pos.
export function pathAt(doc, pos, side = -1) {
  for (let m = doc.tree.resolveInner(pos, side); m; m = m.parent) {
    if (m.name === 'PropertyName') {
      return { kind: 'key', path: pathOf(doc, m.parent.parent), key: keyOf(doc, m.parent), name: m };
    }
    if (m.name === 'Property') {
      const colon = m.getChild(':');
      const onValue = colon && pos >= colon.to;
      return { kind: onValue ? 'value' : 'key', path: pathOf(doc, m.parent), key: keyOf(doc, m), name: null };
    }
    if (m.name === 'Object' && pos > m.from) return { kind: 'key', path: pathOf(doc, m), key: null, name: null };
    if (m.name === 'Array' && pos > m.from) return { kind: 'value', path: pathOf(doc, m), key: null, name: null };
  }
  return { kind: null, path: [], key: null, name: null };
}

// The keys and indices of a JSON Pointer (RFC 6901).
export function pointerParts(pointer) {
  if (!pointer) return [];
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

// The node a JSON Pointer names: {value, key} (key: the PropertyName node
// when it is an object member), or the deepest node that exists on the way.
export function nodeAt(doc, pointer) {
  let value = topValue(doc);
  let key = null;
  for (const part of pointerParts(pointer)) {
    if (!value) break;
    let next = null;
    let nextKey = null;
    if (value.name === 'Object') {
      for (let c = value.firstChild; c; c = c.nextSibling) {
        if (c.name === 'Property' && keyOf(doc, c) === part) {
          next = valueOf(c);
          nextKey = c.getChild('PropertyName');
          break;
        }
      }
    } else if (value.name === 'Array' && /^(0|[1-9][0-9]*)$/.test(part)) {
      next = items(value)[Number(part)] || null;
    }
    if (!next) break;
    value = next;
    key = nextKey;
  }
  return { value, key };
}

// The range to mark for an error at a JSON Pointer: a scalar value itself;
// an object or array by its key (or its opening bracket), not its whole
// body; the key itself when onKey (a member that may not be there).
export function rangeAt(doc, pointer, onKey = false) {
  const { value, key } = nodeAt(doc, pointer);
  if (!value) return { from: 0, to: Math.min(1, doc.text.length) };
  if (onKey && key) return { from: key.from, to: key.to };
  if (value.name === 'Object' || value.name === 'Array') {
    return key ? { from: key.from, to: key.to } : { from: value.from, to: value.from + 1 };
  }
  return { from: value.from, to: value.to };
}

// Every key an object repeats: [{key, from, to, first}] (first: the
// offset of its first occurrence), in text order.
export function repeatedKeys(doc) {
  const out = [];
  doc.tree.iterate({
    enter(n) {
      if (n.name !== 'Object') return;
      const seen = new Map();
      for (let c = n.node.firstChild; c; c = c.nextSibling) {
        if (c.name !== 'Property') continue;
        const k = keyOf(doc, c);
        const name = c.getChild('PropertyName');
        if (k === null || !name) continue;
        if (seen.has(k)) out.push({ key: k, from: name.from, to: name.to, first: seen.get(k) });
        else seen.set(k, name.from);
      }
    },
  });
  return out.sort((a, b) => a.from - b.from);
}

// The character offset of a UTF-8 byte offset into text.
export function charOffset(text, bytes) {
  let b = 0;
  let i = 0;
  while (i < text.length && b < bytes) {
    const cp = text.codePointAt(i);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

// Every string value whose property key passes want(key, path): [{path,
// key, value, from, to}] in text order (path: keys and indices to it).
export function stringValues(doc, want) {
  const out = [];
  const walk = (node, path) => {
    if (!node) return;
    if (node.name === 'Object') {
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (c.name !== 'Property') continue;
        const k = keyOf(doc, c);
        const v = valueOf(c);
        if (!v) continue;
        if (v.name === 'String' && want(k, path)) {
          let value;
          try { value = JSON.parse(doc.text.slice(v.from, v.to)); } catch { continue; }
          out.push({ path: [...path, k], key: k, value, from: v.from, to: v.to });
        }
        walk(v, [...path, k]);
      }
    } else if (node.name === 'Array') {
      items(node).forEach((v, i) => walk(v, [...path, i]));
    }
  };
  walk(topValue(doc), []);
  return out;
}

// text with each {from, to, value} replaced by value as a JSON string.
export function replaceStrings(text, edits) {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.from - a.from)) {
    out = out.slice(0, e.from) + JSON.stringify(e.value) + out.slice(e.to);
  }
  return out;
}

// A top-level string member's value (deviceName, deviceModel), or null.
export function topString(doc, key) {
  const top = topValue(doc);
  if (!top || top.name !== 'Object') return null;
  for (let c = top.firstChild; c; c = c.nextSibling) {
    if (c.name === 'Property' && keyOf(doc, c) === key) {
      const v = valueOf(c);
      if (!v || v.name !== 'String') return null;
      try { return JSON.parse(doc.text.slice(v.from, v.to)); } catch { return null; }
    }
  }
  return null;
}
