// Search over stored chat messages: GET /api/search. Messages go in over the
// WebSocket like a user's would (acked = stored), then are searched.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { test, startServer, newUser, expectError } from './lib/server.mjs';
import { connect, join } from './lib/chat.mjs';

// A user (and a connection) sends at most 10 messages per 10 s: each test
// below has its own users where it needs more.
async function say(srv, user, room, texts) {
  assert.ok(texts.length <= 10, 'at most 10 messages per user');
  const c = await connect(srv, user.access);
  try {
    await join(c, room);
    texts.forEach((text, k) => c.send({ type: 'send', room, text, client_id: `s${k}` }));
    for (let k = 0; k < texts.length; k++) {
      const r = await c.next((m) => (m.type === 'ack' || m.type === 'error') && m.client_id === `s${k}`);
      assert.equal(r.type, 'ack', `send "${texts[k]}": ${JSON.stringify(r)}`);
    }
  } finally {
    c.close();
  }
}

describe('search', () => {
  let srv;
  let alice;
  let bob;
  let carol;
  let ra; // channel:alice
  let rb; // channel:bob
  before(async () => {
    srv = await startServer({});
    alice = await newUser(srv, 'sa');
    bob = await newUser(srv, 'sb');
    carol = await newUser(srv, 'sc');
    ra = `channel:${alice.username}`;
    rb = `channel:${bob.username}`;
    await say(srv, alice, ra, [
      'Hello World from alice',
      'nothing to see here',
      '안녕하세요 여러분',
      '오늘 방송 재미있네요',
    ]);
    await say(srv, bob, ra, ['hello again, WORLD', '방송 최고', `<b>&"bold" & 'quotes'</b> world`, 'c++ rocks']);
  });
  after(async () => srv?.stop());

  const search = (params, token) => srv.api('GET', `/api/search?${new URLSearchParams(params)}`, undefined, token);
  const texts = (r) => r.json.results.map((x) => x.text);

  test('English is matched case-insensitively, newest first, with every match marked', async () => {
    const r = await search({ q: 'WORLD', room: ra });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(texts(r), [`<b>&"bold" & 'quotes'</b> world`, 'hello again, WORLD', 'Hello World from alice']);
    assert.deepEqual(
      r.json.results.map((x) => x.highlight),
      [
        '&lt;b&gt;&amp;&quot;bold&quot; &amp; &#39;quotes&#39;&lt;/b&gt; <mark>world</mark>',
        'hello again, <mark>WORLD</mark>',
        'Hello <mark>World</mark> from alice',
      ],
    );
    assert.equal(r.json.next_before_id, null);
    const [newest, , oldest] = r.json.results;
    assert.ok(newest.id > oldest.id && newest.seq > oldest.seq && newest.ts >= oldest.ts);
    assert.deepEqual(Object.keys(oldest).sort(), ['highlight', 'id', 'room', 'seq', 'text', 'ts', 'type', 'user']);
    assert.equal(oldest.room, ra);
    assert.equal(oldest.type, 'message');
    assert.deepEqual(oldest.user, { id: alice.id, name: alice.username });
    assert.equal(newest.user.name, bob.username);
    // A phrase with a space ('+' in a form-encoded query) and a literal '+'.
    assert.deepEqual(texts(await search({ q: 'again, world' })), ['hello again, WORLD']);
    const plus = await search({ q: 'C++' });
    assert.deepEqual(texts(plus), ['c++ rocks']);
    assert.equal(plus.json.results[0].highlight, '<mark>c++</mark> rocks');
    assert.deepEqual(texts(await search({ q: 'nowhere to be found' })), []);
  });

  test('Korean substrings match, 2-character queries too', async () => {
    const two = await search({ q: '방송' });
    assert.equal(two.status, 200, two.text);
    assert.deepEqual(texts(two), ['방송 최고', '오늘 방송 재미있네요']);
    assert.deepEqual(two.json.results.map((x) => x.highlight), ['<mark>방송</mark> 최고', '오늘 <mark>방송</mark> 재미있네요']);
    // From the middle of a word, two and three or more characters.
    assert.deepEqual(texts(await search({ q: '녕하' })), ['안녕하세요 여러분']);
    const three = await search({ q: '재미있', room: ra });
    assert.deepEqual(texts(three), ['오늘 방송 재미있네요']);
    assert.equal(three.json.results[0].highlight, '오늘 방송 <mark>재미있</mark>네요');
    assert.deepEqual(texts(await search({ q: '하세요 여러' })), ['안녕하세요 여러분']);
  });

  test('the highlight is safe HTML: markup in messages and queries is escaped', async () => {
    const r = await search({ q: '<b>&"' });
    assert.deepEqual(texts(r), [`<b>&"bold" & 'quotes'</b> world`]);
    assert.equal(r.json.results[0].highlight, '<mark>&lt;b&gt;&amp;&quot;</mark>bold&quot; &amp; &#39;quotes&#39;&lt;/b&gt; world');
    const q = await search({ q: "'quotes'" });
    assert.equal(q.json.results[0].highlight, '&lt;b&gt;&amp;&quot;bold&quot; &amp; <mark>&#39;quotes&#39;</mark>&lt;/b&gt; world');
    // The only tags in any highlight are the marks.
    for (const x of (await search({ q: 'o' })).json.results) {
      assert.doesNotMatch(x.highlight.replace(/<\/?mark>/g, ''), /[<>"']/);
    }
  });

  test('paging with limit and before_id walks every hit once, newest first', async () => {
    const pager = await newUser(srv, 'sp');
    await say(srv, pager, rb, Array.from({ length: 7 }, (_, i) => `needle page ${i}`));
    await say(srv, carol, ra, ['a needle elsewhere']);
    const seen = [];
    let cursor;
    const sizes = [];
    for (let guard = 0; guard < 10; guard++) {
      const r = await search({ q: 'NEEDLE page', limit: 3, ...(cursor ? { before_id: cursor } : {}) });
      assert.equal(r.status, 200, r.text);
      sizes.push(r.json.results.length);
      seen.push(...texts(r));
      cursor = r.json.next_before_id;
      if (cursor === null) break;
      assert.equal(cursor, r.json.results.at(-1).id, 'the cursor is the last hit');
    }
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual(seen, Array.from({ length: 7 }, (_, i) => `needle page ${6 - i}`));
    const def = await search({ q: 'needle' });
    assert.equal(def.json.results.length, 8, 'default limit 20 holds all 8');
    assert.equal(def.json.next_before_id, null);
  });

  test('room= limits the search to one room; unknown rooms are 404', async () => {
    const inB = await search({ q: 'needle', room: rb });
    assert.equal(inB.status, 200);
    assert.equal(inB.json.results.length, 7);
    assert.ok(inB.json.results.every((x) => x.room === rb));
    assert.deepEqual(texts(await search({ q: 'needle', room: ra })), ['a needle elsewhere']);
    const all = await search({ q: 'needle' });
    assert.deepEqual(new Set(all.json.results.map((x) => x.room)), new Set([ra, rb]));
    // A blank filter (a form's empty field) is every room.
    assert.equal((await search({ q: 'needle', room: '' })).json.results.length, 8);
    expectError(await search({ q: 'needle', room: 'channel:no_such_user' }), 404, 'not_found');
    expectError(await search({ q: 'needle', room: 'room:99999999' }), 404, 'not_found');
    expectError(await search({ q: 'needle', room: 'lobby' }), 404, 'not_found');
  });

  test('private rooms: hidden from everyone but their members; a page may come back short but paging goes on', async () => {
    const owner = await newUser(srv, 'so');
    const made = await srv.api('POST', '/api/rooms', { title: 'secret', private: true, members: [bob.username] }, owner.access);
    assert.equal(made.status, 201, made.text);
    const room = made.json.room.id;
    const pub = (await srv.api('POST', '/api/rooms', { title: 'open' }, owner.access)).json.room.id;
    // Oldest to newest: two public zebras, then two private ones.
    await say(srv, owner, pub, ['zebra public 0', 'zebra public 1']);
    await say(srv, owner, room, ['zebra secret 0', 'zebra secret 1']);

    const walk = async (token) => {
      const pages = [];
      let cursor;
      for (let guard = 0; guard < 10; guard++) {
        const r = await search({ q: 'zebra', limit: 2, ...(cursor ? { before_id: cursor } : {}) }, token);
        assert.equal(r.status, 200, r.text);
        pages.push(texts(r));
        cursor = r.json.next_before_id;
        if (cursor === null) return pages;
      }
      throw new Error('paging did not end');
    };
    // Non-members: the private hits are dropped, the first page is empty, yet it has a cursor.
    for (const token of [null, carol.access]) {
      assert.deepEqual(await walk(token), [[], ['zebra public 1', 'zebra public 0'], []]);
    }
    for (const token of [owner.access, bob.access]) {
      assert.deepEqual(await walk(token), [['zebra secret 1', 'zebra secret 0'], ['zebra public 1', 'zebra public 0'], []]);
    }
    expectError(await search({ q: 'zebra', room }), 403, 'forbidden', 'anonymous, private room');
    expectError(await search({ q: 'zebra', room }, carol.access), 403, 'forbidden', 'non-member, private room');
    const member = await search({ q: 'secret', room }, bob.access);
    assert.deepEqual(texts(member), ['zebra secret 1', 'zebra secret 0']);
    assert.ok(member.json.results.every((x) => x.room === room));
    expectError(await search({ q: 'zebra' }, 'not-a-token'), 401, 'unauthorized');
  });

  test('bad q, limit or before_id is 400', async () => {
    const bad = [
      '',
      'q=',
      'room=' + encodeURIComponent(ra),
      'q=' + 'a'.repeat(129),
      'q=%FF%FE',
      'q=%zz',
      'q=a%00b',
      'q=a&limit=0',
      'q=a&limit=51',
      'q=a&limit=x',
      'q=a&before_id=-1',
    ];
    for (const qs of bad) expectError(await srv.api('GET', `/api/search?${qs}`), 400, 'bad_request', qs);
    assert.equal((await srv.api('GET', `/api/search?q=${'a'.repeat(128)}`)).status, 200);
    assert.equal((await srv.api('GET', '/api/search?q=a&limit=50')).status, 200);
    // 128 bytes is the cap, not 128 characters: 43 Korean characters are 129 bytes.
    expectError(await search({ q: '가'.repeat(43) }), 400, 'bad_request', '129 bytes of Korean');
    assert.equal((await search({ q: '가'.repeat(42) })).status, 200);
  });
});
