// HTTP/1.1 protocol behaviour: health check, keep-alive, pipelining,
// Connection: close, HTTP/1.0, HEAD, chunked request bodies, default limits,
// and many requests over many connections.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  test,
  startServer,
  newUser,
  uniqueName,
  buildRequest,
  chunked,
  rawConnect,
  trickle,
  expectError,
  login,
  DEFAULT_PASSWORD,
} from './lib/server.mjs';

describe('http protocol', () => {
  let srv;
  let user;

  before(async () => {
    // Plenty of room for the failed logins this file does on purpose.
    srv = await startServer({ args: ['--login-max-failures-ip', '1000'] });
    user = await newUser(srv, 'http');
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  // Load balancers and humans probe /healthz: it must say ok in JSON.
  test('GET /healthz answers 200 {"status":"ok"}', async () => {
    const res = await srv.api('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /^application\/json\b/i);
    assert.equal(res.json?.status, 'ok', res.text);
  });

  // A client may reuse one connection for several requests (keep-alive).
  test('keep-alive: several requests on one connection', async () => {
    const conn = await rawConnect(srv.port);
    for (let i = 0; i < 3; i++) {
      const r = await conn.request(buildRequest('GET', '/healthz'));
      assert.equal(r.status, 200, `request ${i}`);
      assert.equal(r.json?.status, 'ok');
    }
    const ch = await conn.request(buildRequest('GET', `/api/channels/${user.username}`));
    assert.equal(ch.status, 200);
    assert.equal(ch.json.name, user.username);
    assert.equal(conn.closed, false, 'server must keep the connection open');
    conn.destroy();
  });

  // Pipelined requests (sent back to back in one write) are answered in order.
  test('pipelining: 3 requests in one write get 3 responses in order', async () => {
    const conn = await rawConnect(srv.port);
    const loginBody = JSON.stringify({ username: user.username, password: 'definitely wrong' });
    const batch = Buffer.concat([
      buildRequest('POST', '/api/auth/login', {
        headers: { 'Content-Type': 'application/json' },
        body: loginBody,
      }),
      buildRequest('GET', `/api/channels/${user.username}`),
      buildRequest('GET', '/api/definitely-not-a-route'),
    ]);
    conn.methods.push('POST', 'GET', 'GET');
    await conn.write(batch);
    const [r1, r2, r3] = await conn.waitResponses(3, { timeoutMs: 5000 });
    expectError(r1, 401, 'invalid_credentials', 'pipelined #1');
    assert.equal(r2.status, 200, 'pipelined #2');
    assert.equal(r2.json.name, user.username);
    expectError(r3, 404, 'not_found', 'pipelined #3');
    // ...and the connection is still usable afterwards.
    conn.consumed = 3;
    const r4 = await conn.request(buildRequest('GET', '/healthz'));
    assert.equal(r4.status, 200);
    conn.destroy();
  });

  // Pipelining where a later request arrives split across TCP segments.
  test('pipelining: a request split across writes after a complete one', async () => {
    const conn = await rawConnect(srv.port);
    const second = buildRequest('GET', `/api/channels/${user.username}`);
    conn.methods.push('GET', 'GET');
    await conn.write(Buffer.concat([buildRequest('GET', '/healthz'), second.subarray(0, 10)]));
    await new Promise((r) => setTimeout(r, 100));
    await conn.write(second.subarray(10));
    const [a, b] = await conn.waitResponses(2);
    assert.equal(a.status, 200);
    assert.equal(a.json?.status, 'ok');
    assert.equal(b.status, 200);
    assert.equal(b.json.name, user.username);
    conn.destroy();
  });

  // "Connection: close" means the server answers and then hangs up.
  test('Connection: close is honoured', async () => {
    const res = await srv.raw(buildRequest('GET', '/healthz', { headers: { Connection: 'close' } }), {
      timeoutMs: 3000,
    });
    assert.equal(res.responses.length, 1, res.text);
    assert.equal(res.responses[0].status, 200);
    assert.equal(res.closed, true, 'server should close the connection after the response');
  });

  // Old HTTP/1.0 clients (no Host, no keep-alive) still work.
  test('HTTP/1.0 request is answered and the connection closed', async () => {
    const res = await srv.raw(Buffer.from('GET /healthz HTTP/1.0\r\n\r\n'), { timeoutMs: 3000 });
    assert.equal(res.responses.length, 1, res.text);
    const r = res.responses[0];
    assert.match(r.version, /^1\.[01]$/);
    assert.equal(r.status, 200);
    assert.equal(r.json?.status, 'ok');
    assert.equal(res.closed, true, 'HTTP/1.0 without keep-alive: server closes');
  });

  // HEAD gives the same headers as GET (including Content-Length) and no body:
  // checked on one connection so stray body bytes would corrupt the next response.
  test('HEAD returns GET headers with no body', async () => {
    const get = await srv.api('GET', '/healthz');
    const conn = await rawConnect(srv.port);
    const head = await conn.request(buildRequest('HEAD', '/healthz'), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(get.body.length), 'HEAD Content-Length = GET body length');
    assert.match(head.headers.get('content-type') || '', /^application\/json\b/i);
    const next = await conn.request(buildRequest('GET', '/healthz'));
    assert.equal(next.status, 200, 'response after HEAD parses cleanly (HEAD sent no body)');
    assert.equal(next.json?.status, 'ok');
    conn.destroy();

    const viaFetch = await srv.api('HEAD', `/api/channels/${user.username}`);
    assert.equal(viaFetch.status, 200);
    assert.equal(viaFetch.text, '');
  });

  // Clients that stream their body (Transfer-Encoding: chunked) can sign up.
  test('chunked request body for signup works', async () => {
    const username = uniqueName('chunk');
    const json = JSON.stringify({ username, password: DEFAULT_PASSWORD });
    const parts = [json.slice(0, 5), json.slice(5, 17), json.slice(17)];
    const req = buildRequest('POST', '/api/auth/signup', {
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: chunked(parts),
    });
    const res = await srv.raw(req, { responses: 1, timeoutMs: 5000 });
    assert.equal(res.responses.length, 1, res.text);
    const r = res.responses[0];
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.user.username, username);
    await login(srv, username); // the account really exists
  });

  // A chunked body sent in separate TCP writes (chunk by chunk) is reassembled.
  test('chunked request body trickled chunk by chunk', async () => {
    const username = uniqueName('chunk2');
    const json = JSON.stringify({ username, password: DEFAULT_PASSWORD });
    const conn = await rawConnect(srv.port);
    conn.methods.push('POST');
    await conn.write(
      buildRequest('POST', '/api/auth/signup', {
        headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      }),
    );
    for (const piece of [json.slice(0, 3), json.slice(3, 20), json.slice(20)]) {
      await conn.write(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
      await new Promise((r) => setTimeout(r, 30));
    }
    await conn.write('0\r\n\r\n');
    const [r] = await conn.waitResponses(1);
    assert.equal(r.status, 201, r.text);
    conn.destroy();
  });

  // Default --max-header-bytes is 16384: a 10 KB cookie is fine, 40 KB is not.
  test('default header limit: 10 KB header accepted, 40 KB rejected with 431', async () => {
    const ok = await srv.raw(
      buildRequest('GET', '/healthz', { headers: { Cookie: `a=${'x'.repeat(10_000)}`, Connection: 'close' } }),
      { responses: 1 },
    );
    assert.equal(ok.responses[0]?.status, 200, ok.text.slice(0, 300));

    const conn = await rawConnect(srv.port);
    const big = buildRequest('GET', '/healthz', { headers: { Cookie: `a=${'x'.repeat(40_000)}` } });
    await trickle(conn, big, { piece: 2048 }); // stops once the server answers
    const [r] = await conn.waitResponses(1);
    expectError(r, 431, 'headers_too_large');
    conn.destroy();
    assert.equal((await srv.api('GET', '/healthz')).status, 200);
  });

  // Many clients at once: 1000 requests over 50 keep-alive connections all answered.
  test('1000 requests across 50 concurrent connections all answered', { timeout: 60_000 }, async () => {
    const CONNS = 50;
    const PER_CONN = 20;
    const conns = await Promise.all(Array.from({ length: CONNS }, () => rawConnect(srv.port)));
    let ok = 0;
    const failures = [];
    await Promise.all(
      conns.map(async (conn, ci) => {
        for (let i = 0; i < PER_CONN; i++) {
          const target = i % 2 === 0 ? '/healthz' : `/api/channels/${user.username}`;
          try {
            const r = await conn.request(buildRequest('GET', target), { timeoutMs: 20_000 });
            if (r.status === 200) ok++;
            else failures.push(`conn ${ci} req ${i}: ${r.status}`);
          } catch (e) {
            failures.push(`conn ${ci} req ${i}: ${e.message.slice(0, 200)}`);
            return;
          }
        }
      }),
    );
    for (const c of conns) c.destroy();
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failures`);
    assert.equal(ok, CONNS * PER_CONN);
    assert.equal((await srv.api('GET', '/healthz')).status, 200);
  });

  // The same, but everything pipelined: 10 connections x 20 requests in one write each.
  test('200 pipelined requests over 10 connections answered in order', { timeout: 30_000 }, async () => {
    const conns = await Promise.all(Array.from({ length: 10 }, () => rawConnect(srv.port)));
    await Promise.all(
      conns.map(async (conn) => {
        const reqs = [];
        for (let i = 0; i < 20; i++) {
          reqs.push(buildRequest('GET', i % 2 ? '/healthz' : '/api/nope-' + i));
          conn.methods.push('GET');
        }
        await conn.write(Buffer.concat(reqs));
        const rs = await conn.waitResponses(20, { timeoutMs: 20_000 });
        rs.forEach((r, i) => assert.equal(r.status, i % 2 ? 200 : 404, `response ${i} out of order`));
      }),
    );
    for (const c of conns) c.destroy();
  });
});
