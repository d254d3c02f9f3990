// The overlays OBS's Browser Source shows: /overlay/{channel}?key=… (donation
// alerts) and /overlay/{channel}/chat?key=… (the chat). A page of its own
// (web/overlay.html): no site header, a transparent background, nothing to
// click. It checks its key (GET /api/overlay/{channel}?key=), then joins the
// channel's room anonymously over /ws and shows what arrives.
//
// URL options: duration (ms an alert stays, 1000..60000, default 6000),
// tts=1 (read alerts aloud), lang=ko|en, max (chat rows, 1..50, default 12).

import './strings.js';
import { h } from '../dom.js';
import { T, t, setLang, getLang, LANGS } from '../i18n.js';
import { OverlayConnection } from './conn.js';
import { createAlerts } from './alerts.js';
import { createChatList } from './chatlist.js';

const RECHECK_MS = 60_000; // how often an open overlay checks its key is still current
const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

function intParam(params, name, def, min, max) {
  const v = params.get(name);
  if (v === null || !/^\d{1,7}$/.test(v)) return def;
  return Math.min(max, Math.max(min, Number(v)));
}

/** ?lang= for this page only: the site's saved choice is left as it was. */
function useLang(want) {
  if (!LANGS.includes(want) || want === getLang()) return;
  let saved = null;
  try {
    saved = localStorage.getItem('onair.lang');
  } catch {
    /* storage off */
  }
  setLang(want);
  try {
    if (saved === null) localStorage.removeItem('onair.lang');
    else localStorage.setItem('onair.lang', saved);
  } catch {
    /* storage off */
  }
}

const root = document.getElementById('overlay');
const params = new URLSearchParams(location.search);
useLang(params.get('lang'));

const m = /^\/overlay\/([^/]+)(\/chat)?\/?$/.exec(location.pathname);
const name = m && NAME_RE.test(m[1]) ? m[1].toLowerCase() : null;
const mode = m && m[2] ? 'chat' : 'alerts';
const key = params.get('key') || '';
document.body.dataset.mode = mode;
root.dataset.state = 'checking';

/** A small message that stays (a key that won't start working by itself). */
function fail(ref) {
  root.dataset.state = 'error';
  const box = h('p', { class: 'ov-error', id: 'ov-error', role: 'alert', text: ref });
  root.replaceChildren(box);
}

/**
 * The key check: 'ok' with the room, 'denied' (wrong or replaced key),
 * 'missing' (no such channel), 'bad' (malformed), or 'retry' (network, 5xx).
 */
async function check() {
  let res;
  try {
    res = await fetch(`/api/overlay/${encodeURIComponent(name)}?key=${encodeURIComponent(key)}`, { cache: 'no-store' });
  } catch {
    return { state: 'retry' };
  }
  if (res.ok) {
    try {
      return { state: 'ok', info: await res.json() };
    } catch {
      return { state: 'retry' };
    }
  }
  if (res.status === 403) return { state: 'denied' };
  if (res.status === 404) return { state: 'missing' };
  if (res.status === 400) return { state: 'bad' };
  return { state: 'retry' };
}

const FAILS = { denied: 'overlay.err.badKey', missing: 'overlay.err.noChannel', bad: 'overlay.err.badUrl' };

async function start() {
  if (!name) return fail(T('overlay.err.badUrl'));
  if (!key) return fail(T('overlay.err.noKey'));
  let r;
  for (let wait = 1000; ; wait = Math.min(wait * 2, 15_000)) {
    r = await check();
    if (r.state !== 'retry') break;
    await new Promise((res) => setTimeout(res, wait));
  }
  if (r.state !== 'ok') return fail(T(FAILS[r.state]));
  const { room, channel } = r.info;
  document.title = t('overlay.title', { name: channel });

  const view = mode === 'chat' ? createChatList({ max: intParam(params, 'max', 12, 1, 50) }) : createAlerts({ duration: intParam(params, 'duration', 6000, 1000, 60_000), tts: params.get('tts') === '1' });
  const heading = h('h1', { class: 'visually-hidden', text: mode === 'chat' ? T('overlay.chat') : T('overlay.alerts') });
  root.replaceChildren(heading, view.node);

  let stopped = false;
  const conn = new OverlayConnection(room, {
    onEvent: (ev) => view.onEvent(ev),
    onState: (s) => {
      if (!stopped) root.dataset.state = s;
    },
    // A rotated key stops the overlay at its next reconnect.
    beforeReconnect: async () => {
      const c = await check();
      if (c.state === 'ok' || c.state === 'retry') return true;
      stop(c.state);
      return false;
    },
  });
  function stop(state) {
    stopped = true;
    clearInterval(recheck);
    conn.close();
    fail(T(FAILS[state]));
  }
  const recheck = setInterval(async () => {
    const c = await check();
    if (c.state !== 'ok' && c.state !== 'retry') stop(c.state);
  }, RECHECK_MS);
  conn.start();
  // For debugging in OBS's "Interact" window.
  window.onairOverlay = { conn };
}

start();
