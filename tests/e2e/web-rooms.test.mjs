// The web app's rooms (messenger view), search, and the moderators' actions
// in the chat, end to end: Playwright drives headless chromium against the
// real server serving web/. One server for the file; the tests run in order
// and build on each other (the public room of the first test is searched in
// the third). Screenshots go to build/screenshots/.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, startServer, newUser, REPO_ROOT, SANITIZED } from './lib/server.mjs';
import { connect, join } from './lib/chat.mjs';
import { launchBrowser, newPage, checkA11y, screenshot, PHONE } from './lib/browser.mjs';

const WEB_DIR = path.join(REPO_ROOT, 'web');
const SLOW = SANITIZED ? 3 : 1;
const KOREAN = '오늘 방송 정말 재미있었어요';
const MARKUP = '<b>x</b><img src=x onerror="window.__xss=1"> & "quoted"';

/** Waits (polling in the page) until fn(arg) is truthy; returns its value. */
function until(page, fn, arg, timeout = 15_000 * SLOW) {
  return page.waitForFunction(fn, arg, { timeout, polling: 100 }).then((h) => h.jsonValue());
}

/** The texts of the messages in a page's chat log. */
const chatTexts = (page) => page.evaluate(() => [...document.querySelectorAll('#chat-log .chat-msg .chat-text')].map((e) => e.textContent));
const hasText = (page, text) => until(page, (x) => [...document.querySelectorAll('#chat-log .chat-msg .chat-text')].some((e) => e.textContent === x), text);

describe('web app: rooms, search and moderation', () => {
  let srv;
  let browser;
  let alice; // streamer; opens the rooms
  let bob; // chats with alice; a viewer whose message gets deleted
  let carol; // neither member nor moderator
  let dave; // alice's moderator
  let A; // alice's page
  let B; // bob's page
  let publicRoom; // {id, num}
  let privateRoom;
  let koreanSeq;
  const pages = [];

  async function userPage(user, opts = {}) {
    const page = await newPage(browser, { baseURL: srv.url, ...opts });
    pages.push(page);
    if (!user) return page;
    await page.goto('/login');
    await page.fill('#username', user.username);
    await page.fill('#password', user.password);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#user-button');
    return page;
  }
  const anonPage = (opts) => userPage(null, opts);

  /** Sends texts into room over a WebSocket as user; resolves with their seqs. */
  async function say(user, room, texts) {
    const c = await connect(srv, user.access);
    try {
      await join(c, room);
      texts.forEach((text, k) => c.send({ type: 'send', room, text, client_id: `s${k}` }));
      const seqs = [];
      for (let k = 0; k < texts.length; k++) {
        const r = await c.next((m) => (m.type === 'ack' || m.type === 'error') && m.client_id === `s${k}`);
        assert.equal(r.type, 'ack', `send "${texts[k]}": ${JSON.stringify(r)}`);
        seqs.push(r.seq);
      }
      return seqs;
    } finally {
      c.close();
    }
  }

  before(async () => {
    browser = await launchBrowser();
    srv = await startServer({ args: ['--web', WEB_DIR, '--chat-rate-count', '200'] });
    alice = await newUser(srv, 'alice');
    bob = await newUser(srv, 'bob');
    carol = await newUser(srv, 'carol');
    dave = await newUser(srv, 'dave');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await srv?.stop();
  });

  test('two users open a public room and chat in the messenger view; history shows on reopen', { timeout: 60_000 * SLOW }, async () => {
    A = await userPage(alice, { locale: 'ko-KR' });
    B = await userPage(bob);
    await B.goto('/rooms');
    await B.waitForSelector('#rooms-list');
    await B.evaluate(() => (window.sameDocument = true));
    await A.goto('/rooms');
    await A.waitForSelector('#rooms-empty:not([hidden])');

    // The form: errors next to their fields.
    await A.click('#new-room-toggle');
    await A.waitForSelector('#new-room-form');
    assert.equal(await A.evaluate(() => document.activeElement.id), 'room-title');
    await A.click('#room-create');
    await A.waitForSelector('#room-title-error:not([hidden])');
    assert.equal(await A.getAttribute('#room-title', 'aria-invalid'), 'true');
    const title = '수다방 <i>title</i>';
    await A.fill('#room-title', title);
    await A.fill('#room-members', `${bob.username}, no_such_user_xx`);
    await A.click('#room-create');
    await until(A, () => /no_such_user_xx/.test(document.getElementById('room-members-error')?.textContent || ''));
    assert.equal(await A.isHidden('#room-title-error'), true);
    assert.equal((await srv.api('GET', '/api/rooms')).json.rooms.length, 0, 'nothing was created');

    await A.fill('#room-members', '');
    await A.click('#room-create');
    await A.waitForURL(/\/rooms\/\d+$/);
    publicRoom = { num: new URL(A.url()).pathname.split('/').pop() };
    publicRoom.id = `room:${publicRoom.num}`;
    await A.waitForSelector('#chat-input');
    assert.equal((await A.textContent('#room-heading')).trim(), title);
    assert.equal(await A.locator('#room-heading i').count(), 0, 'the title is text');
    await A.waitForSelector(`#rooms-list a[data-room="${publicRoom.id}"][aria-current="page"]`);

    // Bob's list gets the room by itself.
    await B.waitForSelector(`#rooms-list a[data-room="${publicRoom.id}"]`, { timeout: 15_000 * SLOW });
    assert.equal((await B.textContent(`#rooms-list a[data-room="${publicRoom.id}"] .room-name`)).trim(), title);
    assert.equal(await B.evaluate(() => window.sameDocument), true, 'no reload');
    await B.click(`#rooms-list a[data-room="${publicRoom.id}"]`);
    await B.waitForURL(`**/rooms/${publicRoom.num}`);
    await until(B, () => document.getElementById('chat-status')?.hidden);
    await until(A, () => document.getElementById('chat-status')?.hidden);

    await A.fill('#chat-input', '안녕 bob, 여기서 얘기해요');
    await A.press('#chat-input', 'Enter');
    await hasText(B, '안녕 bob, 여기서 얘기해요');
    await B.fill('#chat-input', 'hi alice');
    await B.press('#chat-input', 'Enter');
    await hasText(A, 'hi alice');

    // Reopen: away to the list and back, then a reload; the history is there.
    await B.click('header a[href="/rooms"]');
    await B.waitForSelector('#rooms-list');
    await B.click(`#rooms-list a[data-room="${publicRoom.id}"]`);
    await hasText(B, 'hi alice');
    await B.reload();
    await hasText(B, '안녕 bob, 여기서 얘기해요');
    assert.deepEqual(await chatTexts(B), ['안녕 bob, 여기서 얘기해요', 'hi alice']);

    // Anyone can read a public room; writing takes a login.
    const anon = await anonPage();
    await anon.goto(`/rooms/${publicRoom.num}`);
    await hasText(anon, 'hi alice');
    await anon.waitForSelector('#chat-invite');
    assert.equal(await anon.locator('#chat-input').count(), 0);

    await checkA11y(A, 'rooms (desktop)');
    await screenshot(A, 'rooms-desktop');

    // Phone: the list and the chat are two views, with a way back.
    const P = await userPage(bob, { viewport: PHONE, locale: 'ko-KR' });
    await P.goto('/rooms');
    await P.waitForSelector(`#rooms-list a[data-room="${publicRoom.id}"]`);
    assert.equal(await P.isVisible('#rooms-main'), false, 'the list alone');
    await checkA11y(P, 'rooms list (phone)');
    await screenshot(P, 'rooms-list-phone');
    await P.click(`#rooms-list a[data-room="${publicRoom.id}"]`);
    await hasText(P, 'hi alice');
    assert.equal(await P.isVisible('#rooms-list'), false, 'the chat alone');
    assert.equal(await P.isVisible('#rooms-back'), true);
    await until(P, () => document.getElementById('chat-status')?.hidden);
    await checkA11y(P, 'room chat (phone)');
    await screenshot(P, 'rooms-chat-phone');
    await P.click('#rooms-back');
    await P.waitForURL('**/rooms');
    await P.waitForSelector('#rooms-list');
    for (const p of [A, B, anon, P]) assert.deepEqual(p.errors, []);
    await anon.context().close();
    await P.context().close();
  });

  test('a private room is for its members only', { timeout: 45_000 * SLOW }, async () => {
    await A.click('#new-room-toggle');
    await A.fill('#room-title', '비밀 회의');
    await A.check('#room-private');
    await A.fill('#room-members', `@${bob.username.toUpperCase()}`);
    await A.click('#room-create');
    await A.waitForURL((u) => u.pathname !== `/rooms/${publicRoom.num}` && /^\/rooms\/\d+$/.test(u.pathname));
    privateRoom = { num: new URL(A.url()).pathname.split('/').pop() };
    privateRoom.id = `room:${privateRoom.num}`;
    // The new room's page replaces the old one's (which had a chat too).
    await until(A, () => document.getElementById('room-heading')?.textContent === '비밀 회의');
    await until(A, () => document.getElementById('chat-status')?.hidden);
    assert.match(await A.textContent('.room-meta'), /비공개/);
    await A.fill('#chat-input', 'members only talk');
    await A.press('#chat-input', 'Enter');
    await hasText(A, 'members only talk');

    // Bob, a member, finds it in his list (no reload) and reads it.
    await B.goto('/rooms');
    await B.waitForSelector(`#rooms-list a[data-room="${privateRoom.id}"] .room-private`);
    await B.click(`#rooms-list a[data-room="${privateRoom.id}"]`);
    await hasText(B, 'members only talk');
    // The room's owner moderates it; a member does not.
    await until(A, () => document.querySelector('.chat')?.dataset.moderator === 'true');
    assert.equal(await A.locator('#chat-log .chat-msg .chatmod-toggle').count(), 1);
    assert.equal(await B.evaluate(() => document.querySelector('.chat').dataset.moderator), 'false');
    assert.equal(await B.locator('#chat-log .chatmod-toggle').count(), 0);

    // Carol, not a member: not in her list, and the room itself says so.
    const C = await userPage(carol);
    await C.goto('/rooms');
    await C.waitForSelector(`#rooms-list a[data-room="${publicRoom.id}"]`);
    assert.equal(await C.locator(`#rooms-list a[data-room="${privateRoom.id}"]`).count(), 0);
    await C.goto(`/rooms/${privateRoom.num}`);
    await C.waitForSelector('#rooms-blocked');
    assert.match(await C.textContent('#room-heading'), /Members only/);
    assert.equal(await C.locator('#chat-log').count(), 0);
    assert.equal(await C.evaluate(() => document.body.textContent.includes('members only talk')), false);
    await checkA11y(C, 'members-only room');
    // Logged out, the same room invites to log in.
    const anon = await anonPage();
    await anon.goto(`/rooms/${privateRoom.num}`);
    await anon.waitForSelector('#rooms-blocked a[href^="/login"]');
    for (const p of [A, B, C, anon]) assert.deepEqual(p.errors, []);
    await C.context().close();
    await anon.context().close();
  });

  test('search finds a Korean message by a substring, marked; the result opens the room at that message', { timeout: 60_000 * SLOW }, async () => {
    await B.goto(`/rooms/${publicRoom.num}`);
    await until(B, () => document.getElementById('chat-status')?.hidden);
    await B.fill('#chat-input', KOREAN);
    await B.press('#chat-input', 'Enter');
    await hasText(B, KOREAN);
    koreanSeq = Number(await B.evaluate((x) => [...document.querySelectorAll('#chat-log .chat-msg')].find((r) => r.querySelector('.chat-text').textContent === x).dataset.seq, KOREAN));
    // Enough after it that the room's newest messages would push it out of view.
    await say(alice, publicRoom.id, Array.from({ length: 60 }, (_, i) => `later message ${i}`));
    await say(bob, publicRoom.id, [MARKUP]);

    const S = await userPage(carol, { locale: 'ko-KR' });
    await S.goto('/search');
    await S.waitForSelector('#search-form');
    await S.fill('#search-q', '재미있');
    await S.press('#search-q', 'Enter');
    await S.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === '재미있');
    await S.waitForSelector('#search-results .result');
    const result = `#search-results .result[data-seq="${koreanSeq}"]`;
    assert.equal((await S.textContent(`${result} .result-text`)).trim(), KOREAN);
    assert.deepEqual(await S.$$eval(`${result} mark`, (m) => m.map((x) => x.textContent)), ['재미있']);
    assert.match(await S.textContent(`${result} .result-room`), /수다방/);
    assert.equal((await S.textContent(`${result} .result-user`)).trim(), bob.username);
    assert.match(await S.getAttribute(`${result} time`, 'datetime'), /^\d{4}-\d\d-\d\dT/);
    assert.match(await S.textContent('#search-status'), /결과 1개/);
    assert.match(await S.title(), /재미있/);
    await checkA11y(S, 'search (desktop)');
    await screenshot(S, 'search-desktop');

    // Into context: the room opens at the message, highlighted and in view.
    await S.click(`${result} a`);
    await S.waitForURL((u) => u.pathname === `/rooms/${publicRoom.num}` && u.searchParams.get('seq') === String(koreanSeq));
    const row = `#chat-log .chat-msg[data-seq="${koreanSeq}"]`;
    await S.waitForSelector(`${row}.is-target`);
    await until(S, (sel) => {
      const r = document.querySelector(sel).getBoundingClientRect();
      const l = document.getElementById('chat-log').getBoundingClientRect();
      return r.top >= l.top && r.bottom <= l.bottom;
    }, row);
    assert.equal(await S.textContent(`${row} .chat-text`), KOREAN);
    // Newer messages still arrive (the history after it and live ones).
    await hasText(S, MARKUP);
    assert.equal(await S.locator('#chat-log img, #chat-log b').count(), 0);
    await S.waitForSelector('#new-messages:not([hidden])');

    // Back returns to the results.
    await S.goBack();
    await S.waitForSelector(result);
    assert.equal(await S.inputValue('#search-q'), '재미있');

    // Markup in a message is shown as text in the results.
    await S.fill('#search-q', 'onerror');
    await S.press('#search-q', 'Enter');
    await S.waitForURL((u) => u.searchParams.get('q') === 'onerror');
    await until(S, (x) => document.querySelector('#search-results .result .result-text')?.textContent === x, MARKUP);
    assert.equal(await S.locator('#search-results .result').count(), 1);
    assert.equal(await S.locator('#search-results img, #search-results b').count(), 0);
    assert.deepEqual(await S.$$eval('#search-results mark', (m) => m.map((x) => x.textContent)), ['onerror']);
    assert.equal(await S.evaluate(() => window.__xss), undefined);

    // Nothing found, and a search the server finds too broad: said plainly.
    await S.goto(`/search?q=${encodeURIComponent('아무도안쓴말')}`);
    await until(S, () => /일치하는 메시지가 없습니다/.test(document.getElementById('search-status')?.textContent || ''));
    assert.equal(await S.locator('#search-results .result').count(), 0);
    await S.route('**/api/search?**', (route) =>
      route.fulfill({ status: 422, contentType: 'application/json', body: JSON.stringify({ error: { code: 'query_too_broad', message: 'query too broad' } }) }),
    );
    await S.goto('/search?q=a');
    await S.waitForSelector('#search-hint:not([hidden])');
    assert.match(await S.textContent('#search-hint'), /너무 넓습니다/);
    await S.unroute('**/api/search?**');

    // Paging with "More", with a room filter from the select.
    await S.goto('/search');
    await S.fill('#search-q', 'later message');
    await S.selectOption('#search-room', publicRoom.id);
    await S.click('#search-submit');
    await S.waitForURL((u) => u.searchParams.get('room') === publicRoom.id);
    await until(S, () => document.querySelectorAll('#search-results .result').length === 20);
    assert.equal((await S.textContent('#search-results .result .result-text')).trim(), 'later message 59', 'newest first');
    await S.click('#search-more');
    await until(S, () => document.querySelectorAll('#search-results .result').length === 40);
    await S.click('#search-more');
    await until(S, () => document.querySelectorAll('#search-results .result').length === 60);
    // A full last page can't know it was the last: one more look says so.
    if (await S.isVisible('#search-more')) await S.click('#search-more');
    await S.waitForSelector('#search-more', { state: 'hidden' });
    assert.equal(await S.locator('#search-results .result').count(), 60);
    assert.equal((await S.textContent('#search-results .result:last-child .result-text')).trim(), 'later message 0');
    assert.match(await S.textContent('#search-status'), /결과 60개/);

    // Phone width.
    const P = await anonPage({ viewport: PHONE });
    await P.goto(`/search?q=${encodeURIComponent('재미있')}`);
    await P.waitForSelector(result);
    assert.equal((await P.textContent('#search-status')).trim(), '1 result');
    await checkA11y(P, 'search (phone)');
    await screenshot(P, 'search-phone');
    for (const p of [S, P, B]) assert.deepEqual(p.errors, []);
    await S.context().close();
    await P.context().close();
  });

  test("a moderator deletes a viewer's message from the hover actions and it disappears for others", { timeout: 60_000 * SLOW }, async () => {
    const room = `channel:${alice.username}`;
    const appoint = await srv.api('POST', `/api/channels/${alice.username}/moderators`, { username: dave.username }, alice.access);
    assert.equal(appoint.status, 201, appoint.text);

    const D = await userPage(dave); // the moderator
    const C = await userPage(carol); // a second viewer
    for (const p of [D, C]) {
      await p.goto(`/c/${alice.username}`);
      await until(p, () => document.getElementById('chat-status')?.hidden);
    }
    await until(D, () => document.querySelector('.chat')?.dataset.moderator === 'true');
    const [badSeq, otherSeq] = await say(bob, room, ['please delete me', 'another viewer line']);
    await say(carol, room, ['carol was here']);
    for (const p of [D, C]) await hasText(p, 'carol was here');

    // Carol is no moderator: no controls.
    assert.equal(await C.evaluate(() => document.querySelector('.chat').dataset.moderator), 'false');
    assert.equal(await C.locator('#chat-log .chatmod-toggle').count(), 0);

    // Dave: the actions appear on hover; Delete removes it for everyone.
    const row = `#chat-log .chat-msg[data-seq="${badSeq}"]`;
    assert.equal(await D.isVisible(`${row} .chatmod-delete`), false, 'hidden until hovered');
    await D.hover(row);
    await D.waitForSelector(`${row} .chatmod-delete`, { state: 'visible' });
    assert.equal(await D.locator(`${row} .chatmod-ban`).isVisible(), true);
    await checkA11y(D, 'watch chat with moderator actions');
    await screenshot(D, 'chat-moderator-desktop');
    await D.click(`${row} .chatmod-delete`);
    await until(C, (s) => document.querySelector(`#chat-log .chat-msg[data-seq="${s}"]`)?.classList.contains('is-deleted'), badSeq);
    assert.equal((await chatTexts(C)).includes('please delete me'), false);
    await until(D, (s) => document.querySelector(`#chat-log .chat-msg[data-seq="${s}"]`)?.classList.contains('is-deleted'), badSeq);
    await D.waitForSelector('#chat-modstatus:not([hidden])');
    assert.match(await D.textContent('#chat-modstatus'), /deleted/);
    assert.equal((await srv.api('GET', `/api/rooms/${room}/messages`)).json.messages.find((m) => m.seq === badSeq).deleted, true);

    // From the keyboard: the "…" button opens the actions; a timeout for bob.
    const other = `#chat-log .chat-msg[data-seq="${otherSeq}"]`;
    await D.focus(`${other} .chatmod-toggle`);
    await D.keyboard.press('Enter');
    assert.equal(await D.getAttribute(`${other} .chatmod-toggle`, 'aria-expanded'), 'true');
    assert.equal(await D.evaluate(() => document.activeElement.dataset.action), 'delete');
    await D.keyboard.press('Tab');
    assert.equal(await D.evaluate(() => document.activeElement.dataset.action), 't60');
    await D.keyboard.press('Enter');
    await until(C, (u) => [...document.querySelectorAll('#chat-log .chat-system[data-action="timeout"]')].some((e) => e.textContent.includes(u)), bob.username);
    // Bob really is timed out: his next message is refused until then.
    const c = await connect(srv, bob.access);
    await join(c, room);
    c.send({ type: 'send', room, text: 'am I timed out?', client_id: 'x1' });
    const refused = await c.next((m) => m.client_id === 'x1');
    c.close();
    assert.equal(refused.code, 'banned', JSON.stringify(refused));
    assert.ok(refused.until > Date.now() && refused.until <= Date.now() + 61_000, JSON.stringify(refused));

    // A channel's message found by search opens the watch page at it.
    await C.goto(`/search?q=${encodeURIComponent('carol was')}`);
    await C.click('#search-results .result a');
    await C.waitForURL((u) => u.pathname === `/c/${alice.username}` && Number(u.searchParams.get('seq')) > otherSeq);
    await C.waitForSelector('#chat-log .chat-msg.is-target');
    assert.equal(await C.textContent('#chat-log .chat-msg.is-target .chat-text'), 'carol was here');

    // On a phone the "…" button is always visible and opens the actions.
    const P = await userPage(dave, { viewport: PHONE });
    await P.goto(`/c/${alice.username}`);
    await P.waitForSelector(`${other} .chatmod-toggle`, { state: 'visible' });
    await P.click(`${other} .chatmod-toggle`);
    await P.waitForSelector(`${other} .chatmod-delete`, { state: 'visible' });
    await checkA11y(P, 'watch chat with moderator actions (phone)');
    await screenshot(P, 'chat-moderator-phone');

    // Demoted meanwhile: the server refuses, the status line says so, the controls go.
    const demote = await srv.api('DELETE', `/api/channels/${alice.username}/moderators/${dave.username}`, undefined, alice.access);
    assert.equal(demote.status, 204, demote.text);
    await P.click(`${other} .chatmod-delete`);
    await P.waitForSelector('#chat-modstatus.is-error:not([hidden])');
    assert.match(await P.textContent('#chat-modstatus'), /not allowed/);
    await until(P, () => !document.querySelector('#chat-log .chatmod-toggle'));
    assert.equal(await C.evaluate((s) => document.querySelector(`#chat-log .chat-msg[data-seq="${s}"]`).classList.contains('is-deleted'), otherSeq), false);
    for (const p of [D, C, P]) assert.deepEqual(p.errors, []);
    await D.context().close();
    await C.context().close();
    await P.context().close();
  });
});
