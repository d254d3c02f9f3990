// The OBS overlays in a real browser (issue 6): the alerts overlay shows
// donations one after another, in order, none lost, user text as text; the
// chat overlay shows chat and catches up after a drop; wrong keys say so;
// the page is transparent; the streamer's dashboard has an overlay panel
// whose URL works. Screenshots of both overlays go to build/screenshots/.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, startServer, newUser, REPO_ROOT, SANITIZED } from './lib/server.mjs';
import { connect, join } from './lib/chat.mjs';
import { charge, donate } from './lib/wallet.mjs';
import { launchBrowser, newPage, checkA11y, screenshot } from './lib/browser.mjs';

const WEB_DIR = path.join(REPO_ROOT, 'web');
const SLOW = SANITIZED ? 3 : 1;
const DURATION = 1500; // ms an alert stays, via ?duration=

/** Waits (polling in the page) until fn(arg) is truthy; returns its value. */
function until(page, fn, arg, timeout = 15_000 * SLOW) {
  return page.waitForFunction(fn, arg, { timeout, polling: 50 }).then((h) => h.jsonValue());
}

/** Waits until the overlay has joined its room. */
const joined = (page) => until(page, () => document.getElementById('overlay')?.dataset.state === 'open');

/** A stand-in for the video behind the overlay, for the screenshots only. */
const backdrop = (page) =>
  page.addStyleTag({ content: 'html { background: linear-gradient(135deg, #2b3a55, #6b4f3a) !important; }' });

describe('web overlays', () => {
  let srv;
  let browser;
  let streamer; // owns the channel and the overlay
  let giver; // donates and chats
  let overlay; // {key, alerts_url, chat_url}

  before(async () => {
    browser = await launchBrowser();
    srv = await startServer({ args: ['--web', WEB_DIR, '--chat-rate-count', '200'] });
    streamer = await newUser(srv, 'ovstar');
    giver = await newUser(srv, 'ovfan');
    assert.equal(await charge(srv, giver.access, 100_000), 100_000);
    const r = await srv.api('GET', `/api/channels/${streamer.username}/overlay`, undefined, streamer.access);
    assert.equal(r.status, 200, r.text);
    overlay = r.json.overlay;
  }, { timeout: 60_000 });
  after(async () => {
    await browser?.close().catch(() => {});
    await srv?.cleanup();
  }, { timeout: 30_000 });

  // What the streamer's viewers see on stream when donations pour in.
  test('alerts: three quick donations show one after another, in order, each with name, amount and message; HTML stays text', { timeout: 45_000 * SLOW }, async () => {
    // An earlier donation: the overlay starts at the live edge and must not replay it.
    const old = await donate(srv, giver.access, streamer.username, 50, { message: 'before the overlay opened' });
    assert.equal(old.status, 201, old.text);

    const page = await newPage(browser, { baseURL: srv.url });
    await page.goto(`${overlay.alerts_url}&duration=${DURATION}`);
    await joined(page);
    assert.equal(await page.title(), `${streamer.username} overlay`);
    // Records every alert as it is added and removed, and how many were on screen.
    await page.evaluate(() => {
      const stage = document.getElementById('ov-alerts');
      window.seen = [];
      new MutationObserver((muts) => {
        for (const m of muts) {
          for (const n of m.addedNodes) {
            if (!n.classList?.contains('ov-alert')) continue;
            window.seen.push({
              seq: Number(n.dataset.seq),
              name: n.querySelector('.ov-alert-name')?.textContent,
              amount: n.querySelector('.ov-alert-amount')?.textContent,
              msg: n.querySelector('.ov-alert-msg')?.textContent ?? null,
              imgs: n.querySelectorAll('img').length,
              onScreen: stage.querySelectorAll('.ov-alert').length,
              added: performance.now(),
              removed: null,
            });
          }
          for (const n of m.removedNodes) {
            const s = window.seen.find((x) => x.seq === Number(n.dataset?.seq) && x.removed === null);
            if (s) s.removed = performance.now();
          }
        }
      }).observe(stage, { childList: true });
    });

    const messages = ['첫 번째 후원 🎉', 'second <img src=x onerror="window.pwned=1"> <b>bold</b>', 'third & last'];
    const amounts = [1000, 2500, 30000];
    const sent = await Promise.all(messages.map((message, i) => donate(srv, giver.access, streamer.username, amounts[i], { message })));
    for (const r of sent) assert.equal(r.status, 201, r.text);
    // The room's order is the order they must appear in.
    const expected = sent.map((r) => r.json.donation).sort((a, b) => a.chat_seq - b.chat_seq);

    // The first one is on screen, readable.
    const first = page.locator(`.ov-alert[data-seq="${expected[0].chat_seq}"]`);
    await first.waitFor({ state: 'visible' });
    assert.equal(await first.locator('.ov-alert-name').textContent(), giver.username);

    await until(page, () => window.seen.length === 3 && window.seen.every((s) => s.removed !== null), null, 30_000 * SLOW);
    const seen = await page.evaluate(() => window.seen);
    assert.deepEqual(seen.map((s) => s.seq), expected.map((d) => d.chat_seq), 'in the room order, none lost, the old one not replayed');
    const fmt = (n) => `${new Intl.NumberFormat('en-US').format(n)} P`;
    for (const [i, s] of seen.entries()) {
      const d = expected[i];
      assert.equal(s.name, giver.username);
      assert.equal(s.amount, fmt(d.amount));
      assert.equal(s.msg, d.message);
      assert.equal(s.imgs, 0, 'the message is text, not markup');
      assert.equal(s.onScreen, 1, `alert ${i} shared the screen with another`);
      assert.ok(s.removed - s.added >= DURATION - 50, `alert ${i} stayed ${s.removed - s.added} ms`);
      if (i > 0) assert.ok(s.added >= seen[i - 1].removed, `alert ${i} came before ${i - 1} left`);
    }
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  // OBS composites the page over the video: nothing may be painted behind it.
  test('the overlay page is transparent and has no site header (screenshot of an alert)', { timeout: 30_000 * SLOW }, async () => {
    const page = await newPage(browser, { baseURL: srv.url });
    await page.goto(`${overlay.alerts_url}&duration=20000&lang=ko`);
    await joined(page);
    // An overlay in OBS follows the room without counting as a viewer.
    assert.equal((await srv.api('GET', `/api/channels/${streamer.username}`)).json.viewers, 0);
    const bg = await page.evaluate(() => [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).backgroundColor]);
    assert.deepEqual(bg, ['rgba(0, 0, 0, 0)', 'rgba(0, 0, 0, 0)']);
    assert.equal(await page.locator('#site-header, header, nav').count(), 0);
    // ?lang=ko for this page only: Korean texts, the site's saved choice untouched.
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');
    assert.equal(await page.evaluate(() => localStorage.getItem('onair.lang')), null);
    const r = await donate(srv, giver.access, streamer.username, 12345, { message: '오늘 방송 최고예요! 항상 응원합니다 💚' });
    assert.equal(r.status, 201, r.text);
    const alert = page.locator(`.ov-alert[data-seq="${r.json.donation.chat_seq}"]`);
    await alert.waitFor({ state: 'visible' });
    assert.equal(await alert.locator('.ov-alert-amount').textContent(), '12,345P');
    assert.equal(await alert.locator('.ov-alert-verb').textContent(), '님이 후원했습니다');
    await page.waitForTimeout(600); // the entrance animation
    await backdrop(page);
    await checkA11y(page, 'alerts overlay with an alert');
    await screenshot(page, 'overlay-alerts');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  // The chat overlay: messages and donations with names; after a drop it
  // catches up with what was said meanwhile, once.
  test('chat overlay: shows chat messages and donations, catches up after a drop (screenshot)', { timeout: 40_000 * SLOW }, async (t) => {
    const page = await newPage(browser, { baseURL: srv.url });
    await page.goto(overlay.chat_url);
    await joined(page);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgba(0, 0, 0, 0)');
    const room = `channel:${streamer.username}`;
    const c = await connect(srv, giver.access, { t });
    await join(c, room);
    const say = async (text, client_id) => {
      c.send({ type: 'send', room, text, client_id });
      await c.next((m) => m.type === 'ack' && m.client_id === client_id);
    };
    const rowWith = (text) => page.locator('#ov-chat .ov-chat-row', { hasText: text });

    await say('안녕하세요 오버레이! <script>window.pwned=1</script>', 'm1');
    await rowWith('안녕하세요 오버레이!').waitFor({ state: 'visible' });
    assert.equal(await rowWith('안녕하세요 오버레이!').locator('.ov-chat-name').textContent(), giver.username);
    assert.equal(await rowWith('안녕하세요 오버레이!').locator('.ov-chat-text').textContent(), '안녕하세요 오버레이! <script>window.pwned=1</script>');
    const d = await donate(srv, giver.access, streamer.username, 777, { message: '채팅에도 후원' });
    assert.equal(d.status, 201, d.text);
    await rowWith('채팅에도 후원').waitFor({ state: 'visible' });
    assert.match(await rowWith('채팅에도 후원').textContent(), /777 P/);

    // Drop the overlay's connection and talk while it is away.
    await page.evaluate(() => window.onairOverlay.conn.drop());
    await until(page, () => document.getElementById('overlay').dataset.state === 'reconnecting');
    await say('said while the overlay was away', 'm2');
    await joined(page);
    await rowWith('said while the overlay was away').waitFor({ state: 'visible' });
    await say('and after it came back', 'm3');
    await rowWith('and after it came back').waitFor({ state: 'visible' });
    assert.equal(await rowWith('said while the overlay was away').count(), 1, 'shown once');
    assert.equal(await rowWith('안녕하세요 오버레이!').count(), 1, 'not replayed twice');
    // Older rows fade: the newest is fully opaque, the oldest less so (once rows have slid in).
    await until(page, () => [...document.querySelectorAll('#ov-chat .ov-chat-row')].every((r) => r.getAnimations().length === 0));
    const op = await page.evaluate(() => [...document.querySelectorAll('#ov-chat .ov-chat-row')].map((r) => Number(getComputedStyle(r).opacity)));
    assert.equal(op.at(-1), 1);
    assert.ok(op[0] < 1, `oldest opacity ${op[0]}`);
    await backdrop(page);
    await checkA11y(page, 'chat overlay');
    await screenshot(page, 'overlay-chat');

    // A long chat keeps only the newest rows (?max= default 12).
    for (let i = 0; i < 14; i++) c.send({ type: 'send', room, text: `line ${i}`, client_id: `l${i}` });
    await rowWith('line 13').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#ov-chat .ov-chat-row').count(), 12);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  // A URL that can't work says why, in a small box.
  test('a wrong, missing or rotated key shows a clear message', { timeout: 40_000 * SLOW }, async () => {
    const page = await newPage(browser, { baseURL: srv.url });
    const error = async () => {
      const box = page.locator('#ov-error');
      await box.waitFor({ state: 'visible' });
      return box.textContent();
    };
    await page.goto(`/overlay/${streamer.username}?key=ov_${'A'.repeat(32)}`);
    assert.match(await error(), /wrong or was replaced/);
    await page.goto(`/overlay/${streamer.username}/chat`);
    assert.match(await error(), /has no key/);
    await page.goto(`/overlay/nosuchchannel_ov?key=${overlay.key}`);
    assert.match(await error(), /No such channel/);
    await page.goto(`/overlay/${streamer.username}?key=nonsense`);
    assert.match(await error(), /not valid/);
    // The box is small: it does not cover the stream.
    const box = await page.locator('#ov-error').boundingBox();
    assert.ok(box.width <= 500 && box.height <= 120, JSON.stringify(box));
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgba(0, 0, 0, 0)');

    // An open overlay whose key is rotated away stops at its next reconnect.
    const other = await newUser(srv, 'ovrot');
    const o = (await srv.api('GET', `/api/channels/${other.username}/overlay`, undefined, other.access)).json.overlay;
    await page.goto(o.alerts_url);
    await joined(page);
    const rot = await srv.api('POST', `/api/channels/${other.username}/overlay/rotate`, undefined, other.access);
    assert.equal(rot.status, 200, rot.text);
    await page.evaluate(() => window.onairOverlay.conn.drop());
    assert.match(await error(), /wrong or was replaced/);
    assert.equal(await page.evaluate(() => document.getElementById('overlay').dataset.state), 'error');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  // ?tts=1 reads each alert aloud; a browser without speech still shows alerts.
  test('tts: alerts are spoken with speechSynthesis, and still shown where it is missing', { timeout: 40_000 * SLOW }, async () => {
    const page = await newPage(browser, { baseURL: srv.url });
    // A recording stand-in for the voice (headless chromium has none).
    await page.addInitScript(() => {
      window.spoken = [];
      window.SpeechSynthesisUtterance = class {
        constructor(text) {
          this.text = text;
        }
      };
      Object.defineProperty(window, 'speechSynthesis', {
        value: {
          speak(u) {
            window.spoken.push({ text: u.text, lang: u.lang });
            setTimeout(() => u.onend?.(), 50);
          },
          cancel() {},
        },
      });
    });
    await page.goto(`${overlay.alerts_url}&duration=1000&tts=1`);
    await joined(page);
    const r = await donate(srv, giver.access, streamer.username, 2000, { message: 'read me out loud' });
    assert.equal(r.status, 201, r.text);
    await page.locator(`.ov-alert[data-seq="${r.json.donation.chat_seq}"]`).waitFor({ state: 'visible' });
    const spoken = await until(page, () => window.spoken.length > 0 && window.spoken);
    assert.deepEqual(spoken, [{ text: `${giver.username} donated 2,000 P. read me out loud`, lang: 'en-US' }]);
    assert.deepEqual(page.errors, []);
    await page.context().close();

    const bare = await newPage(browser, { baseURL: srv.url });
    await bare.addInitScript(() => {
      delete window.speechSynthesis;
      delete window.SpeechSynthesisUtterance;
      Object.defineProperty(window, 'speechSynthesis', { value: undefined });
    });
    await bare.goto(`${overlay.alerts_url}&duration=1000&tts=1`);
    await joined(bare);
    const r2 = await donate(srv, giver.access, streamer.username, 3000, { message: 'no voice here' });
    assert.equal(r2.status, 201, r2.text);
    const a = bare.locator(`.ov-alert[data-seq="${r2.json.donation.chat_seq}"]`);
    await a.waitFor({ state: 'visible' });
    assert.equal(await a.locator('.ov-alert-msg').textContent(), 'no voice here');
    await a.waitFor({ state: 'detached' });
    assert.deepEqual(bare.errors, []);
    await bare.context().close();
  });

  // The streamer finds the URLs on their dashboard; the one they copy works.
  test('dashboard: the overlay panel shows working URLs (key hidden until revealed, copy, rotate with confirmation); axe', { timeout: 60_000 * SLOW }, async () => {
    const page = await newPage(browser, { baseURL: srv.url, permissions: ['clipboard-read', 'clipboard-write'] });
    await page.goto('/login');
    await page.waitForSelector('#login-form');
    await page.fill('#username', streamer.username);
    await page.fill('#password', streamer.password);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#user-button');
    await page.goto('/dashboard');
    const panel = page.locator('#overlay-panel');
    await panel.waitFor({ state: 'visible' });
    assert.match(await panel.locator('h2').textContent(), /Overlay/);
    assert.match(await page.locator('#overlay-hint').textContent(), /Browser.*800×600/);
    const alertsInput = page.locator('#overlay-alerts-url');
    await until(page, () => document.getElementById('overlay-alerts-url')?.value.length > 0);
    // Masked until revealed: the key is nowhere on screen.
    const masked = await alertsInput.inputValue();
    assert.ok(masked.startsWith(`${srv.url}/overlay/${streamer.username}?key=`), masked);
    assert.ok(!masked.includes(overlay.key), 'the key is hidden');
    assert.ok(!(await page.locator('#overlay-chat-url').inputValue()).includes(overlay.key));
    assert.ok(!(await panel.textContent()).includes(overlay.key));
    // Labelled controls, keyboard reachable.
    assert.equal(await page.locator('label[for="overlay-alerts-url"]').textContent(), 'Donation alerts URL');
    await page.focus('#overlay-reveal');
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute('#overlay-reveal', 'aria-pressed'), 'true');
    const alertsUrl = await alertsInput.inputValue();
    assert.equal(alertsUrl, srv.url + overlay.alerts_url);
    assert.equal(await page.locator('#overlay-chat-url').inputValue(), srv.url + overlay.chat_url);
    // Copy gives the full URL, also while masked.
    await page.click('#overlay-reveal');
    await page.click('#overlay-chat-url-copy');
    await until(page, () => !document.getElementById('overlay-status').hidden);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), srv.url + overlay.chat_url);
    await checkA11y(page, 'dashboard with the overlay panel');
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'dashboard-overlay-panel');

    // The URL opened as OBS would: it connects and shows a donation.
    const obs = await newPage(browser, { baseURL: srv.url });
    await obs.goto(alertsUrl);
    await joined(obs);
    const d = await donate(srv, giver.access, streamer.username, 4321, { message: 'from the dashboard URL' });
    assert.equal(d.status, 201, d.text);
    await obs.locator(`.ov-alert[data-seq="${d.json.donation.chat_seq}"]`).waitFor({ state: 'visible' });
    assert.deepEqual(obs.errors, []);
    await obs.context().close();

    // A new key: asked first; cancel changes nothing.
    await page.click('#overlay-rotate');
    await page.locator('#overlay-rotate-confirm').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'overlay-rotate-no');
    await page.click('#overlay-rotate-no');
    assert.equal(await page.locator('#overlay-rotate-confirm').isHidden(), true);
    assert.equal((await srv.api('GET', `/api/overlay/${streamer.username}?key=${overlay.key}`)).status, 200);
    await page.click('#overlay-rotate');
    await page.click('#overlay-rotate-yes');
    await until(page, () => /New overlay key/.test(document.getElementById('overlay-status').textContent));
    await page.click('#overlay-reveal');
    const fresh = await alertsInput.inputValue();
    assert.notEqual(fresh, alertsUrl);
    const newKey = new URL(fresh).searchParams.get('key');
    assert.equal((await srv.api('GET', `/api/overlay/${streamer.username}?key=${newKey}`)).status, 200);
    assert.equal((await srv.api('GET', `/api/overlay/${streamer.username}?key=${overlay.key}`)).status, 403);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
