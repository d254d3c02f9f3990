// The streamer's dashboard: live status with a muted preview of their own
// stream, the stream key (hidden until asked, copy, rotate), OBS setup steps,
// the stream title, the donations received (recent, with totals, and the top
// donors; refreshed as donations arrive over /ws) and the channel's
// moderators.

import { h, fieldError, useStyle, copyButton, confirmBox } from '../dom.js';
import { T, t, setText, addStrings, onLangChange, formatNumber, formatDateTime } from '../i18n.js';
import { api, auth } from '../api.js';
import { createPlayer } from '../player.js';
import { ChatConnection } from '../chat.js';
import { overlayPanel } from './dashboard-overlay.js';

const POLL_MS = 5000;
const DONATION_PAGE = 10;
const TOP_LIMIT = 10;

const plural = (one, many) => ({ n }) => (Number(String(n).replace(/\D/g, '')) === 1 ? one : many).replace('{n}', n);

addStrings({
  ko: {
    'dash.preview.heading': '미리보기',
    'dash.preview.offline': '방송을 시작하면 여기에 내 방송이 소리 없이 재생됩니다.',
    'dash.preview.open': '내 채널 열기',
    'dash.don.heading': '최근 후원',
    'dash.don.totals': '총 {amount} · {count}건',
    'dash.don.empty': '아직 받은 후원이 없습니다.',
    'dash.don.more': '더 보기',
    'dash.don.failed': '후원 내역을 불러오지 못했습니다: {msg}',
    'dash.top.heading': '후원 순위',
    'dash.top.empty': '아직 후원한 사람이 없습니다.',
    'dash.top.count': '{n}회',
    'dash.top.failed': '후원 순위를 불러오지 못했습니다: {msg}',
    'dash.mod.heading': '매니저',
    'dash.mod.help': '매니저는 내 채팅방에서 메시지를 지우고, 시청자를 일시 제한하거나 차단할 수 있습니다.',
    'dash.mod.username': '추가할 사용자 아이디',
    'dash.mod.add': '추가',
    'dash.mod.remove': '{name} 님을 매니저에서 제외',
    'dash.mod.removeShort': '제외',
    'dash.mod.empty': '아직 매니저가 없습니다.',
    'dash.mod.required': '아이디를 입력하세요.',
    'dash.mod.notFound': '“{name}” 사용자가 없습니다.',
    'dash.mod.self': '채널 주인은 이미 모든 권한이 있어 매니저로 추가할 수 없습니다.',
    'dash.mod.added': '{name} 님을 매니저로 추가했습니다.',
    'dash.mod.already': '{name} 님은 이미 매니저입니다.',
    'dash.mod.removed': '{name} 님을 매니저에서 제외했습니다.',
    'dash.mod.failed': '문제가 발생했습니다: {msg}',
  },
  en: {
    'dash.preview.heading': 'Preview',
    'dash.preview.offline': 'When you go live, your stream plays here (muted).',
    'dash.preview.open': 'Open my channel',
    'dash.don.heading': 'Recent donations',
    'dash.don.totals': ({ amount, count }) => `${amount} in total from ${count} ${count === '1' ? 'donation' : 'donations'}`,
    'dash.don.empty': 'No donations yet.',
    'dash.don.more': 'More',
    'dash.don.failed': 'Could not load the donations: {msg}',
    'dash.top.heading': 'Top donors',
    'dash.top.empty': 'Nobody has donated yet.',
    'dash.top.count': plural('{n} donation', '{n} donations'),
    'dash.top.failed': 'Could not load the top donors: {msg}',
    'dash.mod.heading': 'Moderators',
    'dash.mod.help': 'Moderators can delete messages in your chat and time out or ban viewers.',
    'dash.mod.username': 'Username to add',
    'dash.mod.add': 'Add',
    'dash.mod.remove': 'Remove {name} as moderator',
    'dash.mod.removeShort': 'Remove',
    'dash.mod.empty': 'No moderators yet.',
    'dash.mod.required': 'Enter a username.',
    'dash.mod.notFound': 'There is no user named “{name}”.',
    'dash.mod.self': 'You own the channel, so you cannot be added as a moderator.',
    'dash.mod.added': '{name} is now a moderator.',
    'dash.mod.already': '{name} already is a moderator.',
    'dash.mod.removed': '{name} is no longer a moderator.',
    'dash.mod.failed': 'Something went wrong: {msg}',
  },
});

/** A copy button that says "Copied" for a moment. */
const COPY_TEXTS = { copy: T('dash.copy'), copied: T('dash.copied'), failed: T('dash.copyFailed') };
const dashCopy = (id, label, get, status) => copyButton({ id, label, get, status, texts: COPY_TEXTS });

const pts = (n) => T('points', { n: formatNumber(n) });

/**
 * Runs fn() now, and once more after it if asked again meanwhile (never two
 * at once): for refreshes triggered by events that may come in bursts.
 */
function coalesce(fn) {
  let running = null;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await fn();
        } catch (e) {
          if (e?.name !== 'AbortError') console.warn(e);
        }
      } while (again);
    })();
    await running;
    running = null;
  };
  return run;
}

/**
 * The preview: a small muted player of the streamer's own stream while the
 * channel is live (the same player as the watch page), else a note.
 * Returns {node, update(live), destroy}.
 */
function previewPanel(name) {
  const box = h('div', { class: 'dash-preview-box', id: 'preview' });
  const open = h('a', { href: `/c/${encodeURIComponent(name)}`, id: 'preview-open', class: 'dash-preview-open', text: T('dash.preview.open') });
  const note = h('p', { class: 'field-hint', id: 'preview-offline', text: T('dash.preview.offline') });
  const node = h('div', { class: 'dash-preview', role: 'group', 'aria-labelledby': 'preview-heading' }, h('div', { class: 'dash-preview-head' }, h('h3', { id: 'preview-heading', text: T('dash.preview.heading') }), open), box, note);
  let player = null;
  function update(live) {
    if (live && !player) {
      player = createPlayer(name);
      player.video.muted = true;
      box.replaceChildren(player.node);
      note.hidden = true;
    } else if (!live && player) {
      player.destroy();
      player = null;
      box.replaceChildren();
    }
    node.dataset.live = String(!!live);
    note.hidden = !!live;
  }
  return {
    node,
    update,
    destroy() {
      player?.destroy();
      player = null;
    },
  };
}

/**
 * Recent donations (owner only), newest first, with the totals over all of
 * them and "More" for older pages. refresh() merges the newest page in; if
 * more arrived than a page holds since the last look, it starts over from
 * that page rather than leave a hole.
 */
function donationsPanel(name, signal) {
  const base = `/api/channels/${encodeURIComponent(name)}/donations`;
  const byId = new Map();
  let nextBefore = null;
  let totals = null;
  const totalsEl = h('p', { class: 'dash-totals', id: 'donation-totals', 'aria-live': 'polite', hidden: true });
  const list = h('ul', { class: 'dash-list dash-donations', id: 'donation-list', tabindex: '-1', 'aria-labelledby': 'donations-heading' });
  const empty = h('p', { class: 'empty', id: 'donations-empty', text: T('dash.don.empty'), hidden: true });
  const error = h('p', { class: 'field-error', id: 'donations-error', role: 'alert', hidden: true });
  const more = h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'donations-more', text: T('dash.don.more'), hidden: true });
  const node = h(
    'section',
    { class: 'panel', id: 'donations', 'aria-labelledby': 'donations-heading' },
    h('h2', { id: 'donations-heading', text: T('dash.don.heading') }),
    totalsEl,
    error,
    empty,
    list,
    h('div', { class: 'row dash-more-row' }, more),
  );

  function row(d) {
    const from = d.from?.name || '?';
    return h(
      'li',
      { class: 'dash-donation', dataset: { id: d.id, user: from } },
      h(
        'div',
        { class: 'dash-donation-head' },
        h('span', { class: 'dash-donor', text: from }),
        h('span', { class: 'dash-amount', text: pts(d.amount) }),
        h('time', { class: 'dash-time', datetime: d.created_at, text: formatDateTime(d.created_at) }),
      ),
      d.message ? h('p', { class: 'dash-donation-msg', text: d.message }) : null,
    );
  }

  function show() {
    const items = [...byId.values()].sort((a, b) => b.id - a.id);
    list.replaceChildren(...items.map(row));
    empty.hidden = items.length > 0 || !totals;
    more.hidden = nextBefore === null || items.length === 0;
    more.parentElement.hidden = more.hidden;
    if (totals) {
      totalsEl.hidden = !totals.count;
      totalsEl.dataset.total = String(totals.amount);
      totalsEl.dataset.count = String(totals.count);
      setText(totalsEl, T('dash.don.totals', { amount: t('points', { n: formatNumber(totals.amount) }), count: formatNumber(totals.count) }));
    }
  }

  function failed(r) {
    setText(error, T('dash.don.failed', { msg: r.error?.message || '' }));
    error.hidden = false;
  }

  async function refresh() {
    const r = await api('GET', `${base}?limit=${DONATION_PAGE}`, undefined, { signal });
    if (!r.ok) return failed(r);
    error.hidden = true;
    const page = r.data.donations || [];
    totals = { amount: r.data.total_amount ?? 0, count: r.data.count ?? 0 };
    const newest = byId.size ? Math.max(...byId.keys()) : null;
    if (newest === null || (r.data.next_before_id !== null && page.every((d) => d.id > newest))) {
      // First look, or more came in than one page: this page is the new start.
      byId.clear();
      nextBefore = r.data.next_before_id ?? null;
    }
    for (const d of page) byId.set(d.id, d);
    show();
  }

  more.addEventListener('click', async () => {
    if (nextBefore === null) return;
    more.disabled = true;
    const r = await api('GET', `${base}?limit=${DONATION_PAGE}&before_id=${nextBefore}`, undefined, { signal }).catch(() => null);
    more.disabled = false;
    if (!r) return;
    if (!r.ok) return failed(r);
    error.hidden = true;
    const page = r.data.donations || [];
    for (const d of page) byId.set(d.id, d);
    nextBefore = page.length ? (r.data.next_before_id ?? null) : null;
    show();
    if (more.hidden) list.focus();
  });

  return { node, refresh: coalesce(refresh), rerender: show };
}

/** The top donors, biggest total first. */
function topPanel(name, signal) {
  let top = null;
  const list = h('ol', { class: 'dash-list dash-top', id: 'top-donors', 'aria-labelledby': 'top-heading' });
  const empty = h('p', { class: 'empty', id: 'top-empty', text: T('dash.top.empty'), hidden: true });
  const error = h('p', { class: 'field-error', id: 'top-error', role: 'alert', hidden: true });
  const node = h('section', { class: 'panel', id: 'top', 'aria-labelledby': 'top-heading' }, h('h2', { id: 'top-heading', text: T('dash.top.heading') }), error, empty, list);

  function show() {
    if (!top) return;
    list.replaceChildren(
      ...top.map((e, i) =>
        h(
          'li',
          { class: 'dash-top-row', dataset: { user: e.user?.name || '', total: e.total, count: e.count } },
          h('span', { class: 'dash-rank', 'aria-hidden': 'true', text: String(i + 1) }),
          h('span', { class: 'dash-donor', text: e.user?.name || '?' }),
          h('span', { class: 'dash-amount', text: pts(e.total) }),
          h('span', { class: 'dash-count', text: T('dash.top.count', { n: formatNumber(e.count) }) }),
        ),
      ),
    );
    empty.hidden = top.length > 0;
  }

  async function refresh() {
    const r = await api('GET', `/api/channels/${encodeURIComponent(name)}/donations/top?limit=${TOP_LIMIT}`, undefined, { signal });
    if (!r.ok) {
      setText(error, T('dash.top.failed', { msg: r.error?.message || '' }));
      error.hidden = false;
      return;
    }
    error.hidden = true;
    top = r.data.top || [];
    show();
  }
  return { node, refresh: coalesce(refresh), rerender: show };
}

/** The channel's moderators: the list, add by username, remove. */
function moderatorsPanel(name, signal) {
  const base = `/api/channels/${encodeURIComponent(name)}/moderators`;
  const list = h('ul', { class: 'dash-list dash-mods', id: 'mod-list', 'aria-labelledby': 'mods-heading' });
  const empty = h('p', { class: 'empty', id: 'mods-empty', text: T('dash.mod.empty'), hidden: true });
  const input = h('input', {
    id: 'mod-username',
    type: 'text',
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: 'false',
    maxlength: '64',
    'aria-describedby': 'mod-error',
  });
  const err = h('p', { class: 'field-error', id: 'mod-error', role: 'alert', hidden: true });
  const ok = h('p', { class: 'form-ok', id: 'mod-status', role: 'status', hidden: true });
  const add = h('button', { type: 'submit', class: 'btn btn-primary', id: 'mod-add', text: T('dash.mod.add') });
  const form = h(
    'form',
    { class: 'dash-mod-form', id: 'mod-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'mod-username', text: T('dash.mod.username') }), h('div', { class: 'key-row' }, input, add), err),
  );
  const node = h(
    'section',
    { class: 'panel', id: 'moderators', 'aria-labelledby': 'mods-heading' },
    h('h2', { id: 'mods-heading', text: T('dash.mod.heading') }),
    h('p', { class: 'field-hint', text: T('dash.mod.help') }),
    form,
    ok,
    empty,
    list,
  );
  let mods = [];

  const said = (msg) => {
    setText(ok, msg);
    ok.hidden = false;
  };

  function show() {
    list.replaceChildren(
      ...mods.map((m) => {
        const rm = h('button', {
          type: 'button',
          class: 'btn btn-danger-ghost btn-small mod-remove',
          dataset: { name: m.name },
          text: T('dash.mod.removeShort'),
          'aria-label': T('dash.mod.remove', { name: m.name }),
        });
        rm.addEventListener('click', () => remove(m.name, rm));
        return h('li', { class: 'dash-mod', dataset: { name: m.name } }, h('span', { class: 'dash-donor', text: m.name }), rm);
      }),
    );
    empty.hidden = mods.length > 0;
  }

  async function refresh() {
    const r = await api('GET', base, undefined, { signal });
    if (!r.ok) {
      fieldError(input, err, T('dash.mod.failed', { msg: r.error?.message || '' }));
      return;
    }
    mods = r.data.moderators || [];
    show();
  }

  async function remove(who, btn) {
    btn.disabled = true;
    ok.hidden = true;
    const r = await api('DELETE', `${base}/${encodeURIComponent(who)}`).catch(() => null);
    btn.disabled = false;
    if (r && (r.ok || r.status === 404)) {
      // 404: not a moderator (any more): the list is what matters.
      mods = mods.filter((m) => m.name !== who);
      show();
      said(T('dash.mod.removed', { name: who }));
      input.focus();
      await refresh();
    } else {
      said(T('dash.mod.failed', { msg: r?.error?.message || '' }));
    }
  }

  input.addEventListener('input', () => {
    fieldError(input, err, null);
    ok.hidden = true;
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    ok.hidden = true;
    const who = input.value.trim().replace(/^@/, '');
    if (!who) return fieldError(input, err, T('dash.mod.required')), input.focus();
    add.disabled = true;
    const r = await api('POST', base, { username: who }).catch(() => null);
    add.disabled = false;
    if (r?.ok) {
      const m = r.data.moderator;
      fieldError(input, err, null);
      input.value = '';
      said(T(r.status === 201 ? 'dash.mod.added' : 'dash.mod.already', { name: m.name }));
      if (!mods.some((x) => x.id === m.id)) mods = [...mods, m].sort((a, b) => (a.name < b.name ? -1 : 1));
      show();
      await refresh();
      return;
    }
    let msg;
    if (r?.status === 404) msg = T('dash.mod.notFound', { name: who });
    else if (r?.status === 422) msg = T('dash.mod.self');
    else msg = T('dash.mod.failed', { msg: r?.error?.message || '' });
    fieldError(input, err, msg);
    input.focus();
  });

  return { node, refresh: coalesce(refresh) };
}

export async function render(ctx) {
  const styled = useStyle('/app/pages/dashboard.css');
  if (!auth.loggedIn) {
    queueMicrotask(() => ctx.navigate(`/login?next=${encodeURIComponent('/dashboard')}`, { replace: true }));
    return { node: h('div'), name: 'redirect', title: T('title.login') };
  }
  const me = await api('GET', '/api/me', undefined, { signal: ctx.signal });
  if (!me.ok) {
    if (!auth.loggedIn) {
      queueMicrotask(() => ctx.navigate('/login?next=%2Fdashboard', { replace: true }));
      return { node: h('div'), name: 'redirect', title: T('title.login') };
    }
    throw new Error(me.error?.message || 'could not load your account');
  }
  let channel = me.data.channel;
  const name = channel.name;

  // ---- status and preview ----
  const preview = previewPanel(name);
  const statusBadge = h('span', { class: 'badge', id: 'dash-status' });
  const showStatus = () => {
    statusBadge.className = `badge ${channel.live ? 'badge-live' : 'badge-off'}`;
    setText(statusBadge, channel.live ? T('dash.live') : T('dash.offline'));
    statusBadge.dataset.live = String(!!channel.live);
    preview.update(!!channel.live);
  };
  const statusCard = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'status-heading' },
    h('h2', { id: 'status-heading', text: T('dash.status') }),
    h('p', { class: 'status-row' }, statusBadge, h('a', { href: `/c/${encodeURIComponent(name)}`, id: 'view-channel', text: T('dash.viewChannel') })),
    preview.node,
  );

  // ---- stream key ----
  let key = '';
  const keyInput = h('input', {
    id: 'stream-key',
    type: 'password',
    readonly: true,
    class: 'mono',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'key-help',
  });
  const reveal = h('button', {
    type: 'button',
    class: 'btn btn-secondary',
    id: 'reveal-key',
    'aria-pressed': 'false',
    'aria-controls': 'stream-key',
    text: T('dash.reveal'),
  });
  reveal.addEventListener('click', () => {
    const show = keyInput.type === 'password';
    keyInput.type = show ? 'text' : 'password';
    reveal.setAttribute('aria-pressed', String(show));
    setText(reveal, show ? T('dash.hide') : T('dash.reveal'));
  });
  const keyStatus = h('p', { class: 'form-ok', id: 'key-status', role: 'status', hidden: true });
  const copyKey = dashCopy('copy-key', T('dash.copyKey'), () => key, keyStatus);
  const rotate = h('button', { type: 'button', class: 'btn btn-danger-ghost', id: 'rotate-key', text: T('dash.rotate') });
  const rotateConfirm = confirmBox({
    trigger: rotate,
    id: 'rotate',
    question: T('dash.rotateConfirm'),
    yes: T('dash.rotateYes'),
    cancel: T('dash.cancel'),
    action: async () => {
      const r = await api('POST', '/api/me/stream-key/rotate');
      if (r.ok) {
        key = r.data.stream_key;
        keyInput.value = key;
        setText(keyStatus, T('dash.rotated'));
      } else {
        setText(keyStatus, T('err.generic', { msg: r.error?.message || '' }));
      }
      keyStatus.hidden = false;
    },
  });
  const keyCard = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'key-heading' },
    h('h2', { id: 'key-heading' }, h('label', { for: 'stream-key', text: T('dash.key') })),
    h('p', { class: 'field-hint', id: 'key-help', text: T('dash.keyHelp') }),
    h('div', { class: 'key-row' }, keyInput, reveal, copyKey),
    keyStatus,
    h('div', { class: 'row' }, rotate),
    rotateConfirm,
  );

  // ---- OBS ----
  const server = `rtmp://${location.hostname}:1935/live`;
  const serverStatus = h('p', { class: 'form-ok', role: 'status', hidden: true });
  const obsCard = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'obs-heading' },
    h('h2', { id: 'obs-heading', text: T('dash.obs') }),
    h(
      'ol',
      { class: 'steps' },
      h('li', { text: T('dash.obs1') }),
      h('li', { text: T('dash.obs2') }),
      h(
        'li',
        {},
        h('span', { text: T('dash.obs3') }),
        h(
          'div',
          { class: 'key-row' },
          h('code', { class: 'mono server-url', id: 'server-url', text: server }),
          dashCopy('copy-server', T('dash.copyServer'), () => server, serverStatus),
        ),
        serverStatus,
      ),
      h('li', { text: T('dash.obs4') }),
      h('li', { text: T('dash.obs5') }),
      h('li', { text: T('dash.obs6') }),
    ),
  );

  // ---- title ----
  const titleInput = h('input', {
    id: 'stream-title-input',
    type: 'text',
    maxlength: '140',
    'aria-describedby': 'title-hint title-error',
  });
  titleInput.value = channel.title || '';
  const titleErr = h('p', { class: 'field-error', id: 'title-error', role: 'alert', hidden: true });
  const titleOk = h('p', { class: 'form-ok', id: 'title-ok', role: 'status', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'save-title', text: T('dash.save') });
  const titleForm = h(
    'form',
    { class: 'title-form', id: 'title-form', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('div', { class: 'key-row' }, titleInput, save),
      h('p', { class: 'field-hint', id: 'title-hint', text: T('dash.titleHint') }),
      titleErr,
      titleOk,
    ),
  );
  titleInput.addEventListener('input', () => {
    fieldError(titleInput, titleErr, null);
    titleOk.hidden = true;
  });
  titleForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    titleOk.hidden = true;
    const title = titleInput.value.trim();
    if (!title) return fieldError(titleInput, titleErr, T('dash.titleRequired')), titleInput.focus();
    if (Array.from(title).length > 140) return fieldError(titleInput, titleErr, T('dash.titleTooLong')), titleInput.focus();
    save.disabled = true;
    const r = await api('PATCH', `/api/channels/${encodeURIComponent(name)}`, { title });
    save.disabled = false;
    if (r.ok) {
      channel = r.data;
      titleInput.value = channel.title;
      fieldError(titleInput, titleErr, null);
      setText(titleOk, T('dash.saved'));
      titleOk.hidden = false;
    } else {
      fieldError(titleInput, titleErr, T('dash.titleInvalid', { msg: r.error?.message || '' }));
      titleInput.focus();
    }
  });
  const titleCard = h('section', { class: 'panel', 'aria-labelledby': 'title-heading' }, h('h2', { id: 'title-heading' }, h('label', { for: 'stream-title-input', text: T('dash.streamTitle') })), titleForm);

  // ---- donations, top donors, moderators ----
  const donations = donationsPanel(name, ctx.signal);
  const top = topPanel(name, ctx.signal);
  const mods = moderatorsPanel(name, ctx.signal);

  const node = h(
    'div',
    { class: 'page dashboard' },
    h('h1', { text: T('dash.title') }),
    h(
      'div',
      { class: 'dash-grid' },
      h('div', { class: 'dash-col' }, statusCard, keyCard, titleCard, mods.node),
      h('div', { class: 'dash-col' }, obsCard, overlayPanel(name, ctx.signal), donations.node, top.node),
    ),
  );

  const k = await api('GET', '/api/me/stream-key', undefined, { signal: ctx.signal });
  if (k.ok) {
    key = k.data.stream_key;
    keyInput.value = key;
  }

  await Promise.all([donations.refresh(), top.refresh(), mods.refresh(), styled]);
  if (ctx.signal.aborted) return { node: h('div'), name: 'dashboard', title: T('title.dashboard') };
  showStatus();

  const pollStatus = coalesce(async () => {
    const r = await api('GET', `/api/channels/${encodeURIComponent(name)}`, undefined, { auth: false, signal: ctx.signal }).catch(() => null);
    if (r?.ok) {
      channel = { ...channel, live: r.data.live, started_at: r.data.started_at };
      showStatus();
    }
  });
  const poll = setInterval(() => !document.hidden && pollStatus(), POLL_MS);

  // Donations arrive as `donation` events of the channel's room; after a
  // reconnect (which replays what was missed) the lists are read again too.
  const refreshDonations = () => {
    donations.refresh();
    top.refresh();
  };
  const conn = new ChatConnection(`channel:${name}`, {
    viewer: false, // the streamer's own dashboard is not a viewer
    onEvent(ev) {
      if (ev.type === 'donation') refreshDonations();
      else if (ev.type === 'live' && ev.live !== !!channel.live) pollStatus();
    },
    onStatus(state) {
      // Also on the first join: covers a donation made since the lists were read.
      if (state === 'open') refreshDonations();
    },
  });
  conn.start(null);
  const offLang = onLangChange(() => {
    donations.rerender();
    top.rerender();
  });

  return {
    node,
    name: 'dashboard',
    title: T('title.dashboard'),
    destroy() {
      clearInterval(poll);
      conn.close();
      offLang();
      preview.destroy();
    },
  };
}
