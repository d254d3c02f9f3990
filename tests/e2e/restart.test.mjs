// Durability and shutdown: everything acknowledged survives SIGKILL + restart on
// the same data dir; SIGTERM drains in-flight requests and exits 0.

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  test,
  startServer,
  newUser,
  login,
  uniqueName,
  expectError,
  rawConnect,
  buildRequest,
  sleep,
  DEFAULT_PASSWORD,
} from './lib/server.mjs';

async function waitUntil(pred, timeoutMs, stepMs = 10) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pred()) return true;
    await sleep(stepMs);
  }
  return pred();
}

describe('restart and shutdown', () => {
  // After a crash (SIGKILL) and restart, every change the server acknowledged is still there.
  test('SIGKILL + restart keeps all acknowledged state', { timeout: 40_000 }, async (t) => {
    const srv = await startServer({ t });
    const u1 = await newUser(srv, 'dur1');
    const u2 = await newUser(srv, 'dur2');
    const u3 = await newUser(srv, 'dur3');

    const oldKey = (await srv.api('GET', '/api/me/stream-key', undefined, u1.access)).json.stream_key;
    const rot = await srv.api('POST', '/api/me/stream-key/rotate', undefined, u1.access);
    assert.equal(rot.status, 200, rot.text);
    const newKey = rot.json.stream_key;
    assert.notEqual(newKey, oldKey);
    const u2Key = (await srv.api('GET', '/api/me/stream-key', undefined, u2.access)).json.stream_key;

    const r1 = await srv.api('POST', '/api/auth/refresh', { refresh_token: u3.refresh });
    assert.equal(r1.status, 200, r1.text);
    const usedRefresh = u3.refresh;
    const liveRefresh = r1.json.refresh_token;

    const channelsBefore = (await srv.api('GET', '/api/channels')).json.channels.map((c) => c.name).sort();

    // The last acknowledged write happens right before the crash.
    const title = `after the crash ${Date.now()}`;
    const patch = await srv.api('PATCH', `/api/channels/${u2.username}`, { title }, u2.access);
    assert.equal(patch.status, 200, patch.text);

    const killed = await srv.kill9();
    assert.equal(killed.signal, 'SIGKILL');
    await srv.restart();

    for (const u of [u1, u2, u3]) await login(srv, u.username);
    const again = await srv.api('POST', '/api/auth/signup', { username: u1.username, password: DEFAULT_PASSWORD });
    expectError(again, 409, 'username_taken', 'usernames still taken after restart');

    const fresh1 = await login(srv, u1.username);
    const k1 = await srv.api('GET', '/api/me/stream-key', undefined, fresh1.access);
    assert.equal(k1.json.stream_key, newKey, 'rotated stream key survived');
    const fresh2 = await login(srv, u2.username);
    const k2 = await srv.api('GET', '/api/me/stream-key', undefined, fresh2.access);
    assert.equal(k2.json.stream_key, u2Key, 'untouched stream key unchanged');

    const ch = await srv.api('GET', `/api/channels/${u2.username}`);
    assert.equal(ch.json.title, title, 'title written just before the crash survived');

    const channelsAfter = (await srv.api('GET', '/api/channels')).json.channels.map((c) => c.name).sort();
    assert.deepEqual(channelsAfter, channelsBefore);

    // The refresh token handed out before the crash works; the one already used is still refused.
    const r2 = await srv.api('POST', '/api/auth/refresh', { refresh_token: liveRefresh });
    assert.equal(r2.status, 200, `unused refresh token survives restart: ${r2.text}`);
    const replay = await srv.api('POST', '/api/auth/refresh', { refresh_token: usedRefresh });
    expectError(replay, 401, 'token_reused', 'used refresh token is still known as used');
  });

  // Users stay logged in across a restart: access tokens issued before it still verify.
  test('access tokens issued before a restart still work', { timeout: 30_000 }, async (t) => {
    const srv = await startServer({ t });
    const u = await newUser(srv, 'tok');
    await srv.kill9();
    await srv.restart();
    const me = await srv.api('GET', '/api/me', undefined, u.access);
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.user.username, u.username);
  });

  // A crash in the middle of a burst of signups: every signup that got a 201 exists afterwards.
  test('SIGKILL during concurrent signups loses no acknowledged account', { timeout: 40_000 }, async (t) => {
    const srv = await startServer({ t });
    const names = Array.from({ length: 40 }, () => uniqueName('crash'));
    const acked = [];
    const jobs = names.map(async (username) => {
      try {
        const r = await srv.api('POST', '/api/auth/signup', { username, password: DEFAULT_PASSWORD });
        if (r.status === 201) acked.push(username);
      } catch {
        /* the server died under us: not acknowledged */
      }
    });
    await waitUntil(() => acked.length >= 10, 10_000);
    await srv.kill9();
    await Promise.all(jobs);
    assert.ok(acked.length >= 10, `only ${acked.length} signups acknowledged before the kill`);

    await srv.restart();
    for (const username of acked) {
      const r = await srv.api('POST', '/api/auth/login', { username, password: DEFAULT_PASSWORD });
      assert.equal(r.status, 200, `acknowledged user ${username} lost after crash: ${r.text}`);
    }
  });

  // SIGTERM: requests already in progress are answered, then the process exits 0 promptly,
  // even with idle keep-alive connections open; what they wrote is persisted.
  test('SIGTERM drains in-flight requests and exits 0', { timeout: 40_000 }, async (t) => {
    const srv = await startServer({ t });
    const idle = [];
    for (let i = 0; i < 3; i++) {
      const c = await rawConnect(srv.port);
      assert.equal((await c.request(buildRequest('GET', '/healthz'))).status, 200);
      idle.push(c);
    }

    // Request A: fully sent just before the signal (on a connection the server already accepted).
    const nameA = uniqueName('termA');
    const connA = await rawConnect(srv.port);
    assert.equal((await connA.request(buildRequest('GET', '/healthz'))).status, 200);
    const reqA = buildRequest('POST', '/api/auth/signup', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: nameA, password: DEFAULT_PASSWORD }),
    });

    // Request B: headers and half the body sent before the signal, the rest after.
    const nameB = uniqueName('termB');
    const bodyB = Buffer.from(JSON.stringify({ username: nameB, password: DEFAULT_PASSWORD }));
    const connB = await rawConnect(srv.port);
    await connB.write(
      Buffer.concat([
        buildRequest('POST', '/api/auth/signup', {
          headers: { 'Content-Type': 'application/json', 'Content-Length': String(bodyB.length) },
        }),
        bodyB.subarray(0, 10),
      ]),
    );
    await sleep(200);

    connA.methods.push('POST');
    await connA.write(reqA);
    await sleep(20);
    const signalledAt = Date.now();
    const exited = srv.stop('SIGTERM', { timeoutMs: 10_000 });
    await sleep(100);
    await connB.write(bodyB.subarray(10)).catch(() => {});

    const ra = (await connA.waitResponses(2, { timeoutMs: 5000 }))[1];
    assert.equal(ra.status, 201, `in-flight request A: ${ra.text}`);
    const [rb] = await connB.waitResponses(1, { timeoutMs: 5000 });
    assert.equal(rb.status, 201, `in-flight request B (body finished after SIGTERM): ${rb.text}`);

    const { code, signal } = await exited;
    const took = Date.now() - signalledAt;
    assert.equal(signal, null, `exited by signal ${signal} (graceful shutdown hung?)`);
    assert.equal(code, 0, 'exit code 0 after SIGTERM');
    assert.ok(took < 5000, `took ${took} ms to exit after SIGTERM`);
    for (const c of idle) assert.equal(await c.waitClosed(1000), true, 'idle keep-alive connection closed');

    await srv.restart();
    await login(srv, nameA);
    await login(srv, nameB);
  });
});
