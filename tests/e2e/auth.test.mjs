// Accounts and sessions: signup, login, JWT access tokens, expiry, refresh
// rotation with reuse detection, logout, stream keys and login rate limiting.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  test,
  startServer,
  signup,
  login,
  newUser,
  uniqueName,
  expectError,
  sleep,
  rawRequest,
  buildRequest,
  b64urlDecode,
  b64urlEncode,
  DEFAULT_PASSWORD,
} from './lib/server.mjs';

const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const STREAM_KEY_RE = /^[A-Za-z0-9_-]{22,}$/;

/**
 * Waits until we are early in a `windowSec`-long window counted from the epoch, so that a quick
 * burst of failed logins can't straddle the boundary of a fixed-window rate limiter
 * (harmless for sliding windows or windows that start at the first failure).
 */
async function alignToWindow(windowSec) {
  const into = () => (Date.now() / 1000) % windowSec;
  while (into() < 0.05 || into() > windowSec - 1) await sleep(50);
}

function jwtParts(token) {
  const [h, p, s] = token.split('.');
  return { header: JSON.parse(b64urlDecode(h)), payload: JSON.parse(b64urlDecode(p)), h, p, s };
}

/** Changes one character in the middle of a base64url segment (never the last, whose low bits may be ignored). */
function flipMiddleChar(seg) {
  const i = Math.floor(seg.length / 2);
  const c = seg[i] === 'A' ? 'B' : 'A';
  return seg.slice(0, i) + c + seg.slice(i + 1);
}

describe('accounts and sessions', () => {
  let srv;

  before(async () => {
    srv = await startServer({ args: ['--login-max-failures-ip', '1000'] });
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  // Signing up creates an account and tells the user who they are, never echoing the password.
  test('signup returns 201 {user:{id,username}}', async () => {
    const username = uniqueName('sign');
    const res = await srv.api('POST', '/api/auth/signup', { username, password: DEFAULT_PASSWORD });
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.get('content-type') || '', /^application\/json\b/i);
    assert.ok(res.json.user, res.text);
    assert.equal(res.json.user.username, username);
    assert.ok(res.json.user.id !== undefined && res.json.user.id !== null && res.json.user.id !== '', 'user.id');
    assert.ok(!res.text.includes(DEFAULT_PASSWORD), 'password must not be echoed');
    assert.ok(!/password/i.test(JSON.stringify(Object.keys(res.json.user))), 'no password field in user');
  });

  // Usernames are case-insensitive: "Alice" becomes "alice" and "ALICE" is then taken.
  test('username is case-folded; another case of it is taken; login works in any case', async () => {
    const lower = uniqueName('case');
    const mixed = lower.toUpperCase();
    const res = await srv.api('POST', '/api/auth/signup', { username: mixed, password: DEFAULT_PASSWORD });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.user.username, lower);

    const dup = await srv.api('POST', '/api/auth/signup', { username: lower, password: DEFAULT_PASSWORD });
    expectError(dup, 409, 'username_taken');

    await login(srv, lower);
    await login(srv, mixed);
  });

  // Two people can't register the same name.
  test('duplicate username -> 409 username_taken', async () => {
    const u = await signup(srv);
    const res = await srv.api('POST', '/api/auth/signup', { username: u.username, password: 'another password' });
    expectError(res, 409, 'username_taken');
    // The original password still works; the second signup changed nothing.
    await login(srv, u.username);
    const bad = await srv.api('POST', '/api/auth/login', { username: u.username, password: 'another password' });
    expectError(bad, 401, 'invalid_credentials');
  });

  // Username rules: [a-z0-9_]{3,24} after lower-casing.
  test('bad usernames -> 422 validation_failed', async () => {
    const bad = ['ab', 'a'.repeat(25), 'bad-name', 'with space', 'dots.dots', 'émile', 'ALICE!', '', '../etc', 'tab\tname'];
    for (const username of bad) {
      const res = await srv.api('POST', '/api/auth/signup', { username, password: DEFAULT_PASSWORD });
      expectError(res, 422, 'validation_failed', `username ${JSON.stringify(username)}`);
    }
  });

  // Password rules: 8..128 bytes (bytes, not characters).
  test('bad passwords -> 422 validation_failed', async () => {
    const bad = ['', 'short', '1234567', 'p'.repeat(129), 'é'.repeat(65) /* 65 chars, 130 bytes */];
    for (const password of bad) {
      const res = await srv.api('POST', '/api/auth/signup', { username: uniqueName('pw'), password });
      expectError(res, 422, 'validation_failed', `password of ${Buffer.byteLength(password)} bytes`);
    }
  });

  // The exact limits are allowed.
  test('boundary usernames and passwords are accepted', async () => {
    const short = uniqueName('').replace(/_/g, '').slice(-3);
    const long = (uniqueName('long') + 'z'.repeat(24)).slice(0, 24);
    for (const [username, password] of [
      [short, 'p'.repeat(8)],
      [long, 'p'.repeat(128)],
      [uniqueName('mb'), 'é'.repeat(64) /* 128 bytes */],
      [uniqueName('sp'), 'pass word with spaces and ünïcødé'],
    ]) {
      const res = await srv.api('POST', '/api/auth/signup', { username, password });
      assert.equal(res.status, 201, `${username} / ${Buffer.byteLength(password)} bytes: ${res.text}`);
      await login(srv, username, password);
    }
  });

  // Login hands out an HS256 JWT access token, a refresh token and the access TTL.
  test('login returns access_token (HS256 JWT), refresh_token, expires_in', async () => {
    const u = await signup(srv);
    const res = await srv.api('POST', '/api/auth/login', { username: u.username, password: u.password });
    assert.equal(res.status, 200, res.text);
    const { access_token, refresh_token, expires_in } = res.json;
    assert.match(access_token, JWT_RE);
    assert.equal(jwtParts(access_token).header.alg, 'HS256');
    assert.equal(typeof refresh_token, 'string');
    assert.ok(refresh_token.length >= 16, 'refresh token long enough');
    assert.notEqual(refresh_token, access_token);
    assert.equal(expires_in, 900, 'default --access-ttl is 900');
  });

  // A wrong password and an unknown user look exactly the same (no user enumeration).
  test('wrong password and unknown user -> identical 401 invalid_credentials', async () => {
    const u = await signup(srv);
    const wrong = await srv.api('POST', '/api/auth/login', { username: u.username, password: 'not the password' });
    const unknown = await srv.api('POST', '/api/auth/login', { username: uniqueName('ghost'), password: 'not the password' });
    const a = expectError(wrong, 401, 'invalid_credentials');
    const b = expectError(unknown, 401, 'invalid_credentials');
    assert.deepEqual(a, b, 'same body for wrong password and unknown user');
  });

  // A logged-in user sees their account and their channel.
  test('GET /api/me returns user and channel', async () => {
    const u = await newUser(srv, 'me');
    const res = await srv.api('GET', '/api/me', undefined, u.access);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user.username, u.username);
    assert.deepEqual(res.json.user.id, u.id);
    assert.equal(res.json.channel.name, u.username);
    assert.equal(typeof res.json.channel.title, 'string');
  });

  // No token, a malformed header or a junk token never gets in.
  test('GET /api/me without a valid bearer token -> 401 unauthorized', async () => {
    expectError(await srv.api('GET', '/api/me'), 401, 'unauthorized', 'no header');
    for (const auth of ['Bearer', 'Bearer ', 'Bearer garbage', 'Bearer a.b.c', 'Basic dXNlcjpwYXNz', 'garbage']) {
      const res = await srv.api('GET', '/api/me', undefined, undefined, { headers: { authorization: auth } });
      expectError(res, 401, 'unauthorized', `Authorization: ${auth}`);
    }
  });

  // A token whose payload, signature or algorithm was tampered with is refused.
  test('tampered access tokens -> 401 unauthorized', async () => {
    const victim = await newUser(srv, 'tv');
    const other = await newUser(srv, 'to');
    const { header, payload, h, p, s } = jwtParts(other.access);

    // 1. payload changed (claim pointing at another user / longer expiry), signature kept
    const forged = { ...payload };
    const vParts = jwtParts(victim.access).payload;
    for (const k of Object.keys(forged)) {
      if (['sub', 'uid', 'user_id', 'username', 'name'].includes(k) && k in vParts) forged[k] = vParts[k];
    }
    if (typeof forged.exp === 'number') forged.exp += 86400;
    forged.admin = true;
    const t1 = `${h}.${b64urlEncode(JSON.stringify(forged))}.${s}`;
    // 2. one character of the signature changed
    const t2 = `${h}.${p}.${flipMiddleChar(s)}`;
    // 3. one character of the payload changed
    const t3 = `${h}.${flipMiddleChar(p)}.${s}`;
    // 4. alg "none" with no signature
    const t4 = `${b64urlEncode(JSON.stringify({ ...header, alg: 'none' }))}.${p}.`;
    // 5. signature stripped
    const t5 = `${h}.${p}.`;
    for (const [i, tok] of [t1, t2, t3, t4, t5].entries()) {
      const res = await srv.api('GET', '/api/me', undefined, tok);
      expectError(res, 401, 'unauthorized', `tampered token #${i + 1}`);
    }
    // The genuine token still works.
    assert.equal((await srv.api('GET', '/api/me', undefined, other.access)).status, 200);
  });

  // Refresh rotates: new, different tokens that both work; the chain continues.
  test('refresh returns a new working pair', async () => {
    const u = await newUser(srv, 'rf');
    const r1 = await srv.api('POST', '/api/auth/refresh', { refresh_token: u.refresh });
    assert.equal(r1.status, 200, r1.text);
    assert.match(r1.json.access_token, JWT_RE);
    assert.equal(typeof r1.json.refresh_token, 'string');
    assert.equal(r1.json.expires_in, 900);
    assert.notEqual(r1.json.refresh_token, u.refresh, 'refresh token rotated');
    const me = await srv.api('GET', '/api/me', undefined, r1.json.access_token);
    assert.equal(me.status, 200);
    assert.equal(me.json.user.username, u.username);
    const r2 = await srv.api('POST', '/api/auth/refresh', { refresh_token: r1.json.refresh_token });
    assert.equal(r2.status, 200, r2.text);
    assert.notEqual(r2.json.refresh_token, r1.json.refresh_token);
  });

  // A stolen-and-replayed refresh token is detected: the whole chain is revoked,
  // but the user's other sessions (separate logins) keep working.
  test('refresh token reuse -> 401 token_reused and the family is revoked', async () => {
    const u = await newUser(srv, 'reuse');
    const otherSession = await login(srv, u.username);
    const r1 = await srv.api('POST', '/api/auth/refresh', { refresh_token: u.refresh });
    assert.equal(r1.status, 200, r1.text);
    const r2 = await srv.api('POST', '/api/auth/refresh', { refresh_token: r1.json.refresh_token });
    assert.equal(r2.status, 200, r2.text);
    const newest = r2.json.refresh_token;

    const replay = await srv.api('POST', '/api/auth/refresh', { refresh_token: u.refresh });
    expectError(replay, 401, 'token_reused');

    const afterRevoke = await srv.api('POST', '/api/auth/refresh', { refresh_token: newest });
    expectError(afterRevoke, 401, undefined, 'newest token of a revoked family');

    const other = await srv.api('POST', '/api/auth/refresh', { refresh_token: otherSession.refresh });
    assert.equal(other.status, 200, `a separate login is a separate family: ${other.text}`);
  });

  // Made-up refresh tokens and malformed refresh requests are refused.
  test('unknown refresh token -> 401 invalid_token; missing field -> 400', async () => {
    for (const t of ['nope', 'A'.repeat(43), 'a.b.c']) {
      expectError(await srv.api('POST', '/api/auth/refresh', { refresh_token: t }), 401, 'invalid_token', t);
    }
    expectError(await srv.api('POST', '/api/auth/refresh', {}), 400, 'bad_request');
    expectError(await srv.api('POST', '/api/auth/refresh', { refresh_token: 42 }), 400, 'bad_request');
  });

  // Logout (refresh token + bearer) ends that session: both tokens stop working.
  test('logout with refresh token and bearer -> 204; both tokens refused afterwards', async () => {
    const u = await newUser(srv, 'lo');
    const keep = await login(srv, u.username);
    const res = await srv.api('POST', '/api/auth/logout', { refresh_token: u.refresh }, u.access);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    expectError(await srv.api('POST', '/api/auth/refresh', { refresh_token: u.refresh }), 401, undefined, 'refresh after logout');
    expectError(await srv.api('GET', '/api/me', undefined, u.access), 401, undefined, 'access after logout');
    // Another session of the same user is not logged out.
    assert.equal((await srv.api('GET', '/api/me', undefined, keep.access)).status, 200);
    assert.equal((await srv.api('POST', '/api/auth/refresh', { refresh_token: keep.refresh })).status, 200);
  });

  // Logout with only the refresh token in the body.
  test('logout with only the refresh token -> 204; session tokens refused', async () => {
    const u = await newUser(srv, 'lr');
    const res = await srv.api('POST', '/api/auth/logout', { refresh_token: u.refresh });
    assert.equal(res.status, 204, res.text);
    expectError(await srv.api('POST', '/api/auth/refresh', { refresh_token: u.refresh }), 401, undefined, 'refresh after logout');
    expectError(await srv.api('GET', '/api/me', undefined, u.access), 401, undefined, 'access after logout');
  });

  // Logout with only the bearer access token (no body).
  test('logout with only the bearer token -> 204; session tokens refused', async () => {
    const u = await newUser(srv, 'lb');
    const res = await srv.api('POST', '/api/auth/logout', undefined, u.access);
    assert.equal(res.status, 204, res.text);
    expectError(await srv.api('GET', '/api/me', undefined, u.access), 401, undefined, 'access after logout');
    expectError(await srv.api('POST', '/api/auth/refresh', { refresh_token: u.refresh }), 401, undefined, 'refresh after logout');
  });

  // Each streamer has a secret, URL-safe, 128-bit+ stream key that stays the same until rotated.
  test('stream key: GET is stable, rotate replaces it', async () => {
    const u = await newUser(srv, 'sk');
    const other = await newUser(srv, 'sk2');
    const k1 = await srv.api('GET', '/api/me/stream-key', undefined, u.access);
    assert.equal(k1.status, 200, k1.text);
    assert.match(k1.json.stream_key, STREAM_KEY_RE);
    const again = await srv.api('GET', '/api/me/stream-key', undefined, u.access);
    assert.equal(again.json.stream_key, k1.json.stream_key, 'same key on repeat');
    const ko = await srv.api('GET', '/api/me/stream-key', undefined, other.access);
    assert.notEqual(ko.json.stream_key, k1.json.stream_key, 'users have different keys');

    const rot = await srv.api('POST', '/api/me/stream-key/rotate', undefined, u.access);
    assert.equal(rot.status, 200, rot.text);
    assert.match(rot.json.stream_key, STREAM_KEY_RE);
    assert.notEqual(rot.json.stream_key, k1.json.stream_key, 'rotation gives a new key');
    const k2 = await srv.api('GET', '/api/me/stream-key', undefined, u.access);
    assert.equal(k2.json.stream_key, rot.json.stream_key, 'GET returns the rotated key');
    const ko2 = await srv.api('GET', '/api/me/stream-key', undefined, other.access);
    assert.equal(ko2.json.stream_key, ko.json.stream_key, "another user's key is untouched");
  });

  // Stream keys are only for their owner.
  test('stream key endpoints require a token', async () => {
    expectError(await srv.api('GET', '/api/me/stream-key'), 401, 'unauthorized');
    expectError(await srv.api('POST', '/api/me/stream-key/rotate'), 401, 'unauthorized');
    expectError(await srv.api('GET', '/api/me/stream-key', undefined, 'x.y.z'), 401, 'unauthorized');
  });
});

describe('access token expiry (--access-ttl 2)', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: ['--access-ttl', '2'] });
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  // An access token works until its TTL, then says token_expired; refreshing fixes it.
  test('access token expires after --access-ttl seconds', async () => {
    const u = await newUser(srv, 'exp');
    const l = await login(srv, u.username);
    assert.equal(l.expiresIn, 2);
    assert.equal((await srv.api('GET', '/api/me', undefined, l.access)).status, 200);
    await sleep(3200);
    expectError(await srv.api('GET', '/api/me', undefined, l.access), 401, 'token_expired');
    const r = await srv.api('POST', '/api/auth/refresh', { refresh_token: l.refresh });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.expires_in, 2);
    assert.equal((await srv.api('GET', '/api/me', undefined, r.json.access_token)).status, 200);
  });
});

describe('login rate limit per username', () => {
  let srv;
  before(async () => {
    srv = await startServer({
      args: ['--login-max-failures', '3', '--login-max-failures-ip', '1000', '--login-window', '3'],
    });
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  // Password guessing against one account gets locked out (429 + Retry-After),
  // other accounts are unaffected, and the lock lifts after the window.
  test('after N failures the right password gets 429 with Retry-After', async () => {
    const u = await signup(srv, uniqueName('rl'));
    const bystander = await signup(srv, uniqueName('by'));
    await alignToWindow(3);
    for (let i = 0; i < 3; i++) {
      const res = await srv.api('POST', '/api/auth/login', { username: u.username, password: `wrong ${i}` });
      expectError(res, 401, 'invalid_credentials', `failure ${i + 1}`);
    }
    const locked = await srv.api('POST', '/api/auth/login', { username: u.username, password: u.password });
    expectError(locked, 429, 'rate_limited');
    const ra = locked.headers.get('retry-after');
    assert.match(ra || '', /^\d+$/, `Retry-After should be whole seconds, got ${ra}`);
    assert.ok(Number(ra) >= 1 && Number(ra) <= 4, `Retry-After ${ra} within the 3 s window`);

    // Someone else logs in fine from the same address.
    await login(srv, bystander.username);

    await sleep((Number(ra) + 1) * 1000);
    const again = await srv.api('POST', '/api/auth/login', { username: u.username, password: u.password });
    assert.equal(again.status, 200, `lock should lift after Retry-After: ${again.text}`);
  });
});

describe('login rate limit per IP', () => {
  let srv;
  before(async () => {
    srv = await startServer({
      args: ['--login-max-failures', '100', '--login-max-failures-ip', '4', '--login-window', '60'],
    });
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  // Spraying wrong passwords over many accounts from one address locks that address out
  // (even for a correct password), but not other addresses.
  test('after N failures from one IP -> 429 with Retry-After, other IPs unaffected', async () => {
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await signup(srv, uniqueName(`ip${i}`)));
    await alignToWindow(60);
    for (let i = 0; i < 4; i++) {
      const res = await srv.api('POST', '/api/auth/login', { username: users[i].username, password: 'wrong password' });
      expectError(res, 401, 'invalid_credentials', `failure ${i + 1}`);
    }
    const locked = await srv.api('POST', '/api/auth/login', { username: users[4].username, password: users[4].password });
    expectError(locked, 429, 'rate_limited');
    const ra = locked.headers.get('retry-after');
    assert.match(ra || '', /^\d+$/, `Retry-After should be whole seconds, got ${ra}`);
    assert.ok(Number(ra) >= 1 && Number(ra) <= 61, `Retry-After ${ra} within the 60 s window`);

    // The same login from another loopback address (127.0.0.2) still works.
    const body = JSON.stringify({ username: users[4].username, password: users[4].password });
    const res = await rawRequest(
      srv.port,
      buildRequest('POST', '/api/auth/login', {
        headers: { 'Content-Type': 'application/json', Connection: 'close' },
        body,
      }),
      { localAddress: '127.0.0.2', responses: 1, timeoutMs: 5000 },
    );
    assert.equal(res.responses[0]?.status, 200, `login from 127.0.0.2: ${res.text.slice(0, 300)}`);
  });
});
