// Static files from --web: index, content types, caching (ETag/304,
// Cache-Control), HEAD, 404s, and path traversal that must never escape the web root.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, startServer, expectError, buildRequest, rawConnect, sleep, DEFAULT_WEB_FILES } from './lib/server.mjs';

const SECRET = `TOP-SECRET-${process.pid}-${Date.now()}`;

describe('static files', () => {
  let srv;

  before(async () => {
    srv = await startServer({
      webFiles: {
        'hello world.txt': 'spaced name\n',
        'sub/index.html': '<p>sub index</p>\n',
      },
    });
    // A file right next to the web root (and the data dir): must never be served.
    fs.writeFileSync(path.join(srv.root, 'secret.txt'), SECRET);
    fs.writeFileSync(path.join(srv.dataDir, 'secret.txt'), SECRET);
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  // Visiting the site root shows index.html.
  test('GET / serves index.html', async () => {
    const res = await srv.api('GET', '/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /^text\/html\b/i);
    assert.equal(res.text, DEFAULT_WEB_FILES['index.html']);
    const direct = await srv.api('GET', '/index.html');
    assert.equal(direct.status, 200);
    assert.equal(direct.text, DEFAULT_WEB_FILES['index.html']);
  });

  // Browsers need the right Content-Type to render/execute files; bytes are served unchanged.
  test('Content-Type by extension and exact bytes', async () => {
    const cases = [
      ['/index.html', /^text\/html\b/i],
      ['/style.css', /^text\/css\b/i],
      ['/app.js', /^(text|application)\/javascript\b/i],
      ['/data.json', /^application\/json\b/i],
      ['/notes.txt', /^text\/plain\b/i],
      ['/logo.svg', /^image\/svg\+xml\b/i],
      ['/pixel.png', /^image\/png\b/i],
      ['/sub/page.html', /^text\/html\b/i],
    ];
    for (const [p, ct] of cases) {
      const res = await srv.api('GET', p);
      assert.equal(res.status, 200, p);
      assert.match(res.headers.get('content-type') || '', ct, `${p}: ${res.headers.get('content-type')}`);
      const expected = Buffer.from(DEFAULT_WEB_FILES[p.slice(1)]);
      assert.ok(res.body.equals(expected), `${p}: body differs from the file`);
      assert.equal(res.headers.get('content-length'), String(expected.length), `${p}: Content-Length`);
    }
  });

  // Percent-encoded names are decoded (a file with a space in its name).
  test('percent-encoded file name', async () => {
    const res = await srv.api('GET', '/hello%20world.txt');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'spaced name\n');
  });

  // Caching: an ETag lets the browser revalidate and get an empty 304.
  test('ETag and If-None-Match -> 304 with no body; Cache-Control present', async () => {
    const first = await srv.api('GET', '/style.css');
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag');
    assert.ok(etag, 'ETag header present');
    assert.match(etag, /^(W\/)?"[^"]*"$/, `ETag is a quoted string: ${etag}`);
    assert.ok(first.headers.get('cache-control'), 'Cache-Control present');

    const again = await srv.api('GET', '/style.css');
    assert.equal(again.headers.get('etag'), etag, 'same ETag for unchanged file');

    const conn = await rawConnect(srv.port);
    const r304 = await conn.request(buildRequest('GET', '/style.css', { headers: { 'If-None-Match': etag } }));
    assert.equal(r304.status, 304);
    assert.equal(r304.body.length, 0);
    assert.equal(r304.headers.get('etag'), etag);
    // next response on the same connection parses cleanly (the 304 carried no body)
    const next = await conn.request(buildRequest('GET', '/healthz'));
    assert.equal(next.status, 200);
    conn.destroy();

    const viaFetch = await srv.api('GET', '/style.css', undefined, undefined, { headers: { 'if-none-match': etag } });
    assert.equal(viaFetch.status, 304);
    assert.equal(viaFetch.text, '');

    const stale = await srv.api('GET', '/style.css', undefined, undefined, { headers: { 'if-none-match': '"not-the-etag"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.text, DEFAULT_WEB_FILES['style.css']);
  });

  // Editing a file on disk: the new content is served (within a few seconds) under a new ETag.
  test('a changed file gets new content and a new ETag', async () => {
    const p = path.join(srv.webDir, 'changing.txt');
    fs.writeFileSync(p, 'version one\n');
    const a = await srv.api('GET', '/changing.txt');
    assert.equal(a.text, 'version one\n');
    fs.writeFileSync(p, 'version two is longer\n');
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(p, t, t);
    let b;
    for (const deadline = Date.now() + 3000; Date.now() < deadline; await sleep(200)) {
      b = await srv.api('GET', '/changing.txt');
      if (b.text !== a.text) break;
    }
    assert.equal(b.text, 'version two is longer\n', 'new content served within 3 s');
    assert.notEqual(b.headers.get('etag'), a.headers.get('etag'));
    const c = await srv.api('GET', '/changing.txt', undefined, undefined, { headers: { 'if-none-match': a.headers.get('etag') } });
    assert.equal(c.status, 200, 'old ETag no longer matches');
  });

  // HEAD on a file: same headers as GET, no body.
  test('HEAD on a static file', async () => {
    const conn = await rawConnect(srv.port);
    const head = await conn.request(buildRequest('HEAD', '/app.js'), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(DEFAULT_WEB_FILES['app.js'])));
    assert.match(head.headers.get('content-type') || '', /javascript/i);
    assert.ok(head.headers.get('etag'));
    const get = await conn.request(buildRequest('GET', '/app.js'));
    assert.equal(get.status, 200, 'HEAD left no stray body on the connection');
    assert.equal(get.text, DEFAULT_WEB_FILES['app.js']);
    assert.equal(get.headers.get('etag'), head.headers.get('etag'));
    conn.destroy();
  });

  // Missing files and unknown API paths are JSON 404s.
  test('unknown file -> 404 JSON; unknown /api/ path -> 404 JSON', async () => {
    expectError(await srv.api('GET', '/no-such-file.html'), 404, 'not_found');
    expectError(await srv.api('GET', '/sub/missing.css'), 404, 'not_found');
    expectError(await srv.api('GET', '/api/no-such-endpoint'), 404, 'not_found');
  });

  // Nothing outside the web root can be read, however the path is spelled.
  // The browser app routes its pages itself: loading one directly gets index.html.
  test('app pages (/c/x, /login, ...) get index.html; other unknown paths still 404', async () => {
    const index = (await srv.api('GET', '/')).text;
    for (const p of ['/c/alice', '/c/alice/', '/login', '/signup/', '/wallet?payment=x&status=approved', '/dashboard', '/rooms', '/rooms/17', '/search?q=hi']) {
      const r = await srv.api('GET', p);
      assert.equal(r.status, 200, p);
      assert.equal(r.text, index, p);
    }
    for (const p of ['/c/', '/c/a/b', '/c/a%2Fb', '/loginx', '/c/' + 'a'.repeat(65), '/overlay/a.b', '/nope']) {
      assert.equal((await srv.api('GET', p)).status, 404, p);
    }
  });

  test('path traversal never escapes the web root', async () => {
    const targets = [
      '/../secret.txt',
      '/../data/secret.txt',
      '/..%2fsecret.txt',
      '/..%2Fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/.%2e/secret.txt',
      '/%2e./secret.txt',
      '/sub/../../secret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt',
      '/sub/..%2f..%2fsecret.txt',
      '/./../secret.txt',
      '/..\\secret.txt',
      '/..%5csecret.txt',
      '/%252e%252e/secret.txt',
      '/..%00/secret.txt',
      '/%c0%ae%c0%ae/secret.txt',
      '/....//secret.txt',
      '/../../../../../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/sub/../../../../../../../../proc/self/environ',
      '..%2fsecret.txt',
      '../secret.txt',
    ];
    for (const target of targets) {
      const res = await srv.raw(buildRequest('GET', target, { headers: { Connection: 'close' } }), { timeoutMs: 3000 });
      const text = res.text;
      assert.ok(!text.includes(SECRET), `${target} leaked a file outside the web root`);
      assert.ok(!/root:.*:0:0:/.test(text), `${target} leaked /etc/passwd`);
      assert.ok(!text.includes('PATH='), `${target} leaked /proc/self/environ`);
      assert.ok(res.responses.length === 1, `${target}: expected one response, got ${JSON.stringify(text.slice(0, 200))}`);
      const r = res.responses[0];
      assert.ok([400, 404].includes(r.status), `${target}: status ${r.status} (want 400 or 404)`);
      expectError(r, r.status, undefined, target);
    }
    assert.equal((await srv.api('GET', '/healthz')).status, 200);
  });

  // Asking for a directory never produces a file listing.
  test('a directory request does not list files', async () => {
    const res = await srv.api('GET', '/sub/');
    if (res.status === 200) {
      assert.equal(res.text, '<p>sub index</p>\n', '/sub/ may only serve sub/index.html');
    } else if (res.status >= 400) {
      expectError(res, res.status, undefined, '/sub/');
    } else {
      assert.ok([301, 302, 307, 308].includes(res.status), `/sub/: ${res.status}`);
    }
    assert.ok(!res.text.includes('page.html'), 'no directory listing');
  });
});
