// The chat of one room: history on open (GET /api/rooms/{room}/messages),
// then live events over /ws (join with `since`, so a reconnect replays what
// was missed and nothing shows twice), auto-scroll that pauses while the
// reader is scrolled up, and the composer with clear errors.
//
// Moderators (the channel's owner, the moderators they appointed, a user
// room's owner) get actions on each message: shown on hover and on keyboard
// focus, and behind a visible "…" button on touch screens and phones. They
// call the REST moderation endpoints; their outcome goes to the chat's
// moderation status line. A chat opened with a seq (?seq=N in the address,
// or opts.jumpSeq) loads the history around that message and scrolls to it.

import { h, nameColor, useStyle } from './dom.js';
import { T, setText, formatNumber, addStrings } from './i18n.js';
import { api, auth } from './api.js';

addStrings({
  ko: {
    'chatmod.more': '{name} 님의 메시지 관리',
    'chatmod.actions': '{name} 님의 메시지 관리 메뉴',
    'chatmod.delete': '삭제',
    'chatmod.t60': '60초 제한',
    'chatmod.t600': '10분 제한',
    'chatmod.ban': '차단',
    'chatmod.done.delete': '메시지를 삭제했습니다.',
    'chatmod.done.t60': '{user} 님의 채팅을 60초 동안 제한했습니다.',
    'chatmod.done.t600': '{user} 님의 채팅을 10분 동안 제한했습니다.',
    'chatmod.done.ban': '{user} 님을 차단했습니다.',
    'chatmod.err.forbidden': '이 작업을 할 권한이 없습니다.',
    'chatmod.err.not_found': '메시지나 사용자가 이미 없습니다.',
    'chatmod.err.unauthorized': '로그인이 만료되었습니다. 다시 로그인하세요.',
    'chatmod.err.network': '서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요.',
    'chatmod.err.other': '관리 작업에 실패했습니다: {msg}',
    'chatmod.jumpMissing': '찾는 메시지가 이 채팅에 더 이상 없습니다.',
  },
  en: {
    'chatmod.more': 'Moderate the message from {name}',
    'chatmod.actions': 'Moderator actions for the message from {name}',
    'chatmod.delete': 'Delete',
    'chatmod.t60': 'Timeout 60 s',
    'chatmod.t600': 'Timeout 10 min',
    'chatmod.ban': 'Ban',
    'chatmod.done.delete': 'Message deleted.',
    'chatmod.done.t60': '{user} is timed out for 60 s.',
    'chatmod.done.t600': '{user} is timed out for 10 minutes.',
    'chatmod.done.ban': '{user} is banned.',
    'chatmod.err.forbidden': 'You are not allowed to do that.',
    'chatmod.err.not_found': 'That message or user is gone already.',
    'chatmod.err.unauthorized': 'Your login expired. Please log in again.',
    'chatmod.err.network': 'Cannot reach the server. Try again shortly.',
    'chatmod.err.other': 'The action failed: {msg}',
    'chatmod.jumpMissing': 'That message is no longer in this chat.',
  },
});
useStyle('/app/chat.css');

const MAX_ROWS = 400;
const MAX_CHARS = 500;
const HISTORY_LIMIT = 50;

/**
 * A WebSocket to /ws in one room that reconnects by itself.
 * handlers: onEvent(ev) for room events and notices, onStatus(state) with
 * 'connecting' | 'open' | 'reconnecting' | 'closed'; viewer: false joins
 * without counting in the room's viewers (the streamer's dashboard).
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
      if (this.h.viewer === false) join.viewer = false;
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

/** The ?seq=N of the page's address (a search result's link), or null. */
function seqFromLocation() {
  const s = new URLSearchParams(location.search).get('seq');
  const n = Number(s);
  return s && Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * The chat panel for room. opts: loginNext (path to come back to after
 * logging in), onPresence(viewers), onLive(live), owner (a user room's
 * owner, for its moderation actions), jumpSeq (a message to load and show
 * highlighted; default: ?seq= of the address, null for none),
 * onRoomCreated({room, title}) for the room_created notice.
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
  const modStatus = h('p', { class: 'chat-modstatus', id: 'chat-modstatus', role: 'status', hidden: true });
  const newBtn = h('button', { type: 'button', class: 'new-messages', id: 'new-messages', hidden: true, text: T('chat.newMessages') });
  const composer = h('div', { class: 'chat-composer' });
  const node = h(
    'section',
    { class: 'chat', 'aria-labelledby': 'chat-heading' },
    h('h2', { class: 'chat-heading', id: 'chat-heading', text: T('chat.title') }),
    status,
    modStatus,
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
    li.querySelector('.chatmod')?.remove();
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
    else modDecorate(li);
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
      case 'room_created':
        opts.onRoomCreated?.(ev);
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

  // ---- moderation ----
  // Who may moderate: the owner of channel:{name} is the user {name}; a
  // user room's owner comes in opts.owner. A channel's moderators are known
  // by asking GET /api/channels/{name}/moderators: it answers 200 (with the
  // list) only to the owner and the moderators, 403 to anyone else, so a
  // 200 is the server's own word that we may moderate.
  const mod = { can: false, isOwner: false, owner: null, me: null, mods: new Set() };
  let modCheck = 0;
  let modTimer = null;
  let openRow = null;
  const channelName = room.startsWith('channel:') ? room.slice('channel:'.length).toLowerCase() : null;

  async function checkMod() {
    const check = ++modCheck;
    const me = auth.loggedIn && auth.username ? auth.username.toLowerCase() : null;
    const next = { can: false, isOwner: false, owner: channelName || opts.owner?.toLowerCase() || null, me, mods: new Set() };
    if (me) {
      next.isOwner = next.owner === me;
      if (channelName) {
        let r = null;
        try {
          r = await api('GET', `/api/channels/${encodeURIComponent(channelName)}/moderators`, undefined, {
            signal: controller.signal,
          });
        } catch {
          return; // destroyed
        }
        if (r.ok) {
          next.can = true;
          for (const m of r.data?.moderators || []) next.mods.add(String(m.name).toLowerCase());
        } else {
          next.can = next.isOwner;
        }
      } else {
        next.can = next.isOwner;
      }
    }
    if (check !== modCheck) return;
    Object.assign(mod, next);
    node.dataset.moderator = String(mod.can);
    for (const li of log.querySelectorAll('.chat-msg')) modDecorate(li);
  }

  /** Adds (or removes) the moderation controls of one message row. */
  function modDecorate(li) {
    li.querySelector('.chatmod')?.remove();
    li.classList.remove('has-mod', 'is-open');
    if (!mod.can || li.classList.contains('is-deleted')) return;
    const name = li.dataset.user;
    const toggle = h('button', {
      type: 'button',
      class: 'chatmod-toggle',
      'aria-label': T('chatmod.more', { name }),
      'aria-expanded': 'false',
      text: '…',
    });
    const wrap = h('div', { class: 'chatmod' }, toggle);
    toggle.addEventListener('click', () => setOpen(li, !li.classList.contains('is-open')));
    li.append(wrap);
    li.classList.add('has-mod');
  }

  /** The row's action bar, made the first time it is needed. */
  function modBar(li) {
    const wrap = li.querySelector('.chatmod');
    if (!wrap) return null;
    let bar = wrap.querySelector('.chatmod-bar');
    if (bar) return bar;
    const name = li.dataset.user;
    const target = name.toLowerCase();
    // The owner can't be banned, nor (except by the owner) a moderator; nor yourself.
    const canBan = target !== mod.me && target !== mod.owner && (mod.isOwner || !mod.mods.has(target));
    const btn = (kind, cls = 'chatmod-btn') =>
      h('button', { type: 'button', class: `${cls} chatmod-${kind}`, dataset: { action: kind }, text: T(`chatmod.${kind}`) });
    bar = h(
      'div',
      { class: 'chatmod-bar', role: 'group', 'aria-label': T('chatmod.actions', { name }) },
      btn('delete', 'chatmod-btn chatmod-danger'),
      canBan ? [btn('t60'), btn('t600'), btn('ban', 'chatmod-btn chatmod-danger')] : null,
    );
    bar.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-action]');
      if (b) modAction(b.dataset.action, li, b);
    });
    bar.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        setOpen(li, false);
        wrap.querySelector('.chatmod-toggle')?.focus();
      }
    });
    wrap.append(bar);
    return bar;
  }

  function setOpen(li, open) {
    if (openRow && openRow !== li) setOpen(openRow, false);
    const toggle = li.querySelector('.chatmod-toggle');
    if (!toggle) {
      li.classList.remove('is-open');
      if (openRow === li) openRow = null;
      return;
    }
    if (open) modBar(li);
    li.classList.toggle('is-open', open);
    toggle.setAttribute('aria-expanded', String(open));
    openRow = open ? li : null;
    if (open) li.querySelector('.chatmod-bar button')?.focus();
  }

  // Hover and keyboard focus show a row's actions (made on first need).
  log.addEventListener('pointerover', (e) => {
    const li = e.target.closest?.('.chat-msg.has-mod');
    if (li) modBar(li);
  });
  log.addEventListener('focusin', (e) => {
    const li = e.target.closest?.('.chat-msg.has-mod');
    if (li) modBar(li);
  });
  const onDocClick = (e) => {
    if (openRow && !openRow.contains(e.target)) setOpen(openRow, false);
  };
  document.addEventListener('click', onDocClick);

  function showModStatus(ref, isError) {
    clearTimeout(modTimer);
    setText(modStatus, ref || '');
    modStatus.hidden = !ref;
    modStatus.classList.toggle('is-error', !!isError);
    modStatus.setAttribute('role', isError ? 'alert' : 'status');
    if (ref) modTimer = setTimeout(() => (modStatus.hidden = true), isError ? 10_000 : 5_000);
  }

  async function modAction(kind, li, btn) {
    const seq = Number(li.dataset.seq);
    const user = li.dataset.user;
    const base = `/api/rooms/${encodeURIComponent(room)}`;
    btn.disabled = true;
    let r;
    try {
      if (kind === 'delete') r = await api('DELETE', `${base}/messages/${seq}`, undefined, { signal: controller.signal });
      else {
        const body = { username: user };
        if (kind === 't60') body.seconds = 60;
        if (kind === 't600') body.seconds = 600;
        r = await api('POST', `${base}/bans`, body, { signal: controller.signal });
      }
    } catch {
      return; // destroyed
    } finally {
      btn.disabled = false;
    }
    if (li.classList.contains('is-open')) setOpen(li, false);
    if (r.ok) {
      showModStatus(T(`chatmod.done.${kind}`, { user }), false);
      return;
    }
    const code = r.error?.code;
    const known = { forbidden: 1, not_found: 1, unauthorized: 1, network: 1 };
    showModStatus(known[code] ? T(`chatmod.err.${code}`) : T('chatmod.err.other', { msg: r.error?.message || code }), true);
    if (code === 'forbidden') checkMod(); // no longer a moderator: drop the controls
  }

  // ---- jump to a message ----
  const jumpSeq = opts.jumpSeq !== undefined ? opts.jumpSeq : seqFromLocation();

  /** Scrolls the log so row is in the middle (once the log has a size). */
  function centerOn(row, tries = 0) {
    if (!row.isConnected || !log.clientHeight) {
      if (tries < 120) requestAnimationFrame(() => centerOn(row, tries + 1));
      return;
    }
    atBottom = false;
    log.scrollTop = Math.max(0, row.offsetTop - log.offsetTop - (log.clientHeight - row.offsetHeight) / 2);
    atBottom = isAtBottom();
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

  const controller = new AbortController();
  let lastUser = auth.loggedIn ? auth.username : null;
  const offAuth = auth.on(() => {
    const who = auth.loggedIn ? auth.username : null;
    if (who !== lastUser) {
      lastUser = who;
      renderComposer();
      checkMod();
    }
  });
  renderComposer();
  checkMod();

  (async () => {
    let since = null;
    // Around a message: up to 20 after it (before_seq is exclusive), the rest before.
    const around = jumpSeq ? `&before_seq=${jumpSeq + 21}` : '';
    try {
      const r = await api('GET', `/api/rooms/${encodeURIComponent(room)}/messages?limit=${HISTORY_LIMIT}${around}`, undefined, {
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
    const target = jumpSeq ? rows.get(jumpSeq) : null;
    if (target) {
      target.classList.add('is-target');
      atBottom = false;
      centerOn(target);
    } else {
      if (jumpSeq) notice(T('chatmod.jumpMissing'));
      scrollToEnd();
    }
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
      clearTimeout(modTimer);
      document.removeEventListener('click', onDocClick);
    },
  };
}

