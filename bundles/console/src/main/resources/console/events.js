// The event log's live tail: /events/stream over fetch, starting a little before the newest event, with filters by
// kind and agent (applied by the server) and subject (applied here; the stream has no subject filter).

import * as api from './api.js';
import { h, fill, table, clip, time, uid } from './dom.js';

const KINDS = ['agent.spawned', 'agent.suspended', 'agent.resumed', 'agent.terminated', 'agent.run.started',
  'agent.run.paused', 'agent.run.continued', 'agent.run.recovered', 'agent.run.reminded', 'agent.run.ended',
  'task.scheduled', 'task.taken', 'task.completed', 'task.failed', 'task.timeout', 'tasks.dropped',
  'session.started', 'session.phase', 'session.ended', 'observation.emitted', 'tool.invoked', 'code.executed',
  'token.issued', 'token.revoked', 'key.rotated', 'audit.recorded', 'system.error'];
/** Events kept and shown. */
const KEEP = 300;
/** Stored events replayed when the tail starts. */
const BACKLOG = 100;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The subject of an event: its own, or its payload's. */
function subjectOf(e) {
  return e.subject || (e.payload && typeof e.payload === 'object' ? e.payload.subject : null) || null;
}

/** The payload, with an observation's base64 data shown as its text when it is UTF-8. */
function readable(e) {
  const p = e.payload;
  if (e.kind !== 'observation.emitted' || !p || typeof p.data !== 'string') return p;
  try {
    const bytes = Uint8Array.from(atob(p.data), (c) => c.charCodeAt(0));
    return { ...p, data: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return p;
  }
}

export class EventsView {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.events = [];
    this.lastSeq = null;
    this.controller = null;
    this.paused = false;
    const listId = uid('kinds');
    const kindId = uid('kind');
    const agentId = uid('agent');
    const subjectId = uid('subject');
    this.kind = h('input', { id: kindId, list: listId, autocomplete: 'off', spellcheck: 'false' });
    this.agent = h('input', { id: agentId, autocomplete: 'off', spellcheck: 'false' });
    this.subject = h('input', { id: subjectId, autocomplete: 'off', spellcheck: 'false' });
    this.state = h('p', { class: 'meta', role: 'status', 'aria-live': 'polite' });
    this.pauseButton = h('button', {
      type: 'button', class: 'secondary', 'aria-pressed': 'false',
      on: { click: () => this.togglePause() },
    }, 'Pause tail');
    this.tail = h('div', { class: 'region tail' });
    const form = h('form', {
      class: 'filters',
      'aria-label': 'Event filters',
      on: { submit: (ev) => { ev.preventDefault(); this.restart(); } },
    },
    h('datalist', { id: listId }, KINDS.map((k) => h('option', { value: k }))),
    h('div', { class: 'field' }, h('label', { for: kindId }, 'Kind'), this.kind),
    h('div', { class: 'field' }, h('label', { for: agentId }, 'Agent'), this.agent),
    h('div', { class: 'field' }, h('label', { for: subjectId }, 'Subject'), this.subject),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit' }, 'Apply filters'),
      h('button', { type: 'button', class: 'secondary', on: { click: () => this.clearFilters() } }, 'Clear filters'),
      this.pauseButton));
    fill(root, h('h2', { id: 'events-title', tabindex: '-1' }, 'Events'), form, this.state, this.tail);
    this.scheduled = false;
  }

  start() {
    if (!this.app.may('event:read')) {
      fill(this.state, 'This token may not read events (it needs event:read).');
      return;
    }
    this.restart();
  }

  stop() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  clearFilters() {
    this.kind.value = '';
    this.agent.value = '';
    this.subject.value = '';
    this.restart();
  }

  togglePause() {
    this.paused = !this.paused;
    this.pauseButton.setAttribute('aria-pressed', String(this.paused));
    this.pauseButton.textContent = this.paused ? 'Resume tail' : 'Pause tail';
    if (!this.paused) this.render();
  }

  filters() {
    return { kind: this.kind.value.trim(), agent: this.agent.value.trim(), subject: this.subject.value.trim() };
  }

  async restart() {
    this.stop();
    this.events = [];
    this.lastSeq = null;
    this.render();
    const controller = new AbortController();
    this.controller = controller;
    let after = 0;
    try {
      const store = await api.get('/events/store');
      after = Math.max(0, (store.body.lastSeq || 0) - BACKLOG);
    } catch (e) {
      if (controller.signal.aborted) return;
      fill(this.state, `The event store cannot be read: ${e.message}`);
    }
    this.follow(controller, after);
  }

  async follow(controller, firstAfter) {
    let delay = 1000;
    let after = firstAfter;
    const f = this.filters();
    while (!controller.signal.aborted) {
      const q = new URLSearchParams({ after: String(this.lastSeq ?? after) });
      if (f.kind) q.set('kind', f.kind);
      if (f.agent) q.set('agent', f.agent);
      try {
        await api.stream(`/events/stream?${q}`, {
          signal: controller.signal,
          onOpen: () => {
            delay = 1000;
            fill(this.state, 'Following the event log', this.describe(f), '.');
          },
          onEvent: (e) => this.receive(e, f),
        });
      } catch (e) {
        if (controller.signal.aborted) return;
        if (e.status === 401 || e.status === 403) {
          fill(this.state, `The event stream was refused: ${e.message}`);
          return;
        }
      }
      if (controller.signal.aborted) return;
      fill(this.state, 'The event stream dropped; reconnecting…');
      await sleep(delay);
      delay = Math.min(delay * 2, 15000);
      after = this.lastSeq ?? after;
    }
  }

  describe(f) {
    const parts = [];
    if (f.kind) parts.push(`kind ${f.kind}`);
    if (f.agent) parts.push(`agent ${f.agent}`);
    if (f.subject) parts.push(`subject ${f.subject}`);
    return parts.length ? ` (${parts.join(', ')})` : '';
  }

  receive(msg, f) {
    if (msg.event === 'error') {
      fill(this.state, `The event stream ended: ${msg.data && msg.data.error ? msg.data.error : 'error'}`);
      this.stop();
      this.app.tokenEnded();
      return;
    }
    const e = msg.data;
    if (!e || typeof e !== 'object' || e.seq === undefined) return;
    this.lastSeq = e.seq;
    if (f.subject && subjectOf(e) !== f.subject) return;
    if (f.kind && e.kind !== f.kind) return;
    if (f.agent && e.agent !== f.agent) return;
    this.events.push(e);
    if (this.events.length > KEEP) this.events.splice(0, this.events.length - KEEP);
    if (!this.paused && !this.scheduled) {
      this.scheduled = true;
      // many events in a burst: draw once per frame
      requestAnimationFrame(() => { this.scheduled = false; this.render(); });
    }
  }

  render() {
    const rows = [...this.events].reverse().map((e) => [
      String(e.seq),
      time(e.timestamp),
      h('code', {}, e.kind),
      e.agent || '—',
      subjectOf(e) || '—',
      h('code', { class: 'payload' }, clip(JSON.stringify(readable(e)), 240)),
    ]);
    fill(this.tail, table('Events, newest first', ['Seq', 'Time', 'Kind', 'Agent', 'Subject', 'Data'], rows,
      'No events match yet.'));
  }
}
