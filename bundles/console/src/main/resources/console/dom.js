// Building the page from data the server sends. Tool names, descriptions, schemas and event payloads are written by
// whoever deploys a tool or runs an agent: they only ever become text nodes and attribute values here, never markup.
// The page's Content Security Policy requires Trusted Types, so an HTML sink given a string would throw anyway.

/**
 * Makes an element. attrs: plain attributes, plus `on` ({event: handler}), `text` (text content) and boolean
 * properties (hidden, disabled, checked, required) set as properties. Children may be nodes, strings (made text
 * nodes), numbers, null or arrays of these.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (['hidden', 'disabled', 'checked', 'required', 'selected', 'open'].includes(key)) {
      el[key] = Boolean(value);
    } else if (key === 'value') {
      el.value = String(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table with a caption, column headers and rows of cells (each cell: node, text or array). */
export function table(caption, headers, rows, empty = 'Nothing yet.') {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))));
}

/** A time as the operator's local time, with the ISO text as a machine-readable attribute. */
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleTimeString());
}

/** A number of milliseconds, readable. */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

/** Text cut to a length, the whole of it in a title. */
export function clip(text, max = 200) {
  const s = text === null || text === undefined ? '' : String(text);
  if (s.length <= max) return s;
  return h('span', { title: s }, s.slice(0, max) + '…');
}

/** A small status badge; kind picks its colour (ok, warn, bad, info). */
export function badge(text, kind = 'info') {
  return h('span', { class: `badge ${kind}` }, text);
}

/** A fresh element id: ids are made here, never from server text. */
let ids = 0;
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}
