// web/schema.js: help from the JSON Schema that applies to the config in
// the editor: key completion (the properties the schema allows where the
// cursor is, with their descriptions) and value completion (enum, const,
// true/false), and hover help on a key (type, description, allowed values,
// limits). Which schema applies is the service's answer (editor.js passes
// on the name each validation reports); the schemas are read with
// GET /api/schemas/{name}, once per device opened. "$ref"s are followed
// within a schema and to the service's other schemas (base URI
// iotconfig:/schemas/<name>, as the service resolves them); nothing else
// is fetched. Judging the config stays the service's work: this module only
// walks the schema for the path at the cursor.

import { getSchemaDocument } from './api.js';
import { el } from './dom.js';
import { fromState, nodeAt, pathAt, pointerParts } from './jsontree.js';

const BASE = 'iotconfig:/schemas/';
const MAX_DEPTH = 24;   // $ref and combinator levels followed at most

let current = null;      // the name of the schema that applies, or null
let documents = new Map();   // name -> Promise of the schema document (null when absent)

// Starts afresh for a device: schemas may have changed since the last one.
export function forgetSchemas() {
  documents = new Map();
  current = null;
}

export function setSchema(name) {
  current = name || null;
}

export const schemaName = () => current;

function load(name) {
  if (!documents.has(name)) {
    documents.set(name, getSchemaDocument(name).catch(() => null));
  }
  return documents.get(name);
}

// A JSON Pointer (or "$anchor" name) inside a document.
function inDocument(doc, fragment) {
  if (!fragment) return doc;
  if (!fragment.startsWith('/')) {
    let found = null;
    const walk = (s) => {
      if (found || !s || typeof s !== 'object') return;
      if (s.$anchor === fragment || s.$id === `#${fragment}`) { found = s; return; }
      for (const v of Object.values(s)) walk(v);
    };
    walk(doc);
    return found;
  }
  let s = doc;
  for (const part of pointerParts(fragment)) {
    if (s === null || typeof s !== 'object' || !(part in s)) return null;
    s = s[part];
  }
  return s;
}

// Follows a "$ref" from the document named `name`: {schema, name} or null.
async function follow(ref, name, doc) {
  let url;
  try {
    url = new URL(ref, `${BASE}${name}`);
  } catch {
    return null;
  }
  if (!url.href.startsWith(BASE)) return null;
  const target = decodeURIComponent(url.pathname.slice('/schemas/'.length));
  const fragment = decodeURIComponent(url.hash.slice(1));
  const targetDoc = target === name ? doc : await load(target);
  if (!targetDoc) return null;
  const schema = inDocument(targetDoc, fragment);
  return schema === null || schema === undefined ? null : { schema, name: target, doc: targetDoc };
}

// Every schema that applies to one place: the schema itself and what its
// "$ref", "allOf", "anyOf", "oneOf", "if"/"then"/"else" and
// "dependentSchemas" lead to (all of them: help lists what any branch allows).
async function expand(entries) {
  const out = [];
  const seen = new Set();
  const visit = async (e, depth) => {
    const s = e.schema;
    if (!s || typeof s !== 'object' || depth > MAX_DEPTH || seen.has(s)) return;
    seen.add(s);
    out.push(e);
    const at = (schema) => visit({ schema, name: e.name, doc: e.doc }, depth + 1);
    if (typeof s.$ref === 'string') {
      const t = await follow(s.$ref, e.name, e.doc);
      if (t) await visit(t, depth + 1);
    }
    for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[k])) for (const x of s[k]) await at(x);
    for (const k of ['if', 'then', 'else']) if (s[k]) await at(s[k]);
    if (s.dependentSchemas) for (const x of Object.values(s.dependentSchemas)) await at(x);
  };
  for (const e of entries) await visit(e, 0);
  return out;
}

// The schemas for the member `key` of objects described by `entries`.
function member(entries, key) {
  const out = [];
  for (const e of entries) {
    const s = e.schema;
    const sub = [];
    if (s.properties && Object.hasOwn(s.properties, key)) sub.push(s.properties[key]);
    if (s.patternProperties) {
      for (const [p, v] of Object.entries(s.patternProperties)) {
        try { if (new RegExp(p, 'u').test(key)) sub.push(v); } catch { /* a pattern JS cannot read */ }
      }
    }
    if (!sub.length && s.additionalProperties && typeof s.additionalProperties === 'object') sub.push(s.additionalProperties);
    for (const x of sub) out.push({ schema: x, name: e.name, doc: e.doc });
  }
  return out;
}

// The schemas for item `i` of arrays described by `entries` (draft 2020-12
// prefixItems/items, draft-07 items as a list/additionalItems).
function item(entries, i) {
  const out = [];
  for (const e of entries) {
    const s = e.schema;
    let x = null;
    if (Array.isArray(s.prefixItems)) x = i < s.prefixItems.length ? s.prefixItems[i] : s.items;
    else if (Array.isArray(s.items)) x = i < s.items.length ? s.items[i] : s.additionalItems;
    else x = s.items;
    if (x && typeof x === 'object') out.push({ schema: x, name: e.name, doc: e.doc });
  }
  return out;
}

// The schemas that apply at a path (keys and indices) of the config.
async function schemasAt(path) {
  if (!current) return [];
  const root = await load(current);
  if (!root || typeof root !== 'object') return [];
  let entries = await expand([{ schema: root, name: current, doc: root }]);
  for (const part of path) {
    entries = await expand(typeof part === 'number' ? item(entries, part) : member(entries, part));
    if (!entries.length) break;
  }
  return entries;
}

// What the schemas at one place say, merged: {types, description, enum, ...}.
function summary(entries) {
  const info = { types: new Set(), descriptions: [], values: null, limits: [], title: null, default: undefined };
  for (const { schema: s } of entries) {
    if (typeof s.type === 'string') info.types.add(s.type);
    if (Array.isArray(s.type)) for (const t of s.type) info.types.add(t);
    if (typeof s.title === 'string' && !info.title) info.title = s.title;
    if (typeof s.description === 'string' && !info.descriptions.includes(s.description)) info.descriptions.push(s.description);
    if (Array.isArray(s.enum)) info.values = info.values ? info.values.filter((v) => s.enum.some((w) => JSON.stringify(w) === JSON.stringify(v))) : s.enum.slice();
    if ('const' in s) info.values = [s.const];
    if ('default' in s && info.default === undefined) info.default = s.default;
    for (const [k, text] of [['minimum', '≥'], ['exclusiveMinimum', '>'], ['maximum', '≤'], ['exclusiveMaximum', '<'],
      ['minLength', 'at least %s characters'], ['maxLength', 'at most %s characters'], ['pattern', 'matches %s'],
      ['minItems', 'at least %s items'], ['maxItems', 'at most %s items'], ['format', 'format %s']]) {
      if (typeof s[k] === 'number' || typeof s[k] === 'string') {
        info.limits.push(text.includes('%s') ? text.replace('%s', s[k]) : `${text} ${s[k]}`);
      }
    }
  }
  if (info.types.size === 0 && info.values) for (const v of info.values) info.types.add(v === null ? 'null' : typeof v);
  return info;
}

// The keys the schemas at `path` name, with what they say: Map key -> {info, required}.
async function keysAt(path) {
  const entries = await schemasAt(path);
  const keys = new Map();
  const required = new Set();
  for (const { schema: s } of entries) {
    if (Array.isArray(s.required)) for (const k of s.required) required.add(k);
    if (s.properties) for (const k of Object.keys(s.properties)) if (!keys.has(k)) keys.set(k, null);
  }
  for (const k of keys.keys()) keys.set(k, { info: summary(await expand(member(entries, k))), required: required.has(k) });
  return keys;
}

function infoDom(key, info, required) {
  const types = [...info.types].join(' or ');
  return el('div', { class: 'schema-help' },
    el('p', {}, el('strong', { text: key }), types ? ` (${types})` : '', required ? ' · required' : ''),
    info.title ? el('p', { text: info.title }) : null,
    ...info.descriptions.map((d) => el('p', { text: d })),
    info.values ? el('p', { text: `One of: ${info.values.map((v) => JSON.stringify(v)).join(', ')}` }) : null,
    info.limits.length ? el('p', { class: 'muted', text: info.limits.join('; ') }) : null,
    info.default !== undefined ? el('p', { class: 'muted', text: `Default: ${JSON.stringify(info.default)}` }) : null);
}

function keysPresent(doc, path) {
  const { value } = nodeAt(doc, path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''));
  const present = new Set();
  if (value && value.name === 'Object') {
    for (let c = value.firstChild; c; c = c.nextSibling) {
      const n = c.name === 'Property' && c.getChild('PropertyName');
      if (n) { try { present.add(JSON.parse(doc.text.slice(n.from, n.to))); } catch { /* half typed */ } }
    }
  }
  return present;
}

// A completion's apply: replaces from..to, widened by the quote before
// (when quoted) and a closing quote after, with text; the cursor after it.
const insert = (text, quoted) => (view, completion, from, to) => {
  const start = quoted ? from - 1 : from;
  const end = view.state.sliceDoc(to, to + 1) === '"' ? to + 1 : to;
  view.dispatch({ changes: { from: start, to: end, insert: text }, selection: { anchor: start + text.length }, userEvent: 'input.complete' });
};

// CodeMirror completion source: keys where a key goes, values where a
// value goes (enum, const, booleans). The range CodeMirror matches the
// options against is the text typed so far (a key's without its opening
// quote); what is written is the key with its quotes, and ": " when the
// property has no colon yet.
export async function complete(context) {
  if (!current) return null;
  const { state, pos } = context;
  const doc = fromState(state);
  const where = pathAt(doc, pos);
  if (where.kind === 'key') {
    let from;
    let quoted = true;
    let colon = false;
    if (where.name) {
      from = where.name.from + 1;
      colon = Boolean(where.name.parent.getChild(':'));
    } else {
      const word = context.matchBefore(/"?[^\s"{}[\],:]*/);
      if (!word || (word.from === word.to && !context.explicit)) return null;
      quoted = word.text.startsWith('"');
      from = quoted ? word.from + 1 : word.from;
    }
    const keys = await keysAt(where.path);
    if (!keys.size) return null;
    const present = keysPresent(doc, where.path);
    const options = [];
    for (const [key, { info, required }] of keys) {
      if (present.has(key) && key !== where.key) continue;
      options.push({
        label: key,
        apply: insert(`${JSON.stringify(key)}${colon ? '' : ': '}`, quoted),
        detail: [...info.types].join(' | '),
        info: () => infoDom(key, info, required),
        type: 'property',
        boost: required ? 1 : 0,
      });
    }
    return options.length ? { from, to: pos, options, validFor: /^[\w$@.\-]*$/ } : null;
  }
  if (where.kind === 'value' && where.key !== null) {
    const info = summary(await expand(member(await schemasAt(where.path), where.key)));
    let values = info.values;
    if (!values && info.types.has('boolean')) values = [true, false];
    if (!values || !values.length) return null;
    const word = context.matchBefore(/"?[^\s,}\]:"]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    return {
      from: word.from,
      to: pos,
      options: values.map((v) => ({ label: JSON.stringify(v), type: 'enum', apply: insert(JSON.stringify(v), false) })),
    };
  }
  return null;
}

// CodeMirror hover source: help on the key under the pointer.
export async function hover(view, pos, side) {
  if (!current) return null;
  const doc = fromState(view.state);
  const where = pathAt(doc, pos, side);
  if (where.kind !== 'key' || !where.name || where.key === null) return null;
  const entries = await schemasAt(where.path);
  const own = await expand(member(entries, where.key));
  let required = false;
  for (const { schema: s } of entries) if (Array.isArray(s.required) && s.required.includes(where.key)) required = true;
  const info = summary(own);
  if (!own.length) {
    // A key no schema names: say so, where one applies.
    if (!entries.length) return null;
    info.descriptions.push(`Not described by the schema “${current}”.`);
  }
  const { from, to } = where.name;
  return { pos: from, end: to, above: true, create: () => ({ dom: infoDom(where.key, info, required) }) };
}
