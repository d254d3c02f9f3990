// The streamer's dashboard: live status, the stream key (hidden until asked,
// copy, rotate), OBS setup steps, and the stream title.

import { h, fieldError } from '../dom.js';
import { T, setText } from '../i18n.js';
import { api, auth } from '../api.js';

const POLL_MS = 5000;

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain http on a LAN address): the old way.
    const ta = h('textarea', { class: 'visually-hidden', 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

/** A copy button that says "Copied" for a moment. */
function copyButton(id, label, get, statusEl) {
  const btn = h('button', { type: 'button', class: 'btn btn-secondary', id, text: T('dash.copy'), 'aria-label': label });
  btn.addEventListener('click', async () => {
    const ok = await copy(get());
    setText(statusEl, ok ? T('dash.copied') : T('dash.copyFailed'));
    statusEl.hidden = false;
    clearTimeout(btn.timer);
    btn.timer = setTimeout(() => (statusEl.hidden = true), 3000);
  });
  return btn;
}

export async function render(ctx) {
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

  // ---- status ----
  const statusBadge = h('span', { class: 'badge', id: 'dash-status' });
  const showStatus = () => {
    statusBadge.className = `badge ${channel.live ? 'badge-live' : 'badge-off'}`;
    setText(statusBadge, channel.live ? T('dash.live') : T('dash.offline'));
    statusBadge.dataset.live = String(!!channel.live);
  };
  showStatus();
  const statusCard = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'status-heading' },
    h('h2', { id: 'status-heading', text: T('dash.status') }),
    h('p', { class: 'status-row' }, statusBadge, h('a', { href: `/c/${encodeURIComponent(name)}`, id: 'view-channel', text: T('dash.viewChannel') })),
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
  const copyKey = copyButton('copy-key', T('dash.copyKey'), () => key, keyStatus);
  const rotate = h('button', { type: 'button', class: 'btn btn-danger-ghost', id: 'rotate-key', text: T('dash.rotate') });
  const confirmBox = h(
    'div',
    { class: 'confirm', id: 'rotate-confirm', hidden: true, role: 'group', 'aria-labelledby': 'rotate-q' },
    h('p', { id: 'rotate-q', text: T('dash.rotateConfirm') }),
  );
  const yes = h('button', { type: 'button', class: 'btn btn-danger', id: 'rotate-yes', text: T('dash.rotateYes') });
  const no = h('button', { type: 'button', class: 'btn btn-ghost', id: 'rotate-no', text: T('dash.cancel') });
  confirmBox.append(h('div', { class: 'row' }, yes, no));
  rotate.addEventListener('click', () => {
    confirmBox.hidden = false;
    no.focus();
  });
  no.addEventListener('click', () => {
    confirmBox.hidden = true;
    rotate.focus();
  });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    const r = await api('POST', '/api/me/stream-key/rotate');
    yes.disabled = false;
    confirmBox.hidden = true;
    if (r.ok) {
      key = r.data.stream_key;
      keyInput.value = key;
      setText(keyStatus, T('dash.rotated'));
    } else {
      setText(keyStatus, T('err.generic', { msg: r.error?.message || '' }));
    }
    keyStatus.hidden = false;
    rotate.focus();
  });
  const keyCard = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'key-heading' },
    h('h2', { id: 'key-heading' }, h('label', { for: 'stream-key', text: T('dash.key') })),
    h('p', { class: 'field-hint', id: 'key-help', text: T('dash.keyHelp') }),
    h('div', { class: 'key-row' }, keyInput, reveal, copyKey),
    keyStatus,
    h('div', { class: 'row' }, rotate),
    confirmBox,
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
          copyButton('copy-server', T('dash.copyServer'), () => server, serverStatus),
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

  const node = h(
    'div',
    { class: 'page dashboard' },
    h('h1', { text: T('dash.title') }),
    h('div', { class: 'dash-grid' }, h('div', { class: 'dash-col' }, statusCard, keyCard, titleCard), h('div', { class: 'dash-col' }, obsCard)),
  );

  const k = await api('GET', '/api/me/stream-key', undefined, { signal: ctx.signal });
  if (k.ok) {
    key = k.data.stream_key;
    keyInput.value = key;
  }

  const poll = setInterval(async () => {
    if (document.hidden) return;
    const r = await api('GET', `/api/channels/${encodeURIComponent(name)}`, undefined, { auth: false }).catch(() => null);
    if (r?.ok) {
      channel = { ...channel, live: r.data.live, started_at: r.data.started_at };
      showStatus();
    }
  }, POLL_MS);

  return {
    node,
    name: 'dashboard',
    title: T('title.dashboard'),
    destroy() {
      clearInterval(poll);
    },
  };
}
