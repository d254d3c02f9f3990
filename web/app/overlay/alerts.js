// The alerts overlay: each donation becomes an alert (name, amount,
// message) shown for `duration` ms. Donations that arrive together wait in
// a FIFO queue and are shown one after another: never two at once, none
// dropped. With tts on, each alert is also read aloud (speechSynthesis,
// when the browser has it) and stays until the reading ends (capped).

import { h } from '../dom.js';
import { T, t, formatNumber, getLang } from '../i18n.js';

const LEAVE_MS = 400; // the leaving animation (overlay.css)
const GAP_MS = 150; // between two alerts
const SPEECH_EXTRA_MAX_MS = 15_000; // an alert waits this long at most for its reading

function speechAvailable() {
  return typeof window.speechSynthesis?.speak === 'function' && typeof window.SpeechSynthesisUtterance === 'function';
}

/** Reads text aloud; resolves when done (or at once without speech). */
function speak(text) {
  if (!speechAvailable()) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      const u = new SpeechSynthesisUtterance(text);
      u.lang = getLang() === 'ko' ? 'ko-KR' : 'en-US';
      u.onend = u.onerror = () => resolve();
      window.speechSynthesis.speak(u);
    } catch {
      resolve();
    }
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** opts: duration (ms), tts (bool). Returns {node, onEvent}. */
export function createAlerts({ duration, tts }) {
  const stage = h('div', { class: 'ov-stage', id: 'ov-alerts', 'aria-live': 'polite' });
  const queue = [];
  let current = null; // {ev, el}
  let running = false;

  function alertNode(ev) {
    const name = ev.user?.name || '?';
    const amount = T('points', { n: formatNumber(ev.amount || 0) });
    return h(
      'div',
      { class: 'ov-alert', dataset: { seq: ev.seq } },
      h('div', { class: 'ov-alert-icon', 'aria-hidden': 'true', text: '💎' }),
      h(
        'div',
        { class: 'ov-alert-head' },
        h('span', { class: 'ov-alert-name', text: name }),
        h('span', { class: 'ov-alert-verb', text: T('overlay.donated') }),
      ),
      h('div', { class: 'ov-alert-amount', text: amount }),
      ev.message ? h('p', { class: 'ov-alert-msg', text: ev.message }) : null,
    );
  }

  async function run() {
    if (running) return;
    running = true;
    while (queue.length) {
      const ev = queue.shift();
      const el = alertNode(ev);
      current = { ev, el, cut: null };
      stage.append(el);
      const shown = sleep(duration);
      const cut = new Promise((r) => (current.cut = r)); // a moderator deleted it
      let wait = shown;
      if (tts) {
        const text = t('overlay.tts', { name: ev.user?.name || '', amount: t('points', { n: formatNumber(ev.amount || 0) }), message: ev.message || '' });
        wait = Promise.all([shown, Promise.race([speak(text), sleep(duration + SPEECH_EXTRA_MAX_MS)])]);
      }
      await Promise.race([wait, cut]);
      el.classList.add('ov-leaving');
      await sleep(LEAVE_MS);
      el.remove();
      current = null;
      if (queue.length) await sleep(GAP_MS);
    }
    running = false;
  }

  function onEvent(ev) {
    if (ev.type === 'donation' && !ev.deleted) {
      queue.push(ev);
      run();
    } else if (ev.type === 'deleted') {
      const i = queue.findIndex((q) => q.seq === ev.seq);
      if (i >= 0) queue.splice(i, 1);
      if (current && current.ev.seq === ev.seq) {
        if (tts && speechAvailable()) window.speechSynthesis.cancel();
        current.cut?.();
      }
    } else if (ev.type === 'system' && ev.action === 'clear') {
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i].seq < ev.seq) queue.splice(i, 1);
    }
  }

  return { node: stage, onEvent };
}
