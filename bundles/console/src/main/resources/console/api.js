// The REST client. The token lives in this tab's sessionStorage only (never localStorage, a cookie or a URL) and
// goes out only as an Authorization header, to this origin. Event streams use fetch() and a Server-Sent Events
// parser, because EventSource cannot send an Authorization header.

const KEY = 'toka.token';
const BASE = '/api/v1';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An answer other than 2xx: status and the problem's detail. */
export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Listeners told about every answer's rate-limit headers and about refused tokens. */
const watchers = { limit: () => {}, unauthorized: () => {} };
export function onRateLimit(fn) { watchers.limit = fn; }
export function onUnauthorized(fn) { watchers.unauthorized = fn; }

function headers(extra = {}) {
  const t = token.get();
  const h = { Accept: 'application/json', ...extra };
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One request below /api/v1 (or an absolute path such as /metrics). A GET refused by the rate limit waits its
 * Retry-After (at most 10 s) and tries again, twice; other requests are never repeated.
 * Returns { status, headers, body } where body is parsed JSON or text.
 */
export async function request(method, path, body, { accept, raw } = {}) {
  const url = path.startsWith('/api/') || path.startsWith('/metrics') ? path : BASE + path;
  for (let attempt = 0; ; attempt += 1) {
    const init = {
      method,
      headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    };
    if (accept) init.headers.Accept = accept;
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(url, init);
    watchers.limit(res.headers.get('X-RateLimit-Remaining'), res.headers.get('X-RateLimit-Limit'), res.status);
    const text = await res.text();
    let parsed = text;
    if (!raw && (res.headers.get('Content-Type') || '').includes('json') && text) {
      try { parsed = JSON.parse(text); } catch { parsed = text; }
    }
    if (res.status === 429 && method === 'GET' && attempt < 2) {
      const wait = Math.min(10, Number(res.headers.get('Retry-After')) || 1);
      await sleep(wait * 1000);
      continue;
    }
    if (res.status === 401) watchers.unauthorized();
    if (!res.ok) {
      const detail = parsed && typeof parsed === 'object' ? (parsed.detail || parsed.message || parsed.title) : null;
      throw new ApiError(res.status, detail || `${method} ${url} answered ${res.status}`, parsed);
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body) => request('POST', path, body === undefined ? {} : body);

/**
 * Follows a Server-Sent Events stream until `signal` aborts it or it ends. Calls onEvent({event, data, id}) per
 * event (data parsed as JSON when it is JSON), onOpen() once the answer is 200. Throws ApiError for a refusal.
 */
export async function stream(path, { signal, onEvent, onOpen }) {
  const res = await fetch(BASE + path, {
    headers: headers({ Accept: 'text/event-stream' }),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
    signal,
  });
  watchers.limit(res.headers.get('X-RateLimit-Remaining'), res.headers.get('X-RateLimit-Limit'), res.status);
  if (!res.ok) {
    let detail = null;
    try { detail = (await res.json()).detail; } catch { /* no problem body */ }
    if (res.status === 401) watchers.unauthorized();
    throw new ApiError(res.status, detail || `${path} answered ${res.status}`);
  }
  if (onOpen) onOpen();
  const parser = new SseParser(onEvent);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.push(value);
  }
}

/** The Server-Sent Events wire format (HTML Living Standard, "Parsing an event stream"). */
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.reset();
  }

  reset() {
    this.event = '';
    this.data = [];
    this.id = null;
  }

  push(chunk) {
    this.buffer += chunk;
    // a \r at the very end may be the first half of \r\n: keep it until the next chunk says
    const held = this.buffer.endsWith('\r') ? '\r' : '';
    const lines = (held ? this.buffer.slice(0, -1) : this.buffer).split(/\r\n|\r|\n/);
    // the last piece is an unfinished line
    this.buffer = lines.pop() + held;
    for (const line of lines) this.line(line);
  }

  line(line) {
    if (line === '') {
      if (this.data.length > 0) {
        const text = this.data.join('\n');
        let data = text;
        try { data = JSON.parse(text); } catch { /* not JSON: the text */ }
        this.onEvent({ event: this.event || 'message', data, id: this.id });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
  }
}
