// The web app's wallet and Donate button end to end: a viewer charges points
// through the built-in test provider's page (Approve / Cancel) and comes back
// to /wallet, then donates from a streamer's watch page; the donation shows in
// the chat of everyone watching, as an alert on the streamer's overlay, and
// in both wallets' histories. One server and
// one chromium for the file; the tests run in order and build on each other.
// Screenshots of the wallet and the donate dialog at desktop and phone width go
// to build/screenshots/.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, startServer, newUser, REPO_ROOT, SANITIZED } from './lib/server.mjs';
import { charge, donate } from './lib/wallet.mjs';
import { launchBrowser, newPage, checkA11y, screenshot, DESKTOP, PHONE } from './lib/browser.mjs';

const WEB_DIR = path.join(REPO_ROOT, 'web');
const SLOW = SANITIZED ? 3 : 1;

/** Waits (polling in the page) until fn(arg) is truthy; returns its value. */
function until(page, fn, arg, timeout = 15_000 * SLOW) {
  return page.waitForFunction(fn, arg, { timeout, polling: 100 }).then((h) => h.jsonValue());
}

const text = async (page, sel) => ((await page.textContent(sel)) || '').replace(/\s+/g, ' ').trim();

describe('web app: wallet and donations', () => {
  let srv;
  let browser;
  let viewer; // charges and donates
  let streamer; // receives
  let V; // the viewer's page (desktop, English)
  let W; // an anonymous second viewer of the streamer's channel (phone)
  let S; // the streamer, watching their own channel
  let O; // the streamer's donation alerts overlay (OBS browser source)
  const balanceOf = async (u) => (await srv.api('GET', '/api/wallet', undefined, u.access)).json.balance;
  const sentBy = async (u) => (await srv.api('GET', '/api/me/donations?direction=sent&limit=100', undefined, u.access)).json.donations;

  /** Logs in through the form, starting from `from` (a page with a login link to follow). */
  async function loginUI(page, u, next) {
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await page.waitForSelector('#login-form');
    await page.fill('#username', u.username);
    await page.fill('#password', u.password);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#user-button');
    await page.waitForURL((url) => url.pathname === next);
  }

  /** The header's balance once it shows a number. */
  async function headerBalance(page) {
    await until(page, () => /\d/.test(document.getElementById('balance')?.textContent || ''));
    return text(page, '#balance');
  }

  before(async () => {
    browser = await launchBrowser();
    srv = await startServer({ args: ['--web', WEB_DIR, '--chat-rate-count', '200'] });
    viewer = await newUser(srv, 'fan');
    streamer = await newUser(srv, 'star');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await srv?.stop();
  });

  test('wallet: logged out it invites to log in; charging 5,000 through the test provider; a cancelled charge moves nothing', { timeout: 60_000 * SLOW }, async () => {
    V = await newPage(browser, { baseURL: srv.url, locale: 'en-US' });
    await V.goto('/wallet');
    await V.waitForSelector('#wallet-invite');
    assert.equal(await V.getAttribute('#wallet-invite a.btn-primary', 'href'), '/login?next=%2Fwallet');
    await V.click('#wallet-invite a.btn-primary');
    await V.waitForSelector('#login-form');
    await V.fill('#username', viewer.username);
    await V.fill('#password', viewer.password);
    await V.click('#login-form button[type=submit]');
    await V.waitForURL('**/wallet');
    await V.waitForSelector('#charge-form');
    assert.equal(await text(V, '#wallet-balance'), '0 P');
    await V.waitForSelector('#charges-list-status:not([hidden])');
    assert.equal(await text(V, '#charges-list-status'), 'No charges yet.');
    assert.equal(await V.locator('#charges-list li').count(), 0);

    // Client-side checks, each beside the field; nothing is prepared.
    await V.fill('#charge-amount', '');
    await V.click('#charge-submit');
    await V.waitForSelector('#charge-amount-error:not([hidden])');
    assert.equal(await text(V, '#charge-amount-error'), 'Enter how many points to charge.');
    assert.equal(await V.getAttribute('#charge-amount', 'aria-invalid'), 'true');
    assert.match(await V.getAttribute('#charge-amount', 'aria-describedby'), /charge-amount-error/);
    assert.equal(await V.evaluate(() => document.activeElement?.id), 'charge-amount');
    await V.fill('#charge-amount', '12.5');
    await V.click('#charge-submit');
    await until(V, () => /whole number/.test(document.getElementById('charge-amount-error')?.textContent || ''));
    await V.fill('#charge-amount', '2,000,000');
    await V.click('#charge-submit');
    await until(V, () => /at most 1,000,000/.test(document.getElementById('charge-amount-error')?.textContent || ''));
    assert.equal((await srv.api('GET', '/api/payments', undefined, viewer.access)).json.payments.length, 0);

    // A preset fills the field and names the amount on the button.
    await V.click('#charge-form .amount-preset[data-amount="5000"]');
    assert.equal(await V.inputValue('#charge-amount'), '5000');
    assert.equal(await V.getAttribute('#charge-form .amount-preset[data-amount="5000"]', 'aria-pressed'), 'true');
    assert.equal(await V.getAttribute('#charge-form .amount-preset[data-amount="1000"]', 'aria-pressed'), 'false');
    assert.equal(await V.isHidden('#charge-amount-error'), true);
    assert.equal(await text(V, '#charge-submit'), 'Charge 5,000 P');

    // The provider's page, then Approve: back on /wallet with the outcome.
    await V.click('#charge-submit');
    await V.waitForURL(/\/pay\/test\/pay_[A-Za-z0-9_-]+$/);
    assert.match(await V.textContent('.amount'), /5000 points/);
    await V.click('button[value="approve"]');
    await V.waitForURL((u) => u.pathname === '/wallet');
    await V.waitForSelector('#wallet-result');
    assert.equal(await V.getAttribute('#wallet-result', 'data-status'), 'approved');
    assert.equal(await V.getAttribute('#wallet-result', 'role'), 'status');
    assert.equal(await text(V, '#wallet-result .wallet-banner-text'), '5,000 points charged.');
    assert.equal(new URL(V.url()).search, '', 'the outcome is dropped from the address');
    await until(V, () => document.getElementById('wallet-balance')?.textContent === '5,000 P');
    await until(V, () => /5,000 P/.test(document.getElementById('balance')?.textContent || ''));
    assert.equal(await balanceOf(viewer), 5000);
    const first = V.locator('#charges-list li').first();
    assert.equal(await first.getAttribute('data-status'), 'approved');
    assert.match(await first.textContent(), /\+5,000 P.*Charged.*Test payment/);
    assert.equal(await V.locator('#charges-list li').count(), 1);

    // A reload does not show the banner again.
    await V.reload();
    await V.waitForSelector('#charge-form');
    assert.equal(await V.locator('#wallet-result').count(), 0);

    // Cancel at the provider: "cancelled", the balance unchanged.
    await V.click('#charge-form .amount-preset[data-amount="1000"]');
    await V.click('#charge-submit');
    await V.waitForURL(/\/pay\/test\//);
    await V.click('button[value="cancel"]');
    await V.waitForURL((u) => u.pathname === '/wallet');
    await V.waitForSelector('#wallet-result');
    assert.equal(await V.getAttribute('#wallet-result', 'data-status'), 'cancelled');
    assert.equal(await text(V, '#wallet-result .wallet-banner-text'), 'Payment cancelled. Nothing was charged.');
    assert.equal(new URL(V.url()).search, '');
    await until(V, () => document.getElementById('wallet-balance')?.textContent === '5,000 P');
    assert.equal(await balanceOf(viewer), 5000);
    const rows = await V.$$eval('#charges-list li', (lis) => lis.map((li) => [li.dataset.status, li.querySelector('.history-amount').textContent]));
    assert.deepEqual(rows, [['cancelled', '+1,000 P'], ['approved', '+5,000 P']]);

    // A return with an error code says so (role=alert) and charges nothing.
    await V.goto('/wallet?payment=pay_doesnotexist&status=bad_token');
    await V.waitForSelector('#wallet-result');
    assert.equal(await V.getAttribute('#wallet-result', 'role'), 'alert');
    assert.match(await text(V, '#wallet-result'), /could not be verified\. Nothing was charged/);
    await V.click('#wallet-result-dismiss');
    assert.equal(await V.locator('#wallet-result').count(), 0);
    assert.equal(await balanceOf(viewer), 5000);
    assert.deepEqual(V.errors, []);
  });

  test('wallet: with the test provider turned off the charge says so', { timeout: 40_000 * SLOW }, async (t) => {
    const off = await startServer({ t, args: ['--web', WEB_DIR, '--payment-test', '0'] });
    const u = await newUser(off, 'nopay');
    const P = await newPage(browser, { baseURL: off.url, locale: 'ko-KR' });
    t.after(() => P.context().close().catch(() => {}));
    await loginUI(P, u, '/wallet');
    await P.waitForSelector('#charge-form');
    await P.click('#charge-form .amount-preset[data-amount="10000"]');
    await P.click('#charge-submit');
    await P.waitForSelector('#charge-error:not([hidden])');
    assert.match(await text(P, '#charge-error'), /테스트 결제를 사용할 수 없습니다/);
    assert.equal(new URL(P.url()).pathname, '/wallet');
    assert.equal(await P.isDisabled('#charge-submit'), false, 'the form can be used again');
    assert.deepEqual(P.errors, []);
  });

  test('donate: from the watch page; shows in both viewers\' chats, the balance drops, a double click donates once', { timeout: 60_000 * SLOW }, async () => {
    // An anonymous phone viewer on the same channel: invited to log in.
    W = await newPage(browser, { baseURL: srv.url, locale: 'en-US', viewport: PHONE });
    await W.goto(`/c/${streamer.username}`);
    await W.waitForSelector('#donate-login');
    assert.equal(await W.getAttribute('#donate-login', 'href'), `/login?next=${encodeURIComponent(`/c/${streamer.username}`)}`);
    assert.equal(await W.locator('#donate-button').count(), 0);
    await until(W, () => document.getElementById('chat-status')?.hidden);

    // The streamer on their own channel gets no Donate button.
    S = await newPage(browser, { baseURL: srv.url, locale: 'en-US' });
    await loginUI(S, streamer, `/c/${streamer.username}`);
    await until(S, () => document.getElementById('chat-status')?.hidden);
    assert.equal(await S.locator('#donate-button, #donate-login').count(), 0);

    // The streamer's alerts overlay (what OBS shows), opened with the
    // overlay key from the API.
    const ov = await srv.api('GET', `/api/channels/${streamer.username}/overlay`, undefined, streamer.access);
    assert.equal(ov.status, 200, ov.text);
    O = await newPage(browser, { baseURL: srv.url, locale: 'en-US' });
    await O.goto(`${ov.json.overlay.alerts_url}&duration=30000`);
    await until(O, () => document.getElementById('overlay')?.dataset.state === 'open');

    await V.goto(`/c/${streamer.username}`);
    await V.waitForSelector('#donate-button');
    await until(V, () => document.getElementById('chat-status')?.hidden);

    // Open: focus goes into the dialog; Escape closes it and focus returns.
    await V.click('#donate-button');
    await V.waitForSelector('#donate-dialog[open]');
    assert.equal(await V.evaluate(() => document.activeElement?.id), 'donate-amount');
    await until(V, () => /5,000 P/.test(document.getElementById('donate-balance')?.textContent || ''));
    assert.equal(await text(V, '#donate-balance'), 'Your balance: 5,000 P');
    await V.keyboard.press('Escape');
    await V.waitForSelector('#donate-dialog:not([open])', { state: 'attached' });
    await until(V, () => document.activeElement?.id === 'donate-button');

    // By keyboard: Enter opens it again.
    await V.keyboard.press('Enter');
    await V.waitForSelector('#donate-dialog[open]');
    await V.click('#donate-form .amount-preset[data-amount="5000"]');
    assert.equal(await text(V, '#donate-submit'), 'Donate 5,000 P');
    await V.click('#donate-form .amount-preset[data-amount="1000"]');
    assert.equal(await text(V, '#donate-submit'), 'Donate 1,000 P');
    const msg = 'Great stream! 최고예요 🎉';
    await V.fill('#donate-message', msg);
    assert.equal(await text(V, '#donate-counter'), `${Array.from(msg).length}/200`);

    await checkA11y(V, 'donate dialog (desktop)');
    await screenshot(V, 'donate-dialog-desktop');

    // Two quick clicks: one donation.
    await V.dblclick('#donate-submit');
    await V.waitForSelector('#donate-dialog:not([open])', { state: 'attached' });
    await until(V, () => document.activeElement?.id === 'donate-button');
    await until(V, () => /You donated 1,000 P to/.test(document.getElementById('donate-done')?.textContent || ''));

    // Highlighted in the chat of the viewer, the anonymous viewer and the streamer.
    for (const page of [V, W, S]) {
      await until(
        page,
        (m) => [...document.querySelectorAll('#chat-log .chat-donation')].some((r) => r.querySelector('.donation-msg')?.textContent === m),
        msg,
      );
      const row = page.locator('#chat-log .chat-donation').last();
      assert.match(await row.locator('.donation-head').textContent(), new RegExp(`${viewer.username} donated 1,000P`));
    }
    // ... and as an alert on the streamer's overlay: name, amount, message.
    const alert = O.locator('.ov-alert').first();
    await alert.waitFor({ state: 'visible', timeout: 15_000 * SLOW });
    assert.equal(await alert.locator('.ov-alert-name').textContent(), viewer.username);
    assert.match(await alert.locator('.ov-alert-amount').textContent(), /1,000/);
    assert.equal(await alert.locator('.ov-alert-msg').textContent(), msg);
    await until(V, () => /4,000 P/.test(document.getElementById('balance')?.textContent || ''));
    assert.match(await headerBalance(V), /^Points balance ?4,000 P$/);
    assert.equal(await balanceOf(viewer), 4000);
    assert.equal(await balanceOf(streamer), 1000);
    const sent = await sentBy(viewer);
    assert.equal(sent.length, 1, 'the double click donated once');
    assert.equal(sent[0].message, msg);

    // The wallet lists it under Sent, with a link to the channel.
    await V.click('#user-button');
    await V.click('#wallet-link');
    await V.waitForURL('**/wallet');
    await V.waitForSelector('#donations-sent li');
    const item = V.locator('#donations-sent li').first();
    assert.equal(await item.locator('.history-amount').textContent(), '−1,000 P');
    assert.equal(await item.locator('a.history-who').getAttribute('href'), `/c/${streamer.username}`);
    assert.equal(await item.locator('.history-message').textContent(), msg);
    assert.equal(await V.locator('#donations-received li').count(), 0);
    assert.equal(await text(V, '#wallet-balance'), '4,000 P');
    assert.deepEqual(V.errors, []);
    assert.deepEqual(W.errors, []);
    assert.deepEqual(S.errors, []);
    assert.deepEqual(O.errors, []);
  });

  test('donate: not enough points shows the error with a way to charge, and moves nothing; bad input is caught first', { timeout: 45_000 * SLOW }, async () => {
    await V.goto(`/c/${streamer.username}`);
    await V.click('#donate-button');
    await V.waitForSelector('#donate-dialog[open]');

    // Caught in the browser: nothing is sent.
    await V.fill('#donate-amount', '0');
    await V.fill('#donate-message', 'x'.repeat(201));
    assert.equal(await text(V, '#donate-counter'), '201/200');
    await V.click('#donate-submit');
    await V.waitForSelector('#donate-amount-error:not([hidden])');
    await V.waitForSelector('#donate-message-error:not([hidden])');
    assert.match(await text(V, '#donate-amount-error'), /whole number/);
    assert.equal(await text(V, '#donate-message-error'), 'Messages are at most 200 characters.');
    assert.equal(await V.getAttribute('#donate-message', 'aria-invalid'), 'true');

    // More than the balance: the server refuses, the dialog says why.
    await V.fill('#donate-amount', '10000');
    await V.fill('#donate-message', 'too much');
    await V.click('#donate-submit');
    await V.waitForSelector('#donate-error:not([hidden])');
    assert.equal(await text(V, '#donate-error'), 'Not enough points: you have 4,000 P. Charge points');
    assert.equal(await V.getAttribute('#donate-charge-link', 'href'), '/wallet');
    assert.equal(await V.isVisible('#donate-dialog[open]'), true, 'the dialog stays open');
    assert.equal(await balanceOf(viewer), 4000);
    assert.equal(await balanceOf(streamer), 1000);
    assert.equal((await sentBy(viewer)).length, 1);
    await until(V, () => document.querySelectorAll('#chat-log .chat-donation').length === 1);

    // Lowering the amount clears the error; the charge link goes to the wallet.
    await V.fill('#donate-amount', '3000');
    assert.equal(await V.isHidden('#donate-error'), true);
    await V.fill('#donate-amount', '10000');
    await V.click('#donate-submit');
    await V.waitForSelector('#donate-charge-link');
    await V.click('#donate-charge-link');
    await V.waitForURL('**/wallet');
    await V.waitForSelector('#charge-form');
    assert.equal(await V.locator('dialog[open]').count(), 0);
    assert.deepEqual(V.errors, []);
  });

  test('donate: a message with markup shows as text everywhere', { timeout: 45_000 * SLOW }, async () => {
    const evil = '<img src=x onerror="window.__pwned=1"> <b>hi</b>';
    await V.goto(`/c/${streamer.username}`);
    await until(V, () => document.getElementById('chat-status')?.hidden);
    await V.click('#donate-button');
    await V.waitForSelector('#donate-dialog[open]');
    await V.fill('#donate-amount', '500');
    await V.fill('#donate-message', evil);
    await V.click('#donate-submit');
    await V.waitForSelector('#donate-dialog:not([open])', { state: 'attached' });
    for (const page of [V, W, S]) {
      await until(
        page,
        (m) => [...document.querySelectorAll('#chat-log .donation-msg')].some((el) => el.textContent === m),
        evil,
      );
      assert.equal(await page.locator('#chat-log img, #chat-log b').count(), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
    }
    // The streamer's wallet lists both under Received, as text.
    await S.click('#user-button');
    await S.click('#wallet-link');
    await S.waitForURL('**/wallet');
    await S.waitForSelector('#donations-received li');
    const got = await S.$$eval('#donations-received li', (lis) =>
      lis.map((li) => [li.querySelector('.history-amount').textContent, li.querySelector('.history-who').textContent, li.querySelector('.history-message')?.textContent]),
    );
    assert.deepEqual(got, [
      ['+500 P', viewer.username, evil],
      ['+1,000 P', viewer.username, 'Great stream! 최고예요 🎉'],
    ]);
    assert.equal(await S.locator('#donations-received img, #donations-received b').count(), 0);
    assert.equal(await text(S, '#wallet-balance'), '1,500 P');
    assert.equal(await S.evaluate(() => window.__pwned), undefined);
    assert.deepEqual(V.errors, []);
    assert.deepEqual(S.errors, []);
  });

  test('donate: when the answer is lost, trying again donates once (same idempotency key)', { timeout: 45_000 * SLOW }, async () => {
    const before = await balanceOf(viewer);
    const sentBefore = (await sentBy(viewer)).length;
    await V.goto(`/c/${streamer.username}`);
    await until(V, () => document.getElementById('chat-status')?.hidden);
    // The first request reaches the server, but its answer never reaches the page.
    let dropped = 0;
    await V.route(
      `**/api/channels/${streamer.username}/donations`,
      async (route) => {
        const res = await route.fetch();
        await res.body();
        dropped++;
        await route.abort('connectionreset');
      },
      { times: 1 },
    );
    await V.click('#donate-button');
    await V.waitForSelector('#donate-dialog[open]');
    await V.fill('#donate-amount', '100');
    await V.fill('#donate-message', 'lost answer');
    await V.click('#donate-submit');
    await V.waitForSelector('#donate-error:not([hidden])');
    assert.equal(dropped, 1);
    assert.equal(await text(V, '#donate-error'), 'Cannot reach the server. Trying again never donates twice.');
    assert.equal(await balanceOf(viewer), before - 100, 'the server did donate');
    // Again: the server answers with the first donation; nothing moves twice.
    await V.click('#donate-submit');
    await V.waitForSelector('#donate-dialog:not([open])', { state: 'attached' });
    assert.equal(await balanceOf(viewer), before - 100);
    assert.equal((await sentBy(viewer)).length, sentBefore + 1);
    await until(V, () => [...document.querySelectorAll('#chat-log .donation-msg')].filter((e) => e.textContent === 'lost answer').length === 1);
    await until(V, (n) => document.getElementById('balance')?.textContent.includes(n), (before - 100).toLocaleString('en-US'));
    assert.deepEqual(V.errors, []);
  });

  test('wallet: "Show more" pages through long histories', { timeout: 60_000 * SLOW }, async () => {
    const u = await newUser(srv, 'many');
    await charge(srv, u.access, 100);
    for (let i = 0; i < 22; i++) {
      const r = await srv.api('POST', '/api/payments', { amount: 1000 + i, provider: 'test' }, u.access);
      assert.equal(r.status, 201);
    }
    for (let i = 0; i < 23; i++) {
      const r = await donate(srv, u.access, streamer.username, 1, { message: `n${i}` });
      assert.equal(r.status, 201);
    }
    const P = await newPage(browser, { baseURL: srv.url, locale: 'en-US' });
    await loginUI(P, u, '/wallet');
    await P.waitForSelector('#charges-list li');
    assert.equal(await P.locator('#charges-list li').count(), 20);
    assert.equal(await P.locator('#donations-sent li').count(), 20);
    await P.click('#charges-list-more');
    await until(P, () => document.querySelectorAll('#charges-list li').length === 23);
    await P.waitForSelector('#charges-list-more', { state: 'hidden' });
    const statuses = await P.$$eval('#charges-list li', (lis) => lis.map((li) => li.dataset.status));
    assert.deepEqual(statuses, [...Array(22).fill('ready'), 'approved']);
    // Focus lands on the first row that came in.
    assert.equal(await P.evaluate(() => document.activeElement === document.querySelectorAll('#charges-list li')[20]), true);
    await P.click('#donations-sent-more');
    await until(P, () => document.querySelectorAll('#donations-sent li').length === 23);
    await P.waitForSelector('#donations-sent-more', { state: 'hidden' });
    const msgs = await P.$$eval('#donations-sent li .history-message', (els) => els.map((e) => e.textContent));
    assert.deepEqual(msgs, Array.from({ length: 23 }, (_, i) => `n${22 - i}`));
    assert.equal(await text(P, '#wallet-balance'), '77 P');
    assert.deepEqual(P.errors, []);
    await P.context().close();
  });

  test('wallet and donate dialog: axe-clean, screenshots at desktop and phone width', { timeout: 60_000 * SLOW }, async () => {
    await V.setViewportSize(DESKTOP);
    await V.goto('/wallet');
    await V.waitForSelector('#donations-sent li');
    await checkA11y(V, 'wallet (desktop)');
    await screenshot(V, 'wallet-desktop');

    await V.setViewportSize(PHONE);
    await V.reload();
    await V.waitForSelector('#donations-sent li');
    await checkA11y(V, 'wallet (phone)');
    await screenshot(V, 'wallet-phone');

    await V.goto(`/c/${streamer.username}`);
    await V.click('#donate-button');
    await V.waitForSelector('#donate-dialog[open]');
    await V.fill('#donate-message', 'Hello from my phone');
    await until(V, () => /\d/.test(document.getElementById('donate-balance')?.textContent || ''));
    await checkA11y(V, 'donate dialog (phone)');
    await screenshot(V, 'donate-dialog-phone');
    await V.keyboard.press('Escape');

    // The watch page itself with the button, and the logged-out wallet.
    await checkA11y(V, 'watch page with the Donate button (phone)');
    await screenshot(V, 'watch-donate-phone');
    await checkA11y(W, 'watch page, logged out (phone)');
    await W.goto('/wallet');
    await W.waitForSelector('#wallet-invite');
    await checkA11y(W, 'wallet, logged out (phone)');
    // Back from the provider with the session gone: logging in keeps the outcome.
    await W.goto('/wallet?payment=pay_abc&status=cancelled');
    await W.waitForSelector('#wallet-invite');
    assert.equal(await W.getAttribute('#wallet-invite a.btn-primary', 'href'), `/login?next=${encodeURIComponent('/wallet?payment=pay_abc&status=cancelled')}`);
    assert.deepEqual(V.errors, []);
    assert.deepEqual(W.errors, []);
  });
});
