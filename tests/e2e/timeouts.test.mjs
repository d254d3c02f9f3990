// Connection timeouts: slow-loris clients are cut off after --header-timeout-ms
// while normal clients are served; idle keep-alive connections are closed after
// --idle-timeout-ms, active ones are not.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { test, startServer, rawConnect, buildRequest, sleep } from './lib/server.mjs';

/** Keeps sending one header byte every `everyMs` until the server closes the connection or `maxMs` passes. */
async function trickleHeaders(conn, { everyMs = 150, maxMs = 6000 } = {}) {
  const start = Date.now();
  await conn.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
  while (!conn.closed && Date.now() - start < maxMs) {
    await sleep(everyMs);
    if (conn.closed) break;
    try {
      await conn.write('a');
    } catch {
      break;
    }
  }
}

describe('slow-loris (--header-timeout-ms 1000)', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: ['--header-timeout-ms', '1000'] });
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  // A client that never finishes its headers is disconnected, even though it keeps sending
  // bytes, and meanwhile everybody else is served normally.
  test('trickling headers are cut off; normal clients still served', { timeout: 20_000 }, async () => {
    const slow = await Promise.all(Array.from({ length: 20 }, () => rawConnect(srv.port)));
    const startedAt = Date.now();
    const trickling = slow.map((c) => trickleHeaders(c));

    await sleep(400);
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const res = await srv.api('GET', '/healthz');
      assert.equal(res.status, 200);
      assert.ok(Date.now() - t0 < 1000, `normal request took ${Date.now() - t0} ms during the attack`);
      await sleep(100);
    }

    await Promise.all(trickling);
    for (const [i, c] of slow.entries()) {
      assert.equal(c.closed, true, `slow client ${i} still connected after 6 s`);
      const after = c.closedAt - startedAt;
      assert.ok(after >= 700, `slow client ${i} closed too early (${after} ms)`);
      assert.ok(after <= 3500, `slow client ${i} closed after ${after} ms (header timeout 1000 ms)`);
      const text = c.text();
      assert.ok(!/^HTTP\/1\.[01] 200/.test(text), 'an incomplete request must not be answered 200');
    }
    assert.equal((await srv.api('GET', '/healthz')).status, 200);
  });

  // A client whose headers arrive slowly but in time is served.
  test('headers completed within the timeout are served', async () => {
    const conn = await rawConnect(srv.port);
    const req = buildRequest('GET', '/healthz');
    conn.methods.push('GET');
    for (let i = 0; i < req.length; i += 8) {
      await conn.write(req.subarray(i, i + 8));
      await sleep(20);
    }
    const [r] = await conn.waitResponses(1);
    assert.equal(r.status, 200);
    conn.destroy();
  });
});

describe('idle keep-alive (--idle-timeout-ms 1000)', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: ['--idle-timeout-ms', '1000'] });
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  // An idle keep-alive connection is closed by the server after the idle timeout.
  test('idle connection closed after --idle-timeout-ms', async () => {
    const conn = await rawConnect(srv.port);
    const r = await conn.request(buildRequest('GET', '/healthz'));
    assert.equal(r.status, 200);
    const answeredAt = Date.now();
    await sleep(400);
    assert.equal(conn.closed, false, 'closed well before the idle timeout');
    assert.equal(await conn.waitClosed(4000), true, 'idle connection still open 4.4 s later');
    const after = conn.closedAt - answeredAt;
    assert.ok(after >= 700 && after <= 3500, `closed ${after} ms after going idle (idle timeout 1000 ms)`);
  });

  // A connection in active use is not cut off by the idle timer.
  test('active keep-alive connection stays open past the idle timeout', async () => {
    const conn = await rawConnect(srv.port);
    const start = Date.now();
    while (Date.now() - start < 2500) {
      const r = await conn.request(buildRequest('GET', '/healthz'));
      assert.equal(r.status, 200);
      await sleep(300);
    }
    assert.equal(conn.closed, false, 'active connection was closed');
    conn.destroy();
  });
});
