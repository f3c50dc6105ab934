// Tools: what is registered (version, provider bundle, what it shadows), the manifests that failed to load, and a
// "try it" form per tool for a token that may call it.

import * as api from './api.js';
import { h, fill, table, badge, clip, time, duration } from './dom.js';
import { schemaForm, FormError } from './schema-form.js';

/** The permissions a call of the tool needs: its own invoke permission and what the tool declares. */
export function invokePermissions(tool) {
  return [`tool:invoke:${tool.name}`, ...(Array.isArray(tool.requiredPermissions) ? tool.requiredPermissions : [])];
}

function provider(p) {
  if (!p) return '—';
  return `${p.bundle} ${p.bundleVersion} (service ${p.serviceId}${p.ranking ? `, ranking ${p.ranking}` : ''})`;
}

function hints(t) {
  const out = [];
  if (t.hints && t.hints.readOnly) out.push(badge('read-only', 'ok'));
  if (t.hints && t.hints.destructive) out.push(badge('destructive', 'bad'));
  if (t.hints && t.hints.openWorld) out.push(badge('open world', 'warn'));
  return out.length ? out : '—';
}

export class ToolsView {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.list = h('div', { class: 'region' });
    this.errors = h('div', { class: 'region' });
    this.tryPanel = h('section', { class: 'try', hidden: true, 'aria-labelledby': 'try-title' });
    this.count = h('p', { class: 'meta', role: 'status' });
    fill(root,
      h('h2', { id: 'tools-title', tabindex: '-1' }, 'Tools'),
      this.count,
      this.list,
      this.tryPanel,
      h('h3', {}, 'Manifest errors'),
      this.errors);
    this.tools = [];
    this.trying = null;
  }

  update(data) {
    if (!data.available) {
      fill(this.list, h('p', { class: 'empty' }, data.detail || 'Tools are not available.'));
      return;
    }
    this.tools = data.tools || [];
    const errors = data.errors || [];
    fill(this.count, `${this.tools.length} tool${this.tools.length === 1 ? '' : 's'}`,
      errors.length ? `, ${errors.length} manifest problem${errors.length === 1 ? '' : 's'}` : '');
    this.render();
    this.app.keepFocus(this.errors, () => fill(this.errors, table('Manifests that failed to load',
      ['File', 'Field', 'Problem', 'Seen'],
      errors.map((e) => [h('code', {}, e.file), e.field ? h('code', {}, e.field) : '—', clip(e.problem, 400), time(e.at)]),
      'Every manifest loaded.')));
    if (this.trying && !this.tools.some((t) => t.name === this.trying)) {
      fill(this.tryResult || this.tryPanel, h('p', { class: 'bad' }, `The tool ${this.trying} is gone.`));
    }
  }

  /** Called again when the caller's permissions become known, so that "Try it" appears only where allowed. */
  render() {
    this.app.keepFocus(this.list, () => fill(this.list, table('Registered tools',
      ['Tool', 'Version', 'Provider', 'Shadowed', 'Hints', 'Description', 'Actions'],
      this.tools.map((t) => [
        h('span', {}, h('strong', { class: 'tool-name' }, t.name), t.title ? h('span', { class: 'sub' }, t.title) : null),
        t.version,
        provider(t.provider),
        t.shadowed && t.shadowed.length ? t.shadowed.map((p) => h('div', {}, provider(p))) : '—',
        hints(t),
        h('span', { class: 'description' }, clip(t.description, 300)),
        this.app.mayAll(invokePermissions(t))
          ? h('button', {
            type: 'button',
            'data-key': `try:${t.name}`,
            'aria-label': `Try ${t.name}`,
            on: { click: () => this.openTry(t.name) },
          }, 'Try it')
          : null,
      ]),
      'No tools are registered.')));
  }

  openTry(name) {
    const tool = this.tools.find((t) => t.name === name);
    if (!tool) return;
    this.trying = name;
    const form = schemaForm(tool.inputSchema);
    const result = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
    this.tryResult = result;
    const run = h('button', { type: 'submit' }, `Run ${tool.name}`);
    const el = h('form', {
      novalidate: true,
      on: {
        submit: (ev) => {
          ev.preventDefault();
          this.run(tool, form, result, run);
        },
      },
    }, form.element, h('div', { class: 'buttons' }, run,
      h('button', { type: 'button', class: 'secondary', on: { click: () => this.closeTry() } }, 'Close')));
    fill(this.tryPanel,
      h('h3', { id: 'try-title', tabindex: '-1' }, `Try ${tool.name} ${tool.version}`),
      tool.description ? h('p', { class: 'description' }, tool.description) : null,
      el, result);
    this.tryPanel.hidden = false;
    this.tryPanel.querySelector('h3').focus();
  }

  closeTry() {
    const name = this.trying;
    this.trying = null;
    this.tryPanel.hidden = true;
    fill(this.tryPanel);
    const back = this.list.querySelector(`[data-key="try:${CSS.escape(name || '')}"]`);
    if (back) back.focus();
  }

  async run(tool, form, result, button) {
    let args;
    try {
      args = form.read();
    } catch (e) {
      if (e instanceof FormError) {
        fill(result, h('p', { class: 'bad' }, e.message));
        return;
      }
      throw e;
    }
    button.disabled = true;
    fill(result, h('p', {}, `Running ${tool.name}…`));
    try {
      const r = await api.post(`/tools/${encodeURIComponent(tool.name)}/invoke`, { arguments: args });
      const b = r.body;
      fill(result,
        h('p', {}, b.success ? badge('success', 'ok') : badge('failed', 'bad'), ` in ${duration(b.durationMs)}`,
          b.toolVersion ? ` (version ${b.toolVersion})` : ''),
        h('pre', { class: 'output' }, b.output === null || b.output === undefined ? '' : String(b.output)),
        b.structured ? h('details', {}, h('summary', {}, 'Structured result'),
          h('pre', {}, JSON.stringify(b.structured, null, 2))) : null);
    } catch (e) {
      fill(result, h('p', { class: 'bad' }, `Refused (${e.status || 'network'}): ${e.message}`));
    } finally {
      button.disabled = false;
    }
  }
}
