// Agents and sessions: each agent's latest run (state, progress, message, verdict) and the sessions. A token with
// agent:run gets run, pause, resume and terminate buttons; the server checks agent:run again on every press.

import * as api from './api.js';
import { h, fill, table, badge, clip, time, duration } from './dom.js';

const STATE_KIND = {
  READY: 'info', RUNNING: 'info', PAUSED: 'warn', COMPLETED: 'ok', FAILED: 'bad', TERMINATED: 'warn',
};

/** The controls that make sense for a run in this state. */
function actionsFor(state) {
  switch (state) {
    case 'RUNNING': return ['pause', 'terminate'];
    case 'PAUSED': return ['resume', 'terminate'];
    case 'READY': return ['terminate'];
    default: return ['run'];
  }
}

function progress(status, label) {
  if (!status) return '—';
  const pct = Math.round((Number(status.progress) || 0) * 100);
  const tasks = status.totalTasks ? `task ${status.currentTask} of ${status.totalTasks}` : '';
  return h('div', { class: 'progress' },
    h('progress', { max: '100', value: String(pct), 'aria-label': `${label} progress` }),
    h('span', { class: 'pct' }, `${pct}%`), tasks ? h('span', { class: 'sub' }, tasks) : null);
}

function verdict(v) {
  if (!v) return '—';
  const kind = /success/i.test(v) ? 'ok' : /fail|error/i.test(v) ? 'bad' : 'info';
  return badge(v, kind);
}

export class AgentsView {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.agentsEl = h('div', { class: 'region', id: 'agents-list' });
    this.sessionsEl = h('div', { class: 'region', id: 'sessions-list' });
    this.feedback = h('p', { class: 'feedback', role: 'status', 'aria-live': 'polite' });
    fill(root,
      h('h2', { id: 'agents-title', tabindex: '-1' }, 'Agents'),
      this.feedback,
      this.agentsEl,
      h('h3', {}, 'Sessions'),
      this.sessionsEl);
    this.agents = null;
    this.pending = new Set();
  }

  updateAgents(data) {
    this.agents = data;
    this.renderAgents();
  }

  renderAgents() {
    const data = this.agents;
    if (!data) return;
    if (!data.available) {
      fill(this.agentsEl, h('p', { class: 'empty' }, data.detail || 'Agents are not available.'));
      return;
    }
    const mayRun = this.app.may('agent:run');
    const headers = ['Agent', 'State', 'Progress', 'Message', 'Verdict', 'Model queue wait', 'Started', 'Finished'];
    if (mayRun) headers.push('Actions');
    this.app.keepFocus(this.agentsEl, () => fill(this.agentsEl, table('Agents and their latest runs', headers,
      data.agents.map((a) => {
        const s = a.status;
        const state = s ? s.state : null;
        const row = [
          h('span', {}, h('strong', {}, a.name), h('span', { class: 'sub' }, `${a.version || ''} ${a.domain || ''}`.trim())),
          state ? h('span', { 'data-state': state }, badge(state, STATE_KIND[state] || 'info')) : badge('never run', 'info'),
          progress(s, a.name),
          s ? clip(s.message, 160) : '—',
          verdict(s && s.verdict),
          s && typeof s.queueWaitMs === 'number' ? duration(s.queueWaitMs) : '—',
          s ? time(s.startedAt) : '—',
          s ? time(s.finishedAt) : '—',
        ];
        if (mayRun) {
          row.push(h('div', { class: 'buttons' }, actionsFor(state).map((action) => h('button', {
            type: 'button',
            class: action === 'terminate' ? 'danger' : null,
            'data-key': `${action}:${a.name}`,
            'aria-label': `${action[0].toUpperCase()}${action.slice(1)} ${a.name}`,
            disabled: this.pending.has(a.name),
            on: { click: () => this.control(a.name, action) },
          }, action[0].toUpperCase() + action.slice(1)))));
        }
        return row;
      }),
      'No agents are defined. Put agent YAML in etc/toka/agents/ or deploy/, or POST it to /api/v1/agents.')));
  }

  async control(name, action) {
    this.pending.add(name);
    this.renderAgents();
    try {
      await api.post(`/agents/${encodeURIComponent(name)}/${action}`);
      fill(this.feedback, `${action} ${name}: done`);
    } catch (e) {
      fill(this.feedback, h('span', { class: 'bad' }, `${action} ${name} refused (${e.status || 'network'}): ${e.message}`));
    } finally {
      this.pending.delete(name);
      this.renderAgents();
    }
  }

  updateSessions(data) {
    if (!data.available) {
      fill(this.sessionsEl, h('p', { class: 'empty' }, data.detail || 'Sessions are not available.'));
      return;
    }
    const sessions = [...(data.sessions || [])].reverse();
    fill(this.sessionsEl, table('Sessions, newest first', ['Session', 'Phase', 'Progress', 'Agents', 'Verdicts',
      'Started', 'Finished', 'Error'],
    sessions.map((s) => [
      h('code', {}, s.id),
      badge(s.phase, s.phase === 'COMPLETED' ? 'ok' : s.phase === 'FAILED' ? 'bad' : 'info'),
      progress({ progress: s.progress }, `session ${s.id}`),
      (s.agents || []).join(', '),
      (s.summary || []).map((a) => h('div', {}, `${a.agent}: `, verdict(a.verdict || a.state))),
      time(s.startedAt),
      time(s.finishedAt),
      s.error ? clip(s.error, 200) : '—',
    ]),
    'No sessions yet.'));
  }
}
