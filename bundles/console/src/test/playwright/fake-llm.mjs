// A scripted OpenAI-compatible Chat Completions endpoint on 127.0.0.1, for the agent the console test runs (the same
// protocol as itest's FakeLlmServlet). While `hold` is on, each request waits until release() is called, so that the
// test can look at a run in the middle of a model turn; afterwards requests are answered at once.

import http from 'node:http';

export const API_KEY = 'console-test-key';

/** The answer of every turn: a final text with the agent runtime's verdict block (hostile text in the summary). */
export const SUMMARY = '<img src=x onerror="window.__pwned=3"> summarised by the fake model';

function completion(n) {
  return {
    id: `chatcmpl-${n}`,
    object: 'chat.completion',
    model: 'fake-model',
    choices: [{
      index: 0,
      finish_reason: 'stop',
      message: {
        role: 'assistant',
        content: `Done.\n${JSON.stringify({ verdict: 'success', summary: SUMMARY })}`,
      },
    }],
    usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
  };
}

export async function startFakeLlm() {
  const held = [];
  const waiters = [];
  let hold = true;
  let count = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const ok = req.method === 'POST' && req.url.endsWith('/chat/completions')
        && req.headers.authorization === `Bearer ${API_KEY}`;
      if (!ok) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"error":{"message":"not here"}}');
        return;
      }
      count += 1;
      const n = count;
      const answer = () => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(completion(n)));
      };
      if (hold) held.push(answer);
      else answer();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    get requests() { return count; },
    get waiting() { return held.length; },
    /** Resolves once at least n requests have arrived. */
    async arrived(n, timeoutMs = 60000) {
      const deadline = Date.now() + timeoutMs;
      while (count < n) {
        if (Date.now() > deadline) throw new Error(`the fake model got ${count} requests, not ${n}, in ${timeoutMs} ms`);
        await new Promise((resolve) => { waiters.push(resolve); setTimeout(resolve, 500); });
      }
    },
    /** Answers the held requests and every later one at once. */
    releaseAll() {
      hold = false;
      for (const answer of held.splice(0)) answer();
    },
    close() {
      hold = false;
      for (const answer of held.splice(0)) answer();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
