// Chat moderation: the owner and moderators delete messages, time out, ban
// and unban users, set slow mode and clear the room, over REST and through
// chat commands; each action is an event in the room's seq order. Also the
// per-user rate limit across connections.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { test, startServer, newUser, sleep } from './lib/server.mjs';
import { connect, join } from './lib/chat.mjs';

/** Sends text as user connection c and waits for its ack or error. */
async function say(c, room, text, id) {
  c.send({ type: 'send', room, text, client_id: id });
  return c.next((m) => (m.type === 'ack' || m.type === 'error') && m.client_id === id);
}

describe('chat moderation', () => {
  let srv;
  before(async () => {
    srv = await startServer({});
  });
  after(async () => srv?.stop());

  /** A channel owner, a moderator they appointed, and a viewer, all joined to the owner's room. */
  async function cast(t) {
    const owner = await newUser(srv, 'ow');
    const mod = await newUser(srv, 'md');
    const viewer = await newUser(srv, 'vw');
    const room = `channel:${owner.username}`;
    const r = await srv.api('POST', `/api/channels/${owner.username}/moderators`, { username: mod.username }, owner.access);
    assert.ok(r.status === 201 || r.status === 200, `appoint: ${r.status} ${r.text}`);
    const co = await connect(srv, owner.access, { t });
    const cm = await connect(srv, mod.access, { t });
    const cv = await connect(srv, viewer.access, { t });
    for (const c of [co, cm, cv]) await join(c, room);
    return { owner, mod, viewer, room, co, cm, cv };
  }

  test('a moderator deletes a message over REST: everyone sees deleted, history and replay hide the text', async (t) => {
    const { mod, viewer, room, cm, cv } = await cast(t);
    const ack = await say(cv, room, 'delete me please', 'd1');
    assert.equal(ack.type, 'ack');
    // A viewer may not delete.
    const no = await srv.api('DELETE', `/api/rooms/${room}/messages/${ack.seq}`, undefined, viewer.access);
    assert.equal(no.status, 403);
    const res = await srv.api('DELETE', `/api/rooms/${room}/messages/${ack.seq}`, undefined, mod.access);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.seq, ack.seq);
    assert.equal(res.json.event_seq, ack.seq + 1, 'the deletion takes the next seq');
    const del = await cv.next((m) => m.type === 'deleted');
    assert.equal(del.seq, ack.seq);
    assert.equal(del.room, room);
    await cm.next((m) => m.type === 'deleted' && m.seq === ack.seq);
    const hist = await srv.api('GET', `/api/rooms/${room}/messages`);
    const m = hist.json.messages.find((x) => x.seq === ack.seq);
    assert.equal(m.deleted, true);
    assert.equal(m.text, '');
    // A client coming back with since before it gets the message already hidden.
    const late = await connect(srv, null, { t });
    await join(late, room, ack.seq - 1);
    const replayed = await late.next((x) => x.type === 'message' && x.seq === ack.seq);
    assert.equal(replayed.text, '');
    assert.equal(replayed.deleted, true);
    await late.next((x) => x.type === 'deleted' && x.seq === ack.seq);
    // Gone from search too.
    const s = await srv.api('GET', `/api/search?q=${encodeURIComponent('delete me')}&room=${room}`);
    assert.equal(s.status, 200);
    assert.equal(s.json.results.length, 0);
    // Deleting twice or a seq that isn't a message: 404.
    assert.equal((await srv.api('DELETE', `/api/rooms/${room}/messages/${ack.seq}`, undefined, mod.access)).status, 404);
    assert.equal((await srv.api('DELETE', `/api/rooms/${room}/messages/999999`, undefined, mod.access)).status, 404);
    assert.equal((await srv.api('DELETE', `/api/rooms/${room}/messages/${ack.seq}`)).status, 401);
  });

  test('/timeout: the user is refused with banned until it ends, still reads, then talks again', async (t) => {
    const { viewer, room, cm, cv, co } = await cast(t);
    const r = await say(cm, room, `/timeout ${viewer.username} 2`, 't1');
    assert.equal(r.type, 'ack', JSON.stringify(r));
    const note = await cv.next((m) => m.type === 'system' && m.action === 'timeout');
    assert.equal(note.seq, r.seq);
    assert.equal(note.user.name, viewer.username);
    assert.equal(note.seconds, 2);
    const refused = await say(cv, room, 'can I talk?', 't2');
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 'banned');
    assert.ok(refused.retry_after_ms > 0 && refused.retry_after_ms <= 2000, JSON.stringify(refused));
    // Still reads.
    await say(co, room, 'owner speaks', 't3');
    await cv.next((m) => m.type === 'message' && m.text === 'owner speaks');
    await sleep(refused.retry_after_ms + 100);
    assert.equal((await say(cv, room, 'back again', 't4')).type, 'ack');
  });

  test('/ban and /unban, and the same over REST; bans are per room', async (t) => {
    const { owner, mod, viewer, room, cm, cv } = await cast(t);
    assert.equal((await say(cm, room, `/ban @${viewer.username.toUpperCase()} spam`, 'b1')).type, 'ack');
    const note = await cv.next((m) => m.type === 'system' && m.action === 'ban');
    assert.equal(note.user.name, viewer.username);
    const refused = await say(cv, room, 'let me in', 'b2');
    assert.equal(refused.code, 'banned');
    assert.equal(refused.until, null);
    // A banned user still joins and reads.
    const again = await connect(srv, viewer.access, { t });
    await join(again, room);
    await say(cm, room, 'mods talking', 'b3');
    await again.next((m) => m.type === 'message' && m.text === 'mods talking');
    // Not banned elsewhere.
    const other = `channel:${viewer.username}`;
    await join(cv, other);
    assert.equal((await say(cv, other, 'my own room', 'b4')).type, 'ack');
    // Unban by command, then ban and unban over REST.
    assert.equal((await say(cm, room, `/unban ${viewer.username}`, 'b5')).type, 'ack');
    await cv.next((m) => m.type === 'system' && m.action === 'unban');
    assert.equal((await say(cv, room, 'thanks', 'b6')).type, 'ack');
    const ban = await srv.api('POST', `/api/rooms/${room}/bans`, { username: viewer.username, reason: 'again' }, owner.access);
    assert.equal(ban.status, 201, ban.text);
    assert.equal(ban.json.ban.until, null);
    assert.equal((await say(cv, room, 'hello?', 'b7')).code, 'banned');
    const un = await srv.api('DELETE', `/api/rooms/${room}/bans/${viewer.username}`, undefined, mod.access);
    assert.equal(un.status, 200, un.text);
    assert.equal((await say(cv, room, 'free', 'b8')).type, 'ack');
    assert.equal((await srv.api('DELETE', `/api/rooms/${room}/bans/${viewer.username}`, undefined, mod.access)).status, 404);
    // A REST timeout has an end.
    const to = await srv.api('POST', `/api/rooms/${room}/bans`, { username: viewer.username, seconds: 60 }, mod.access);
    assert.equal(to.status, 201);
    assert.ok(Date.parse(to.json.ban.until) > Date.now() + 50_000);
    assert.equal((await say(cv, room, 'x', 'b9')).code, 'banned');
  });

  test('who may do what: viewers nothing, moderators not against the owner or each other', async (t) => {
    const { owner, mod, viewer, room, cm, cv } = await cast(t);
    const r = await say(cv, room, `/ban ${mod.username}`, 'w1');
    assert.equal(r.code, 'forbidden');
    assert.equal((await say(cm, room, `/ban ${owner.username}`, 'w2')).code, 'forbidden');
    const mod2 = await newUser(srv, 'm2');
    await srv.api('POST', `/api/channels/${owner.username}/moderators`, { username: mod2.username }, owner.access);
    assert.equal((await say(cm, room, `/timeout ${mod2.username} 5`, 'w3')).code, 'forbidden');
    assert.equal((await say(cm, room, '/timeout nobody_at_all 5', 'w4')).code, 'not_found');
    assert.equal((await say(cm, room, '/timeout', 'w5')).code, 'bad_request');
    assert.equal((await say(cm, room, '/dance now', 'w6')).code, 'bad_request');
    assert.equal((await srv.api('PUT', `/api/rooms/${room}/slow`, { seconds: 5 }, viewer.access)).status, 403);
    assert.equal((await srv.api('POST', `/api/rooms/${room}/clear`, undefined, viewer.access)).status, 403);
    assert.equal((await srv.api('PUT', `/api/rooms/${room}/slow`, { seconds: -1 }, owner.access)).status, 422);
    assert.equal((await srv.api('POST', `/api/rooms/channel:nobody_zz/clear`, undefined, owner.access)).status, 404);
    // Not a command: sent as text.
    const path = await say(cv, room, '/r/korea is fun', 'w7');
    assert.equal(path.type, 'ack');
    await cm.next((m) => m.type === 'message' && m.text === '/r/korea is fun');
    // A moderator removed is no longer one.
    await srv.api('DELETE', `/api/channels/${owner.username}/moderators/${mod.username}`, undefined, owner.access);
    assert.equal((await say(cm, room, `/ban ${viewer.username}`, 'w8')).code, 'forbidden');
  });

  test('slow mode: one message per N seconds for viewers, moderators exempt, off again', async (t) => {
    const { owner, room, cm, cv } = await cast(t);
    assert.equal((await say(cm, room, '/slow 2', 's1')).type, 'ack');
    const note = await cv.next((m) => m.type === 'system' && m.action === 'slow');
    assert.equal(note.seconds, 2);
    assert.equal((await say(cv, room, 'one', 's2')).type, 'ack');
    const second = await say(cv, room, 'two', 's3');
    assert.equal(second.code, 'rate_limited');
    assert.ok(second.retry_after_ms > 0 && second.retry_after_ms <= 2000);
    assert.equal((await say(cm, room, 'mod 1', 's4')).type, 'ack');
    assert.equal((await say(cm, room, 'mod 2', 's5')).type, 'ack');
    await sleep(second.retry_after_ms + 100);
    assert.equal((await say(cv, room, 'three', 's6')).type, 'ack');
    const off = await srv.api('PUT', `/api/rooms/${room}/slow`, { seconds: 0 }, owner.access);
    assert.equal(off.status, 200);
    assert.equal(off.json.slow, 0);
    await cv.next((m) => m.type === 'system' && m.action === 'slow' && m.seconds === 0);
    assert.equal((await say(cv, room, 'four', 's7')).type, 'ack');
    assert.equal((await say(cv, room, 'five', 's8')).type, 'ack');
  });

  test('/clear hides everything said before it, live and on replay', async (t) => {
    const { owner, room, cv, co } = await cast(t);
    for (let i = 0; i < 3; i++) assert.equal((await say(cv, room, `old ${i}`, `c${i}`)).type, 'ack');
    const r = await srv.api('POST', `/api/rooms/${room}/clear`, undefined, owner.access);
    assert.equal(r.status, 200, r.text);
    const note = await co.next((m) => m.type === 'system' && m.action === 'clear');
    assert.equal(note.seq, r.json.event_seq);
    assert.equal((await say(cv, room, 'new', 'c9')).type, 'ack');
    const hist = await srv.api('GET', `/api/rooms/${room}/messages`);
    const texts = hist.json.messages.filter((m) => m.type === 'message').map((m) => m.text);
    assert.deepEqual(texts, ['', '', '', 'new']);
    const late = await connect(srv, null, { t });
    await join(late, room, 0);
    await late.next((m) => m.type === 'message' && m.text === 'new');
    assert.deepEqual(late.of('message').map((m) => m.text), ['', '', '', 'new']);
    assert.ok(late.of('system').some((m) => m.action === 'clear'));
  });

  test('rate limit is per user: two connections share one bucket', async (t) => {
    const u = await newUser(srv, 'pu');
    const room = `channel:${u.username}`;
    const a = await connect(srv, u.access, { t });
    const b = await connect(srv, u.access, { t });
    await join(a, room);
    await join(b, room);
    for (let i = 0; i < 6; i++) assert.equal((await say(a, room, `a${i}`, `a${i}`)).type, 'ack');
    for (let i = 0; i < 4; i++) assert.equal((await say(b, room, `b${i}`, `b${i}`)).type, 'ack');
    const over = await say(b, room, 'b4', 'b4');
    assert.equal(over.code, 'rate_limited');
    assert.ok(over.retry_after_ms > 0);
  });
});
