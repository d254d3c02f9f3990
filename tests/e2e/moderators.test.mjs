// Channel moderators over HTTP: the owner appoints and removes them; the
// owner and the moderators can see the list; nobody else can do either.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { test, startServer, newUser, expectError } from './lib/server.mjs';

describe('channel moderators', () => {
  let srv;
  let owner;
  let bob;
  let carol;
  before(async () => {
    srv = await startServer({});
    owner = await newUser(srv, 'mo');
    bob = await newUser(srv, 'mb');
    carol = await newUser(srv, 'mc');
  });
  after(async () => srv?.stop());

  const mods = (name) => `/api/channels/${name}/moderators`;
  const list = (token, name = owner.username) => srv.api('GET', mods(name), undefined, token);

  test('the owner adds a moderator (201, then 200 when repeated), lists and removes them (204)', async () => {
    const l0 = await list(owner.access);
    assert.equal(l0.status, 200, l0.text);
    assert.deepEqual(l0.json, { moderators: [] });

    const add = await srv.api('POST', mods(owner.username), { username: bob.username.toUpperCase() }, owner.access);
    assert.equal(add.status, 201, add.text);
    assert.deepEqual(add.json, { moderator: { id: bob.id, name: bob.username } });
    const again = await srv.api('POST', mods(owner.username), { username: bob.username }, owner.access);
    assert.equal(again.status, 200, 'adding twice is fine');
    assert.deepEqual(again.json, add.json);
    await srv.api('POST', mods(owner.username), { username: carol.username }, owner.access);

    const l1 = await list(owner.access);
    assert.deepEqual(
      l1.json.moderators.sort((a, b) => a.id - b.id),
      [{ id: bob.id, name: bob.username }, { id: carol.id, name: carol.username }],
    );
    // Moderators see the list too.
    assert.equal((await list(bob.access)).status, 200);

    const del = await srv.api('DELETE', `${mods(owner.username)}/${carol.username}`, undefined, owner.access);
    assert.equal(del.status, 204, del.text);
    assert.equal(del.text, '');
    assert.deepEqual((await list(owner.access)).json.moderators, [{ id: bob.id, name: bob.username }]);
    // Once removed, carol no longer sees the list.
    expectError(await list(carol.access), 403, 'forbidden', 'removed moderator lists');
    expectError(
      await srv.api('DELETE', `${mods(owner.username)}/${carol.username}`, undefined, owner.access),
      404,
      'not_found',
      'removing a non-moderator',
    );
  });

  test('only the owner appoints or removes; strangers and anonymous callers are refused', async () => {
    const other = await newUser(srv, 'mx');
    const path = mods(other.username);
    await srv.api('POST', path, { username: bob.username }, other.access);

    expectError(await srv.api('POST', path, { username: carol.username }, bob.access), 403, 'forbidden', 'moderator adds');
    expectError(await srv.api('POST', path, { username: carol.username }, carol.access), 403, 'forbidden', 'stranger adds');
    expectError(await srv.api('DELETE', `${path}/${bob.username}`, undefined, carol.access), 403, 'forbidden', 'stranger removes');
    expectError(await srv.api('DELETE', `${path}/${bob.username}`, undefined, bob.access), 403, 'forbidden', 'moderator removes self');
    expectError(await list(carol.access, other.username), 403, 'forbidden', 'stranger lists');
    expectError(await srv.api('GET', path), 401, 'unauthorized');
    expectError(await srv.api('POST', path, { username: carol.username }), 401, 'unauthorized');
    expectError(await srv.api('DELETE', `${path}/${bob.username}`), 401, 'unauthorized');
    // A stranger learns nothing about users: 403 even for a user that does not exist.
    expectError(await srv.api('POST', path, { username: 'ghost_user' }, carol.access), 403, 'forbidden');
    // Nothing changed.
    assert.deepEqual((await list(other.access, other.username)).json.moderators, [{ id: bob.id, name: bob.username }]);
  });

  test('unknown channel or user is 404, the owner themself is 422, a bad body is 400', async () => {
    const path = mods(owner.username);
    expectError(await srv.api('POST', mods('no_such_chan'), { username: bob.username }, owner.access), 404, 'not_found');
    expectError(await srv.api('GET', mods('no_such_chan'), undefined, owner.access), 404, 'not_found');
    expectError(await srv.api('POST', path, { username: 'ghost_user' }, owner.access), 404, 'not_found', 'unknown user');
    expectError(await srv.api('POST', path, { username: 'not valid!' }, owner.access), 404, 'not_found', 'impossible name');
    expectError(await srv.api('DELETE', `${path}/ghost_user`, undefined, owner.access), 404, 'not_found');
    expectError(await srv.api('POST', path, { username: owner.username }, owner.access), 422, 'validation_failed', 'owner');
    expectError(await srv.api('POST', path, {}, owner.access), 400, 'bad_request');
    expectError(await srv.api('POST', path, { username: 3 }, owner.access), 400, 'bad_request');
    expectError(await srv.api('POST', path, '[', owner.access), 400, 'invalid_json');
    assert.ok(!(await list(owner.access)).json.moderators.some((m) => m.id === owner.id));
  });
});
