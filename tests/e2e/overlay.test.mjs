// OBS overlays (issue 6): the channel's overlay key over REST (owner only,
// made on first request, rotation kills the old key at once), the public
// key check the overlay page starts with, and the overlay document served
// for /overlay/{channel} and /overlay/{channel}/chat.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { test, startServer, newUser, expectError, DEFAULT_WEB_FILES } from './lib/server.mjs';

const OVERLAY_DOC = '<!doctype html>\n<html><head><title>overlay e2e</title></head><body class="ov"></body></html>\n';
const KEY_RE = /^ov_[A-Za-z0-9_-]{24,}$/;

describe('overlays', () => {
  let srv;
  before(async () => {
    srv = await startServer({ webFiles: { 'overlay.html': OVERLAY_DOC } });
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  const get = (name, token) => srv.api('GET', `/api/channels/${name}/overlay`, undefined, token);
  const rotate = (name, token) => srv.api('POST', `/api/channels/${name}/overlay/rotate`, undefined, token);
  const check = (name, key) => srv.api('GET', `/api/overlay/${name}${key === undefined ? '' : `?key=${encodeURIComponent(key)}`}`);

  function assertShape(res, name) {
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') || '', /^application\/json\b/);
    const o = res.json.overlay;
    assert.match(o.key, KEY_RE);
    assert.equal(o.alerts_url, `/overlay/${name}?key=${o.key}`);
    assert.equal(o.chat_url, `/overlay/${name}/chat?key=${o.key}`);
    return o;
  }

  // The streamer gets one key, the same every time, until they rotate it.
  test('the owner gets a key made on first request, the same one after', async () => {
    const alice = await newUser(srv, 'ova');
    const first = assertShape(await get(alice.username, alice.access), alice.username);
    const again = assertShape(await get(alice.username, alice.access), alice.username);
    assert.equal(again.key, first.key);
    // Not the stream key.
    const sk = await srv.api('GET', '/api/me/stream-key', undefined, alice.access);
    assert.notEqual(first.key, sk.json.stream_key);
    assert.ok(!first.key.includes(sk.json.stream_key));
    // Two first requests at once agree on one key.
    const bob = await newUser(srv, 'ovb');
    const both = await Promise.all([get(bob.username, bob.access), get(bob.username, bob.access)]);
    assert.equal(assertShape(both[0], bob.username).key, assertShape(both[1], bob.username).key);
    // Keys differ between channels.
    assert.notEqual(both[0].json.overlay.key, first.key);
  });

  // The overlay page's check: right key, wrong key, old key, bad input.
  test('the key check: 200 with the room for the right key; 403 wrong; 404 unknown channel; 400 malformed', async () => {
    const alice = await newUser(srv, 'ovc');
    const o = assertShape(await get(alice.username, alice.access), alice.username);
    const ok = await check(alice.username, o.key);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.channel, alice.username);
    assert.equal(ok.json.room, `channel:${alice.username}`);
    assert.equal(ok.json.title, alice.username);
    // Channel names are case-insensitive like everywhere else.
    assert.equal((await check(alice.username.toUpperCase(), o.key)).json.room, `channel:${alice.username}`);

    // A well-formed key that is not this channel's.
    const wrong = `ov_${'A'.repeat(32)}`;
    expectError(await check(alice.username, wrong), 403, 'forbidden', 'wrong key');
    // Another channel's key does not open this one.
    const bob = await newUser(srv, 'ovd');
    const ob = assertShape(await get(bob.username, bob.access), bob.username);
    expectError(await check(alice.username, ob.key), 403, 'forbidden', "another channel's key");
    // A channel that never made a key: every key is wrong.
    const carol = await newUser(srv, 'ove');
    expectError(await check(carol.username, o.key), 403, 'forbidden', 'no key yet');
    // Unknown channel (with a well-formed key), and a name that can't exist.
    expectError(await check('nosuchchannel_ov', o.key), 404, 'not_found', 'unknown channel');
    expectError(await check('a', o.key), 404, 'not_found', 'impossible name');
    // Missing or malformed keys.
    for (const k of [undefined, '', 'ov_', 'ov_short', o.key.slice(3), `ov_${'a'.repeat(23)}`, `ov_${'a'.repeat(62)}`,
      `${o.key}!`, `${o.key} `, `ov_${'a'.repeat(30)}%00`, 'OV_' + o.key.slice(3)]) {
      expectError(await check(alice.username, k), 400, 'bad_request', `key ${JSON.stringify(k)}`);
    }
    expectError(await srv.api('GET', `/api/overlay/${alice.username}?key=%zz`), 400, 'bad_request', 'bad escape');
    // Only GET.
    expectError(await srv.api('POST', `/api/overlay/${alice.username}?key=${o.key}`), 405, 'method_not_allowed');
  });

  // Rotating: a new key, and the old one fails at once.
  test('rotate gives a new key and the old one stops working at once', async () => {
    const alice = await newUser(srv, 'ovf');
    const o = assertShape(await get(alice.username, alice.access), alice.username);
    assert.equal((await check(alice.username, o.key)).status, 200);
    const r = assertShape(await rotate(alice.username, alice.access), alice.username);
    assert.notEqual(r.key, o.key);
    expectError(await check(alice.username, o.key), 403, 'forbidden', 'old key after rotate');
    assert.equal((await check(alice.username, r.key)).status, 200);
    // GET shows the new key from now on.
    assert.equal(assertShape(await get(alice.username, alice.access), alice.username).key, r.key);
    // Rotating before any GET makes the first key.
    const bob = await newUser(srv, 'ovg');
    const rb = assertShape(await rotate(bob.username, bob.access), bob.username);
    assert.equal((await check(bob.username, rb.key)).status, 200);
    // The stream key did not change.
    const sk1 = (await srv.api('GET', '/api/me/stream-key', undefined, alice.access)).json.stream_key;
    await rotate(alice.username, alice.access);
    assert.equal((await srv.api('GET', '/api/me/stream-key', undefined, alice.access)).json.stream_key, sk1);
  });

  // Only the owner sees or changes the key.
  test('owner only: 401 without a token, 403 for others, 404 unknown channel', async () => {
    const alice = await newUser(srv, 'ovh');
    const mallory = await newUser(srv, 'ovi');
    const o = assertShape(await get(alice.username, alice.access), alice.username);
    for (const [m, p] of [['GET', `/api/channels/${alice.username}/overlay`], ['POST', `/api/channels/${alice.username}/overlay/rotate`]]) {
      expectError(await srv.api(m, p), 401, 'unauthorized', `${m} ${p} without token`);
      expectError(await srv.api(m, p, undefined, 'not.a.token'), 401, 'unauthorized', `${m} ${p} bad token`);
      const res = expectError(await srv.api(m, p, undefined, mallory.access), 403, 'forbidden', `${m} ${p} as another user`);
      assert.ok(!JSON.stringify(res).includes(o.key), 'no key in the refusal');
    }
    // A moderator is not the owner either.
    const add = await srv.api('POST', `/api/channels/${alice.username}/moderators`, { username: mallory.username }, alice.access);
    assert.equal(add.status, 201, add.text);
    expectError(await get(alice.username, mallory.access), 403, 'forbidden', 'moderator');
    expectError(await rotate(alice.username, mallory.access), 403, 'forbidden', 'moderator rotate');
    // Nothing changed by the refused rotations.
    assert.equal((await check(alice.username, o.key)).status, 200);
    expectError(await get('nosuchchannel_ov', alice.access), 404, 'not_found');
    expectError(await rotate('nosuchchannel_ov', alice.access), 404, 'not_found');
    expectError(await get('a.b', alice.access), 404, 'not_found');
  });

  // The key survives a restart of the server.
  test('the key is kept across a restart', async () => {
    const alice = await newUser(srv, 'ovj');
    const o = assertShape(await get(alice.username, alice.access), alice.username);
    await srv.restart();
    assert.equal((await check(alice.username, o.key)).status, 200);
    assert.equal(assertShape(await get(alice.username, alice.access), alice.username).key, o.key);
  });

  // OBS opens these URLs: both get the overlay document, not the site.
  test('static: /overlay/{channel} and /overlay/{channel}/chat serve overlay.html', async () => {
    for (const p of ['/overlay/alice', '/overlay/alice/', '/overlay/alice?key=ov_x', '/overlay/alice/chat', '/overlay/alice/chat/',
      '/overlay/alice/chat?key=ov_x&lang=ko', '/overlay/chat/chat', `/overlay/${'a'.repeat(64)}/chat`]) {
      const r = await srv.api('GET', p);
      assert.equal(r.status, 200, p);
      assert.match(r.headers.get('content-type') || '', /^text\/html\b/i, p);
      assert.equal(r.text, OVERLAY_DOC, p);
    }
    for (const p of ['/overlay/', '/overlay', '/overlay/a.b', '/overlay/a/b', '/overlay/a/chat/x', '/overlay/a/chatx',
      '/overlay/a%2Fb/chat', '/overlay//chat', `/overlay/${'a'.repeat(65)}/chat`, '/overlay/a/b/chat', '/overlay/../chat']) {
      assert.equal((await srv.api('GET', p)).status, 404, p);
    }
    // The site's pages still get index.html.
    assert.equal((await srv.api('GET', '/c/alice')).text, DEFAULT_WEB_FILES['index.html']);
  });
});
