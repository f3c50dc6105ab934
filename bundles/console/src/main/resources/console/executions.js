// Executions: the engines with their queues (a request waits there while an engine is at its cap), and the latest
// executions, newest first, as the /watch stream sends them.

import { h, fill, table, badge, clip, time, duration } from './dom.js';

export class ExecutionsView {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.engines = h('div', { class: 'region' });
    this.list = h('div', { class: 'region' });
    fill(root,
      h('h2', { id: 'executions-title', tabindex: '-1' }, 'Executions'),
      h('h3', {}, 'Engines'), this.engines,
      h('h3', {}, 'Latest executions'), this.list);
  }

  update(data) {
    if (!data.available) {
      fill(this.engines, h('p', { class: 'empty' }, data.detail || 'Executions are not available.'));
      fill(this.list);
      return;
    }
    fill(this.engines, table('Engines and their queues', ['Language', 'Version', 'Running', 'Waiting in queue', 'At once'],
      (data.engines || []).map((e) => [e.language, e.version, String(e.running),
        e.queued > 0 ? badge(String(e.queued), 'warn') : '0', String(e.maxConcurrent)]),
      'No engines are installed.'));
    fill(this.list, table('Latest executions, newest first',
      ['Started', 'Subject', 'What', 'Result', 'Exit', 'Duration', 'Engine', 'Error'],
      (data.executions || []).map((x) => [
        time(x.startedAt),
        x.subject || '—',
        h('span', {}, `${x.model} `, h('code', {}, x.target || '')),
        x.success ? badge('success', 'ok') : badge('failed', 'bad'),
        x.exitCode === null || x.exitCode === undefined ? '—' : String(x.exitCode),
        duration(x.durationMs),
        x.engine || '—',
        x.error ? clip(x.error, 200) : '—',
      ]),
      'Nothing has been executed since Toka started.'));
  }
}
