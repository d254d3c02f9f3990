// User rooms over HTTP (POST/GET /api/rooms), the room_created notice on
// every WebSocket connection, and private-room access for joins and history.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { test, startServer, newUser, sleep, expectError } from './lib/server.mjs';
import { connect, join } from './lib/chat.mjs';

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('rooms', () => {
  let srv;
  let alice;
  let bob;
  let carol;
  before(async () => {
    srv = await startServer({});
    alice = await newUser(srv, 'ra');
    bob = await newUser(srv, 'rb');
    carol = await newUser(srv, 'rc');
  });
  after(async () => srv?.stop());

  const createRoom = (token, body) => srv.api('POST', '/api/rooms', body, token);
  const listIds = async (token) => {
    const r = await srv.api('GET', '/api/rooms', undefined, token);
    assert.equal(r.status, 200, r.text);
    return r.json.rooms.map((x) => x.id);
  };

  test('POST /api/rooms answers 201 with the room; GET /api/rooms shows public rooms and your own private ones', async () => {
    const before = Date.now();
    const pub = await createRoom(alice.access, { title: '수다방 🎉 "quotes" & <tags>' });
    assert.equal(pub.status, 201, pub.text);
    const room = pub.json.room;
    assert.match(room.id, /^room:\d+$/);
    assert.equal(room.title, '수다방 🎉 "quotes" & <tags>');
    assert.equal(room.private, false);
    assert.equal(room.owner, alice.username);
    assert.match(room.created_at, ISO_MS);
    assert.ok(Date.parse(room.created_at) >= before - 1000 && Date.parse(room.created_at) <= Date.now() + 1000);

    // Members are usernames, case-insensitively; the creator is always one.
    const priv = await createRoom(alice.access, { title: 'alice+bob', private: true, members: [bob.username.toUpperCase()] });
    assert.equal(priv.status, 201, priv.text);
    assert.equal(priv.json.room.private, true);
    assert.equal(priv.json.room.owner, alice.username);
    const privId = priv.json.room.id;
    assert.ok(Number(privId.slice(5)) > Number(room.id.slice(5)));

    const anon = await listIds(null);
    assert.ok(anon.includes(room.id), 'anonymous callers see public rooms');
    assert.ok(!anon.includes(privId), 'anonymous callers do not see private rooms');
    assert.ok(!(await listIds(carol.access)).includes(privId), 'non-members do not see private rooms');
    const forBob = await listIds(bob.access);
    assert.ok(forBob.includes(privId) && forBob.includes(room.id));
    assert.ok(forBob.indexOf(privId) < forBob.indexOf(room.id), 'newest first');
    assert.ok((await listIds(alice.access)).includes(privId));

    // The list carries the same shape as the create answer.
    const listed = (await srv.api('GET', '/api/rooms')).json.rooms.find((x) => x.id === room.id);
    assert.deepEqual(listed, room);
  });

  test('POST /api/rooms refuses bad input with the API error shape and creates nothing', async () => {
    const count = (await listIds(alice.access)).length;
    expectError(await createRoom(null, { title: 'x' }), 401, 'unauthorized');
    expectError(await createRoom(alice.access, {}), 400, 'bad_request', 'no title');
    expectError(await createRoom(alice.access, { title: 5 }), 400, 'bad_request', 'numeric title');
    expectError(await createRoom(alice.access, { title: 'x', private: 'yes' }), 400, 'bad_request', 'private not a bool');
    expectError(await createRoom(alice.access, { title: 'x', members: bob.username }), 400, 'bad_request', 'members not an array');
    expectError(await createRoom(alice.access, { title: 'x', members: [bob.username, 7] }), 400, 'bad_request', 'member not a string');
    expectError(await createRoom(alice.access, '{"title":'), 400, 'invalid_json');
    expectError(await createRoom(alice.access, { title: '' }), 422, 'validation_failed', 'empty title');
    expectError(await createRoom(alice.access, { title: 'a'.repeat(141) }), 422, 'validation_failed', '141 characters');
    expectError(await createRoom(alice.access, { title: '가'.repeat(134) }), 422, 'validation_failed', '402 bytes');
    expectError(await createRoom(alice.access, { title: 'two\nlines' }), 422, 'validation_failed', 'control character');
    const many = Array.from({ length: 1001 }, () => bob.username);
    expectError(await createRoom(alice.access, { title: 'x', members: many }), 422, 'validation_failed', '1001 members');

    const unknown = await createRoom(alice.access, { title: 'x', members: [bob.username, 'ghost_one', 'no such!'] });
    const e = expectError(unknown, 422, 'validation_failed', 'unknown members');
    assert.match(e.error.message, /ghost_one/);
    assert.match(e.error.message, /no such!/);
    assert.doesNotMatch(e.error.message, new RegExp(bob.username));

    assert.equal((await listIds(alice.access)).length, count, 'nothing was created');
    // The limits themselves are fine: 140 characters in 400 bytes, 1000 members.
    const ok = await createRoom(alice.access, { title: '가'.repeat(130) + 'a'.repeat(10), members: many.slice(0, 1000) });
    assert.equal(ok.status, 201, ok.text);
  });

  test('room_created reaches already-connected anonymous and logged-in clients, never for a private room', async (t) => {
    const anon = await connect(srv, null, { t });
    const carolWs = await connect(srv, carol.access, { t });
    // Joined to a room or not, every connection hears of new public rooms.
    await join(carolWs, `channel:${alice.username}`);
    const priv = await createRoom(alice.access, { title: 'hush', private: true, members: [carol.username] });
    assert.equal(priv.status, 201);
    const pub = await createRoom(bob.access, { title: '공개방 <b>' });
    assert.equal(pub.status, 201);
    for (const c of [anon, carolWs]) {
      const m = await c.next((x) => x.type === 'room_created' && x.room === pub.json.room.id);
      assert.deepEqual(m, { type: 'room_created', room: pub.json.room.id, title: '공개방 <b>' });
    }
    // Notices reach a connection in the order they were made: the private
    // room (created first) would have arrived by now.
    await sleep(100);
    for (const c of [anon, carolWs]) {
      assert.equal(c.of('room_created').filter((x) => x.room === priv.json.room.id).length, 0);
      assert.equal(c.of('room_created').filter((x) => x.room === pub.json.room.id).length, 1, 'exactly once');
    }
  });

  test('a private room: non-members are forbidden to join or read its history; members join and chat', async (t) => {
    const r = await createRoom(alice.access, { title: 'members only', private: true, members: [bob.username] });
    assert.equal(r.status, 201);
    const room = r.json.room.id;

    const carolWs = await connect(srv, carol.access, { t });
    carolWs.send({ type: 'join', room });
    const err = await carolWs.next((m) => m.type === 'error');
    assert.equal(err.code, 'forbidden');
    const anon = await connect(srv, null, { t });
    anon.send({ type: 'join', room });
    assert.equal((await anon.next((m) => m.type === 'error')).code, 'forbidden');

    const a = await connect(srv, alice.access, { t });
    const b = await connect(srv, bob.access, { t });
    await join(a, room);
    const joined = await join(b, room);
    assert.equal(joined.last_seq, 0);
    b.send({ type: 'send', room, text: '비밀 이야기', client_id: 's1' });
    await b.next((m) => m.type === 'ack' && m.client_id === 's1');
    const got = await a.next((m) => m.type === 'message' && m.room === room);
    assert.equal(got.text, '비밀 이야기');
    assert.equal(got.user.name, bob.username);
    assert.equal(carolWs.of('message').length + anon.of('message').length, 0, 'nothing leaked to refused joiners');

    const path = `/api/rooms/${room}/messages`;
    expectError(await srv.api('GET', path), 403, 'forbidden', 'anonymous history');
    expectError(await srv.api('GET', path, undefined, carol.access), 403, 'forbidden', 'non-member history');
    const h = await srv.api('GET', path, undefined, bob.access);
    assert.equal(h.status, 200, h.text);
    assert.deepEqual(h.json.messages.map((m) => m.text), ['비밀 이야기']);

    // A public user room: anyone joins and reads; unknown rooms are not found.
    const pub = (await createRoom(bob.access, { title: 'open' })).json.room.id;
    await join(anon, pub);
    assert.equal((await srv.api('GET', `/api/rooms/${pub}/messages`)).status, 200);
    expectError(await srv.api('GET', '/api/rooms/room:99999999/messages'), 404, 'not_found');
    expectError(await srv.api('GET', `/api/rooms/${room}x/messages`, undefined, bob.access), 404, 'not_found', 'trailing junk');
    anon.send({ type: 'join', room: 'room:99999999' });
    assert.equal((await anon.next((m) => m.type === 'error' && m.code !== 'forbidden')).code, 'not_found');
  });

  test('300 rooms loaded at once: a room joined before and after the registry grew is one room, and its messages reach its own members only', async (t) => {
    const ids = [];
    for (let i = 0; i < 300; i++) {
      const r = await createRoom(carol.access, { title: `many ${i}` });
      assert.equal(r.status, 201, r.text);
      ids.push(r.json.room.id);
    }
    // Listeners join every room (8 per connection), so all 300 are loaded:
    // the chat writer's room index grows past its first size meanwhile.
    const listeners = [];
    for (let i = 0; i < ids.length; i += 8) {
      const c = await connect(srv, null, { t });
      for (const id of ids.slice(i, i + 8)) await join(c, id);
      listeners.push(c);
    }
    // Rooms loaded first, last and in between, joined again now and sent to.
    const sample = [ids[0], ids[1], ids[150], ids[255], ids[256], ids[299]];
    const sender = await connect(srv, alice.access, { t });
    for (const [k, id] of sample.entries()) {
      const j = await join(sender, id);
      assert.equal(j.viewers, 2, `${id}: the listener and the sender in one room`);
      sender.send({ type: 'send', room: id, text: `to ${id}`, client_id: `m${k}` });
      await sender.next((m) => m.type === 'ack' && m.client_id === `m${k}`);
      const owner = listeners[Math.floor(ids.indexOf(id) / 8)];
      const got = await owner.next((m) => m.type === 'message' && m.room === id);
      assert.equal(got.text, `to ${id}`);
      sender.send({ type: 'leave', room: id });
    }
    await sleep(200);
    const all = listeners.flatMap((c) => c.of('message'));
    assert.equal(all.length, sample.length, 'each message reached exactly one listener');
    for (const m of all) assert.equal(m.text, `to ${m.room}`);
  });
});
