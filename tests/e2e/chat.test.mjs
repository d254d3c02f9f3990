// Live chat over WebSocket: real clients (ws), durable acks, gapless seqs,
// replay with `since`, limits, slow readers, and bad input. (Moderation:
// moderation.test.mjs; rooms and search: rooms.test.mjs, search.test.mjs.)

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, startServer, newUser, sleep, makeTempDir, REPO_ROOT } from './lib/server.mjs';
import WebSocket from 'ws';
import { connect, join } from './lib/chat.mjs';

describe('chat', () => {
  let srv;
  let alice;
  let bob;
  before(async () => {
    srv = await startServer({});
    alice = await newUser(srv, 'al');
    bob = await newUser(srv, 'bo');
  });
  after(async () => srv?.stop());

  // Anonymous viewers read the chat but can't talk.
  test('anonymous clients join and read, and get unauthorized on send', async (t) => {
    const room = `channel:${alice.username}`;
    const anon = await connect(srv, null, { t });
    const j = await join(anon, room);
    assert.equal(typeof j.last_seq, 'number');
    anon.send({ type: 'send', room, text: 'hi', client_id: 'x1' });
    const err = await anon.next((m) => m.type === 'error');
    assert.equal(err.code, 'unauthorized');
    assert.equal(err.client_id, 'x1');
    const a = await connect(srv, alice.access, { t });
    await join(a, room);
    a.send({ type: 'send', room, text: '안녕하세요', client_id: 'a1' });
    const got = await anon.next((m) => m.type === 'message' && m.text === '안녕하세요');
    assert.equal(got.user.name, alice.username);
  });

  // A message is acked with its seq, then everyone in the room (sender too) gets it once.
  test('send -> ack -> both clients receive it, seqs gapless', async (t) => {
    const room = `channel:${bob.username}`;
    // A fresh sender: the rate limit is per user, across tests too.
    const sender = await newUser(srv, 'se');
    const a = await connect(srv, sender.access, { t });
    const b = await connect(srv, bob.access, { t });
    const ja = await join(a, room);
    await join(b, room);
    // 10: the whole burst a user may send at once (rate limit).
    for (let i = 0; i < 10; i++) a.send({ type: 'send', room, text: `m${i}`, client_id: `c${i}` });
    const acks = [];
    for (let i = 0; i < 10; i++) acks.push(await a.next((m) => m.type === 'ack' && m.client_id === `c${i}`));
    const seqs = acks.map((x) => x.seq);
    assert.deepEqual(seqs, Array.from({ length: 10 }, (_, i) => ja.last_seq + 1 + i));
    await b.next((m) => m.type === 'message' && m.text === 'm9');
    const got = b.of('message').filter((m) => m.room === room).map((m) => m.seq);
    assert.deepEqual(got, seqs, 'in order, no gaps, no duplicates');
    assert.equal(new Set(a.of('message').map((m) => m.seq)).size, a.of('message').length);
  });

  // Drop the connection, miss messages, come back with since: nothing lost.
  test('reconnect with since replays exactly what was missed', async (t) => {
    const room = `channel:${alice.username}`;
    const r = await connect(srv, bob.access, { t });
    await join(r, room);
    const sender = await connect(srv, (await newUser(srv, 'sr')).access, { t });
    await join(sender, room);
    sender.send({ type: 'send', room, text: 'before', client_id: 'b0' });
    const seen = await r.next((m) => m.type === 'message' && m.text === 'before');
    r.close(); // forced disconnect
    for (let i = 0; i < 8; i++) sender.send({ type: 'send', room, text: `missed${i}`, client_id: `mi${i}` });
    await sender.next((m) => m.type === 'ack' && m.client_id === 'mi7');
    const r2 = await connect(srv, bob.access, { t });
    await join(r2, room, seen.seq);
    sender.send({ type: 'send', room, text: 'after', client_id: 'af' });
    await r2.next((m) => m.type === 'message' && m.text === 'after');
    const texts = r2.of('message').map((m) => m.text);
    assert.deepEqual(texts, [...Array.from({ length: 8 }, (_, i) => `missed${i}`), 'after']);
    const seqs = r2.of('message').map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
  });

  // History over HTTP pages through what was said, oldest first within a page.
  test('GET /api/rooms/{room}/messages pages the history', async (t) => {
    const u = await newUser(srv, 'hi');
    const room = `channel:${u.username}`;
    const a = await connect(srv, u.access, { t });
    await join(a, room);
    for (let i = 0; i < 7; i++) a.send({ type: 'send', room, text: `h${i}`, client_id: `h${i}` });
    await a.next((m) => m.type === 'ack' && m.client_id === 'h6');
    const p1 = await srv.api('GET', `/api/rooms/${room}/messages?limit=3`);
    assert.equal(p1.status, 200);
    assert.deepEqual(p1.json.messages.map((m) => m.text), ['h4', 'h5', 'h6']);
    assert.equal(p1.json.messages[0].type, 'message');
    const p2 = await srv.api('GET', `/api/rooms/${room}/messages?limit=3&before_seq=${p1.json.next_before_seq}`);
    assert.deepEqual(p2.json.messages.map((m) => m.text), ['h1', 'h2', 'h3']);
    const p3 = await srv.api('GET', `/api/rooms/${room}/messages?limit=3&before_seq=${p2.json.next_before_seq}`);
    assert.deepEqual(p3.json.messages.map((m) => m.text), ['h0']);
    assert.equal(p3.json.next_before_seq, null);
    assert.equal((await srv.api('GET', '/api/rooms/channel:nobody_x/messages')).status, 404);
    assert.equal((await srv.api('GET', `/api/rooms/${room}/messages?limit=0`)).status, 400);
  });

  // Limits and bad input get a clear error and the connection survives.
  test('too long, empty, malformed JSON, unknown type, bad room: errors, connection stays', async (t) => {
    const room = `channel:${alice.username}`;
    const a = await connect(srv, alice.access, { t });
    await join(a, room);
    a.send({ type: 'send', room, text: '가'.repeat(501), client_id: 'long' });
    assert.equal((await a.next((m) => m.type === 'error' && m.client_id === 'long')).code, 'too_long');
    a.send({ type: 'send', room, text: '가'.repeat(500), client_id: 'ok500' });
    await a.next((m) => m.type === 'ack' && m.client_id === 'ok500');
    a.send({ type: 'send', room, text: '', client_id: 'empty' });
    assert.equal((await a.next((m) => m.type === 'error' && m.client_id === 'empty')).code, 'bad_request');
    a.send('{not json');
    a.send({ type: 'dance' });
    a.send({ type: 'join', room: 'lobby' });
    a.send({ type: 'join', room: 'channel:nobody_here' });
    a.send({ type: 'send', room: 'channel:nobody_here', text: 'x', client_id: 'nj' });
    await a.next((m) => m.type === 'error' && m.code === 'not_found');
    assert.ok(a.of('error').filter((m) => m.code === 'bad_request').length >= 4);
    assert.equal((await a.next((m) => m.client_id === 'nj')).code, 'forbidden');
    a.send({ type: 'send', room, text: 'still here', client_id: 'alive' });
    await a.next((m) => m.type === 'ack' && m.client_id === 'alive');
    assert.equal(a.closed, null);
  });

  // Each user gets 10 messages per 10 s; the 11th is refused with retry_after_ms.
  test('rate limit: the 11th message in a burst is rate_limited', async (t) => {
    const u = await newUser(srv, 'rl');
    const room = `channel:${u.username}`;
    const a = await connect(srv, u.access, { t });
    await join(a, room);
    for (let i = 0; i < 11; i++) a.send({ type: 'send', room, text: `r${i}`, client_id: `r${i}` });
    const err = await a.next((m) => m.type === 'error' && m.code === 'rate_limited');
    assert.equal(err.client_id, 'r10');
    assert.ok(err.retry_after_ms > 0 && err.retry_after_ms <= 10000);
    await a.next((m) => m.type === 'ack' && m.client_id === 'r9');
  });

  // Frames over the cap close the connection with 1009; invalid UTF-8 text with 1007.
  test('oversized frame -> 1009; invalid UTF-8 -> 1007', async (t) => {
    const big = await connect(srv, alice.access, { t });
    big.send('x'.repeat(100_000));
    assert.equal((await big.waitClosed()).code, 1009);
    const bad = await connect(srv, alice.access, { t });
    bad.ws._socket.write(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0xc3 ^ 1, 0x28 ^ 2])); // masked text "\xc3\x28"
    assert.equal((await bad.waitClosed()).code, 1007);
    assert.equal((await srv.api('GET', '/healthz')).status, 200);
  });

  // Presence: viewers count pushed to the room and shown in /api/channels.
  test('presence and viewers', async (t) => {
    const u = await newUser(srv, 'pr');
    const room = `channel:${u.username}`;
    const cs = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(srv, null, { t });
      await join(c, room);
      cs.push(c);
    }
    const p = await cs[0].next((m) => m.type === 'presence' && m.viewers === 3, 6000);
    assert.equal(p.room, room);
    assert.equal((await srv.api('GET', `/api/channels/${u.username}`)).json.viewers, 3);
    cs[2].close();
    await cs[0].next((m) => m.type === 'presence' && m.viewers === 2, 6000);

    // An overlay or a dashboard joins with viewer:false: it gets the room's
    // events but the count stays, on join and on leave; a bad value is refused.
    const o = await connect(srv, null, { t });
    o.send({ type: 'join', room, viewer: 'no' });
    assert.equal((await o.next((m) => m.type === 'error')).code, 'bad_request');
    o.send({ type: 'join', room, viewer: false });
    const oj = await o.next((m) => m.type === 'joined');
    assert.equal(oj.viewers, 2);
    const seen = new Set(cs[0].msgs);
    const a = await connect(srv, u.access, { t });
    await join(a, room);
    await cs[0].next((m) => !seen.has(m) && m.type === 'presence' && m.viewers === 3, 6000);
    assert.equal((await srv.api('GET', `/api/channels/${u.username}`)).json.viewers, 3);
    a.send({ type: 'send', room, text: 'seen by the overlay', client_id: 'ov1' });
    await o.next((m) => m.type === 'message' && m.text === 'seen by the overlay');
    for (const m of cs[0].msgs) seen.add(m);
    o.close();
    a.close();
    await cs[0].next((m) => !seen.has(m) && m.type === 'presence' && m.viewers === 2, 6000);
    assert.equal((await srv.api('GET', `/api/channels/${u.username}`)).json.viewers, 2);
  });

  // Join, leave and join again before the first join is answered: one
  // membership in the end, every message once.
  test('join, leave, join in one burst: joined once, no duplicate deliveries', async (t) => {
    const u = await newUser(srv, 'jl');
    const room = `channel:${u.username}`;
    const c = await connect(srv, null, { t });
    c.send({ type: 'join', room });
    c.send({ type: 'leave', room });
    c.send({ type: 'join', room });
    await c.next((m) => m.type === 'joined');
    const a = await connect(srv, u.access, { t });
    await join(a, room);
    a.send({ type: 'send', room, text: 'once', client_id: 'o1' });
    await c.next((m) => m.type === 'message' && m.text === 'once');
    a.send({ type: 'send', room, text: 'twice?', client_id: 'o2' });
    await c.next((m) => m.type === 'message' && m.text === 'twice?');
    assert.equal(c.of('message').length, 2, 'each message once');
    // Usually all three frames are read before the first join is answered
    // (one joined); if the first join was answered before the leave arrived,
    // the client saw joined, left, joined. Either way it ends joined once.
    const states = c.msgs.filter((m) => m.type === 'joined' || m.type === 'left').map((m) => m.type);
    assert.ok(
      JSON.stringify(states) === '["left","joined"]' || JSON.stringify(states) === '["joined","left","joined"]',
      `joined/left sequence: ${JSON.stringify(states)}`,
    );
    const ch = await srv.api('GET', `/api/channels/${u.username}`);
    assert.equal(ch.json.viewers, 2, 'this connection counts once, with the sender');
  });

  // Joiners arriving while messages flow: most joins of a loaded room are
  // done by the I/O loop alone (onair_chat_fast_joins_total); whichever
  // way, a joiner gets every event after its joined.last_seq, once, in order.
  test('joins while messages flow: every event after joined.last_seq, once, in order', { timeout: 30_000 }, async (t) => {
    const srv = await startServer({ args: ['--chat-rate-count', '0'] });
    t.after(() => srv.stop());
    const u = await newUser(srv, 'fj');
    const room = `channel:${u.username}`;
    const fastJoins = async () =>
      Number(/^onair_chat_fast_joins_total (\d+)/m.exec((await srv.api('GET', '/metrics')).text)[1]);
    const before = await fastJoins();
    const pub = await connect(srv, u.access, { t });
    await join(pub, room);
    const N = 60;
    const joiners = [];
    for (let i = 0; i < N; i++) {
      pub.send({ type: 'send', room, text: `m${i}`, client_id: `f${i}` });
      // Two joiners per message, on fresh connections (either loop).
      for (let k = 0; k < 2; k++) {
        const c = await connect(srv, null, { t });
        c.send({ type: 'join', room });
        joiners.push(c);
      }
      if (i % 10 === 9) await pub.next((m) => m.type === 'ack' && m.client_id === `f${i}`);
    }
    const lastAck = await pub.next((m) => m.type === 'ack' && m.client_id === `f${N - 1}`);
    for (const c of joiners) {
      const j = await c.next((m) => m.type === 'joined');
      if (j.last_seq < lastAck.seq) await c.next((m) => m.type === 'message' && m.seq === lastAck.seq);
      const seqs = c.of('message').map((m) => m.seq);
      const want = [];
      for (let q = j.last_seq + 1; q <= lastAck.seq; q++) want.push(q);
      assert.deepEqual(seqs, want, `joined at ${j.last_seq}`);
    }
    assert.ok((await fastJoins()) - before >= N, 'most joins were done by the loops');
    const ch = await srv.api('GET', `/api/channels/${u.username}`);
    assert.equal(ch.json.viewers, 2 * N + 1, 'every joiner counted once');
  });

  // Not WebSocket: a clear HTTP error.
  test('plain GET /ws -> 426; a bad token -> 401', async () => {
    const r = await srv.api('GET', '/ws');
    assert.equal(r.status, 426);
    // A real WebSocket handshake with a bad token: refused with HTTP 401 before the upgrade.
    const status = await new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws?token=nope`);
      ws.on('unexpected-response', (req, res) => {
        resolve(res.statusCode);
        ws.terminate();
      });
      ws.on('open', () => {
        resolve('opened');
        ws.terminate();
      });
      ws.on('error', () => {});
    });
    assert.equal(status, 401);
  });
});

describe('chat filter', () => {
  // Banned words are masked with '*', also through inserted spaces/punctuation, and the
  // list is reloaded on SIGHUP without a restart.
  test('banned words are masked (Korean, English, with separators); SIGHUP reloads', { timeout: 30_000 }, async (t) => {
    const dir = makeTempDir('onair-words-');
    const list = path.join(dir, 'words.txt');
    fs.writeFileSync(list, '# test list\n시발\nshit\n');
    const srv = await startServer({ t, args: ['--banned-words', list] });
    const u = await newUser(srv, 'fl');
    const room = `channel:${u.username}`;
    const a = await connect(srv, u.access, { t });
    await join(a, room);
    const say = async (text, id) => {
      a.send({ type: 'send', room, text, client_id: id });
      return (await a.next((m) => m.type === 'message' && m.client_id === id)).text;
    };
    assert.equal(await say('아 시발 진짜', 'k1'), '아 ** 진짜');
    assert.equal(await say('시 발', 'k2'), '***');
    assert.equal(await say('oh S.H.I.T!', 'e1'), 'oh *******!');
    assert.equal(await say('a classic assist', 'e2'), 'a classic assist');
    fs.writeFileSync(list, '바보\n');
    process.kill(srv.proc.pid, 'SIGHUP');
    await sleep(300);
    assert.equal(await say('바보 시발', 'r1'), '** 시발');
    // The shipped default list loads.
    const def = path.join(REPO_ROOT, 'etc', 'banned-words.txt');
    assert.ok(fs.readFileSync(def, 'utf8').includes('시발'));
  });
});

describe('chat durability', () => {
  // Every acknowledged message survives kill -9, in order, with its seq.
  test('SIGKILL during a send storm loses no acknowledged message', { timeout: 60_000 }, async (t) => {
    const srv = await startServer({ t });
    const u = await newUser(srv, 'dur');
    const room = `channel:${u.username}`;
    const a = await connect(srv, u.access, { t });
    await join(a, room);
    // Ten senders' worth of budget: spread across ten users.
    const users = [];
    for (let i = 0; i < 10; i++) users.push(await newUser(srv, `st${i}`));
    const conns = [];
    for (const x of users) {
      const c = await connect(srv, x.access, { t });
      await join(c, room);
      conns.push(c);
    }
    let n = 0;
    for (let round = 0; round < 10; round++) for (const c of conns) c.send({ type: 'send', room, text: `s${n}`, client_id: `s${n++}` });
    await sleep(30);
    srv.kill9();
    await sleep(200);
    const acked = conns.flatMap((c) => c.of('ack'));
    assert.ok(acked.length > 0, 'nothing was acked before the kill');
    await srv.restart();
    const b = await connect(srv, null, { t });
    await join(b, room, 0);
    const maxSeq = Math.max(...acked.map((x) => x.seq));
    await b.next((m) => m.type === 'message' && m.seq === maxSeq, 10_000);
    const stored = new Map(b.of('message').map((m) => [m.seq, m.client_id]));
    for (const ack of acked) assert.equal(stored.get(ack.seq), ack.client_id, `acked seq ${ack.seq} lost`);
    const seqs = [...stored.keys()].sort((x, y) => x - y);
    for (let i = 0; i < seqs.length; i++) assert.equal(seqs[i], i + 1, 'gapless from 1');
  });
});

describe('chat slow readers', () => {
  // A reader that stops reading is cut off with 1013 once its queue passes the
  // cap; a normal reader in the same room keeps receiving everything; the slow
  // one comes back with since and loses nothing.
  test('a slow reader is closed with 1013, others keep receiving, since catches it up', { timeout: 90_000 }, async (t) => {
    const srv = await startServer({ t, args: ['--chat-send-queue-bytes', '65536', '--chat-rate-count', '0'] });
    const u = await newUser(srv, 'sl');
    const room = `channel:${u.username}`;
    const sender = await connect(srv, u.access, { t });
    const reader = await connect(srv, null, { t });
    const slow = await connect(srv, null, { t });
    for (const c of [sender, reader, slow]) await join(c, room);
    slow.ws._socket.pause(); // stops reading: the kernel buffers fill, then the server's queue
    const slowCloses = async () => {
      const text = (await srv.api('GET', '/metrics')).text;
      return Number(/^onair_ws_slow_closes_total (\d+)/m.exec(text)[1]);
    };
    const text = '가'.repeat(500); // ~1.5 KB per message
    let sent = 0;
    const deadline = Date.now() + 45_000;
    // Bounded: at most 20,000 messages or 45 s, in bursts of 50 acked before the next.
    while ((await slowCloses()) === 0 && sent < 20_000 && Date.now() < deadline) {
      for (let i = 0; i < 50; i++) sender.send({ type: 'send', room, text, client_id: `s${sent + i}` });
      sent += 50;
      await sender.next((m) => m.type === 'ack' && m.client_id === `s${sent - 1}`, 10_000);
    }
    assert.equal(await slowCloses(), 1, `the slow reader was not cut off after ${sent} messages`);
    sender.send({ type: 'send', room, text: 'last', client_id: 'last' });
    const lastAck = await sender.next((m) => m.type === 'ack' && m.client_id === 'last');
    // The normal reader got every message, in order, and is still connected.
    await reader.next((m) => m.type === 'message' && m.seq === lastAck.seq, 20_000);
    const rs = reader.of('message').map((m) => m.seq);
    assert.equal(rs.length, sent + 1);
    for (let i = 1; i < rs.length; i++) assert.equal(rs[i], rs[i - 1] + 1);
    assert.equal(reader.closed, null);
    // The slow one reads what was queued, then the 1013 close.
    slow.ws._socket.resume();
    const closed = await slow.waitClosed(20_000);
    assert.equal(closed?.code, 1013);
    const got = slow.of('message').map((m) => m.seq);
    assert.ok(got.length < rs.length, 'it was cut off before the end');
    // Back with since: exactly the rest.
    const again = await connect(srv, null, { t });
    await join(again, room, got.length ? got[got.length - 1] : rs[0] - 1);
    await again.next((m) => m.type === 'message' && m.seq === lastAck.seq, 20_000);
    const all = [...got, ...again.of('message').map((m) => m.seq)];
    assert.deepEqual(all, rs);
  });
});

describe('chat resets', () => {
  // Clients whose connection is reset (RST) while messages flow: the
  // server's next write to them fails at once. It must close them without
  // disturbing the fan-out it is in the middle of (ASan found a
  // use-after-free here), and everyone else keeps receiving every message
  // in order.
  test('connections reset during a fan-out are closed; the others miss nothing', { timeout: 90_000 }, async (t) => {
    const srv = await startServer({ t, args: ['--chat-rate-count', '0', '--chat-fanout-delay-ms', '2'] });
    const u = await newUser(srv, 'rs');
    const room = `channel:${u.username}`;
    const sender = await connect(srv, u.access, { t });
    const reader = await connect(srv, null, { t });
    await join(sender, room);
    await join(reader, room);
    let sent = 0;
    const burst = async () => {
      for (let i = 0; i < 20; i++) sender.send({ type: 'send', room, text: `m${sent + i}`, client_id: `c${sent + i}` });
      sent += 20;
      await sender.next((m) => m.type === 'ack' && m.client_id === `c${sent - 1}`, 10_000);
    };
    // Bounded: 4 rounds of 60 resets while 10 bursts of 20 messages flow.
    for (let round = 0; round < 4; round++) {
      const droppers = [];
      for (let i = 0; i < 60; i++) droppers.push(await connect(srv, null, { t }));
      await Promise.all(droppers.map((d) => join(d, room)));
      const flowing = (async () => {
        for (let b = 0; b < 10; b++) await burst();
      })();
      await sleep(20);
      for (const d of droppers) d.ws._socket.resetAndDestroy();
      await flowing;
    }
    sender.send({ type: 'send', room, text: 'last', client_id: 'last' });
    const lastAck = await sender.next((m) => m.type === 'ack' && m.client_id === 'last');
    await reader.next((m) => m.type === 'message' && m.seq === lastAck.seq, 20_000);
    const seqs = reader.of('message').map((m) => m.seq);
    assert.equal(seqs.length, sent + 1, 'the reader missed messages');
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
    // The reset connections are gone from the room.
    const deadline = Date.now() + 10_000;
    let viewers;
    while (Date.now() < deadline) {
      viewers = (await srv.api('GET', `/api/channels/${u.username}`)).json.viewers;
      if (viewers === 2) break;
      await sleep(200);
    }
    assert.equal(viewers, 2, 'reset connections still counted as viewers');
  });
});

describe('chat memory', () => {
  // A room nobody is in gives back its memory; coming back later finds the
  // same history and the seqs go on without a gap.
  test('an idle room is unloaded and reloads with its history and seqs intact', { timeout: 30_000 }, async (t) => {
    const srv = await startServer({ t, args: ['--chat-room-idle-ms', '1000'] });
    const u = await newUser(srv, 'id');
    const room = `channel:${u.username}`;
    const unloads = async () =>
      Number(/^onair_chat_rooms_unloaded_total (\d+)/m.exec((await srv.api('GET', '/metrics')).text)[1]);
    const a = await connect(srv, u.access, { t });
    await join(a, room);
    for (let i = 0; i < 3; i++) a.send({ type: 'send', room, text: `before ${i}`, client_id: `b${i}` });
    const last = await a.next((m) => m.type === 'ack' && m.client_id === 'b2');
    a.close();
    const deadline = Date.now() + 10_000;
    while ((await unloads()) === 0 && Date.now() < deadline) await sleep(200);
    assert.ok((await unloads()) >= 1, 'the idle room was not unloaded');
    const b = await connect(srv, u.access, { t });
    const j = await join(b, room, 0);
    assert.equal(j.last_seq, last.seq);
    await b.next((m) => m.type === 'message' && m.text === 'before 2');
    assert.deepEqual(b.of('message').map((m) => m.text), ['before 0', 'before 1', 'before 2']);
    b.send({ type: 'send', room, text: 'after', client_id: 'af' });
    assert.equal((await b.next((m) => m.type === 'ack' && m.client_id === 'af')).seq, last.seq + 1);
  });

  // Memory follows the rooms in use, not every room used since start: a room
  // with nobody in it is freed, one with a subscriber (even one not counted
  // as a viewer, like a stream overlay) is kept and still delivers, and a
  // freed room comes back with its history and seqs.
  test('unused rooms are freed; a room with a subscriber is kept; a freed room comes back whole', { timeout: 60_000 }, async (t) => {
    const srv = await startServer({ t, args: ['--chat-room-idle-ms', '1000', '--chat-rate-count', '0'] });
    const u = await newUser(srv, 'fr');
    const metric = async (name) =>
      Number(new RegExp(`^${name} (\\d+)`, 'm').exec((await srv.api('GET', '/metrics')).text)[1]);
    const ids = [];
    for (let i = 0; i < 24; i++) {
      const r = await srv.api('POST', '/api/rooms', { title: `free ${i}` }, u.access);
      assert.equal(r.status, 201, r.text);
      ids.push(r.json.room.id);
    }
    // An overlay-like subscriber (viewer: false) stays in the first room.
    const overlay = await connect(srv, null, { t });
    overlay.send({ type: 'join', room: ids[0], viewer: false });
    await overlay.next((m) => m.type === 'joined' && m.room === ids[0]);
    const users = [];
    for (let i = 0; i < ids.length; i += 8) {
      const c = await connect(srv, u.access, { t });
      for (const [k, id] of ids.slice(i, i + 8).entries()) {
        await join(c, id);
        c.send({ type: 'send', room: id, text: `first in ${id}`, client_id: `f${k}` });
        await c.next((m) => m.type === 'ack' && m.client_id === `f${k}`);
      }
      users.push(c);
    }
    assert.equal(await metric('onair_chat_rooms'), ids.length);
    for (const c of users) c.close();
    const deadline = Date.now() + 20_000;
    while ((await metric('onair_chat_rooms_freed_total')) < ids.length - 1 && Date.now() < deadline)
      await sleep(200);
    assert.equal(await metric('onair_chat_rooms_freed_total'), ids.length - 1, 'the unused rooms were not freed');
    assert.equal(await metric('onair_chat_rooms'), 1, 'only the room with a subscriber is kept');

    // The kept room still reaches its subscriber, with the next seq.
    const s = await connect(srv, u.access, { t });
    await join(s, ids[0]);
    s.send({ type: 'send', room: ids[0], text: 'to the overlay', client_id: 'o1' });
    assert.equal((await s.next((m) => m.type === 'ack' && m.client_id === 'o1')).seq, 2);
    assert.equal((await overlay.next((m) => m.type === 'message' && m.text === 'to the overlay')).seq, 2);

    // Freed rooms come back: history from the store, the next seq, live
    // delivery to a second member, and joined again after another free.
    const history = new Map(ids.map((id) => [id, [`first in ${id}`]]));
    for (const id of [ids[1], ids[23], ids[1]]) {
      const a = await connect(srv, u.access, { t });
      const j = await join(a, id, 0);
      assert.equal(j.last_seq, history.get(id).length);
      await a.next(() => a.of('message').length === history.get(id).length);
      assert.deepEqual(a.of('message').map((m) => m.text), history.get(id));
      const b = await connect(srv, null, { t });
      assert.equal((await join(b, id)).last_seq, j.last_seq);
      a.send({ type: 'send', room: id, text: `back in ${id}`, client_id: 'bk' });
      const ack = await a.next((m) => m.type === 'ack' && m.client_id === 'bk');
      assert.equal(ack.seq, j.last_seq + 1);
      assert.equal((await b.next((m) => m.type === 'message' && m.text === `back in ${id}`)).seq, ack.seq);
      history.get(id).push(`back in ${id}`);
      // Left with its new message, the room is freed again.
      const freed = await metric('onair_chat_rooms_freed_total');
      a.close();
      b.close();
      const until = Date.now() + 20_000;
      while ((await metric('onair_chat_rooms_freed_total')) === freed && Date.now() < until) await sleep(200);
      assert.equal(await metric('onair_chat_rooms_freed_total'), freed + 1, `${id} was not freed again`);
    }
    assert.equal(await metric('onair_chat_rooms'), 1);
  });
});
