// The web console in a real browser (Debian's chromium, headless, through playwright-core) against a real Toka
// distribution: sign in with a pasted token; watch a tool dropped into deploy/ appear (its hostile description shown
// as text, a broken manifest listed); try the tool from its schema form; run an agent against a scripted model and
// watch its progress, pause and resume it; filter the events tail; and check that a viewer token is offered no
// control and gets 403 when it forges one. Started by run.sh, which unpacks the distribution.
//
//   node console.test.mjs --home DIR --port HTTP_PORT --chromium BINARY --out DIR

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startFakeLlm, API_KEY } from './fake-llm.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const home = args.home;
const base = `http://127.0.0.1:${args.port}`;
const shots = path.join(args.out, 'screenshots');
const TIMEOUT = 30000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
let current = '';

async function step(name, fn) {
  current = name;
  const t0 = Date.now();
  await fn();
  console.log(`  ok  ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

async function until(what, fn, timeoutMs = TIMEOUT) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(200);
  }
}

/** One REST call from the test itself (setup and checks), never through the page. */
async function rest(method, p, token, body, type = 'application/json') {
  const res = await fetch(base + p, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': type }) },
    body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}

async function mint(admin, subject, permissions) {
  const r = await rest('POST', '/api/v1/tokens', admin, { subject, permissions, ttlSeconds: 3600 });
  assert.equal(r.status, 201, `minting a token for ${subject}: ${r.text}`);
  return r.json.token;
}

function bin(name) {
  const r = spawnSync(path.join(home, 'bin', name), [], { cwd: home, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bin/${name} exited with ${r.status}: ${r.stdout}${r.stderr}`);
}

async function stopToka() {
  let pid = null;
  try {
    const m = /item\.0\.pid\s*=\s*(\d+)/.exec(fs.readFileSync(path.join(home, 'instances/instance.properties'), 'utf8'));
    if (m) pid = Number(m[1]);
  } catch { /* never started */ }
  try { bin('stop'); } catch { /* not running */ }
  if (pid) {
    await until('Toka to exit', () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 60000);
  }
}

const AGENT = 'console-demo';
const AGENT_YAML = `metadata:
  name: ${AGENT}
  version: v1.0.0
  workstream: Console
spec:
  name: ${AGENT} agent
  domain: documentation
  priority: high
capabilities:
  primary: [file-summarization]
objectives:
  - description: Show the console an agent at work
    deliverable: two tasks done
tasks:
  default:
    - description: Summarise the first half
      priority: high
    - description: Summarise the second half
      priority: high
dependencies:
  required: {}
security:
  sandbox: true
  capabilities_required: [filesystem:read]
  resource_limits:
    max_memory: 256MB
    max_cpu: 50%
    timeout: 2m
`;

const HOSTILE_DESCRIPTION = '<img src=x onerror="window.__pwned=1"> Greets <b>someone</b> by name';

function greetTool(dir) {
  const script = path.join(dir, 'greet.sh');
  fs.writeFileSync(script, `#!/bin/bash
# Greets someone.
name=nobody
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name="$2"; shift 2 ;;
    *) shift ;;
  esac
done
echo "Hello, $name!"
`, { mode: 0o755 });
  fs.chmodSync(script, 0o755);
  return `metadata:
  name: console-greet
  version: "1.0.0"
  category: demo
  description: ${JSON.stringify(HOSTILE_DESCRIPTION)}
spec:
  executable:
    type: shell
    path: ${script}
  capabilities:
    required: []
  security:
    level: low
    sandbox:
      memory_limit: 128MB
      timeout: 10s
      allow_network: false
  parameters:
    - name: name
      type: string
      description: ${JSON.stringify('who to greet <script>window.__pwned=2</script>')}
      required: true
interface:
  hot_swappable: true
  parallel_safe: true
`;
}

/** The operator-facing checks every page of the test must pass at its end. */
async function assertClean(page, token, requests, problems) {
  assert.deepEqual(problems, [], 'no script error and no policy violation in the page');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no server text ran as script');
  assert.equal(await page.locator('img').count(), 0, 'no server text became an element');
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
  assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie');
  assert.equal((await page.context().cookies()).length, 0, 'no cookie in the browser');
  const leaked = requests.filter((u) => u.includes(token));
  assert.deepEqual(leaked, [], 'the token is never in a URL');
}

function watchPage(page) {
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Trusted Type/i.test(m.text())) problems.push(m.text());
  });
  return { requests, problems };
}

async function signIn(page, token, subject) {
  await page.goto(`${base}/console/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${subject}`).waitFor();
}

async function open(page, section) {
  await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: section }).click();
}

const agentRow = (page) => page.locator('#agents-list tbody tr', { hasText: AGENT });
const agentState = async (page) => (await agentRow(page).locator('[data-state]').getAttribute('data-state').catch(() => null));

async function main() {
  const llm = await startFakeLlm();
  let browser;
  try {
    await step('start Toka with a scripted model', async () => {
      fs.appendFileSync(path.join(home, 'etc/io.toka.llm.cfg'),
        `\nprovider = openai\nbaseUrl = http://127.0.0.1:${llm.port}\napiKey = ${API_KEY}\nmodel = fake-model\n`);
      bin('start');
      await until('Toka to answer /api/v1/health', async () => {
        const r = await fetch(`${base}/api/v1/health`);
        return r.status === 200 && fs.existsSync(path.join(home, 'data/toka/admin.token'))
          && fs.readFileSync(path.join(home, 'data/toka/admin.token'), 'utf8').trim().length > 0;
      }, 150000);
    });

    const admin = fs.readFileSync(path.join(home, 'data/toka/admin.token'), 'utf8').trim();
    let operator;
    let viewer;
    let viewerJti;
    await step('set up: tokens, an agent, the console is served', async () => {
      await until('the agents API', async () => (await rest('GET', '/api/v1/agents', admin)).status === 200);
      await until('the console', async () => (await fetch(`${base}/console/`)).status === 200);
      operator = await mint(admin, 'operator', ['*']);
      viewer = await mint(admin, 'viewer', ['tool:read', 'agent:read', 'session:read', 'event:read',
        'execution:read', 'system:read']);
      viewerJti = (await rest('GET', '/api/v1/tokens/self', viewer)).json.jti;
      const defined = await rest('POST', '/api/v1/agents', admin, AGENT_YAML, 'application/yaml');
      assert.equal(defined.status, 201, defined.text);

      const page = await fetch(`${base}/console/`);
      const csp = page.headers.get('content-security-policy');
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /require-trusted-types-for 'script'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      const js = await fetch(`${base}/console/app.js`);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
      const bare = await fetch(`${base}/console`, { redirect: 'manual' });
      assert.equal(bare.status, 302);
      assert.equal((await fetch(`${base}/console/../api/v1/tools`)).status, 401, 'no way round the API token');
    });

    browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: ['--no-sandbox'] });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const seen = watchPage(page);

    await step('a bad token is refused, a good one signs in', async () => {
      await page.goto(`${base}/console/`);
      await page.getByLabel('API token').fill('not-a-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'refused' }).waitFor();
      await signIn(page, operator, 'operator');
      await page.locator('#live').getByText('Live').waitFor();
      await page.locator('#view-overview dd').filter({ hasText: 'UP' }).first().waitFor();
      await page.locator('#view-overview').getByText(/^Updated /).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem('toka.token')) !== null, true);
      await page.screenshot({ path: path.join(shots, '01-overview.png'), fullPage: true });
    });

    await step('a tool dropped into deploy/ appears by itself, its description as text', async () => {
      await open(page, 'Tools');
      await page.locator('#view-tools tbody tr').first().waitFor();
      assert.equal(await page.locator('#view-tools tbody tr', { hasText: 'console-greet' }).count(), 0);
      const scripts = path.join(home, 'console-scripts');
      fs.mkdirSync(scripts, { recursive: true, mode: 0o755 });
      fs.writeFileSync(path.join(home, 'deploy/console-greet.tool.yaml'), greetTool(scripts));
      fs.writeFileSync(path.join(home, 'deploy/console-broken.tool.yaml'),
        'metadata:\n  name: console-broken\n  version: "1.0.0"\n  description: broken\nspec:\n  executable: /nowhere/at/all.sh\n');
      const row = page.locator('#view-tools tbody tr', { hasText: 'console-greet' });
      await row.waitFor();
      assert.match(await row.innerText(), /1\.0\.0/);
      assert.match(await row.innerText(), /io\.toka\.tools-external|tools.external/i, 'the provider bundle is shown');
      assert.equal(await row.locator('.description').innerText(), HOSTILE_DESCRIPTION, 'shown as text, exactly');
      assert.equal(await row.locator('img, b').count(), 0, 'no markup from the description');
      await page.locator('#view-tools table', { hasText: 'console-broken.tool.yaml' }).waitFor();
      await page.screenshot({ path: path.join(shots, '02-tools-hot-deployed.png'), fullPage: true });
    });

    await step('"try it": a form from the JSON Schema calls the tool', async () => {
      await page.getByRole('button', { name: 'Try console-greet' }).click();
      const field = page.getByLabel('name (required)');
      await field.waitFor();
      assert.equal(await page.locator('#view-tools .try script').count(), 0);
      await page.getByRole('button', { name: 'Run console-greet' }).click();
      await page.locator('#view-tools .try').getByText('name: required').waitFor();
      await field.fill('Ada');
      await page.getByRole('button', { name: 'Run console-greet' }).click();
      await page.locator('#view-tools .try pre.output').filter({ hasText: 'Hello, Ada!' }).waitFor();
      await page.locator('#view-tools .try').getByText('success').waitFor();
      await page.screenshot({ path: path.join(shots, '03-try-it.png'), fullPage: true });
    });

    await step('run an agent against the scripted model and watch its progress', async () => {
      await open(page, 'Agents and sessions');
      await agentRow(page).waitFor();
      await page.getByRole('button', { name: `Run ${AGENT}` }).click();
      await llm.arrived(1);
      await until('the run to show as RUNNING in task 1 of 2', async () => (await agentState(page)) === 'RUNNING'
        && (await agentRow(page).innerText()).includes('task 1 of 2'));
      await page.getByRole('button', { name: `Pause ${AGENT}` }).click();
      await until('PAUSED', async () => (await agentState(page)) === 'PAUSED');
      await page.screenshot({ path: path.join(shots, '04-agent-paused.png'), fullPage: true });
      await page.getByRole('button', { name: `Resume ${AGENT}` }).click();
      await until('RUNNING again', async () => (await agentState(page)) === 'RUNNING');
      await page.screenshot({ path: path.join(shots, '05-agent-running.png'), fullPage: true });
      llm.releaseAll();
      await until('COMPLETED', async () => (await agentState(page)) === 'COMPLETED', 60000);
      const text = await agentRow(page).innerText();
      assert.match(text, /100%/);
      assert.match(text, /success/i);
      assert.ok(llm.requests >= 2, `one model turn per task at least, got ${llm.requests}`);
      await page.getByRole('button', { name: `Run ${AGENT}` }).waitFor();
      // a session of that agent shows up, and ends, without a reload
      const session = await rest('POST', '/api/v1/sessions', operator, { agents: [AGENT] });
      assert.equal(session.status, 201, session.text);
      const sessionRow = page.locator('#sessions-list tbody tr', { hasText: session.json.id });
      await sessionRow.waitFor();
      await until('the session to complete', async () => /COMPLETED/.test(await sessionRow.innerText()), 60000);
      assert.match(await sessionRow.innerText(), new RegExp(`${AGENT}: success`));
      await page.screenshot({ path: path.join(shots, '06-agent-completed.png'), fullPage: true });
    });

    await step('the events tail follows live and filters by kind, agent and subject', async () => {
      await open(page, 'Events');
      const rows = page.locator('#view-events tbody tr');
      await rows.first().waitFor();
      await page.getByLabel('Kind', { exact: true }).fill('tool.invoked');
      await page.getByLabel('Subject', { exact: true }).fill('operator');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.locator('#view-events tbody tr', { hasText: 'console-greet' }).first().waitFor();
      for (const row of await rows.all()) {
        const cells = await row.locator('td').allInnerTexts();
        assert.equal(cells[2], 'tool.invoked');
        assert.equal(cells[4], 'operator');
      }
      // a call made now arrives without a reload
      const call = await rest('POST', '/api/v1/tools/console-greet/invoke', operator, { arguments: { name: 'Live' } });
      assert.equal(call.status, 200, call.text);
      await until('the new call in the tail', async () => (await rows.count()) >= 2);
      await page.getByLabel('Kind', { exact: true }).fill('');
      await page.getByLabel('Subject', { exact: true }).fill('');
      await page.getByLabel('Agent', { exact: true }).fill(AGENT);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await until('the agent\'s events', async () => {
        const texts = await rows.allInnerTexts();
        return texts.length > 0 && !texts[0].includes('No events') && texts.every((t) => t.includes(AGENT));
      });
      await page.screenshot({ path: path.join(shots, '07-events.png'), fullPage: true });
    });

    await step('executions and engine queues update live', async () => {
      await open(page, 'Executions');
      await page.locator('#view-executions table', { hasText: 'javascript' }).first().waitFor();
      const ran = await rest('POST', '/api/v1/executions', operator, { language: 'javascript', code: '6 * 7' });
      assert.equal(ran.status, 200, ran.text);
      await page.locator('#view-executions tbody tr', { hasText: 'operator' }).first().waitFor();
      await page.screenshot({ path: path.join(shots, '08-executions.png'), fullPage: true });
    });

    await step('keyboard and labels', async () => {
      const tools = page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Tools' });
      await tools.focus();
      await page.keyboard.press('Enter');
      await until('focus on the Tools heading', () => page.evaluate(() => document.activeElement.id === 'tools-title'));
      assert.equal(await tools.getAttribute('aria-current'), 'page');
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
        .map((el) => el.outerHTML));
      assert.deepEqual(unlabelled, [], 'every control has a name');
      await assertClean(page, operator, seen.requests, seen.problems);
    });

    await step('a viewer is offered no control, and a forged one is refused', async () => {
      const vctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
      const vpage = await vctx.newPage();
      vpage.setDefaultTimeout(TIMEOUT);
      const vseen = watchPage(vpage);
      await signIn(vpage, viewer, 'viewer');
      await open(vpage, 'Agents and sessions');
      await agentRow(vpage).waitFor();
      await agentRow(vpage).locator('[data-state="COMPLETED"]').waitFor();
      assert.equal(await vpage.locator('#view-agents button').count(), 0, 'no agent controls');
      assert.equal(await vpage.getByRole('button', { name: /^(Run|Pause|Resume|Terminate) / }).count(), 0);
      await open(vpage, 'Tools');
      await vpage.locator('#view-tools tbody tr', { hasText: 'console-greet' }).waitFor();
      assert.equal(await vpage.getByRole('button', { name: /^Try / }).count(), 0, 'no "try it" without tool:invoke');
      await vpage.screenshot({ path: path.join(shots, '09-viewer-tools.png'), fullPage: true });
      const forged = await vpage.evaluate(async (agent) => {
        const auth = { Authorization: `Bearer ${sessionStorage.getItem('toka.token')}` };
        const run = await fetch(`/api/v1/agents/${agent}/run`, { method: 'POST', headers: auth });
        const call = await fetch('/api/v1/tools/console-greet/invoke', {
          method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"arguments":{"name":"x"}}',
        });
        return [run.status, call.status];
      }, AGENT);
      assert.deepEqual(forged, [403, 403], 'the server refuses what the console does not offer');
      await open(vpage, 'Agents and sessions');
      await vpage.screenshot({ path: path.join(shots, '10-viewer-agents.png'), fullPage: true });
      await assertClean(vpage, viewer, vseen.requests, vseen.problems);
      await vpage.getByRole('button', { name: 'Sign out' }).click();
      await vpage.getByLabel('API token').waitFor();
      assert.equal(await vpage.evaluate(() => sessionStorage.length), 0, 'signing out forgets the token');

      // a token revoked while the console is open: the live stream ends and the console signs out by itself
      await signIn(vpage, viewer, 'viewer');
      await vpage.locator('#live').getByText('Live').waitFor();
      const revoked = await rest('DELETE', `/api/v1/tokens/${viewerJti}`, admin);
      assert.ok([200, 204].includes(revoked.status), revoked.text);
      await vpage.getByRole('alert').filter({ hasText: /stopped working|refused/ }).waitFor();
      assert.equal(await vpage.evaluate(() => sessionStorage.length), 0, 'a dead token is forgotten');
      await vctx.close();
    });
  } catch (e) {
    console.error(`FAILED at "${current}": ${e.stack || e}`);
    if (browser) {
      for (const ctx of browser.contexts()) {
        for (const [i, p] of ctx.pages().entries()) {
          await p.screenshot({ path: path.join(shots, `failure-${i}.png`), fullPage: true }).catch(() => {});
        }
      }
    }
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopToka().catch((e) => console.error(`stopping Toka: ${e.message}`));
    await llm.close();
    console.log(`console browser test took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

await main();
