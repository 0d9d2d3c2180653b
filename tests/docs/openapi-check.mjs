// tests/docs/openapi-check.mjs: compares the running service with its
// OpenAPI document (conf/openapi.json). Used by tests/docs/*.bats.
//
//   openapi-check.mjs routes   DOC ROUTES_JSON
//       every path+method of `iotconfig.fcgi --routes` is in the document,
//       and every path+method of the document is a route; each operation's
//       security says who may call it as the router's access class does
//       (device: deviceBasic and deviceBearer, admin: webServer, public:
//       none), and lists the 401 and 429 (device) or 403 (admin) refusals
//   openapi-check.mjs contract DOC BASE_URL ORIGIN
//       calls every operation of the document with its documented examples
//       (all PUTs first, then each path's POST before its reads, deletes
//       last): each must succeed with a status
//       the operation lists, its response must validate (as `validate`),
//       and OPTIONS must announce in Allow exactly the documented methods;
//       an application/octet-stream body (a firmware image) is the file
//       named in CONTRACT_BINARY_BODY
//   openapi-check.mjs validate DOC SAMPLES_JSONL [CODES_OUT]
//       validates recorded responses against the document: the status is
//       listed for the operation, required headers are present, every
//       header the service sent is documented and matches its schema, the
//       media type is documented, JSON bodies validate against the schema
//       (Ajv, with OpenAPI 3.0's nullable), an error's correlationId is the
//       X-Request-ID. A path or method outside `paths` must be answered
//       as x-iotconfig-unrouted says (404, 405). Writes the error codes
//       seen to CODES_OUT.
//   openapi-check.mjs error-statuses DOC ERROR_C
//       every error response lists only codes that src/error.c maps to
//       that response's status
//
// A sample line is {"method","path","head","body"}: path as requested (no
// query), head and body the files curl -D / -o wrote (or a CGI response's
// header block, whose status comes from "Status:").
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';

// The validator comes from the project's pinned tools (tools/package.json).
const require = createRequire(new URL('../../tools/package.json', import.meta.url));
const Ajv = require('ajv').default;
const addFormats = require('ajv-formats').default;

const UNROUTED = 'x-iotconfig-unrouted';
const METHODS = ['get', 'head', 'put', 'delete', 'options', 'post', 'patch', 'trace'];
// Headers the web server (or HTTP itself) adds; they are not the service's contract.
const TRANSPORT_HEADERS = new Set([
  'date', 'server', 'content-length', 'content-type', 'accept-ranges',
  'connection', 'keep-alive', 'transfer-encoding', 'status',
]);

function loadDoc(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function pointerEscape(s) {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

// Follows a local $ref; returns [object, JSON pointer of the object].
function deref(doc, obj, ptr) {
  while (obj && obj.$ref) {
    if (!obj.$ref.startsWith('#/')) throw new Error(`non-local $ref ${obj.$ref}`);
    ptr = obj.$ref.slice(1);
    obj = ptr.split('/').slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o, k) => (o === undefined ? undefined : o[k]), doc);
  }
  return [obj, ptr];
}

function makeAjv(doc) {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  // OpenAPI's own keywords: annotations here. The document is added as one
  // schema so that the $refs between its parts resolve as they are written.
  ajv.addVocabulary(['example', ...Object.keys(doc)]);
  ajv.addSchema(doc, 'openapi.json');
  return ajv;
}

// Path templates to regular expressions; "{mac_address}.json" sits inside a segment.
function templateMatcher(doc) {
  const list = Object.keys(doc.paths).map((t) => {
    const re = '^' + t.split(/(\{[^}]+\})/).map((part) =>
      part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('') + '$';
    return { template: t, re: new RegExp(re) };
  });
  // The router tries "{mac_address}.json" before "{mac_address}": prefer the longest literal part.
  list.sort((a, b) => b.template.replace(/\{[^}]+\}/g, '').length - a.template.replace(/\{[^}]+\}/g, '').length);
  return (path) => list.find((e) => e.re.test(path))?.template;
}

function parseHead(text) {
  const lines = text.split(/\r?\n/);
  let status = null;
  const headers = [];
  // curl -D keeps every response of a redirect chain; the tests never follow one.
  for (const line of lines) {
    if (line === '') continue;
    const m = /^HTTP\/[0-9.]+ ([0-9]{3})/.exec(line);
    if (m) { status = Number(m[1]); continue; }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === 'status' && status === null) status = Number(value.slice(0, 3));
    headers.push([name.toLowerCase(), value]);
  }
  return { status, headers };
}

class Checker {
  constructor(doc) {
    this.doc = doc;
    this.ajv = makeAjv(doc);
    this.match = templateMatcher(doc);
    this.codes = new Set();
  }

  schemaAt(ptr) {
    const v = this.ajv.getSchema('openapi.json#' + ptr);
    if (!v) throw new Error(`no schema at ${ptr}`);
    return v;
  }

  // Returns a list of problems (empty when the response agrees with the document).
  check({ method, path, status, headers, body }) {
    const problems = [];
    const m = method.toLowerCase();
    const key = String(status);
    const template = this.match(path);
    const op = template && this.doc.paths[template][m];
    let base;
    if (op) {
      if (!op.responses[key]) {
        return [`${method} ${template} answered ${status}, which the document does not list (lists ${Object.keys(op.responses).join(', ')})`];
      }
      base = `/paths/${pointerEscape(template)}/${m}/responses/${key}`;
    } else {
      // Not an operation of the document: the answer must be the documented
      // 404 (no such path) or 405 (no such method on a path).
      const want = template ? '405' : '404';
      if (key !== want) return [`${method} ${path} is not in the document and answered ${status}, not ${want}`];
      base = `/${UNROUTED}/${want}`;
    }
    const [resp, ptr] = deref(this.doc, { $ref: '#' + base }, base);
    const where = `${method} ${path} ${status}`;

    const documented = new Map();
    for (const [name, h] of Object.entries(resp.headers || {})) {
      const [hdr, hptr] = deref(this.doc, h, `${ptr}/headers/${pointerEscape(name)}`);
      documented.set(name.toLowerCase(), { name, hdr, hptr });
    }
    const sent = new Map();
    for (const [name, value] of headers) {
      if (sent.has(name)) problems.push(`${where}: header ${name} sent twice`);
      sent.set(name, value);
    }
    for (const [lname, { name, hdr }] of documented) {
      if (hdr.required && !sent.has(lname)) problems.push(`${where}: required header ${name} missing`);
    }
    for (const [lname, value] of sent) {
      if (TRANSPORT_HEADERS.has(lname)) continue;
      const d = documented.get(lname);
      if (!d) { problems.push(`${where}: header ${lname} is sent but not documented for this response`); continue; }
      const schema = d.hdr.schema;
      const v = schema && schema.type === 'integer' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
      const validate = this.schemaAt(`${d.hptr}/schema`);
      if (!validate(v)) problems.push(`${where}: header ${d.name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`);
    }

    const bodiless = m === 'head' || status === 204 || status === 304;
    if (bodiless) {
      if (body.length > 0) problems.push(`${where}: a body was sent (${body.length} bytes)`);
      return problems;
    }
    if (!resp.content) {
      if (body.length > 0) problems.push(`${where}: a body was sent but the document describes none`);
      return problems;
    }
    const ctype = (sent.get('content-type') || '').split(';')[0].trim().toLowerCase();
    const mediaKey = Object.keys(resp.content).find((k) => k.split(';')[0].trim().toLowerCase() === ctype);
    if (!mediaKey) {
      problems.push(`${where}: Content-Type ${ctype || '(none)'} is not documented (${Object.keys(resp.content).join(', ')})`);
      return problems;
    }
    if (ctype !== 'application/json') return problems;
    let value;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch (e) {
      problems.push(`${where}: body is not JSON: ${e.message}`);
      return problems;
    }
    const validate = this.schemaAt(`${ptr}/content/${pointerEscape(mediaKey)}/schema`);
    if (!validate(value)) {
      problems.push(`${where}: body does not match the schema: ${this.ajv.errorsText(validate.errors)}; body: ${body.toString('utf8').slice(0, 300)}`);
    }
    if (value && typeof value === 'object' && typeof value.code === 'string' && 'correlationId' in value) {
      this.codes.add(value.code);
      if (value.correlationId !== sent.get('x-request-id')) {
        problems.push(`${where}: correlationId ${value.correlationId} is not the X-Request-ID ${sent.get('x-request-id')}`);
      }
    }
    return problems;
  }
}

function docMethods(doc) {
  const set = new Set();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) if (item[m]) set.add(`${m.toUpperCase()} ${path}`);
  }
  return set;
}

function cmdRoutes(docFile, routesFile) {
  const doc = loadDoc(docFile);
  const routes = JSON.parse(readFileSync(routesFile, 'utf8'));
  const fromRouter = new Set();
  for (const r of routes) for (const m of r.methods) fromRouter.add(`${m} ${r.path}`);
  const fromDoc = docMethods(doc);
  let bad = 0;
  for (const x of fromRouter) if (!fromDoc.has(x)) { console.log(`not documented: ${x}`); bad++; }
  for (const x of fromDoc) if (!fromRouter.has(x)) { console.log(`documented but not a route: ${x}`); bad++; }
  // Who may call each operation: the router's access class, as security and refusals.
  const WANT = {
    device: { schemes: ['deviceBasic', 'deviceBearer'], refusals: ['401', '429'] },
    admin: { schemes: ['webServer'], refusals: ['403'] },
    public: { schemes: [], refusals: [] },
  };
  for (const r of routes) {
    for (const [method, access] of Object.entries(r.access || {})) {
      const op = doc.paths[r.path]?.[method.toLowerCase()];
      if (!op) continue;
      const want = WANT[access];
      const schemes = (op.security || []).flatMap((s) => Object.keys(s)).sort().join(',');
      if (schemes !== want.schemes.join(',')) {
        console.log(`${method} ${r.path} is ${access} in the router, the document's security names ${schemes || 'nothing'}`);
        bad++;
      }
      for (const status of want.refusals) {
        if (!op.responses[status]) { console.log(`${method} ${r.path} is ${access} in the router, the document lacks its ${status}`); bad++; }
      }
    }
  }
  console.log(`${fromRouter.size} route methods, ${fromDoc.size} documented operations, ${bad} differences`);
  return bad === 0 ? 0 : 1;
}

function exampleOf(obj) {
  if (!obj) return undefined;
  if (obj.example !== undefined) return obj.example;
  if (obj.examples) return Object.values(obj.examples)[0].value;
  return undefined;
}

function request(base, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, headers, timeout: 60000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const hs = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) hs.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
        resolve({ status: res.statusCode, headers: hs, body: Buffer.concat(chunks) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function cmdContract(docFile, base, origin) {
  const doc = loadDoc(docFile);
  const checker = new Checker(doc);
  // A parameter whose values the service makes (a revision id) names where a
  // live one is read: x-iotconfig-live-example {path, field}.
  const live = async (p) => {
    const src = p?.['x-iotconfig-live-example'];
    if (!src) return undefined;
    const res = await request(base, 'GET', src.path, {}, undefined);
    let v = res.status === 200 ? JSON.parse(res.body.toString()) : undefined;
    for (const k of src.field.split('.')) v = v?.[k];
    return v;
  };
  const urlOf = async (template, item) => {
    const values = {};
    for (const [, name] of template.matchAll(/\{([^}]+)\}/g)) {
      const p = (item.parameters || []).map((x) => deref(doc, x, '')[0]).find((x) => x.in === 'path' && x.name === name);
      const v = (await live(p)) ?? exampleOf(p) ?? exampleOf(p?.schema && deref(doc, p.schema, '')[0]);
      if (v === undefined) throw new Error(`${template}: no example for {${name}}`);
      values[name] = encodeURIComponent(v);
    }
    return template.replace(/\{([^}]+)\}/g, (_, name) => values[name]);
  };
  let failures = 0;
  let n = 0;
  const call = async (template, m) => {
    const item = doc.paths[template];
    const op = item[m];
    const path = await urlOf(template, item);
    const headers = { Origin: origin, 'X-Request-ID': `contract-${++n}` };
    let body;
    if (m === 'options') headers['Access-Control-Request-Method'] = 'GET';
    if (op.requestBody) {
      // The first media type documented; a binary one (an archive) gives
      // its example as x-iotconfig-example-base64.
      const [rb] = deref(doc, op.requestBody, '');
      const [type, media] = Object.entries(rb.content)[0];
      if (media['x-iotconfig-example-base64'] !== undefined) {
        body = Buffer.from(media['x-iotconfig-example-base64'], 'base64');
      } else if (type === 'application/octet-stream') {
        // Bytes no example in the document holds (a firmware image): the
        // file the suite made, named in CONTRACT_BINARY_BODY.
        if (!process.env.CONTRACT_BINARY_BODY) throw new Error(`${template}: set CONTRACT_BINARY_BODY for its octet-stream body`);
        body = readFileSync(process.env.CONTRACT_BINARY_BODY);
      } else {
        const ex = exampleOf(media) ?? exampleOf(deref(doc, media.schema, '')[0]);
        body = JSON.stringify(ex);
      }
      headers['Content-Type'] = type;
    }
    const res = await request(base, m.toUpperCase(), path, headers, body);
    const problems = checker.check({ method: m.toUpperCase(), path, ...res });
    if (res.status >= 400) problems.push(`${m.toUpperCase()} ${path} answered ${res.status} with the documented examples: ${res.body.toString().slice(0, 200)}`);
    if (m === 'options') {
      const allow = (res.headers.find(([k]) => k === 'allow') || [])[1] || '';
      const want = METHODS.filter((x) => item[x]).map((x) => x.toUpperCase()).sort().join(',');
      const got = allow.split(',').map((x) => x.trim()).sort().join(',');
      if (want !== got) problems.push(`OPTIONS ${path}: Allow is "${allow}", the document lists ${want}`);
    }
    for (const p of problems) console.log(`not ok ${p}`);
    if (problems.length === 0) console.log(`ok ${m.toUpperCase()} ${template} -> ${res.status}`);
    failures += problems.length;
  };
  const templates = Object.keys(doc.paths);
  for (const t of templates) if (doc.paths[t].put) await call(t, 'put');
  // A POST first: what it makes (a device secret) is what the path's reads show.
  const READS_AFTER_POST = ['post', ...METHODS.filter((x) => x !== 'post')];
  for (const t of templates) {
    for (const m of READS_AFTER_POST) if (doc.paths[t][m] && m !== 'put' && m !== 'delete') await call(t, m);
  }
  for (const t of templates) {
    if (!doc.paths[t].delete) continue;
    if (doc.paths[t].put) await call(t, 'put');
    await call(t, 'delete');
  }
  console.log(`${n} calls, ${failures} problems`);
  return failures === 0 ? 0 : 1;
}

function cmdValidate(docFile, samplesFile, codesOut) {
  const checker = new Checker(loadDoc(docFile));
  let failures = 0;
  let count = 0;
  for (const line of readFileSync(samplesFile, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const s = JSON.parse(line);
    const { status, headers } = parseHead(readFileSync(s.head, 'utf8'));
    const body = readFileSync(s.body);
    const problems = checker.check({ method: s.method, path: s.path, status, headers, body });
    count++;
    for (const p of problems) console.log(`not ok ${p}`);
    if (problems.length === 0) console.log(`ok ${s.method} ${s.path} -> ${status}`);
    failures += problems.length;
  }
  if (codesOut) writeFileSync(codesOut, [...checker.codes].sort().join('\n') + '\n');
  console.log(`${count} responses, ${failures} problems`);
  return failures === 0 && count > 0 ? 0 : 1;
}

function cmdErrorStatuses(docFile, errorC) {
  const doc = loadDoc(docFile);
  const statusOf = new Map();
  for (const m of readFileSync(errorC, 'utf8').matchAll(/\[ERR_[A-Z_]+\] = \{([0-9]+), "([A-Z_]+)"\}/g)) {
    statusOf.set(m[2], Number(m[1]));
  }
  let bad = 0;
  let seen = 0;
  const all = Object.entries(doc.paths).flatMap(([template, item]) =>
    METHODS.filter((m) => item[m]).map((m) => [`${m.toUpperCase()} ${template}`, item[m].responses]));
  all.push([UNROUTED, doc[UNROUTED]]);
  for (const [where, responses] of all) {
    for (const [status, r] of Object.entries(responses)) {
      const [resp] = deref(doc, r, '');
      const schema = resp.content?.['application/json']?.schema;
      if (!schema?.allOf?.some((s) => s.$ref === '#/components/schemas/ErrorResponseSchema.8c5cd6b')) continue;
      const narrowed = schema.allOf.find((s) => s.properties?.code?.enum);
      if (!narrowed) {
        console.log(`${where} ${status}: an error response must list its codes`);
        bad++;
        continue;
      }
      for (const code of narrowed.properties.code.enum) {
        seen++;
        if (statusOf.get(code) !== Number(status)) {
          console.log(`${where} ${status}: ${code} has status ${statusOf.get(code)} in src/error.c`);
          bad++;
        }
      }
    }
  }
  console.log(`${seen} documented error codes checked, ${bad} with the wrong status`);
  return bad === 0 && seen > 0 ? 0 : 1;
}

const [cmd, ...args] = process.argv.slice(2);
const commands = {
  routes: () => cmdRoutes(...args),
  contract: () => cmdContract(...args),
  validate: () => cmdValidate(...args),
  'error-statuses': () => cmdErrorStatuses(...args),
};
if (!commands[cmd]) {
  console.error('usage: openapi-check.mjs routes|contract|validate|error-statuses ...');
  process.exit(2);
}
Promise.resolve(commands[cmd]()).then((rc) => process.exit(rc), (e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
