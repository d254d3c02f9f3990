// Smoke runs of onair-bench's chat scenarios against the test server: each
// a few seconds, asserting from the --json summary that every client
// joined and every message reached every receiver once (0 lost, 0
// duplicated), across reconnects too; of the donate scenario, whose
// balances must add up exactly; and of chat-seed + search, whose seeded
// marker words must be found exactly as often. The load tool lands next to the
// server binary (build/onair-bench), or ONAIR_BENCH names it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ONAIR_BIN, makeTempDir, removeDir, runOnairSync, startServer, test } from './lib/server.mjs';

const BENCH = process.env.ONAIR_BENCH
  ? path.resolve(process.env.ONAIR_BENCH)
  : path.join(path.dirname(ONAIR_BIN), 'onair-bench');

/** Runs onair-bench with args; resolves with the parsed JSON summary. */
function bench(args, { timeoutMs = 30_000 } = {}) {
  assert.ok(fs.existsSync(BENCH), `onair-bench not found at ${BENCH} (build it, or set ONAIR_BENCH)`);
  return new Promise((resolve, reject) => {
    const child = spawn(BENCH, [...args, '--json', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`onair-bench ${args[0]} exited code=${code} signal=${signal}\n${err}\n${out}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(new Error(`onair-bench ${args[0]}: no JSON summary (${e.message})\n${out}\n${err}`));
      }
    });
  });
}

const chatArgs = ['--chat-rate-count', '0'];
const url = (srv) => `ws://127.0.0.1:${srv.port}`;

function assertLossless(s) {
  const d = s.deliveries;
  assert.ok(s.messages.sent > 0, 'messages were sent');
  assert.ok(d.delivered > 0, 'messages were delivered');
  assert.equal(d.delivered, d.expected, `every receiver got every message: ${JSON.stringify(d)}`);
  assert.equal(d.lost, 0);
  assert.equal(d.duplicates, 0);
  assert.equal(d.out_of_order, 0);
  assert.equal(d.room_seq_gaps, 0, 'the room seqs each receiver saw are gapless');
  assert.equal(s.messages.acked, s.messages.sent, 'every send was acknowledged');
  assert.equal(s.unexpected_closes, 0, s.first_error);
  assert.ok(s.latency_ms.n > 0 && s.latency_ms.p50 >= 0, 'latency was measured');
  assert.ok(s.ack_ms.n > 0, 'send-to-ack latency was measured');
}

test('chat-connect holds every connection in two workers and reports RSS', { timeout: 30_000 }, async (t) => {
  const srv = await startServer({ t, args: chatArgs });
  const s = await bench([
    'chat-connect', '--url', url(srv), '--connections', '200', '--procs', '2', '--rooms', '2',
    '--source-addrs', '2', '--duration', '2', '--server-pid', String(srv.pid), '--prefix', 'conn',
  ]);
  assert.equal(s.scenario, 'chat-connect');
  assert.equal(s.connect.wanted, 200);
  assert.equal(s.connect.joined, 200, s.first_error);
  assert.equal(s.connect.failed, 0);
  assert.ok(s.connect.all_joined_s > 0);
  assert.equal(s.connect.connect_ms.n, 200);
  assert.ok(s.server.rss_kib_after > 0);
  assert.equal(typeof s.server.rss_bytes_per_connection, 'number');
  assert.ok(s.tool.user_s + s.tool.sys_s >= 0);
});

test('chat-fanout delivers every message to every subscriber once', { timeout: 30_000 }, async (t) => {
  const srv = await startServer({ t, args: chatArgs });
  const s = await bench([
    'chat-fanout', '--url', url(srv), '--rooms', '2', '--subscribers', '40', '--publishers', '2',
    '--msg-rate', '20', '--duration', '2', '--server-pid', String(srv.pid), '--prefix', 'fan',
  ]);
  assert.equal(s.scenario, 'chat-fanout');
  assert.equal(s.connect.joined, 2 * 42);
  assertLossless(s);
  // 2 rooms x 2 publishers x ~40 messages, each to the 42 members of its room.
  assert.equal(s.deliveries.expected, s.messages.sent * 42);
  assert.ok(s.server.cpu_s >= 0 && s.server.rss_kib > 0);
});

test('chat-recover: subscribers that drop and rejoin with since lose nothing', { timeout: 30_000 }, async (t) => {
  const srv = await startServer({ t, args: chatArgs });
  const s = await bench([
    'chat-recover', '--url', url(srv), '--subscribers', '30', '--publishers', '1', '--msg-rate', '50',
    '--duration', '3', '--drop-every', '0.5', '--down-ms', '100', '--prefix', 'rec',
  ]);
  assert.equal(s.scenario, 'chat-recover');
  assert.ok(s.recover.drops > 0, 'subscribers dropped');
  assert.equal(s.recover.rejoined, s.recover.drops, 'every dropped subscriber came back');
  assertLossless(s);
});

test('donate: a storm and an over-balance burst add up exactly, and the ledger checks', { timeout: 30_000 }, async (t) => {
  const srv = await startServer({ t });
  const base = `http://127.0.0.1:${srv.port}`;
  const s = await bench([
    'donate', '--url', base, '--users', '50', '--streamers', '2', '--donations', '500',
    '--concurrency', '50', '--server-pid', String(srv.pid), '--prefix', 'don',
  ]);
  assert.equal(s.scenario, 'donate');
  assert.equal(s.results.answered, 500, s.first_error);
  assert.equal(s.results.created, 500, JSON.stringify(s.results));
  assert.equal(s.results.unknown, 0);
  assert.equal(s.results.replayed, 0);
  assert.equal(s.totals.accounts_checked, 52);
  assert.equal(s.totals.accounts_wrong, 0, s.totals.first_wrong);
  assert.equal(s.totals.points_given, 500 * 100);
  assert.equal(s.totals.points_received, 500 * 100);
  assert.equal(s.totals.exact, true);
  assert.equal(s.latency_ms.n, 500);
  assert.ok(s.donations_per_s > 0);
  assert.ok(s.server.cpu_us_per_donation > 0 && s.server.rss_kib > 0);

  // 60 donations of 30 at once from 1,000 points: exactly 33 succeed.
  const o = await bench([
    'donate', '--url', base, '--over', '--donations', '60', '--amount', '30', '--charge', '1000',
    '--prefix', 'don',
  ]);
  assert.equal(o.mode, 'over');
  assert.deepEqual(o.results.by_status, { 201: 33, 409: 27 });
  assert.equal(o.totals.over.balance_before, 1000);
  assert.equal(o.totals.over.allowed, 33);
  assert.equal(o.totals.over.exact, true);
  assert.equal(o.totals.exact, true);

  const r = runOnairSync(['admin', 'check-ledger', '--data', srv.dataDir], { timeoutMs: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('search: on a seeded store every query class answers and every marker is found as seeded', { timeout: 60_000 }, async (t) => {
  const root = makeTempDir('onair-search-');
  t.after(() => removeDir(root));
  const data = path.join(root, 'data');
  const seed = await bench(['chat-seed', '--data', data, '--messages', '20000', '--rooms', '20', '--seed', '7']);
  assert.equal(seed.scenario, 'chat-seed');
  assert.equal(seed.messages, 20000);
  assert.ok(seed.big_room_messages > seed.small_room_messages && seed.small_room_messages > 0);
  assert.ok(fs.existsSync(path.join(data, 'bench-seed.json')));

  const srv = await startServer({ t, args: ['--data', data] });
  const s = await bench([
    'search', '--url', `http://127.0.0.1:${srv.port}`, '--mix', 'default',
    '--manifest', path.join(data, 'bench-seed.json'), '--concurrency', '2', '--duration', '2',
  ]);
  assert.equal(s.scenario, 'search');
  assert.equal(s.check.problems, 0, s.first_problem);
  assert.equal(s.errors, 0, s.first_problem);
  assert.equal(s.implausible, 0, s.first_problem);
  assert.deepEqual(s.status, { 200: s.requests });
  assert.ok(s.requests > s.queries, 'the timed run went round the mix');
  assert.equal(s.latency_ms.n, s.requests);
  for (const k of s.classes) assert.ok(k.requests > 0 && k.latency_ms.n === k.requests, k.class);

  // Marker words: found exactly as often as they were seeded, on the
  // first page, in all rooms and in the rooms they were put in.
  const found = (q, room = null) => s.check.counted.find((c) => c.q === q && (c.room ?? null) === room);
  for (const c of s.check.counted) assert.equal(c.found, c.seeded, JSON.stringify(c));
  assert.equal(found('뾰로롱').found, 12);
  assert.equal(found('뾰로').found, 12, 'a two-character query reaches old messages');
  assert.equal(found('XyloQuartz').found, 9, 'ASCII case-insensitive');
  assert.equal(found('뾰족산', seed.big_room).found, 7);
  assert.equal(found('뾰족섬', seed.small_room).found, 3);
  assert.equal(found('뾰족섬', seed.big_room).found, 0);
  assert.equal(found('없는말이야').found, 0);
});

// A search that would hold a database thread too long is stopped and says
// so; the same server answers ordinary searches and other requests meanwhile.
test('search: past its budget a search answers 422 query_too_broad', { timeout: 60_000 }, async (t) => {
  const root = makeTempDir('onair-search-budget-');
  t.after(() => removeDir(root));
  const data = path.join(root, 'data');
  await bench(['chat-seed', '--data', data, '--messages', '20000', '--rooms', '20', '--seed', '3']);
  const srv = await startServer({ t, args: ['--data', data, '--search-budget-ms', '1'] });
  // A two-character string in no message: the newest 10,000 are scanned, far over 1 ms.
  const slow = await srv.api('GET', `/api/search?q=${encodeURIComponent('zq')}`);
  assert.equal(slow.status, 422, slow.text);
  assert.equal(slow.json.error.code, 'query_too_broad');
  assert.equal((await srv.api('GET', '/healthz')).status, 200);
  const srv2 = await startServer({ t, args: ['--data', data] });
  await srv.stop();
  assert.equal((await srv2.api('GET', `/api/search?q=${encodeURIComponent('zq')}`)).status, 200);
});
