// Channels: every user owns one; listing, reading, and owner-only title edits.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { test, startServer, newUser, uniqueName, expectError } from './lib/server.mjs';

const CHANNEL_KEYS = ['name', 'title', 'live', 'viewers', 'started_at'];

function assertOfflineChannel(ch, name) {
  for (const k of CHANNEL_KEYS) assert.ok(k in ch, `channel has "${k}": ${JSON.stringify(ch)}`);
  if (name !== undefined) assert.equal(ch.name, name);
  assert.equal(typeof ch.title, 'string');
  assert.equal(ch.live, false);
  assert.equal(ch.viewers, 0);
  assert.equal(ch.started_at, null);
}

describe('channels', () => {
  let srv;
  let alice;
  let bob;

  before(async () => {
    srv = await startServer();
    alice = await newUser(srv, 'alice');
    bob = await newUser(srv, 'bob');
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  // Signing up gives you a channel named after you, offline.
  test('every user has a channel named after them', async () => {
    const res = await srv.api('GET', `/api/channels/${alice.username}`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') || '', /^application\/json\b/i);
    assertOfflineChannel(res.json, alice.username);
  });

  // The directory lists every channel with the public fields.
  test('GET /api/channels lists channels', async () => {
    const carol = await newUser(srv, 'carol');
    const res = await srv.api('GET', '/api/channels');
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json.channels), res.text);
    const names = res.json.channels.map((c) => c.name);
    for (const u of [alice, bob, carol]) assert.ok(names.includes(u.username), `${u.username} listed`);
    for (const ch of res.json.channels) assertOfflineChannel(ch);
    assert.equal(new Set(names).size, names.length, 'no duplicates');
  });

  // Public channel data never includes the secret stream key.
  test('channel endpoints do not leak stream keys', async () => {
    const got = (await srv.api('GET', '/api/me/stream-key', undefined, alice.access)).json;
    const key = got.stream_key;
    assert.ok(key);
    assert.equal(got.rtmp_port, srv.rtmpPort, 'the RTMP port OBS must use');
    const list = await srv.api('GET', '/api/channels');
    const one = await srv.api('GET', `/api/channels/${alice.username}`);
    const me = await srv.api('GET', '/api/me', undefined, alice.access);
    assert.ok(!list.text.includes(key), 'stream key in channel list');
    assert.ok(!one.text.includes(key), 'stream key in channel');
    assert.ok(!me.text.includes(key), 'stream key in /api/me');
  });

  // Asking for a channel that doesn't exist is a clean 404.
  test('unknown channel -> 404 not_found', async () => {
    expectError(await srv.api('GET', `/api/channels/${uniqueName('nobody')}`), 404, 'not_found');
    expectError(await srv.api('GET', '/api/channels/no%20such%20channel'), 404, 'not_found');
  });

  // The owner can retitle their channel and everyone sees the new title.
  test('owner PATCH title -> 200 and visible everywhere', async () => {
    const title = `Alice live ${Date.now()}`;
    const res = await srv.api('PATCH', `/api/channels/${alice.username}`, { title }, alice.access);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, alice.username);
    assert.equal(res.json.title, title);
    assert.equal((await srv.api('GET', `/api/channels/${alice.username}`)).json.title, title);
    const list = await srv.api('GET', '/api/channels');
    assert.equal(list.json.channels.find((c) => c.name === alice.username)?.title, title);
    const me = await srv.api('GET', '/api/me', undefined, alice.access);
    assert.equal(me.json.channel.title, title);
  });

  // Nobody can retitle someone else's channel.
  test("another user's PATCH -> 403 forbidden, title unchanged", async () => {
    const title = `Bob's own ${Date.now()}`;
    assert.equal((await srv.api('PATCH', `/api/channels/${bob.username}`, { title }, bob.access)).status, 200);
    const res = await srv.api('PATCH', `/api/channels/${bob.username}`, { title: 'hijacked' }, alice.access);
    expectError(res, 403, 'forbidden');
    assert.equal((await srv.api('GET', `/api/channels/${bob.username}`)).json.title, title);
  });

  // Editing requires being logged in.
  test('PATCH without a token -> 401, title unchanged', async () => {
    const before = (await srv.api('GET', `/api/channels/${bob.username}`)).json.title;
    expectError(await srv.api('PATCH', `/api/channels/${bob.username}`, { title: 'anon' }), 401, 'unauthorized');
    assert.equal((await srv.api('GET', `/api/channels/${bob.username}`)).json.title, before);
  });

  // Editing a channel that doesn't exist is a 404.
  test('PATCH unknown channel -> 404', async () => {
    const res = await srv.api('PATCH', `/api/channels/${uniqueName('nobody')}`, { title: 'x' }, alice.access);
    expectError(res, 404, 'not_found');
  });

  // Titles are limited to 140 characters (characters, not bytes).
  test('title length: 140 ok, 141 -> 422 validation_failed', async () => {
    const t140 = 'a'.repeat(140);
    const ok = await srv.api('PATCH', `/api/channels/${alice.username}`, { title: t140 }, alice.access);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.title, t140);

    const tooLong = await srv.api('PATCH', `/api/channels/${alice.username}`, { title: 'b'.repeat(141) }, alice.access);
    expectError(tooLong, 422, 'validation_failed');
    assert.equal((await srv.api('GET', `/api/channels/${alice.username}`)).json.title, t140, 'unchanged after 422');

    const wide = 'é'.repeat(140); // 140 characters, 280 bytes
    const okWide = await srv.api('PATCH', `/api/channels/${alice.username}`, { title: wide }, alice.access);
    assert.equal(okWide.status, 200, `140 two-byte characters are 140 characters: ${okWide.text.slice(0, 200)}`);
    assert.equal(okWide.json.title, wide);
    const tooWide = await srv.api('PATCH', `/api/channels/${alice.username}`, { title: 'é'.repeat(141) }, alice.access);
    expectError(tooWide, 422, 'validation_failed');
  });

  // Titles with quotes, backslashes, HTML and emoji come back exactly as written.
  test('title with special characters round-trips exactly', async () => {
    const title = 'He said "hi" \\ <b>&amp;</b> ünïcødé 🎉 \'quotes\' / slash';
    const res = await srv.api('PATCH', `/api/channels/${alice.username}`, { title }, alice.access);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.title, title);
    assert.equal((await srv.api('GET', `/api/channels/${alice.username}`)).json.title, title);
    assert.match(res.headers.get('content-type') || '', /^application\/json\b/i);
  });

  // Wrong types for title are a 400, not a crash or a silent change.
  test('PATCH with wrong types -> 400 bad_request', async () => {
    const before = (await srv.api('GET', `/api/channels/${alice.username}`)).json.title;
    for (const body of [{ title: 5 }, { title: true }, { title: ['x'] }, { title: { a: 1 } }, [], JSON.stringify('str'), 7]) {
      const res = await srv.api('PATCH', `/api/channels/${alice.username}`, body, alice.access);
      // A top-level scalar is valid JSON (RFC 8259) but parsers may call it malformed: either 400 code.
      const codes = typeof body === 'object' ? 'bad_request' : ['bad_request', 'invalid_json'];
      expectError(res, 400, codes, `body ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    }
    assert.equal((await srv.api('GET', `/api/channels/${alice.username}`)).json.title, before);
  });
});
