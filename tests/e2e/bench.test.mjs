// Smoke runs of onair-bench's video scenarios against the test server (a
// few seconds each): publish goes live and sends real media, hls-view and
// video fetch every part of a live stream without an error and measure the
// live edge. Smoke runs of its chat scenarios: each
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
import { FFMPEG, runAsync, startPublisher, waitFor } from './lib/media.mjs';
import { ONAIR_BIN, makeTempDir, newUser, removeDir, runOnairSync, startServer, test } from './lib/server.mjs';

const BENCH = process.env.ONAIR_BENCH
  ? path.resolve(process.env.ONAIR_BENCH)
  : path.join(path.dirname(ONAIR_BIN), 'onair-bench');

/** Runs onair-bench with args; resolves with the parsed JSON summary. */
function bench(args, { timeoutMs = 30_000 } = {}) {
  return benchRun(args, { timeoutMs }).done;
}

/** Like bench(), but returns {done} at once so the test can watch the server meanwhile. */
function benchRun(args, { timeoutMs = 30_000 } = {}) {
  assert.ok(fs.existsSync(BENCH), `onair-bench not found at ${BENCH} (build it, or set ONAIR_BENCH)`);
  const done = new Promise((resolve, reject) => {
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
  return { done };
}

// ---- video: publish, hls-view, video ----

// One small clip for the whole file, made as bench/video.sh makes its own
// (ffmpeg, H.264 with B-frames + AAC in FLV), at 320x180 for 2 s with 1 s
// key frames: publishers loop it at real-time pace.
let clipPromise = null;
function clip() {
  clipPromise ??= (async () => {
    const dir = makeTempDir('onair-bench-clip-');
    process.on('exit', () => removeDir(dir));
    const file = path.join(dir, 'clip.flv');
    const r = await runAsync(FFMPEG, [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '2', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '30', '-keyint_min', '30',
      '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-b:v', '300k', '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', file,
    ]);
    assert.equal(r.status, 0, `ffmpeg made no clip: ${r.stderr}`);
    return file;
  })();
  return clipPromise;
}

/** n streamers on srv and a keys file of "KEY CHANNEL" lines for them. */
async function streamKeys(srv, n, dir) {
  const users = [];
  for (let i = 0; i < n; i++) {
    const u = await newUser(srv, 'cam');
    u.key = (await srv.api('GET', '/api/me/stream-key', undefined, u.access)).json.stream_key;
    users.push(u);
  }
  const file = path.join(dir, 'keys.txt');
  fs.writeFileSync(file, users.map((u) => `${u.key} ${u.username}\n`).join(''));
  return { users, file };
}

const liveChannels = async (srv) =>
  new Set((await srv.api('GET', '/api/channels')).json.channels.filter((c) => c.live).map((c) => c.name));

function assertPublished(p, n) {
  assert.equal(p.streams, n);
  assert.equal(p.live_until_end, n, JSON.stringify(p.per_stream));
  assert.equal(p.refused, 0);
  assert.equal(p.disconnected, 0);
  assert.equal(p.dropped_frames, 0);
  assert.ok(p.publish_start_ms.n === n && p.publish_start_ms.p50 > 0, 'Publish.Start was timed');
  for (const s of p.per_stream) {
    assert.equal(s.state, 'live', JSON.stringify(s));
    // 30 fps of a clip of 100-odd KB per second, for a few seconds.
    assert.ok(s.video_frames >= 30 && s.bytes_sent > 20_000, JSON.stringify(s));
  }
  assert.ok(p.bytes_sent > 0 && p.video_frames >= 30 * n);
}

function assertViewed(h, viewers) {
  assert.equal(h.viewers, viewers);
  assert.ok(h.parts > 0, 'parts were fetched');
  assert.ok(h.playlist_requests >= h.parts / 10);
  assert.ok(h.media_bytes > 0);
  assert.equal(h.errors, 0);
  assert.equal(h.lost, 0);
  assert.equal(h.all_advancing, true, JSON.stringify(h.per_channel));
  // The live edge by EXT-X-PROGRAM-DATE-TIME: a figure, and a sane one (a
  // part or two behind at most on a quiet server, never seconds).
  assert.ok(h.pdt_edge_ms.n > 0, 'a live-edge delay was measured');
  assert.ok(h.pdt_edge_ms.p50 > -1000 && h.pdt_edge_ms.p50 < 3000, JSON.stringify(h.pdt_edge_ms));
}

test('publish: 2 streams go live from the clip and send media without errors', { timeout: 30_000 }, async (t) => {
  const [srv, flv] = await Promise.all([startServer({ t }), clip()]);
  const dir = makeTempDir('onair-bench-pub-');
  t.after(() => removeDir(dir));
  const { users, file } = await streamKeys(srv, 2, dir);
  const run = benchRun([
    'publish', '--url', `rtmp://127.0.0.1:${srv.rtmpPort}/live`, '--keys', file, '--streams', '2',
    '--flv', flv, '--duration', '4', '--ramp', '0.5',
  ]);
  // While the tool publishes, the server lists both channels as live.
  const names = users.map((u) => u.username);
  const live = await waitFor(async () => {
    const l = await liveChannels(srv);
    return names.every((n) => l.has(n)) && l;
  }, 4_000);
  assert.ok(live, 'both channels went live');
  const s = await run.done;
  assert.equal(s.scenario, 'publish');
  assertPublished(s.publish, 2);
  assert.deepEqual(s.publish.per_stream.map((x) => x.channel), names);
  assert.equal(s.hls, undefined);
});

test('hls-view: viewers of an ffmpeg stream fetch every part, with no errors, at the live edge', { timeout: 30_000 }, async (t) => {
  const srv = await startServer({ t });
  const user = await newUser(srv, 'cam');
  const key = (await srv.api('GET', '/api/me/stream-key', undefined, user.access)).json.stream_key;
  const pub = startPublisher(srv, key, { size: '320x180', seconds: 30, t });
  const playlist = await waitFor(async () => {
    const r = await srv.api('GET', `/hls/${user.username}/src/index.m3u8`);
    return r.status === 200 && r.text.includes('#EXT-X-PART:');
  }, 10_000, 200);
  assert.ok(playlist, `the stream never went live; ffmpeg said: ${pub.stderr()}`);
  const s = await bench([
    'hls-view', '--url', `http://127.0.0.1:${srv.port}/hls`, '--channels', user.username,
    '--viewers', '2', '--duration', '3', '--ramp', '0',
  ]);
  assert.equal(s.scenario, 'hls-view');
  assert.equal(s.publish, undefined);
  assert.equal(s.hls.mode, 'll');
  assertViewed(s.hls, 2);
  // 3 s of parts of ~1/3 s each for 2 viewers.
  assert.ok(s.hls.parts >= 2 * 4, `parts: ${s.hls.parts}`);
  assert.ok(s.hls.first_playable_ms.n === 1);
});

test('video: the tool publishes 2 streams and its viewers follow them at the live edge', { timeout: 30_000 }, async (t) => {
  const [srv, flv] = await Promise.all([startServer({ t }), clip()]);
  const dir = makeTempDir('onair-bench-video-');
  t.after(() => removeDir(dir));
  const { file } = await streamKeys(srv, 2, dir);
  const s = await bench([
    'video', '--rtmp', `rtmp://127.0.0.1:${srv.rtmpPort}/live`, '--hls', `http://127.0.0.1:${srv.port}/hls`,
    '--keys', file, '--streams', '2', '--viewers-per-stream', '2', '--flv', flv, '--duration', '5',
    '--ramp', '0.5',
  ]);
  assert.equal(s.scenario, 'video');
  assertPublished(s.publish, 2);
  assertViewed(s.hls, 4);
  // Sharing the publisher's clock adds the exact live-edge delay (media
  // sent -> playlist listing it) and the time to the first playable playlist.
  assert.ok(s.hls.edge_delay_ms.n > 0, 'live-edge delay measured against the publisher');
  assert.ok(s.hls.edge_delay_ms.p50 >= 0 && s.hls.edge_delay_ms.p50 < 3000, JSON.stringify(s.hls.edge_delay_ms));
  assert.equal(s.hls.first_playable_ms.n, 2);
  assert.equal(s.hls.unmapped ?? 0, 0);
});

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
  // measured after the clients left, until the server went idle
  assert.ok(s.server.cpu_s_after_close >= 0 && s.server.cpu_s_after_close < 10);
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
