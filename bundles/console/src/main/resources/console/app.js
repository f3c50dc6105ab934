// The console: sign in with a pasted token, learn what it may do (GET /api/v1/access), then follow /api/v1/watch
// (tools, agents, sessions, executions, each sent whole when it changes) and the event log. What the token may not
// do is not offered; the server refuses it anyway.

import * as api from './api.js';
import { h, fill } from './dom.js';
import { ToolsView, invokePermissions } from './tools.js';
import { AgentsView } from './agents.js';
import { EventsView } from './events.js';
import { ExecutionsView } from './executions.js';
import { OverviewView } from './overview.js';

const BASE_CHECKS = ['tool:read', 'agent:read', 'agent:run', 'session:read', 'session:run', 'event:read',
  'execution:read', 'system:read', 'metrics:read'];
const VIEWS = ['overview', 'tools', 'agents', 'events', 'executions'];
const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Console {
  constructor() {
    this.checks = new Map();
    this.controller = null;
    this.liveEl = $('live');
    this.overview = new OverviewView($('view-overview'), this);
    this.tools = new ToolsView($('view-tools'), this);
    this.agents = new AgentsView($('view-agents'), this);
    this.events = new EventsView($('view-events'), this);
    this.executions = new ExecutionsView($('view-executions'), this);
    api.onUnauthorized(() => this.signOut('The token was refused: it expired, was revoked or is not valid here.'));
    api.onRateLimit((remaining, limit, status) => {
      $('limit').textContent = status === 429 ? 'Rate limited: waiting'
        : remaining !== null ? `API requests left: ${remaining} of ${limit}` : '';
    });
    $('sign-in-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.signIn($('token').value.trim());
    });
    $('sign-out').addEventListener('click', () => this.signOut('Signed out.'));
    window.addEventListener('hashchange', () => this.show(true));
  }

  /** Whether the token holds the permission (unknown counts as no). */
  may(permission) {
    return this.checks.get(permission) === true;
  }

  mayAll(permissions) {
    return permissions.every((p) => this.may(p));
  }

  showing(view) {
    return this.current === view;
  }

  async boot() {
    const saved = api.token.get();
    if (saved) {
      await this.signIn(saved, true);
    } else {
      this.showSignIn();
    }
  }

  showSignIn(message) {
    $('sign-in').hidden = false;
    $('console').hidden = true;
    $('sign-out').hidden = true;
    $('who').hidden = true;
    fill(this.liveEl);
    fill($('sign-in-error'), message || '');
    $('token').value = '';
  }

  async signIn(candidate, restoring = false) {
    if (!candidate) {
      fill($('sign-in-error'), 'Paste a token first.');
      $('token').focus();
      return;
    }
    api.token.set(candidate);
    let access;
    try {
      access = (await this.ask(BASE_CHECKS)).body;
    } catch (e) {
      api.token.clear();
      const why = e.status === 401 ? 'That token was refused: it is expired, revoked or not a Toka token.'
        : `Toka could not be asked: ${e.message}`;
      this.showSignIn(restoring ? '' : why);
      if (!restoring) $('token').focus();
      return;
    }
    this.checks = new Map(Object.entries(access.checks));
    $('token').value = '';
    $('sign-in').hidden = true;
    $('console').hidden = false;
    $('sign-out').hidden = false;
    $('who').hidden = false;
    fill($('who'), 'Signed in as ', h('strong', {}, access.subject),
      access.expiresAt ? ` until ${new Date(access.expiresAt).toLocaleString()}` : '');
    this.controller = new AbortController();
    this.show(false);
    this.overview.start();
    this.events.start();
    this.watch(this.controller.signal);
  }

  ask(permissions) {
    const q = new URLSearchParams(permissions.map((p) => ['check', p]));
    return api.get(`/access?${q}`);
  }

  signOut(message) {
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.overview.stop();
    this.events.stop();
    api.token.clear();
    this.checks = new Map();
    this.showSignIn(message);
  }

  /** The token stopped working while a stream was open (revoked, expired). */
  tokenEnded() {
    this.signOut('The token stopped working (revoked or expired). Sign in again.');
  }

  show(moveFocus) {
    const wanted = (location.hash || '#overview').slice(1);
    this.current = VIEWS.includes(wanted) ? wanted : 'overview';
    for (const v of VIEWS) {
      $(`view-${v}`).hidden = v !== this.current;
      const link = document.querySelector(`nav a[href="#${v}"]`);
      if (v === this.current) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (moveFocus) $(`${this.current}-title`).focus();
  }

  /** Re-renders a region without losing the keyboard focus of a control that is drawn again (same data-key). */
  keepFocus(region, render) {
    const active = document.activeElement;
    const key = active && region.contains(active) ? active.getAttribute('data-key') : null;
    render();
    if (key) {
      const again = [...region.querySelectorAll('[data-key]')].find((el) => el.getAttribute('data-key') === key);
      if (again) again.focus();
    }
  }

  async watch(signal) {
    let delay = 1000;
    while (!signal.aborted) {
      try {
        await api.stream('/watch', {
          signal,
          onOpen: () => { delay = 1000; this.live('Live', 'ok'); },
          onEvent: (e) => this.receive(e),
        });
      } catch (e) {
        if (signal.aborted) return;
        if (e.status === 401) return;
        if (e.status === 403) {
          this.live('Not live: this token may read none of tools, agents, sessions or executions.', 'warn');
          return;
        }
      }
      if (signal.aborted) return;
      this.live('Reconnecting…', 'warn');
      await sleep(delay);
      delay = Math.min(delay * 2, 15000);
    }
  }

  live(text, kind) {
    fill(this.liveEl, h('span', { class: `badge ${kind}` }, text));
  }

  receive({ event, data }) {
    switch (event) {
      case 'watch':
        for (const refused of data.refused || []) this.notAllowed(refused);
        break;
      case 'error':
        this.tokenEnded();
        break;
      case 'tools':
        this.tools.update(data);
        if (data.available) this.learnToolChecks(data.tools || []);
        break;
      case 'agents':
        this.agents.updateAgents(data);
        break;
      case 'sessions':
        this.agents.updateSessions(data);
        break;
      case 'executions':
        this.executions.update(data);
        break;
      default:
        break;
    }
  }

  notAllowed(topic) {
    const note = { available: false, detail: `This token may not read ${topic}.` };
    if (topic === 'tools') this.tools.update(note);
    if (topic === 'agents') this.agents.updateAgents(note);
    if (topic === 'sessions') this.agents.updateSessions(note);
    if (topic === 'executions') this.executions.update(note);
  }

  /** Asks once for the permissions that calling the listed tools needs, so that "Try it" shows only where allowed. */
  async learnToolChecks(tools) {
    const unknown = [...new Set(tools.flatMap(invokePermissions))].filter((p) => !this.checks.has(p));
    for (let i = 0; i < unknown.length; i += 100) {
      try {
        const answer = (await this.ask(unknown.slice(i, i + 100))).body;
        for (const [p, ok] of Object.entries(answer.checks)) this.checks.set(p, ok);
      } catch {
        return;
      }
    }
    if (unknown.length) this.tools.render();
  }
}

new Console().boot();
