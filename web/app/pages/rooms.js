// Rooms /rooms and /rooms/{id}: a messenger layout. On the left the rooms
// (the public ones and the caller's private ones, GET /api/rooms), kept up
// to date (room_created from the chat's connection, and a poll), with a form
// to open a new room; on the right the chosen room's chat (web/app/chat.js).
// At phone width the list and the chat are two views: the list at /rooms,
// the chat at /rooms/{id} with a back link.

import { h, initial, nameColor, fieldError, useStyle } from '../dom.js';
import { T, setText, addStrings } from '../i18n.js';
import { api, auth } from '../api.js';
import { createChat } from '../chat.js';

addStrings({
  ko: {
    'rooms.title': '채팅방',
    'rooms.list': '채팅방 목록',
    'rooms.empty': '아직 채팅방이 없습니다. 첫 방을 만들어 보세요!',
    'rooms.loadFailed': '채팅방 목록을 불러오지 못했습니다. 잠시 후 다시 시도합니다.',
    'rooms.new': '새 채팅방',
    'rooms.newHeading': '새 채팅방 만들기',
    'rooms.formTitle': '방 이름',
    'rooms.formPrivate': '비공개 (멤버만 읽고 쓸 수 있음)',
    'rooms.formMembers': '멤버',
    'rooms.formMembersHint': '아이디를 쉼표로 구분해 입력하세요. 예: minji, jisoo',
    'rooms.create': '만들기',
    'rooms.cancel': '취소',
    'rooms.loginToCreate': '채팅방을 만들려면 로그인하세요.',
    'rooms.by': '{name} 님의 방',
    'rooms.private': '비공개',
    'rooms.pick': '왼쪽에서 채팅방을 고르거나 새로 만들어 보세요.',
    'rooms.back': '목록',
    'rooms.membersOnly': '멤버 전용 채팅방',
    'rooms.membersOnlyText': '이 채팅방은 비공개입니다. 멤버만 읽고 쓸 수 있습니다.',
    'rooms.membersOnlyLogin': '멤버라면 로그인하세요.',
    'rooms.notFound': '채팅방을 찾을 수 없습니다.',
    'rooms.notFoundText': '주소가 잘못되었거나 없는 채팅방입니다.',
    'rooms.unknownTitle': '채팅방 {id}',
    'rooms.err.titleRequired': '방 이름을 입력하세요.',
    'rooms.err.titleLength': '방 이름은 140자 이하로, 줄바꿈 없이 입력하세요.',
    'rooms.err.members': '없는 사용자입니다: {names}',
    'rooms.err.tooMany': '멤버는 1000명까지입니다.',
    'rooms.err.login': '로그인이 만료되었습니다. 다시 로그인하세요.',
  },
  en: {
    'rooms.title': 'Chat rooms',
    'rooms.list': 'Rooms',
    'rooms.empty': 'No rooms yet. Open the first one!',
    'rooms.loadFailed': 'Could not load the rooms. Trying again shortly.',
    'rooms.new': 'New room',
    'rooms.newHeading': 'Open a new room',
    'rooms.formTitle': 'Room name',
    'rooms.formPrivate': 'Private (only members can read and write)',
    'rooms.formMembers': 'Members',
    'rooms.formMembersHint': 'Usernames separated by commas, e.g. minji, jisoo',
    'rooms.create': 'Create',
    'rooms.cancel': 'Cancel',
    'rooms.loginToCreate': 'Log in to open a room.',
    'rooms.by': 'by {name}',
    'rooms.private': 'Private',
    'rooms.pick': 'Pick a room on the left, or open a new one.',
    'rooms.back': 'All rooms',
    'rooms.membersOnly': 'Members only',
    'rooms.membersOnlyText': 'This room is private: only its members can read and write in it.',
    'rooms.membersOnlyLogin': 'If you are a member, log in.',
    'rooms.notFound': 'Room not found.',
    'rooms.notFoundText': 'The address is wrong or the room does not exist.',
    'rooms.unknownTitle': 'Room {id}',
    'rooms.err.titleRequired': 'Enter a room name.',
    'rooms.err.titleLength': 'A room name is at most 140 characters, on one line.',
    'rooms.err.members': 'Not users: {names}',
    'rooms.err.tooMany': 'A room takes at most 1000 members.',
    'rooms.err.login': 'Your login expired. Please log in again.',
  },
});

const POLL_MS = 5000;
const TITLE_MAX = 140;

const numberOf = (roomId) => roomId.slice('room:'.length);

function roomItem(room, selected) {
  const avatar = h('span', { class: 'avatar room-avatar', 'aria-hidden': 'true', text: initial(room.title) });
  avatar.style.background = nameColor(room.title);
  const a = h(
    'a',
    { class: 'room-link', href: `/rooms/${numberOf(room.id)}`, dataset: { room: room.id } },
    avatar,
    h(
      'span',
      { class: 'room-text' },
      h('span', { class: 'room-name', text: room.title }),
      h(
        'span',
        { class: 'room-sub' },
        room.private ? h('span', { class: 'badge badge-off room-private', text: T('rooms.private') }) : null,
        h('span', { text: T('rooms.by', { name: room.owner }) }),
      ),
    ),
  );
  if (selected) a.setAttribute('aria-current', 'page');
  return h('li', { dataset: { room: room.id } }, a);
}

/** The new-room form; onCreated(room) after a 201. */
function newRoomForm(onCreated, onCancel) {
  const field = (id, label, hint) => {
    const input = h('input', {
      id,
      name: id,
      type: 'text',
      autocomplete: 'off',
      'aria-describedby': [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' '),
    });
    const err = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
    const node = h(
      'div',
      { class: 'field' },
      h('label', { for: id, text: label }),
      input,
      hint ? h('p', { class: 'field-hint', id: `${id}-hint`, text: hint }) : null,
      err,
    );
    return { input, err, node };
  };
  const title = field('room-title', T('rooms.formTitle'));
  title.input.maxLength = TITLE_MAX * 2; // the real check is below, in characters
  const members = field('room-members', T('rooms.formMembers'), T('rooms.formMembersHint'));
  members.input.spellcheck = false;
  members.input.setAttribute('autocapitalize', 'none');
  const priv = h('input', { type: 'checkbox', id: 'room-private', name: 'room-private' });
  const formErr = h('p', { class: 'form-error', id: 'room-form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'room-create', text: T('rooms.create') });
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', id: 'room-cancel', text: T('rooms.cancel'), onclick: onCancel });
  const form = h(
    'form',
    { class: 'new-room-form', id: 'new-room-form', novalidate: true, 'aria-labelledby': 'new-room-heading' },
    h('h2', { class: 'new-room-heading', id: 'new-room-heading', text: T('rooms.newHeading') }),
    title.node,
    h('div', { class: 'field field-check' }, priv, h('label', { for: 'room-private', text: T('rooms.formPrivate') })),
    members.node,
    formErr,
    h('div', { class: 'row' }, submit, cancel),
  );
  const showFormErr = (ref) => {
    setText(formErr, ref || '');
    formErr.hidden = !ref;
  };
  const clear = () => {
    fieldError(title.input, title.err, null);
    fieldError(members.input, members.err, null);
    showFormErr(null);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    const t = title.input.value.trim();
    const n = Array.from(t).length;
    if (!n) {
      fieldError(title.input, title.err, T('rooms.err.titleRequired'));
      title.input.focus();
      return;
    }
    if (n > TITLE_MAX) {
      fieldError(title.input, title.err, T('rooms.err.titleLength'));
      title.input.focus();
      return;
    }
    const names = [...new Set(members.input.value.split(/[\s,，、]+/).map((x) => x.replace(/^@/, '')).filter(Boolean))];
    const body = { title: t, private: priv.checked };
    if (names.length) body.members = names;
    submit.disabled = true;
    let r;
    try {
      r = await api('POST', '/api/rooms', body);
    } finally {
      submit.disabled = false;
    }
    if (r.ok) {
      onCreated(r.data.room);
      return;
    }
    const msg = r.error?.message || '';
    if (r.status === 422 && /^members that are not users:/.test(msg)) {
      fieldError(members.input, members.err, T('rooms.err.members', { names: msg.replace(/^members that are not users:\s*/, '') }));
      members.input.focus();
    } else if (r.status === 422 && /members/.test(msg)) {
      fieldError(members.input, members.err, T('rooms.err.tooMany'));
      members.input.focus();
    } else if (r.status === 422) {
      fieldError(title.input, title.err, T('rooms.err.titleLength'));
      title.input.focus();
    } else if (r.status === 401) {
      showFormErr(T('rooms.err.login'));
    } else if (r.status === 0) {
      showFormErr(T('err.network'));
    } else {
      showFormErr(T('err.generic', { msg: msg || r.error?.code }));
    }
  });
  return { node: form, focus: () => title.input.focus(), reset: () => (form.reset(), clear()) };
}

export async function render(ctx) {
  await useStyle('/app/pages/rooms.css');
  const num = ctx.params.room || null;
  const roomId = num ? `room:${num}` : null;
  const seqParam = Number(ctx.query.get('seq'));
  const jumpSeq = Number.isInteger(seqParam) && seqParam > 0 ? seqParam : null;

  const first = await api('GET', '/api/rooms', undefined, { signal: ctx.signal });
  const known = new Map(); // id -> room
  for (const r of first.ok ? first.data.rooms || [] : []) known.set(r.id, r);

  // ---- the list ----
  const list = h('ul', { class: 'rooms-list', id: 'rooms-list', 'aria-labelledby': 'rooms-heading' });
  const emptyNote = h('p', { class: 'empty rooms-empty', id: 'rooms-empty', text: T('rooms.empty') });
  const loadNote = h('p', { class: 'notice rooms-load', role: 'status', hidden: first.ok, text: T('rooms.loadFailed') });
  const items = new Map(); // id -> li
  function showList(rooms) {
    // Newest first; rooms are never deleted, so new ones go in at the top
    // and existing entries stay put (keeping focus where it is).
    const fresh = rooms.filter((r) => !items.has(r.id));
    for (const r of fresh.reverse()) {
      const li = roomItem(r, r.id === roomId);
      items.set(r.id, li);
      list.prepend(li);
    }
    emptyNote.hidden = items.size > 0;
  }
  showList([...known.values()]);

  async function refresh() {
    let r;
    try {
      r = await api('GET', '/api/rooms', undefined, { signal: ctx.signal });
    } catch {
      return;
    }
    loadNote.hidden = r.ok;
    if (!r.ok) return;
    for (const x of r.data.rooms || []) known.set(x.id, x);
    showList(r.data.rooms || []);
  }

  // ---- new room ----
  const newBtn = h('button', {
    type: 'button',
    class: 'btn btn-primary btn-small',
    id: 'new-room-toggle',
    'aria-expanded': 'false',
    'aria-controls': 'new-room',
    text: T('rooms.new'),
  });
  const newBox = h('div', { class: 'new-room', id: 'new-room', hidden: true });
  let form = null;
  const setFormOpen = (open) => {
    newBox.hidden = !open;
    newBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      renderNewBox();
      form?.focus();
    } else newBtn.focus();
  };
  function renderNewBox() {
    if (!auth.loggedIn) {
      form = null;
      const next = encodeURIComponent(location.pathname + location.search);
      newBox.replaceChildren(
        h(
          'div',
          { class: 'chat-invite rooms-invite' },
          h('p', { text: T('rooms.loginToCreate') }),
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
    if (!form || !newBox.contains(form.node)) {
      form = newRoomForm(
        (room) => {
          known.set(room.id, room);
          showList([room]);
          ctx.navigate(`/rooms/${numberOf(room.id)}`);
        },
        () => setFormOpen(false),
      );
      newBox.replaceChildren(form.node);
    }
  }
  newBtn.addEventListener('click', () => setFormOpen(newBox.hidden));
  const offAuth = auth.on(() => {
    if (!newBox.hidden) renderNewBox();
  });

  const Heading = roomId ? 'h2' : 'h1';
  const side = h(
    'section',
    { class: 'rooms-side', 'aria-labelledby': 'rooms-heading' },
    h('div', { class: 'rooms-side-head' }, h(Heading, { class: 'rooms-heading', id: 'rooms-heading', text: T('rooms.title') }), newBtn),
    newBox,
    loadNote,
    list,
    emptyNote,
  );

  // ---- the chosen room ----
  const mainPane = h('section', { class: 'rooms-main', id: 'rooms-main', 'aria-labelledby': roomId ? 'room-heading' : null });
  let chat = null;
  let title = T('rooms.title');
  const back = h('a', { class: 'btn btn-ghost btn-small rooms-back', id: 'rooms-back', href: '/rooms' }, h('span', { 'aria-hidden': 'true', text: '← ' }), h('span', { text: T('rooms.back') }));

  function paneHead(text, room) {
    return h(
      'div',
      { class: 'rooms-main-head' },
      back,
      h(
        'div',
        { class: 'rooms-main-title' },
        h('h1', { class: 'room-heading', id: 'room-heading', text }),
        room
          ? h(
              'p',
              { class: 'room-meta' },
              room.private ? h('span', { class: 'badge badge-off', text: T('rooms.private') }) : null,
              h('span', { text: T('rooms.by', { name: room.owner }) }),
            )
          : null,
      ),
    );
  }

  function blocked(heading, text, withLogin) {
    const next = encodeURIComponent(location.pathname);
    mainPane.replaceChildren(
      paneHead(heading),
      h(
        'div',
        { class: 'rooms-blocked', id: 'rooms-blocked' },
        h('span', { class: 'rooms-lock', 'aria-hidden': 'true', text: '🔒' }),
        h('p', { text }),
        withLogin && !auth.loggedIn
          ? h(
              'p',
              { class: 'chat-invite-actions' },
              h('span', { text: T('rooms.membersOnlyLogin') }),
              h('a', { class: 'btn btn-primary', href: `/login?next=${next}`, text: T('auth.login') }),
            )
          : null,
      ),
    );
  }

  if (!roomId) {
    mainPane.replaceChildren(h('div', { class: 'rooms-pick' }, h('p', { class: 'empty', text: T('rooms.pick') })));
  } else {
    let room = known.get(roomId);
    if (!room) {
      // Not in our list: private (members only), gone, or older than the list.
      const probe = await api('GET', `/api/rooms/${encodeURIComponent(roomId)}/messages?limit=1`, undefined, { signal: ctx.signal });
      if (probe.status === 403) {
        title = T('rooms.membersOnly');
        blocked(T('rooms.membersOnly'), T('rooms.membersOnlyText'), true);
        mainPane.dataset.state = 'forbidden';
      } else if (!probe.ok) {
        title = T('rooms.notFound');
        blocked(T('rooms.notFound'), T('rooms.notFoundText'), false);
        mainPane.dataset.state = 'missing';
      } else {
        room = { id: roomId, title: null, private: false, owner: null };
      }
    }
    if (room) {
      const text = room.title || T('rooms.unknownTitle', { id: num });
      title = text;
      chat = createChat(roomId, {
        loginNext: `/rooms/${num}`,
        owner: room.owner,
        jumpSeq,
        onRoomCreated: () => refresh(),
      });
      mainPane.replaceChildren(paneHead(text, room.owner ? room : null), chat.node);
      mainPane.dataset.state = 'chat';
      if (window.onair) window.onair.debug.chat = chat;
    }
  }

  const node = h('div', { class: 'rooms-layout', id: 'rooms', dataset: { view: roomId ? 'chat' : 'list' } }, side, mainPane);
  const poll = setInterval(() => !document.hidden && refresh(), POLL_MS);

  return {
    node,
    name: 'rooms',
    title,
    destroy() {
      clearInterval(poll);
      offAuth();
      chat?.destroy();
    },
  };
}
