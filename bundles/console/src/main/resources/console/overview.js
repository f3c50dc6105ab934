// The overview: health (details for system:read), the Kubernetes-style probes and the Prometheus metrics where this
// Toka has them, the agents' and LLM's status, and the event store. Refreshed every REFRESH_MS while shown.

import * as api from './api.js';
import { h, fill, table, badge, clip } from './dom.js';

const REFRESH_MS = 15000;

/** Parses the Prometheus text format (version 0.0.4) into families: {name, type, help, samples[{name, labels, value}]}. */
export function parsePrometheus(text) {
  const families = new Map();
  const family = (name) => {
    if (!families.has(name)) families.set(name, { name, type: 'untyped', help: '', samples: [] });
    return families.get(name);
  };
  const baseOf = (sample) => {
    for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created', '_max']) {
      if (sample.endsWith(suffix) && families.has(sample.slice(0, -suffix.length))) {
        return sample.slice(0, -suffix.length);
      }
    }
    return sample;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (m && m[1] === 'HELP') family(m[2]).help = m[3].replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      if (m && m[1] === 'TYPE') family(m[2]).type = m[3];
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let l;
    while ((l = re.exec(m[3] || '')) !== null) labels[l[1]] = l[2].replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    family(baseOf(m[1])).samples.push({ name: m[1], labels, value });
  }
  return [...families.values()];
}

function number(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString();
  return v.toLocaleString(undefined, { maximumFractionDigits: 3 });
}

/** One line per family: counters and gauges summed over their series, histograms and summaries as count and mean. */
function summarize(f) {
  const own = (suffix) => f.samples.filter((s) => s.name === f.name + suffix);
  if (f.type === 'histogram' || f.type === 'summary') {
    const count = own('_count').reduce((a, s) => a + s.value, 0);
    const sum = own('_sum').reduce((a, s) => a + s.value, 0);
    return count ? `${number(count)} observed, mean ${number(sum / count)}` : 'nothing observed';
  }
  const total = f.samples.filter((s) => !s.name.endsWith('_created')).reduce((a, s) => a + s.value, 0);
  return number(total);
}

function labelText(labels) {
  const parts = Object.entries(labels).filter(([k]) => k !== 'le' && k !== 'quantile').map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : '(no labels)';
}

const JVM = ['jvm_memory_used_bytes', 'jvm_threads_live_threads', 'process_cpu_usage', 'system_cpu_usage',
  'process_uptime_seconds', 'jvm_gc_pause_seconds'];

export class OverviewView {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.health = h('div', { class: 'card' });
    this.probes = h('div', { class: 'card' });
    this.status = h('div', { class: 'card' });
    this.store = h('div', { class: 'card' });
    this.metrics = h('div', { class: 'region' });
    this.stamp = h('p', { class: 'meta', role: 'status' });
    fill(root,
      h('h2', { id: 'overview-title', tabindex: '-1' }, 'Overview'),
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', on: { click: () => this.refresh() } },
        'Refresh now'), this.stamp),
      h('div', { class: 'cards' }, this.health, this.probes, this.status, this.store),
      h('h3', {}, 'Metrics'),
      this.metrics);
    this.timer = null;
  }

  start() {
    this.stop();
    this.refresh();
    this.timer = setInterval(() => {
      if (!document.hidden && this.app.showing('overview')) this.refresh();
    }, REFRESH_MS);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async refresh() {
    await Promise.all([this.loadHealth(), this.loadProbes(), this.loadStatus(), this.loadStore(), this.loadMetrics()]);
    fill(this.stamp, `Updated ${new Date().toLocaleTimeString()}`);
  }

  async loadHealth() {
    try {
      const b = (await api.get('/health')).body;
      const rows = [['Status', badge(b.status, b.status === 'UP' ? 'ok' : 'bad')]];
      if (b.version) rows.push(['Version', b.version]);
      if (b.uptimeSeconds !== undefined) rows.push(['Up for', `${Math.floor(b.uptimeSeconds / 60)} min ${b.uptimeSeconds % 60} s`]);
      if (b.tools !== undefined) rows.push(['Tools', String(b.tools)]);
      if (b.sandbox) {
        rows.push(['Sandbox', badge(b.sandbox.level, b.sandbox.level === 'NONE' ? 'warn' : 'ok')]);
        if (Array.isArray(b.sandbox.notes) && b.sandbox.notes.length) {
          rows.push(['Sandbox notes', h('ul', {}, b.sandbox.notes.map((n) => h('li', {}, clip(n, 300))))]);
        }
      }
      fill(this.health, h('h3', {}, 'Health'), definitions(rows),
        this.app.may('system:read') ? null : h('p', { class: 'hint' }, 'Details need system:read.'));
    } catch (e) {
      fill(this.health, h('h3', {}, 'Health'), h('p', { class: 'bad' }, `Unreachable: ${e.message}`));
    }
  }

  async loadProbes() {
    const rows = [];
    for (const probe of ['live', 'ready']) {
      try {
        const r = await api.get(`/health/${probe}`);
        rows.push([probe === 'live' ? 'Liveness' : 'Readiness', probeText(r.body, true)]);
      } catch (e) {
        if (e.status === 404) {
          rows.push([probe === 'live' ? 'Liveness' : 'Readiness', h('span', { class: 'muted' }, 'not served by this Toka')]);
        } else {
          rows.push([probe === 'live' ? 'Liveness' : 'Readiness', probeText(e.body, false, e)]);
        }
      }
    }
    fill(this.probes, h('h3', {}, 'Probes'), definitions(rows));
  }

  async loadStatus() {
    if (!this.app.may('agent:read')) {
      fill(this.status, h('h3', {}, 'Agents and LLM'), h('p', { class: 'hint' }, 'Needs agent:read.'));
      return;
    }
    try {
      const b = (await api.get('/status')).body;
      const rows = [['Agents', String(b.agents)], ['Running or paused', String(b.running)], ['Sessions', String(b.sessions)]];
      if (b.llm) rows.push(['LLM', `${b.llm.provider} ${b.llm.model}`]);
      if (b.usage && typeof b.usage === 'object') {
        for (const [k, v] of Object.entries(b.usage)) {
          if (typeof v === 'number' || typeof v === 'string') rows.push([k, String(v)]);
        }
      }
      fill(this.status, h('h3', {}, 'Agents and LLM'), definitions(rows));
    } catch (e) {
      fill(this.status, h('h3', {}, 'Agents and LLM'), h('p', { class: 'muted' }, e.message));
    }
  }

  async loadStore() {
    if (!this.app.may('event:read')) {
      fill(this.store, h('h3', {}, 'Event store'), h('p', { class: 'hint' }, 'Needs event:read.'));
      return;
    }
    try {
      const b = (await api.get('/events/store')).body;
      fill(this.store, h('h3', {}, 'Event store'), definitions([['Type', b.type], ['Events', number(b.count)],
        ['Last sequence', String(b.lastSeq)]]));
    } catch (e) {
      fill(this.store, h('h3', {}, 'Event store'), h('p', { class: 'bad' }, e.message));
    }
  }

  async loadMetrics() {
    let text;
    try {
      text = (await api.get('/metrics', { accept: 'text/plain', raw: true })).body;
    } catch (e) {
      const why = e.status === 404 ? 'This Toka serves no /metrics endpoint.'
        : e.status === 401 || e.status === 403 ? 'Reading metrics needs metrics:read.' : `Unreachable: ${e.message}`;
      fill(this.metrics, h('p', { class: 'muted' }, why));
      return;
    }
    const families = parsePrometheus(String(text)).filter((f) => f.name.startsWith('toka_') || JVM.includes(f.name));
    fill(this.metrics, table('Metrics (Toka and the JVM)', ['Metric', 'Type', 'Value', 'Series'],
      families.map((f) => [
        h('span', {}, h('code', {}, f.name), f.help ? h('span', { class: 'sub' }, f.help) : null),
        f.type,
        summarize(f),
        f.samples.length > 1
          ? h('details', {}, h('summary', {}, `${f.samples.length} series`),
            h('ul', { class: 'series' }, f.samples.slice(0, 50).map((s) => h('li', {},
              h('code', {}, s.name), ` ${labelText(s.labels)}: ${number(s.value)}`))))
          : '1 series',
      ]),
      'No Toka metrics yet.'));
  }
}

function definitions(rows) {
  return h('dl', {}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function probeText(body, ok, error) {
  const status = body && typeof body === 'object' && body.status ? String(body.status) : ok ? 'UP' : 'DOWN';
  const failing = [];
  if (body && typeof body === 'object') {
    for (const key of ['checks', 'failing', 'failed']) {
      const c = body[key];
      if (Array.isArray(c)) {
        c.forEach((x) => failing.push(typeof x === 'string' ? x : `${x.name || x.check || '?'}: ${x.status || ''} ${x.message || x.detail || ''}`.trim()));
      } else if (c && typeof c === 'object') {
        Object.entries(c).forEach(([k, v]) => failing.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`));
      }
    }
  }
  return h('span', {}, badge(status, ok ? 'ok' : 'bad'),
    !ok && error && !failing.length ? ` ${error.message}` : null,
    failing.length ? h('ul', {}, failing.map((f) => h('li', {}, clip(f, 200)))) : null);
}
