// The streamer's dashboard end to end, beyond the key, OBS steps and title
// (those are in web.test.mjs): the preview player of their own stream, the
// donations received (recent with totals, "More", top donors; new ones
// appear without a reload) and the moderators panel. A real server, real
// chromium, ffmpeg as OBS. The tests run in order and build on each other.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, startServer, newUser, REPO_ROOT, SANITIZED } from './lib/server.mjs';
import { startPublisher } from './lib/media.mjs';
import { connect, join } from './lib/chat.mjs';
import { charge, donate } from './lib/wallet.mjs';
import { launchBrowser, newPage, openApp, checkA11y, screenshot, PHONE } from './lib/browser.mjs';

const WEB_DIR = path.join(REPO_ROOT, 'web');
const SLOW = SANITIZED ? 3 : 1;

/** Waits (polling in the page) until fn(arg) is truthy; returns its value. */
function until(page, fn, arg, timeout = 15_000 * SLOW) {
  return page.waitForFunction(fn, arg, { timeout, polling: 100 }).then((h) => h.jsonValue());
}

/** The recent donations as the page shows them. */
function shownDonations(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('#donation-list > li')].map((li) => ({
      id: Number(li.dataset.id),
      name: li.querySelector('.dash-donor').textContent,
      amount: li.querySelector('.dash-amount').textContent,
      message: li.querySelector('.dash-donation-msg')?.textContent ?? null,
      time: li.querySelector('time')?.getAttribute('datetime') ?? null,
    })),
  );
}

/** The top donors as the page shows them. */
function shownTop(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('#top-donors > li')].map((li) => [
      li.querySelector('.dash-donor').textContent,
      li.querySelector('.dash-amount').textContent,
      li.querySelector('.dash-count').textContent,
    ]),
  );
}

describe('web app: the streamer dashboard', () => {
  let srv;
  let browser;
  let pub = null;
  let streamer;
  let fan1;
  let fan2;
  let helper; // becomes a moderator
  let A; // the streamer's dashboard (English, desktop)
  const room = () => `channel:${streamer.username}`;

  const go = (page, p) => openApp(page, p, 15_000 * SLOW);

  /** Logs user in through the form and opens the dashboard. */
  async function openDashboard(page, user) {
    await go(page, '/login');
    await page.waitForSelector('#login-form');
    await page.fill('#username', user.username);
    await page.fill('#password', user.password);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#user-button');
    await go(page, '/dashboard');
    await until(page, () => document.getElementById('main')?.dataset.page === 'dashboard');
    await until(page, () => document.getElementById('stream-key')?.value.length > 0);
  }

  /** Sends a chat message as user over /ws; resolves with its seq. */
  async function say(user, text) {
    const c = await connect(srv, user.access);
    try {
      await join(c, room());
      c.send({ type: 'send', room: room(), text, client_id: 'c-1' });
      const ack = await c.next((m) => (m.type === 'ack' || m.type === 'error') && m.client_id === 'c-1');
      assert.equal(ack.type, 'ack', JSON.stringify(ack));
      return ack.seq;
    } finally {
      c.close();
    }
  }

  before(async () => {
    browser = await launchBrowser();
    srv = await startServer({
      args: ['--web', WEB_DIR, '--hls-segment-ms', '1000', '--hls-part-ms', '333', '--chat-rate-count', '200'],
    });
    streamer = await newUser(srv, 'dstar');
    fan1 = await newUser(srv, 'dfan');
    fan2 = await newUser(srv, 'dfan');
    helper = await newUser(srv, 'dmod');
    await charge(srv, fan1.access, 5000);
    await charge(srv, fan2.access, 5000);
  });

  after(async () => {
    await pub?.stop();
    await browser?.close().catch(() => {});
    await srv?.stop();
  });

  test('offline: no player, a note instead; once live the preview plays the stream, muted, with a link to the channel', { timeout: 60_000 * SLOW }, async () => {
    A = await newPage(browser, { baseURL: srv.url, locale: 'en-US' });
    await openDashboard(A, streamer);
    assert.equal(await A.locator('#preview video').count(), 0, 'no player while offline');
    assert.match(await A.textContent('#preview-offline'), /When you go live/);
    assert.equal(await A.getAttribute('#preview-open', 'href'), `/c/${streamer.username}`);
    assert.equal((await A.textContent('#preview-open')).trim(), 'Open my channel');
    // Nothing donated yet: the panels say so.
    await A.waitForSelector('#donations-empty:not([hidden])');
    await A.waitForSelector('#top-empty:not([hidden])');
    await A.waitForSelector('#mods-empty:not([hidden])');

    await A.evaluate(() => (window.sameDocument = true));
    const key = (await srv.api('GET', '/api/me/stream-key', undefined, streamer.access)).json.stream_key;
    pub = startPublisher(srv, key, { seconds: 600 });
    await A.waitForSelector('#preview video', { timeout: 25_000 * SLOW }).catch((e) => {
      throw new Error(`the preview never appeared: ${e.message}; ffmpeg: ${pub.stderr()}`);
    });
    assert.equal(await A.getAttribute('#dash-status', 'data-live'), 'true');
    await until(A, () => document.querySelector('#preview video')?.currentTime > 0, undefined, 25_000 * SLOW);
    const t0 = await A.evaluate(() => document.querySelector('#preview video').currentTime);
    await until(A, (t) => document.querySelector('#preview video').currentTime > t + 1.5, t0, 15_000 * SLOW);
    assert.equal(await A.evaluate(() => document.querySelector('#preview video').muted), true, 'the preview is muted');
    assert.equal(await A.isHidden('#preview-offline'), true);
    assert.equal(await A.evaluate(() => window.sameDocument), true, 'appeared without a reload');
    assert.deepEqual(A.errors, []);
  });

  test('donations: newest first with name, amount, message and time; totals; top donors; a new one appears without a reload', { timeout: 45_000 * SLOW }, async () => {
    const made = [];
    for (const [who, amount, message] of [
      [fan1, 300, '첫 후원 <b>축하</b>'],
      [fan2, 500, 'hello'],
      [fan1, 400, ''],
    ]) {
      const r = await donate(srv, who.access, streamer.username, amount, { message });
      assert.equal(r.status, 201, r.text);
      made.push(r.json.donation);
    }
    // These came in over /ws (the page is open): no reload needed.
    await until(A, () => document.querySelectorAll('#donation-list > li').length === 3);
    // The dashboard's connection follows the room without counting as a viewer.
    assert.equal((await srv.api('GET', `/api/channels/${streamer.username}`)).json.viewers, 0);
    let shown = await shownDonations(A);
    assert.deepEqual(
      shown.map(({ id, name, amount, message }) => ({ id, name, amount, message })),
      [
        { id: made[2].id, name: fan1.username, amount: '400 P', message: null },
        { id: made[1].id, name: fan2.username, amount: '500 P', message: 'hello' },
        { id: made[0].id, name: fan1.username, amount: '300 P', message: '첫 후원 <b>축하</b>' },
      ],
    );
    assert.equal(shown[0].time, made[2].created_at);
    assert.match(await A.textContent('#donation-list > li:first-child time'), /\d{1,2}:\d\d/);
    assert.equal(await A.locator('#donation-list b').count(), 0);
    await until(A, () => document.getElementById('donation-totals').dataset.count === '3');
    assert.equal(await A.getAttribute('#donation-totals', 'data-total'), '1200');
    assert.equal((await A.textContent('#donation-totals')).trim(), '1,200 P in total from 3 donations');
    await until(A, () => document.querySelectorAll('#top-donors > li').length === 2);
    assert.deepEqual(await shownTop(A), [
      [fan1.username, '700 P', '2 donations'],
      [fan2.username, '500 P', '1 donation'],
    ]);

    // A donation with markup while the page is open: shown as text, at the
    // top, and it reorders the top donors.
    await A.evaluate(() => (window.sameDocument = true));
    const markup = '<img src=x onerror="window.pwned=1"> 대박 & <script>window.pwned=2</script>';
    const big = await donate(srv, fan2.access, streamer.username, 1000, { message: markup });
    assert.equal(big.status, 201, big.text);
    await until(A, (id) => document.querySelector('#donation-list > li')?.dataset.id === String(id), big.json.donation.id);
    shown = await shownDonations(A);
    assert.equal(shown.length, 4);
    assert.deepEqual([shown[0].name, shown[0].amount, shown[0].message], [fan2.username, '1,000 P', markup]);
    assert.equal(await A.locator('#donations img, #donations script').count(), 0, 'markup stays text');
    assert.equal(await A.evaluate(() => window.pwned), undefined);
    await until(A, () => document.getElementById('donation-totals').dataset.count === '4');
    assert.equal(await A.getAttribute('#donation-totals', 'data-total'), '2200');
    await until(A, (n) => document.querySelector('#top-donors > li .dash-donor')?.textContent === n, fan2.username);
    assert.deepEqual(await shownTop(A), [
      [fan2.username, '1,500 P', '2 donations'],
      [fan1.username, '700 P', '2 donations'],
    ]);
    assert.equal(await A.evaluate(() => window.sameDocument), true, 'no reload');

    // A burst: every one of them shows up, in order.
    for (let i = 1; i <= 8; i++) {
      const r = await donate(srv, fan1.access, streamer.username, i, { message: `small ${i}` });
      assert.equal(r.status, 201, r.text);
    }
    await until(A, () => document.querySelectorAll('#donation-list > li').length === 12);
    shown = await shownDonations(A);
    assert.deepEqual(shown.slice(0, 8).map((d) => d.message), [8, 7, 6, 5, 4, 3, 2, 1].map((i) => `small ${i}`));
    await until(A, () => document.getElementById('donation-totals').dataset.count === '12');
    assert.equal(await A.getAttribute('#donation-totals', 'data-total'), String(2200 + 36));
    await until(A, (n) => document.querySelector('#top-donors > li:nth-child(2) .dash-amount')?.textContent === n, '736 P');

    // A fresh load shows the newest page; "More" brings the older ones.
    await go(A, '/');
    await go(A, '/dashboard');
    await until(A, () => document.querySelectorAll('#donation-list > li').length === 10);
    await A.waitForSelector('#donations-more:not([hidden])');
    await A.click('#donations-more');
    await until(A, () => document.querySelectorAll('#donation-list > li').length === 12);
    shown = await shownDonations(A);
    const ids = shown.map((d) => d.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    assert.equal(shown.at(-1).id, made[0].id, 'the oldest one last');
    await until(A, () => document.getElementById('donations-more').hidden);
    assert.deepEqual(A.errors, []);
  });

  test('moderators: an unknown name is refused beside the field; adding one takes effect; removing too', { timeout: 40_000 * SLOW }, async () => {
    const seq1 = await say(fan1, 'a message to delete');
    const seq2 = await say(fan1, 'another one');
    const del = (seq) => srv.api('DELETE', `/api/rooms/${room()}/messages/${seq}`, undefined, helper.access);
    assert.equal((await del(seq1)).status, 403, 'not a moderator yet');

    // Unknown user: the error is next to the field and names them.
    await A.fill('#mod-username', 'no_such_user_here');
    await A.click('#mod-add');
    await A.waitForSelector('#mod-error:not([hidden])');
    assert.match(await A.textContent('#mod-error'), /no user named “no_such_user_here”/);
    assert.equal(await A.getAttribute('#mod-username', 'aria-invalid'), 'true');
    assert.match(await A.getAttribute('#mod-username', 'aria-describedby'), /mod-error/);
    // The owner themself.
    await A.fill('#mod-username', streamer.username);
    await A.waitForSelector('#mod-error', { state: 'hidden' });
    await A.press('#mod-username', 'Enter');
    await until(A, () => /cannot be added/.test(document.getElementById('mod-error')?.textContent || ''));
    // Empty.
    await A.fill('#mod-username', '  ');
    await A.press('#mod-username', 'Enter');
    await until(A, () => /Enter a username/.test(document.getElementById('mod-error')?.textContent || ''));

    // The real one (typed in capitals: usernames are case-insensitive).
    await A.fill('#mod-username', helper.username.toUpperCase());
    await A.press('#mod-username', 'Enter');
    await A.waitForSelector(`#mod-list li[data-name="${helper.username}"]`);
    await A.waitForSelector('#mod-status:not([hidden])');
    assert.match(await A.textContent('#mod-status'), new RegExp(`${helper.username} is now a moderator`));
    assert.equal(await A.isHidden('#mod-error'), true);
    assert.equal(await A.inputValue('#mod-username'), '');
    assert.equal(await A.isHidden('#mods-empty'), true);
    const list = await srv.api('GET', `/api/channels/${streamer.username}/moderators`, undefined, streamer.access);
    assert.deepEqual(list.json.moderators, [{ id: helper.id, name: helper.username }]);
    const d1 = await del(seq1);
    assert.equal(d1.status, 200, `the new moderator deletes a message: ${d1.text}`);

    // Removing: the button names who it removes.
    const rm = `#mod-list li[data-name="${helper.username}"] .mod-remove`;
    assert.equal(await A.getAttribute(rm, 'aria-label'), `Remove ${helper.username} as moderator`);
    await A.click(rm);
    await A.waitForSelector(`#mod-list li[data-name="${helper.username}"]`, { state: 'detached' });
    await A.waitForSelector('#mods-empty:not([hidden])');
    assert.match(await A.textContent('#mod-status'), /no longer a moderator/);
    const after = await srv.api('GET', `/api/channels/${streamer.username}/moderators`, undefined, streamer.access);
    assert.deepEqual(after.json.moderators, []);
    assert.equal((await del(seq2)).status, 403, 'no longer a moderator');
    assert.deepEqual(A.errors, []);
  });

  test('axe-clean with every panel filled, at desktop and phone width (screenshots); Korean on the phone', { timeout: 40_000 * SLOW }, async () => {
    // A moderator in the list and the preview playing, for the screenshots.
    await A.fill('#mod-username', helper.username);
    await A.press('#mod-username', 'Enter');
    await A.waitForSelector(`#mod-list li[data-name="${helper.username}"]`);
    await until(A, () => document.querySelector('#preview video')?.currentTime > 0);
    await checkA11y(A, 'dashboard with preview, donations and moderators');
    await A.evaluate(() => {
      document.activeElement?.blur();
      window.scrollTo(0, 0);
    });
    await screenshot(A, 'dashboard-full-desktop');
    await A.locator('#top').scrollIntoViewIfNeeded();
    await screenshot(A, 'dashboard-donations-desktop');

    const P = await newPage(browser, { baseURL: srv.url, viewport: PHONE, locale: 'ko-KR' });
    await openDashboard(P, streamer);
    await until(P, () => document.querySelectorAll('#donation-list > li').length === 10);
    await P.waitForSelector('#preview video');
    await until(P, () => document.querySelector('#preview video')?.currentTime > 0, undefined, 25_000 * SLOW);
    assert.equal((await P.textContent('#donations-heading')).trim(), '최근 후원');
    assert.match(await P.textContent('#donation-totals'), /총 2,236P · 12건/);
    await checkA11y(P, 'dashboard (phone)');
    await screenshot(P, 'dashboard-full-phone');
    // The panels below the fold too.
    await P.locator('#moderators').scrollIntoViewIfNeeded();
    await screenshot(P, 'dashboard-moderators-phone');
    assert.deepEqual(P.errors, []);
    await P.context().close();
  });

  test('when the stream ends the preview goes away and the note comes back', { timeout: 40_000 * SLOW }, async () => {
    await A.evaluate(() => (window.sameDocument = true));
    await pub.stop();
    pub = null;
    await until(A, () => document.getElementById('dash-status')?.dataset.live === 'false', undefined, 25_000 * SLOW);
    await until(A, () => !document.querySelector('#preview video'));
    await A.waitForSelector('#preview-offline:not([hidden])');
    assert.equal(await A.evaluate(() => window.sameDocument), true);
    assert.deepEqual(A.errors, []);
  });
});
