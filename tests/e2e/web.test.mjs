// The web app end to end: Playwright drives headless chromium against the
// real server serving web/ (with hls.js from web/node_modules). One server
// and one ffmpeg publisher for the whole file; the tests run in order and
// build on each other (the streamer signs up, goes live, viewers watch and
// chat). Screenshots of each page at desktop and phone width go to
// build/screenshots/ (`make screenshots` copies them to docs/screenshots/).

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, startServer, newUser, login, uniqueName, DEFAULT_PASSWORD, REPO_ROOT, SANITIZED } from './lib/server.mjs';
import { startPublisher } from './lib/media.mjs';
import { connect } from './lib/chat.mjs';
import { charge, donate } from './lib/wallet.mjs';
import { launchBrowser, newPage, openApp, checkA11y, screenshot, DESKTOP, PHONE } from './lib/browser.mjs';

const WEB_DIR = path.join(REPO_ROOT, 'web');
const HLS_JS = path.join(WEB_DIR, 'node_modules', 'hls.js', 'dist', 'hls.min.mjs');
const SLOW = SANITIZED ? 3 : 1;
// The readout must stay under 3 s; a sanitizer build is slower at everything.
const LATENCY_MAX_S = SANITIZED ? 6 : 3;
const ACCESS_TTL_S = 20; // short, so silent refreshes happen during the run

/** Waits (polling in the page) until fn(arg) is truthy; returns its value. */
function until(page, fn, arg, timeout = 15_000 * SLOW) {
  return page.waitForFunction(fn, arg, { timeout, polling: 100 }).then((h) => h.jsonValue());
}

describe('web app', () => {
  let srv;
  let browser;
  let pub = null;
  const streamer = { username: uniqueName('star'), password: DEFAULT_PASSWORD };
  let viewer; // signed up over the API, logs in through the form
  let taken; // a username that exists
  let A; // the streamer's page (Korean browser)
  let B; // a signed-in viewer's page (English browser)
  let C; // an anonymous viewer on a phone
  let E; // an anonymous viewer waiting on the streamer's page before it goes live
  let firstAccess = null;
  const unauthorized = []; // 401s the streamer's page received
  const room = () => `channel:${streamer.username}`;
  const token = async (u) => (await login(srv, u.username, u.password)).access;

  const go = (page, p) => openApp(page, p, 15_000 * SLOW);

  before(async () => {
    assert.ok(
      fs.existsSync(HLS_JS),
      `${HLS_JS} is missing: the web app needs hls.js from npm (scripts/deps.sh runs npm ci in web/)`,
    );
    browser = await launchBrowser();
    srv = await startServer({
      args: [
        '--web', WEB_DIR,
        '--hls-segment-ms', '1000',
        '--hls-part-ms', '333',
        '--thumbnail-interval-ms', '2000',
        '--access-ttl', String(ACCESS_TTL_S),
        '--chat-rate-count', '200',
      ],
    });
    viewer = await newUser(srv, 'fan');
    taken = await newUser(srv, 'taken');
  });

  after(async () => {
    await pub?.stop();
    await browser?.close().catch(() => {});
    await srv?.stop();
  });

  test('sign up and log in through the forms, errors shown next to the fields', { timeout: 40_000 * SLOW }, async () => {
    A = await newPage(browser, { baseURL: srv.url, locale: 'ko-KR', permissions: ['clipboard-read', 'clipboard-write'] });
    A.on('response', (r) => {
      if (r.status() === 401 && r.request().headers().authorization) unauthorized.push(`${r.request().method()} ${r.url()}`);
    });
    await A.goto('/');
    // A Korean browser gets the app in Korean.
    assert.equal(await A.getAttribute('html', 'lang'), 'ko');
    assert.equal((await A.textContent('#signup-link')).trim(), '회원가입');
    await A.click('#signup-link');
    await A.waitForSelector('#signup-form');
    assert.equal(new URL(A.url()).pathname, '/signup');

    // Client-side checks: both fields, each message beside its field.
    await A.fill('#username', 'ab');
    await A.fill('#password', 'short');
    await A.click('#signup-form button[type=submit]');
    await A.waitForSelector('#username-error:not([hidden])');
    await A.waitForSelector('#password-error:not([hidden])');
    assert.equal(await A.getAttribute('#username', 'aria-invalid'), 'true');
    assert.match(await A.getAttribute('#username', 'aria-describedby'), /username-error/);

    // The server's answer for a taken name goes to the username field.
    await A.fill('#username', taken.username);
    await A.fill('#password', streamer.password);
    await A.click('#signup-form button[type=submit]');
    await until(A, () => /이미 사용 중/.test(document.getElementById('username-error')?.textContent || ''));
    assert.equal(await A.isHidden('#password-error'), true);

    await A.fill('#username', streamer.username);
    await A.click('#signup-form button[type=submit]');
    await A.waitForURL('**/dashboard');
    await A.waitForSelector('#user-button');
    assert.match(await A.textContent('#user-button'), new RegExp(streamer.username));

    // A menu opened while a page is still loading stays open: the new
    // page's heading must not take the focus from it (a slow dashboard
    // closed it under ASan). /api/me is held back to make the page slow.
    await A.evaluate(() => window.onair.navigate('/'));
    await A.waitForSelector('main[data-page="home"]');
    const holdMe = async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue().catch(() => {});
    };
    await A.route('**/api/me', holdMe);
    await A.evaluate(() => window.onair.navigate('/dashboard'));
    await A.click('#user-button');
    await A.waitForSelector('#logout', { state: 'visible' });
    await A.waitForSelector('main[data-page="dashboard"]');
    assert.equal(await A.isVisible('#logout'), true, 'the menu closed when the page finished loading');
    await A.unroute('**/api/me', holdMe);

    // Log out, then a wrong password, then the right one.
    await A.click('#logout');
    await A.waitForSelector('#login-link');
    await A.click('#login-link');
    await A.waitForSelector('#login-form');
    await A.fill('#username', streamer.username);
    await A.fill('#password', 'not the password');
    await A.click('#login-form button[type=submit]');
    await A.waitForSelector('#password-error:not([hidden])');
    assert.match(await A.textContent('#password-error'), /올바르지 않습니다/);
    await A.fill('#password', streamer.password);
    await A.click('#login-form button[type=submit]');
    await A.waitForSelector('#user-button');
    assert.equal(new URL(A.url()).pathname, '/');
    firstAccess = await A.evaluate(() => JSON.parse(localStorage.getItem('onair.auth')).access);
    assert.ok(firstAccess);
    assert.deepEqual(A.errors, []);
  });

  test('the viewer logs in; the home page lists channels and refreshes by itself', { timeout: 30_000 * SLOW }, async () => {
    B = await newPage(browser, { baseURL: srv.url, locale: 'en-US' });
    await go(B, '/login');
    await B.waitForSelector('#login-form');
    assert.equal(await B.getAttribute('html', 'lang'), 'en');
    await B.fill('#username', viewer.username);
    await B.fill('#password', viewer.password);
    await B.click('#login-form button[type=submit]');
    await B.waitForSelector('#user-button');
    assert.equal(new URL(B.url()).pathname, '/');
    // Not live yet: both channels are in the offline list.
    await B.waitForSelector(`#offline-channels a[data-channel="${streamer.username}"]`);
    await B.waitForSelector(`#offline-channels a[data-channel="${viewer.username}"]`);
    await until(B, () => /\d/.test(document.getElementById('balance')?.textContent || ''));
    assert.match(await B.textContent('#balance'), /0 P/);

    // Someone waits on the streamer's page: an offline card, and the chat works.
    E = await newPage(browser, { baseURL: srv.url, locale: 'en-US' });
    await go(E, `/c/${streamer.username}`);
    await E.waitForSelector('#offline-card');
    assert.match(await E.textContent('#offline-card'), new RegExp(`${streamer.username} is offline`));
    await until(E, () => document.getElementById('chat-status')?.hidden);
    await E.waitForSelector('#chat-invite');
  });

  test('dashboard: the key is hidden, revealed and copied; OBS steps; title; a publisher goes live with it', { timeout: 45_000 * SLOW }, async () => {
    await A.click('#user-button');
    await A.click('#user-menu a[href="/dashboard"]');
    await A.waitForURL('**/dashboard');
    await until(A, () => document.getElementById('stream-key')?.value.length > 0);
    const apiKey = (await srv.api('GET', '/api/me/stream-key', undefined, await token(streamer))).json.stream_key;
    assert.equal(await A.getAttribute('#stream-key', 'type'), 'password', 'hidden by default');
    await A.click('#copy-key');
    await A.waitForSelector('#key-status:not([hidden])');
    assert.equal(await A.evaluate(() => navigator.clipboard.readText()), apiKey);
    await A.click('#reveal-key');
    assert.equal(await A.getAttribute('#stream-key', 'type'), 'text');
    assert.equal(await A.getAttribute('#reveal-key', 'aria-pressed'), 'true');
    const key = await A.inputValue('#stream-key');
    assert.equal(key, apiKey);
    assert.equal((await A.textContent('#server-url')).trim(), 'rtmp://127.0.0.1:1935/live');
    assert.equal(await A.locator('.steps li').count(), 6);
    await A.click('#reveal-key'); // hide it again for the screenshots

    // Title: an empty one is refused beside the field; markup stays text.
    await A.fill('#stream-title-input', '   ');
    await A.click('#save-title');
    await A.waitForSelector('#title-error:not([hidden])');
    streamer.title = '오늘의 방송 <script>alert(1)</script> & 수다';
    await A.fill('#stream-title-input', streamer.title);
    await A.click('#save-title');
    await A.waitForSelector('#title-ok:not([hidden])');
    assert.equal((await srv.api('GET', `/api/channels/${streamer.username}`)).json.title, streamer.title);

    await checkA11y(A, 'dashboard');
    await screenshot(A, 'dashboard-desktop');

    // OBS stand-in: ffmpeg with the key the page showed.
    pub = startPublisher(srv, key, { seconds: 300 });
    await until(A, () => document.getElementById('dash-status')?.dataset.live === 'true', 20_000 * SLOW).catch((e) => {
      throw new Error(`dashboard never showed live: ${e.message}; ffmpeg: ${pub.stderr()}`);
    });
  });

  test('the home page shows the live card (thumbnail, title as text, viewers, time live)', { timeout: 45_000 * SLOW }, async () => {
    // B has been on the home page all along: the card appears without a reload.
    const card = `#live-channels a[data-channel="${streamer.username}"]`;
    await B.waitForSelector(card, { timeout: 15_000 * SLOW });
    assert.equal((await B.textContent(`${card} .card-title`)).trim(), streamer.title);
    assert.equal(await B.locator(`${card} script`).count(), 0, 'the title is text, not markup');
    assert.match(await B.textContent(`${card} .viewers`), /\d+ viewers?/);
    assert.match(await B.textContent(`${card} .uptime`), /Live for \d+:\d\d/);
    assert.equal(await B.locator(`#offline-channels a[data-channel="${streamer.username}"]`).count(), 0);
    await B.waitForSelector(`#offline-channels a[data-channel="${viewer.username}"]`);
    // The first thumbnail comes a few seconds after going live.
    await until(B, (sel) => {
      const img = document.querySelector(`${sel} img`);
      return img && img.complete && img.naturalWidth > 0 && !img.classList.contains('hidden');
    }, card, 30_000 * SLOW);
    await checkA11y(B, 'home');
    await screenshot(B, 'home-desktop');
    const P = await newPage(browser, { baseURL: srv.url, viewport: PHONE, locale: 'ko-KR' });
    await P.goto('/');
    await P.waitForSelector(`${card} img:not(.hidden)`);
    await until(P, (sel) => document.querySelector(`${sel} img`).naturalWidth > 0, card);
    await checkA11y(P, 'home (phone)');
    await screenshot(P, 'home-phone');
    await P.context().close();
    assert.deepEqual(B.errors, []);
  });

  test('the watch page plays in low-latency mode with the latency readout under 3 s', { timeout: 45_000 * SLOW }, async () => {
    await B.click(`#live-channels a[data-channel="${streamer.username}"]`);
    await B.waitForURL(`**/c/${streamer.username}`);
    await B.waitForSelector('#player');
    await until(B, () => document.querySelector('#video')?.currentTime > 0, undefined, 20_000 * SLOW);
    const t0 = await B.evaluate(() => document.querySelector('#video').currentTime);
    await until(B, (t) => document.querySelector('#video').currentTime > t + 2, t0, 15_000 * SLOW);
    const hls = await B.evaluate(() => {
      const h = window.onair.debug.player?.hls;
      return h && { lowLatencyMode: h.config.lowLatencyMode, url: h.url };
    });
    assert.deepEqual(hls, { lowLatencyMode: true, url: `${srv.url}/hls/${streamer.username}/index.m3u8` });
    // The readout comes from EXT-X-PROGRAM-DATE-TIME and catches up to live.
    const latency = await until(
      B,
      (max) => {
        const v = Number(document.getElementById('player')?.dataset.latency);
        return v > 0 && v < max ? v : false;
      },
      LATENCY_MAX_S,
      20_000 * SLOW,
    ).catch(async (e) => {
      const last = await B.evaluate(() => document.getElementById('player')?.dataset.latency);
      throw new Error(`latency readout never under ${LATENCY_MAX_S} s (last ${last}): ${e.message}`);
    });
    assert.ok(latency < LATENCY_MAX_S, `latency ${latency}`);
    assert.match(await B.textContent('#latency'), /\d+\.\d s behind live/);
    assert.equal(await B.getAttribute('#player', 'data-fatal-errors'), '0', 'no fatal hls.js errors');
    assert.equal(await B.locator('#quality').count(), 0, 'no quality menu for a single rendition');
    assert.equal((await B.textContent('#stream-title')).trim(), streamer.title);
    assert.deepEqual(B.errors, []);

    // The page that was waiting switched from the offline card to the player by itself.
    await E.waitForSelector('#player');
    assert.equal(await E.locator('#offline-card').count(), 0);
    await until(E, () => document.querySelector('#video')?.currentTime > 0.5, undefined, 20_000 * SLOW);
    assert.equal(await E.evaluate(() => document.getElementById('stream-title').textContent), streamer.title);
    assert.deepEqual(E.errors, []);
    await E.context().close();
  });

  test('two signed-in browsers chat with each other; markup in messages stays text', { timeout: 30_000 * SLOW }, async () => {
    await A.click('#user-button');
    await A.click(`#user-menu a[href="/c/${streamer.username}"]`);
    await A.waitForURL(`**/c/${streamer.username}`);
    await A.waitForSelector('#chat-input');
    await B.waitForSelector('#chat-input');
    await until(A, () => document.getElementById('chat-status')?.hidden);
    await until(B, () => document.getElementById('chat-status')?.hidden);

    const hello = '안녕하세요 <b>여러분</b> & <img src=x onerror=alert(1)>';
    await A.fill('#chat-input', hello);
    await A.press('#chat-input', 'Enter');
    await until(B, (x) => {
      const row = [...document.querySelectorAll('#chat-log .chat-msg')].find((r) => r.querySelector('.chat-text')?.textContent === x);
      return row && row.dataset.user;
    }, hello);
    assert.equal(await B.locator('#chat-log b, #chat-log img').count(), 0, 'no markup from chat text');
    assert.equal(await A.inputValue('#chat-input'), '', 'the input is cleared after sending');

    await B.fill('#chat-input', 'hello from the viewer');
    await B.click('#chat-send');
    await until(A, (x) => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === x), 'hello from the viewer');
    await checkA11y(B, 'watch');
    await screenshot(B, 'watch-desktop');
    assert.deepEqual(A.errors, []);
  });

  test('an anonymous phone viewer reads history and live messages, is invited to log in, and cannot send', { timeout: 30_000 * SLOW }, async () => {
    C = await newPage(browser, { baseURL: srv.url, viewport: PHONE, locale: 'en-US' });
    await C.goto('/');
    await C.click(`#live-channels a[data-channel="${streamer.username}"]`);
    await C.waitForURL(`**/c/${streamer.username}`);
    // History on open.
    await until(C, () => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'hello from the viewer'));
    await C.waitForSelector('#chat-invite');
    assert.equal(await C.locator('#chat-input').count(), 0, 'no input for anonymous viewers');
    assert.equal(await C.getAttribute('#chat-invite a[href^="/login"]', 'href'), `/login?next=${encodeURIComponent(`/c/${streamer.username}`)}`);
    // Live messages.
    await until(C, () => document.getElementById('chat-status')?.hidden);
    await A.fill('#chat-input', 'live for everyone');
    await A.press('#chat-input', 'Enter');
    await until(C, () => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'live for everyone'));
    // The server refuses a send from this anonymous connection.
    const refused = await C.evaluate(
      (r) =>
        new Promise((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/ws`);
          ws.onopen = () => {
            ws.send(JSON.stringify({ type: 'join', room: r }));
            ws.send(JSON.stringify({ type: 'send', room: r, text: 'sneaky', client_id: 'x' }));
          };
          ws.onmessage = (m) => {
            const ev = JSON.parse(m.data);
            if (ev.type === 'error') resolve(ev.code);
            if (ev.type === 'ack') resolve('ack');
          };
        }),
      room(),
    );
    assert.equal(refused, 'unauthorized');
    await until(C, () => document.querySelector('#video')?.currentTime > 0, undefined, 20_000 * SLOW);
    await checkA11y(C, 'watch (phone, anonymous)');
    await screenshot(C, 'watch-phone');
    assert.deepEqual(C.errors, []);
  });

  test('chat: reconnect with since loses nothing and shows nothing twice; auto-scroll pauses when scrolled up', { timeout: 40_000 * SLOW }, async (t) => {
    const ws = await connect(srv, await token(streamer), { t });
    ws.send({ type: 'join', room: room() });
    await ws.next((m) => m.type === 'joined');
    const texts = (page) => page.evaluate(() => [...document.querySelectorAll('#chat-log .chat-text')].map((e) => e.textContent));

    // Drop B's connection, then talk while it is away.
    await B.evaluate(() => window.onair.debug.chat.conn.ws.close());
    await until(B, () => document.getElementById('chat-status')?.dataset.state === 'reconnecting');
    const missed = ['while away 1', 'while away 2', 'while away 3'];
    for (const [i, text] of missed.entries()) ws.send({ type: 'send', room: room(), text, client_id: `m${i}` });
    await ws.next((m) => m.type === 'ack' && m.client_id === 'm2');
    await until(B, () => document.getElementById('chat-status')?.dataset.state === 'open');
    await until(B, () => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'while away 3'));
    const got = await texts(B);
    for (const m of missed) assert.equal(got.filter((x) => x === m).length, 1, `${m} exactly once in ${JSON.stringify(got)}`);
    assert.equal(got.filter((x) => x === 'hello from the viewer').length, 1);

    // Fill the log past its height, scroll up, more arrive: no jump, a button.
    for (let i = 0; i < 30; i++) ws.send({ type: 'send', room: room(), text: `filler ${i}`, client_id: `f${i}` });
    await ws.next((m) => m.type === 'ack' && m.client_id === 'f29');
    await until(B, () => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'filler 29'));
    const atBottom = () => {
      const l = document.getElementById('chat-log');
      return l.scrollHeight - l.scrollTop - l.clientHeight < 40;
    };
    assert.equal(await B.evaluate(atBottom), true, 'follows new messages while at the bottom');
    await B.evaluate(() => {
      const l = document.getElementById('chat-log');
      l.scrollTop = 0;
      l.dispatchEvent(new Event('scroll'));
    });
    ws.send({ type: 'send', room: room(), text: 'while scrolled up', client_id: 'u1' });
    await until(B, () => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'while scrolled up'));
    await B.waitForSelector('#new-messages:not([hidden])');
    assert.equal(await B.evaluate(() => document.getElementById('chat-log').scrollTop), 0, 'stays where the reader is');
    await B.click('#new-messages');
    await until(B, atBottom);
    assert.equal(await B.isHidden('#new-messages'), true);
  });

  test('chat: donations highlighted; deletions, bans, slow mode, long text and clear shown clearly', { timeout: 45_000 * SLOW }, async () => {
    const viewerToken = await token(viewer);
    const starToken = await token(streamer);
    await charge(srv, viewerToken, 5000);
    const d = await donate(srv, viewerToken, streamer.username, 1000, { message: '<i>화이팅</i> gg' });
    assert.equal(d.status, 201, d.text);
    for (const page of [A, B, C]) {
      await until(page, () => {
        const row = document.querySelector('#chat-log .chat-donation');
        return row && /1,000P/.test(row.textContent) && row.querySelector('.donation-msg')?.textContent === '<i>화이팅</i> gg';
      });
      assert.equal(await page.locator('#chat-log i').count(), 0);
    }
    assert.match(await A.textContent('#chat-log .chat-donation .donation-head'), new RegExp(`${viewer.username} 님이 1,000P 후원`));

    // A moderator deletion: the message shows as removed for everyone.
    const seq = await B.evaluate(
      () => [...document.querySelectorAll('#chat-log .chat-msg')].find((r) => r.querySelector('.chat-text').textContent === 'hello from the viewer')?.dataset.seq,
    );
    assert.ok(seq);
    const del = await srv.api('DELETE', `/api/rooms/${room()}/messages/${seq}`, undefined, starToken);
    assert.equal(del.status, 200, del.text);
    for (const page of [A, B, C]) {
      await until(page, (s) => document.querySelector(`#chat-log .chat-msg[data-seq="${s}"]`)?.classList.contains('is-deleted'), seq);
      assert.equal(await page.evaluate(() => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'hello from the viewer')), false);
    }
    assert.equal(await C.textContent(`#chat-log .chat-msg[data-seq="${seq}"] .chat-text`), '(message removed)');

    // Too long: caught before sending.
    await B.fill('#chat-input', 'x'.repeat(501));
    await B.press('#chat-input', 'Enter');
    await until(B, () => /too long/.test(document.getElementById('chat-error')?.textContent || ''));

    // Banned: the viewer's send is refused and the words come back.
    const ban = await srv.api('POST', `/api/rooms/${room()}/bans`, { username: viewer.username }, starToken);
    assert.equal(ban.status, 201, ban.text);
    await until(B, () => document.querySelector('#chat-log .chat-system[data-action="ban"]'));
    await B.fill('#chat-input', 'am I banned?');
    await B.press('#chat-input', 'Enter');
    await until(B, () => /banned/.test(document.getElementById('chat-error')?.textContent || ''));
    assert.equal(await B.inputValue('#chat-input'), 'am I banned?');
    const unban = await srv.api('DELETE', `/api/rooms/${room()}/bans/${viewer.username}`, undefined, starToken);
    assert.equal(unban.status, 200, unban.text);
    await until(B, () => document.querySelector('#chat-log .chat-system[data-action="unban"]'));

    // Slow mode: the second message is rate limited, with the wait shown.
    const slow = await srv.api('PUT', `/api/rooms/${room()}/slow`, { seconds: 30 }, starToken);
    assert.equal(slow.status, 200, slow.text);
    await until(B, () => document.querySelector('#chat-log .chat-system[data-action="slow"]'));
    await B.fill('#chat-input', 'slow one');
    await B.press('#chat-input', 'Enter');
    await B.fill('#chat-input', 'slow two');
    await B.press('#chat-input', 'Enter');
    await until(B, () => /send again in \d+ s/.test(document.getElementById('chat-error')?.textContent || ''));
    assert.equal(await B.isDisabled('#chat-send'), true, 'send waits for retry_after_ms');
    await srv.api('PUT', `/api/rooms/${room()}/slow`, { seconds: 0 }, starToken);

    // Clear: everything said so far disappears.
    const clear = await srv.api('POST', `/api/rooms/${room()}/clear`, undefined, starToken);
    assert.equal(clear.status, 200, clear.text);
    for (const page of [A, C]) {
      await until(page, () => document.querySelector('#chat-log .chat-system[data-action="clear"]') && !document.querySelector('#chat-log .chat-msg, #chat-log .chat-donation'));
    }
    assert.match(await C.textContent('#chat-log .chat-system[data-action="clear"]'), /cleared/);
    for (const page of [A, B, C]) assert.deepEqual(page.errors, []);
  });

  test('tokens are refreshed silently before they expire (REST and chat keep working)', { timeout: 40_000 * SLOW }, async () => {
    // The streamer logged in more than one access-token lifetime ago.
    await until(A, (first) => JSON.parse(localStorage.getItem('onair.auth') || 'null')?.access !== first, firstAccess, (ACCESS_TTL_S + 5) * 1000 * SLOW);
    await A.fill('#chat-input', 'still here after a refresh');
    await A.press('#chat-input', 'Enter');
    await until(B, () => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'still here after a refresh'));
    await go(A, '/dashboard');
    await until(A, () => document.getElementById('stream-key')?.value.length > 0);
    assert.deepEqual(unauthorized, [], 'no request was sent with an expired token');
    assert.deepEqual(A.errors, []);
  });

  test('the language switch changes the page in place and persists', { timeout: 30_000 * SLOW }, async () => {
    const D = await newPage(browser, { baseURL: srv.url, locale: 'en-US' });
    await D.goto('/');
    await D.waitForSelector('#live-heading');
    assert.equal(await D.getAttribute('html', 'lang'), 'en');
    assert.equal((await D.textContent('#live-heading')).trim(), 'Live now');
    await D.evaluate(() => (window.sameDocument = true));
    await D.click('#lang-switch');
    await until(D, () => document.documentElement.lang === 'ko');
    assert.equal((await D.textContent('#live-heading')).trim(), '지금 라이브');
    assert.equal((await D.textContent('#login-link')).trim(), '로그인');
    assert.match(await D.textContent(`#live-channels a[data-channel="${streamer.username}"] .viewers`), /시청자 \d+명/);
    assert.equal(await D.evaluate(() => window.sameDocument), true, 'switched without a reload');
    await D.reload();
    await D.waitForSelector('#live-heading');
    assert.equal(await D.getAttribute('html', 'lang'), 'ko');
    assert.equal((await D.textContent('#live-heading')).trim(), '지금 라이브');
    await D.click('#lang-switch');
    await until(D, () => document.documentElement.lang === 'en');
    assert.equal((await D.textContent('#lang-switch')).trim(), '한국어');
    await D.context().close();
  });

  test('login, signup, offline channel and dashboard pages pass axe at desktop and phone width (screenshots)', { timeout: 40_000 * SLOW }, async () => {
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      const P = await newPage(browser, { baseURL: srv.url, viewport, locale: 'ko-KR' });
      await P.goto('/');
      for (const name of ['login', 'signup']) {
        await go(P, `/${name}`);
        await P.waitForSelector(`#${name}-form`);
        await P.click(`#${name}-form button[type=submit]`); // show the field errors too
        await P.waitForSelector('#username-error:not([hidden])');
        await checkA11y(P, `${name} (${label})`);
        await screenshot(P, `${name}-${label}`);
      }
      // An offline channel: the card instead of the player, the chat beside it.
      await go(P, `/c/${viewer.username}`);
      await P.waitForSelector('#offline-card');
      await until(P, () => document.getElementById('chat-status')?.hidden);
      await checkA11y(P, `offline channel (${label})`);
      await screenshot(P, `watch-offline-${label}`);
      await P.context().close();
    }
    const P = await newPage(browser, { baseURL: srv.url, viewport: PHONE, locale: 'ko-KR' });
    await P.goto('/');
    await go(P, '/login');
    await P.fill('#username', streamer.username);
    await P.fill('#password', streamer.password);
    await P.click('#login-form button[type=submit]');
    await P.waitForSelector('#user-button');
    await go(P, '/dashboard');
    await until(P, () => document.getElementById('stream-key')?.value.length > 0);
    await checkA11y(P, 'dashboard (phone)');
    await screenshot(P, 'dashboard-phone');
    await P.context().close();
  });

  test('deep links: app routes load straight from the server', { timeout: 20_000 * SLOW }, async () => {
    const P = await newPage(browser, { baseURL: srv.url });
    const pages = [
      [`/c/${streamer.username}`, 'watch'],
      ['/c/no_such_channel', 'watch-missing'],
      ['/login', 'login'],
      ['/signup', 'signup'],
      ['/dashboard', 'login'], // signed out: sent to log in first
    ];
    for (const [p, name] of pages) {
      const res = await P.goto(p);
      assert.equal(res.status(), 200, p);
      await until(P, (want) => document.getElementById('main')?.dataset.page === want, name);
    }
    assert.equal(new URL(P.url()).search, `?next=${encodeURIComponent('/dashboard')}`);
    assert.deepEqual(P.errors, []);
    await P.context().close();
  });

  test('keyboard: skip link, and the user menu opens, moves and closes from the keyboard', { timeout: 20_000 * SLOW }, async () => {
    const P = await newPage(browser, { baseURL: srv.url, locale: 'en-US' });
    await P.goto('/');
    await go(P, '/login');
    await P.fill('#username', viewer.username);
    await P.fill('#password', viewer.password);
    await P.press('#password', 'Enter');
    await P.waitForSelector('#user-button');
    await P.goto('/');
    await P.waitForSelector('#user-button');
    await P.keyboard.press('Tab');
    assert.equal(await P.evaluate(() => document.activeElement.id), 'skip-link');
    await P.keyboard.press('Enter');
    assert.equal(await P.evaluate(() => document.activeElement.id), 'main');
    await P.focus('#user-button');
    await P.keyboard.press('Enter');
    await P.waitForSelector('#user-menu:not([hidden])');
    assert.equal(await P.getAttribute('#user-button', 'aria-expanded'), 'true');
    const focused = () => P.evaluate(() => document.activeElement.textContent.trim());
    assert.equal(await focused(), 'My channel');
    await P.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'Dashboard');
    await P.keyboard.press('Escape');
    await P.waitForSelector('#user-menu', { state: 'hidden' });
    assert.equal(await P.evaluate(() => document.activeElement.id), 'user-button');
    await P.keyboard.press('Enter');
    await P.keyboard.press('ArrowDown');
    await P.keyboard.press('Enter'); // Dashboard
    await P.waitForURL('**/dashboard');
    await until(P, () => document.activeElement?.tagName === 'H1');
    assert.deepEqual(P.errors, []);
    await P.context().close();
  });

  test('dashboard: rotating the key asks first and shows the new key', { timeout: 20_000 * SLOW }, async () => {
    const before = await A.inputValue('#stream-key');
    await A.click('#rotate-key');
    await A.waitForSelector('#rotate-confirm:not([hidden])');
    await A.click('#rotate-no');
    assert.equal(await A.isHidden('#rotate-confirm'), true);
    assert.equal(await A.inputValue('#stream-key'), before);
    await A.click('#rotate-key');
    await A.click('#rotate-yes');
    await until(A, (old) => document.getElementById('stream-key').value !== old, before);
    const now = (await srv.api('GET', '/api/me/stream-key', undefined, await token(streamer))).json.stream_key;
    assert.equal(await A.inputValue('#stream-key'), now);
    assert.deepEqual(A.errors, []);
  });
});

describe('web app: the quality menu of a stream with renditions', () => {
  let srv;
  let browser;
  let pub;

  before(async () => {
    browser = await launchBrowser();
    srv = await startServer({
      args: ['--web', WEB_DIR, '--hls-segment-ms', '1000', '--hls-part-ms', '333', '--ladder', '240p:300k'],
    });
  });
  after(async () => {
    await pub?.stop();
    await browser?.close().catch(() => {});
    await srv?.stop();
  });

  test('the menu lists Auto and each rendition; picking one switches the video', { timeout: 60_000 * SLOW }, async () => {
    const u = await newUser(srv, 'ladder');
    const key = (await srv.api('GET', '/api/me/stream-key', undefined, u.access)).json.stream_key;
    pub = startPublisher(srv, key, { seconds: 120 });
    const P = await newPage(browser, { baseURL: srv.url });
    await P.goto('/');
    await P.click(`#live-channels a[data-channel="${u.username}"]`, { timeout: 20_000 * SLOW });
    // The ladder's rendition joins the master playlist once ffmpeg has made some.
    await P.waitForSelector('#quality', { timeout: 30_000 * SLOW });
    const options = await P.evaluate(() => [...document.querySelectorAll('#quality option')].map((o) => o.textContent));
    assert.deepEqual(options.slice(1), ['360p', '240p']);
    assert.match(options[0], /^Auto/);
    assert.equal(await P.evaluate(() => document.querySelector('label[for="quality"]')?.textContent), 'Quality');
    await P.selectOption('#quality', { label: '240p' });
    await until(P, () => document.querySelector('#video').videoHeight === 240, undefined, 20_000 * SLOW);
    const t0 = await P.evaluate(() => document.querySelector('#video').currentTime);
    await until(P, (t) => document.querySelector('#video').currentTime > t + 1, t0);
    await P.selectOption('#quality', '-1');
    await until(P, () => window.onair.debug.player.hls.autoLevelEnabled);
    assert.equal(await P.getAttribute('#player', 'data-fatal-errors'), '0');
    assert.deepEqual(P.errors, []);
    await P.context().close();
  });
});
