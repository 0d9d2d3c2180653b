// web/api.js: every request the page makes, to the service's own API on
// the page's own origin (relative URLs only). A non-2xx answer becomes an
// ApiError carrying the service's error, code, details and correlationId
// (the X-Request-ID when the body has none), so that the caller can show
// it; callers that handle a status themselves (412, 404) look at .status.

export class ApiError extends Error {
  constructor(status, body, headers) {
    const b = body && typeof body === 'object' ? body : {};
    super(b.error || `HTTP ${status}`);
    this.status = status;
    this.error = b.error || `HTTP ${status} ${statusText(status)}`;
    this.code = b.code || null;
    this.details = b.details && b.details.message ? b.details.message : null;
    // A refusal by the schema lists every error (instancePath, message, ...).
    this.errors = b.details && Array.isArray(b.details.errors) ? b.details.errors : [];
    this.correlationId = b.correlationId || (headers && headers.get('X-Request-ID')) || null;
  }
}

function statusText(s) {
  return { 401: 'Unauthorized', 403: 'Forbidden', 502: 'Bad Gateway', 503: 'Service Unavailable',
    504: 'Gateway Timeout' }[s] || '';
}

const enc = encodeURIComponent;
export const configUrl = (mac) => `/api/configs/${enc(mac)}`;
export const fileUrl = (mac) => `/api/configs/${enc(mac)}.json`;

// request(method, url, {headers, body}): {status, etag, text, json} for a
// 2xx answer; throws ApiError otherwise (and on a network failure).
export async function request(method, url, opts = {}) {
  let res;
  try {
    res = await fetch(url, { method, headers: opts.headers || {}, body: opts.body, cache: 'no-store' });
  } catch (e) {
    const err = new ApiError(0, { error: `The service did not answer (${e.message})` });
    err.status = 0;
    throw err;
  }
  const text = await res.text();
  let json = null;
  if ((res.headers.get('Content-Type') || '').startsWith('application/json') && text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (!res.ok) throw new ApiError(res.status, json, res.headers);
  return { status: res.status, etag: res.headers.get('ETag'), text, json };
}

export const listConfigs = () => request('GET', '/api/configs');

// The stored file's exact bytes (as text) and its ETag, through the admins'
// route, which no device secret guards.
export const getFile = (mac) => request('GET', `${configUrl(mac)}/file`);

// Saves text as the file, byte for byte. etag: If-Match (the version the
// editor loaded); null: create only (If-None-Match: *).
export function putFile(mac, text, etag) {
  const headers = { 'Content-Type': 'application/json' };
  if (etag) headers['If-Match'] = etag;
  else headers['If-None-Match'] = '*';
  return request('PUT', fileUrl(mac), { headers, body: text });
}

export function deleteFile(mac, etag) {
  return request('DELETE', fileUrl(mac), { headers: etag ? { 'If-Match': etag } : {} });
}

export const listHistory = (mac) => request('GET', `${configUrl(mac)}/history`);
export const getRevision = (mac, rev) => request('GET', `${configUrl(mac)}/history/${enc(rev)}`);

// Makes a past version current again; guarded like a save.
export function restoreRevision(mac, rev, etag) {
  // Empty, but typed as JSON: the service takes no POST an HTML form could send.
  const headers = { 'Content-Type': 'application/json', ...(etag ? { 'If-Match': etag } : { 'If-None-Match': '*' }) };
  return request('POST', `${configUrl(mac)}/history/${enc(rev)}/restore`, { headers, body: '' });
}

// The devices' fetches, where the service has that route: null when it
// does not (404), so the page simply leaves that column out.
export async function listFetches() {
  try {
    const r = await request('GET', '/api/fetches');
    return r.json && Array.isArray(r.json.fetches) ? r.json.fetches : null;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

// --- schemas, validation and the device's last fetch --------------------------

// The verdict a raw PUT of text would get, nothing written: the answer's
// JSON ({schema, valid, error_count, errors}), or an ApiError (400 for
// text that is not a JSON object: syntax, a repeated key, ...).
export async function validateConfig(mac, text) {
  const r = await request('POST', `${configUrl(mac)}/validate`, {
    headers: { 'Content-Type': 'application/json' }, body: text,
  });
  return r.json;
}

// The schema that applies to the stored config and its verdict, or null
// when the MAC has no config.
export async function getConfigSchema(mac) {
  try {
    return (await request('GET', `${configUrl(mac)}/schema`)).json;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

// A schema's document (parsed), or null when there is none of that name.
export async function getSchemaDocument(name) {
  try {
    return (await request('GET', `/api/schemas/${enc(name)}`)).json;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

// The device's last fetch ({last_fetch_at, etag, current, remote_addr,
// user_agent}); null when none was noted.
export async function getFetch(mac) {
  try {
    return (await request('GET', `${configUrl(mac)}/fetch`)).json;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

// Whether a MAC has a config now (the admins' summary route).
export async function configExists(mac) {
  try {
    await request('GET', configUrl(mac));
    return true;
  } catch (e) {
    if (e.status === 404) return false;
    throw e;
  }
}

// Firmware (docs/firmware.md): the fleet view, one model, one device.
const fwModelUrl = (model) => `/api/firmware/${enc(model)}`;
export const listFirmware = () => request('GET', '/api/firmware');
export const modelFirmware = (model) => request('GET', fwModelUrl(model));
export const deviceFirmware = (mac) => request('GET', `${configUrl(mac)}/firmware`);

// Uploads an image's bytes: application/octet-stream, the one type the
// upload takes (no HTML form can send it).
export function uploadFirmware(model, version, bytes) {
  return request('PUT', `${fwModelUrl(model)}/versions/${enc(version)}`,
    { headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });
}

export const deleteFirmware = (model, version) => request('DELETE', `${fwModelUrl(model)}/versions/${enc(version)}`);

export function putTarget(model, target) {
  return request('PUT', `${fwModelUrl(model)}/target`,
    { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(target) });
}
// Null when the answer is 404; the answer otherwise.
async function orNull(promise) {
  try {
    return await promise;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

// The devices' secrets and the install's mode ({mode, credentials}), or
// null where the service has no such route.
export async function listCredentials() {
  const r = await orNull(request('GET', '/api/credentials'));
  return r && r.json ? r.json : null;
}

// What may be shown of a device's secret, or null when it has none.
export async function getCredential(mac) {
  const r = await orNull(request('GET', `${configUrl(mac)}/credential`));
  return r ? r.json : null;
}

// A new secret (answered once, in .json.secret); an existing one becomes the previous.
// An empty JSON body: every POST must say application/json, which no form can send.
export const createCredential = (mac) => request('POST', `${configUrl(mac)}/credential`,
  { headers: { 'Content-Type': 'application/json' }, body: '' });
export const revokeCredential = (mac) => request('DELETE', `${configUrl(mac)}/credential`);
