// The chat of one room: history on open (GET /api/rooms/{room}/messages),
// then live events over /ws (join with `since`, so a reconnect replays what
// was missed and nothing shows twice), auto-scroll that pauses while the
// reader is scrolled up, and the composer with clear errors.

import { h, nameColor } from './dom.js';
import { T, setText, formatNumber } from './i18n.js';
import { api, auth } from './api.js';

const MAX_ROWS = 400;
const MAX_CHARS = 500;
const HISTORY_LIMIT = 50;

/**
 * A WebSocket to /ws in one room that reconnects by itself.
 * handlers: onEvent(ev) for room events and notices, onStatus(state) with
 * 'connecting' | 'open' | 'reconnecting' | 'closed'.
 */
export class ChatConnection {
  constructor(room, handlers) {
    this.room = room;
    this.h = handlers;
    this.ws = null;
    this.lastSeq = null; // newest seq seen; null: join without since
    this.tries = 0;
    this.timer = null;
    this.closed = false;
    this.authedAs = null;
    this.offAuth = auth.on(() => this.authChanged());
  }

  start(lastSeq) {
    this.lastSeq = lastSeq;
    this.connect();
  }

  async connect() {
    if (this.closed) return;
    this.h.onStatus(this.tries ? 'reconnecting' : 'connecting');
    const token = auth.loggedIn ? await auth.ensureFresh() : null;
    if (this.closed) return;
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${proto}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.authedAs = token ? auth.username : null;
    this.token = token;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      const join = { type: 'join', room: this.room };
      if (this.lastSeq !== null) join.since = this.lastSeq;
      ws.send(JSON.stringify(join));
    };
    ws.onmessage = (m) => {
      let ev;
      try {
        ev = JSON.parse(m.data);
      } catch {
        return;
      }
      if (ev.type === 'joined') {
        this.tries = 0;
        this.h.onStatus('open', ev);
      }
      if (ev.room && ev.room !== this.room && ev.type !== 'room_created') return;
      const seq = ev.event_seq ?? ev.seq;
      if (typeof seq === 'number' && ev.type !== 'ack') {
        if (this.lastSeq !== null && seq <= this.lastSeq) return; // seen already
        this.lastSeq = seq;
      }
      this.h.onEvent(ev);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      this.h.onEvent({ type: 'disconnected' });
      // Refused before opening with a token: it may have been revoked;
      // a check of the session logs us out if so.
      if (!opened && token) api('GET', '/api/me').catch(() => {});
      this.tries++;
      const delay = Math.min(15_000, 500 * 2 ** Math.min(this.tries, 5)) * (0.75 + Math.random() / 2);
      this.h.onStatus('reconnecting');
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  authChanged() {
    const who = auth.loggedIn ? auth.username : null;
    if (!this.ws) return;
    if (who !== this.authedAs) {
      // Another user, or logged out: start over as them (since keeps our place).
      this.tries = 0;
      const old = this.ws;
      this.ws = null;
      old.close();
      this.connect();
    } else if (who && auth.token !== this.token && this.ws.readyState === WebSocket.OPEN) {
      // Same user, fresh token (silent refresh).
      this.token = auth.token;
      this.ws.send(JSON.stringify({ type: 'auth', token: auth.token }));
    }
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(obj) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.offAuth();
    this.ws?.close();
    this.ws = null;
  }
}

/**
 * The chat panel for room. opts: loginNext (path to come back to after
 * logging in), onPresence(viewers), onLive(live).
 * Returns {node, destroy, conn}.
 */
export function createChat(room, opts = {}) {
  const log = h('div', {
    class: 'chat-log',
    id: 'chat-log',
    role: 'log',
    'aria-live': 'polite',
    'aria-label': T('chat.log'),
    tabindex: '0',
  });
  const status = h('p', { class: 'chat-status', id: 'chat-status', role: 'status', text: T('chat.connecting') });
  const newBtn = h('button', { type: 'button', class: 'new-messages', id: 'new-messages', hidden: true, text: T('chat.newMessages') });
  const composer = h('div', { class: 'chat-composer' });
  const node = h(
    'section',
    { class: 'chat', 'aria-labelledby': 'chat-heading' },
    h('h2', { class: 'chat-heading', id: 'chat-heading', text: T('chat.title') }),
    status,
    h('div', { class: 'chat-scroll' }, log, newBtn),
    composer,
  );

  const rows = new Map(); // seq -> row (messages and donations)
  let atBottom = true;
  let emptyRow = null;

  const isAtBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.addEventListener('scroll', () => {
    atBottom = isAtBottom();
    if (atBottom) newBtn.hidden = true;
  });
  const scrollToEnd = () => {
    log.scrollTop = log.scrollHeight;
    atBottom = true;
    newBtn.hidden = true;
  };
  newBtn.addEventListener('click', () => {
    scrollToEnd();
    log.focus({ preventScroll: true });
  });
  // Keep the newest line in view when the panel is resized (phone keyboards).
  const ro = new ResizeObserver(() => atBottom && (log.scrollTop = log.scrollHeight));
  ro.observe(log);

  function add(li, { notify = true } = {}) {
    if (emptyRow) {
      emptyRow.remove();
      emptyRow = null;
    }
    const stick = atBottom;
    log.append(li);
    while (log.children.length > MAX_ROWS) {
      const first = log.firstElementChild;
      rows.delete(Number(first.dataset.seq));
      first.remove();
    }
    if (stick) log.scrollTop = log.scrollHeight;
    else if (notify) newBtn.hidden = false;
  }

  function markDeleted(li) {
    li.classList.add('is-deleted');
    const text = li.querySelector('.chat-text, .donation-msg');
    if (text) setText(text, T('chat.deleted'));
  }

  function messageRow(ev) {
    const name = ev.user?.name || '?';
    const nameEl = h('span', { class: 'chat-name', text: name });
    nameEl.style.color = nameColor(name);
    const li = h(
      'div',
      { class: 'chat-msg', dataset: { seq: ev.seq, user: name } },
      nameEl,
      h('span', { class: 'chat-sep', 'aria-hidden': 'true', text: ': ' }),
      h('span', { class: 'chat-text', text: ev.text }),
    );
    if (ev.client_id && pending.has(ev.client_id)) li.classList.add('is-mine');
    if (ev.deleted) markDeleted(li);
    return li;
  }

  function donationRow(ev) {
    const li = h(
      'div',
      { class: 'chat-donation', dataset: { seq: ev.seq, user: ev.user?.name || '' } },
      h('span', { class: 'donation-icon', 'aria-hidden': 'true', text: '💎' }),
      h('span', {
        class: 'donation-head',
        text: T('chat.donation', { name: ev.user?.name || '?', amount: `${formatNumber(ev.amount)}P` }),
      }),
      ev.message || ev.deleted ? h('span', { class: 'donation-msg', text: ev.message || '' }) : null,
    );
    if (ev.deleted) markDeleted(li);
    return li;
  }

  function systemText(ev) {
    const user = ev.user?.name || '';
    switch (ev.action) {
      case 'timeout':
        return T('chat.sys.timeout', { user, s: ev.seconds });
      case 'ban':
        return T('chat.sys.ban', { user });
      case 'unban':
        return T('chat.sys.unban', { user });
      case 'slow':
        return ev.seconds ? T('chat.sys.slowOn', { s: ev.seconds }) : T('chat.sys.slowOff');
      case 'clear':
        return T('chat.cleared');
      default:
        return ev.text || '';
    }
  }

  function notice(ref, cls = 'chat-notice') {
    add(h('div', { class: cls, text: ref }), { notify: false });
  }

  /** Shows one event (from history or live). */
  function show(ev) {
    switch (ev.type) {
      case 'message': {
        const li = messageRow(ev);
        rows.set(ev.seq, li);
        add(li);
        break;
      }
      case 'donation': {
        const li = donationRow(ev);
        rows.set(ev.seq, li);
        add(li);
        break;
      }
      case 'deleted': {
        const li = rows.get(ev.seq);
        if (li) markDeleted(li);
        break;
      }
      case 'system': {
        if (ev.action === 'clear') {
          for (const [seq, li] of rows) {
            if (seq < ev.seq) {
              li.remove();
              rows.delete(seq);
            }
          }
        }
        add(h('div', { class: 'chat-system', dataset: { seq: ev.seq, action: ev.action || '' }, text: systemText(ev) }), {
          notify: false,
        });
        break;
      }
      case 'presence':
        opts.onPresence?.(ev.viewers);
        break;
      case 'joined':
        opts.onPresence?.(ev.viewers);
        break;
      case 'live':
        opts.onLive?.(ev.live);
        break;
      case 'reset':
        notice(T('chat.resetNotice'));
        break;
      case 'ack':
        pending.delete(ev.client_id);
        break;
      case 'error':
        showSendError(ev);
        break;
      default:
        break;
    }
  }

  // ---- composer ----
  const pending = new Map(); // client_id -> text
  let seqId = 0;
  let blockedUntil = 0;
  let blockTimer = null;
  let input = null;
  let sendBtn = null;
  let errEl = null;
  let counter = null;

  function renderComposer() {
    clearInterval(blockTimer);
    blockedUntil = 0;
    if (!auth.loggedIn) {
      const next = encodeURIComponent(opts.loginNext || location.pathname);
      input = sendBtn = errEl = counter = null;
      composer.replaceChildren(
        h(
          'div',
          { class: 'chat-invite', id: 'chat-invite' },
          h('p', { text: T('chat.loginInvite') }),
          h(
            'div',
            { class: 'chat-invite-actions' },
            h('a', { class: 'btn btn-primary', href: `/login?next=${next}`, text: T('auth.login') }),
            h('a', { class: 'btn btn-ghost', href: `/signup?next=${next}`, text: T('auth.signup') }),
          ),
        ),
      );
      return;
    }
    input = h('input', {
      id: 'chat-input',
      class: 'chat-input',
      type: 'text',
      autocomplete: 'off',
      enterkeyhint: 'send',
      placeholder: T('chat.placeholder'),
      'aria-describedby': 'chat-error chat-counter',
    });
    sendBtn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'chat-send', text: T('chat.send') });
    errEl = h('p', { class: 'chat-error', id: 'chat-error', role: 'alert', hidden: true });
    counter = h('span', { class: 'chat-counter', id: 'chat-counter', 'aria-live': 'off' });
    const form = h(
      'form',
      { class: 'chat-form', id: 'chat-form' },
      h('label', { for: 'chat-input', class: 'visually-hidden', text: T('chat.input') }),
      h('div', { class: 'chat-input-row' }, input, sendBtn),
      h('div', { class: 'chat-form-foot' }, errEl, counter),
    );
    input.addEventListener('input', () => {
      updateCounter();
      if (errEl && !blockedUntil) showError(null);
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    composer.replaceChildren(form);
    updateCounter();
  }

  function updateCounter() {
    if (!input) return;
    const n = Array.from(input.value).length;
    setText(counter, n > MAX_CHARS - 100 ? T('chat.counter', { n }) : '');
    counter.classList.toggle('over', n > MAX_CHARS);
  }

  function showError(ref) {
    if (!errEl) return;
    errEl.hidden = !ref;
    setText(errEl, ref || '');
  }

  function block(ms, key) {
    blockedUntil = Date.now() + ms;
    clearInterval(blockTimer);
    const tickFn = () => {
      const left = Math.ceil((blockedUntil - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(blockTimer);
        blockedUntil = 0;
        showError(null);
        if (sendBtn) sendBtn.disabled = false;
        return;
      }
      showError(T(key, { s: left }));
    };
    if (sendBtn) sendBtn.disabled = true;
    tickFn();
    blockTimer = setInterval(tickFn, 1000);
  }

  function showSendError(ev) {
    const text = ev.client_id ? pending.get(ev.client_id) : undefined;
    if (ev.client_id) pending.delete(ev.client_id);
    if (text !== undefined && input && !input.value) {
      input.value = text; // give the words back
      updateCounter();
    }
    const code = ev.code;
    if (code === 'rate_limited') return block(ev.retry_after_ms || 1000, 'chat.err.rate_limited');
    if (code === 'banned') {
      if (ev.until) return block(ev.retry_after_ms ?? ev.until - Date.now(), 'chat.err.timeout');
      return showError(T('chat.err.banned'));
    }
    const known = ['too_long', 'unauthorized', 'forbidden', 'bad_request', 'not_found', 'unavailable'];
    showError(known.includes(code) ? T(`chat.err.${code}`) : T('chat.err.other', { msg: ev.message || code }));
  }

  function send() {
    if (!input || blockedUntil) return;
    const text = input.value.trim();
    if (!text) return;
    if (Array.from(text).length > MAX_CHARS) {
      showError(T('chat.err.too_long'));
      return;
    }
    const client_id = `c${Date.now().toString(36)}${(seqId++).toString(36)}`;
    if (!conn.send({ type: 'send', room, text, client_id })) {
      showError(T('chat.reconnecting'));
      return;
    }
    pending.set(client_id, text);
    input.value = '';
    updateCounter();
    showError(null);
    scrollToEnd();
  }

  // ---- connection ----
  const conn = new ChatConnection(room, {
    onEvent: (ev) => show(ev),
    onStatus: (state) => {
      status.dataset.state = state;
      if (state === 'open') {
        status.hidden = true;
      } else {
        status.hidden = false;
        setText(status, state === 'reconnecting' ? T('chat.reconnecting') : T('chat.connecting'));
      }
      node.dataset.state = state;
    },
  });

  let lastUser = auth.loggedIn ? auth.username : null;
  const offAuth = auth.on(() => {
    const who = auth.loggedIn ? auth.username : null;
    if (who !== lastUser) {
      lastUser = who;
      renderComposer();
    }
  });
  renderComposer();

  const controller = new AbortController();
  (async () => {
    let since = null;
    try {
      const r = await api('GET', `/api/rooms/${encodeURIComponent(room)}/messages?limit=${HISTORY_LIMIT}`, undefined, {
        signal: controller.signal,
      });
      if (r.ok) {
        since = 0;
        for (const ev of r.data.messages || []) {
          const seq = ev.event_seq ?? ev.seq;
          if (typeof seq === 'number') since = Math.max(since, seq);
          show(ev);
        }
        if (!(r.data.messages || []).some((e) => e.type === 'message' || e.type === 'donation')) {
          emptyRow = h('div', { class: 'chat-notice chat-empty', text: T('chat.empty') });
          log.append(emptyRow);
        }
      } else if (r.status !== 404) {
        notice(T('chat.historyFailed'));
      }
    } catch (e) {
      if (e?.name === 'AbortError') return;
      notice(T('chat.historyFailed'));
    }
    scrollToEnd();
    conn.start(since);
  })();

  return {
    node,
    conn,
    destroy() {
      controller.abort();
      conn.close();
      offAuth();
      ro.disconnect();
      clearInterval(blockTimer);
    },
  };
}

