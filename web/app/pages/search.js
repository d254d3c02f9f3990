// Search /search?q=…&room=…: chat history across rooms (GET /api/search),
// newest first, each result with its room, user, time and the text with the
// matches marked. The query lives in the address, so results can be linked
// and Back works. A result opens its room at that message (?seq=N).

import { h, nameColor, fieldError, useStyle } from '../dom.js';
import { T, setText, addStrings, formatNumber, formatDateTime } from '../i18n.js';
import { api } from '../api.js';

addStrings({
  ko: {
    'search.title': '채팅 검색',
    'search.titleQ': '“{q}” 검색',
    'search.q': '검색어',
    'search.qHint': '모든 채팅방의 메시지에서 찾습니다. 한국어는 단어의 일부로도 찾을 수 있습니다.',
    'search.room': '채팅방',
    'search.allRooms': '모든 채팅방',
    'search.channels': '채널',
    'search.rooms': '채팅방',
    'search.submit': '검색',
    'search.more': '더 보기',
    'search.loading': '찾는 중…',
    'search.count': '결과 {n}개',
    'search.countMore': '결과 {n}개 이상',
    'search.none': '“{q}”와(과) 일치하는 메시지가 없습니다.',
    'search.tooBroad': '검색 범위가 너무 넓습니다. 단어를 더 입력하거나 채팅방을 골라 보세요.',
    'search.err.required': '검색어를 입력하세요.',
    'search.err.tooLong': '검색어가 너무 깁니다 (128바이트 이하).',
    'search.err.forbidden': '멤버만 검색할 수 있는 비공개 채팅방입니다.',
    'search.err.notFound': '그런 채팅방이 없습니다.',
    'search.err.other': '검색하지 못했습니다: {msg}',
    'search.channel': '{name} 채널',
    'search.userRoom': '채팅방 {id}',
    'search.results': '검색 결과',
    'search.donation': '후원',
  },
  en: {
    'search.title': 'Search chat',
    'search.titleQ': 'Search: {q}',
    'search.q': 'Search for',
    'search.qHint': 'Searches messages in every room. Korean matches any part of a word.',
    'search.room': 'Room',
    'search.allRooms': 'All rooms',
    'search.channels': 'Channels',
    'search.rooms': 'Rooms',
    'search.submit': 'Search',
    'search.more': 'More results',
    'search.loading': 'Searching…',
    'search.count': (a) => (a.raw === 1 ? '1 result' : `${a.n} results`),
    'search.countMore': 'More than {n} results',
    'search.none': 'No messages match “{q}”.',
    'search.tooBroad': 'That search matches too much to finish. Add more words or pick a room.',
    'search.err.required': 'Enter something to search for.',
    'search.err.tooLong': 'That is too long to search for (128 bytes at most).',
    'search.err.forbidden': 'That room is private: only its members can search it.',
    'search.err.notFound': 'There is no such room.',
    'search.err.other': 'Could not search: {msg}',
    'search.channel': '{name} channel',
    'search.userRoom': 'Room {id}',
    'search.results': 'Search results',
    'search.donation': 'Donation',
  },
});

const PAGE = 20;
const MAX_EMPTY_PAGES = 5; // pages of only private rooms' results skipped in one go
const Q_MAX_BYTES = 128;

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const unescape = (s) => s.replace(/&(?:amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m]);

/**
 * The server's highlight ("a <mark>b</mark> &amp; c") as DOM: text nodes and
 * <mark> elements only. The escaped text is split on the two tags and each
 * piece un-escaped into a text node, so nothing from a user is parsed as HTML.
 */
export function highlightNodes(highlight) {
  const out = [];
  let inMark = false;
  for (const part of String(highlight).split(/(<mark>|<\/mark>)/)) {
    if (part === '<mark>') inMark = true;
    else if (part === '</mark>') inMark = false;
    else if (part) {
      const text = document.createTextNode(unescape(part));
      out.push(inMark ? h('mark', {}, text) : text);
    }
  }
  return out;
}

/** Where a result opens: the channel's page or the user room, at its seq. */
function resultHref(r) {
  if (r.room.startsWith('channel:')) return `/c/${encodeURIComponent(r.room.slice(8))}?seq=${r.seq}`;
  return `/rooms/${encodeURIComponent(r.room.slice(5))}?seq=${r.seq}`;
}

export async function render(ctx) {
  await useStyle('/app/pages/search.css');
  const q = (ctx.query.get('q') || '').trim();
  const roomFilter = ctx.query.get('room') || '';

  // Room names for the filter and the results.
  const [roomsRes, chansRes] = await Promise.all([
    api('GET', '/api/rooms', undefined, { signal: ctx.signal }),
    api('GET', '/api/channels', undefined, { auth: false, signal: ctx.signal }),
  ]);
  const rooms = roomsRes.ok ? roomsRes.data.rooms || [] : [];
  const channels = chansRes.ok ? chansRes.data.channels || [] : [];
  const roomTitles = new Map(rooms.map((r) => [r.id, r.title]));
  const roomLabel = (id) =>
    id.startsWith('channel:')
      ? T('search.channel', { name: id.slice(8) })
      : roomTitles.get(id) || T('search.userRoom', { id: id.slice(5) });

  const input = h('input', {
    type: 'search',
    id: 'search-q',
    name: 'q',
    autocomplete: 'off',
    enterkeyhint: 'search',
    'aria-describedby': 'search-q-hint search-q-error',
  });
  input.value = q;
  const qErr = h('p', { class: 'field-error', id: 'search-q-error', role: 'alert', hidden: true });
  const select = h(
    'select',
    { id: 'search-room', name: 'room' },
    h('option', { value: '', text: T('search.allRooms') }),
    channels.length
      ? h('optgroup', { label: T('search.channels') }, channels.map((c) => h('option', { value: `channel:${c.name}`, text: c.name })))
      : null,
    rooms.length ? h('optgroup', { label: T('search.rooms') }, rooms.map((r) => h('option', { value: r.id, text: r.title }))) : null,
  );
  if (roomFilter && ![...select.options].some((o) => o.value === roomFilter)) {
    select.append(h('option', { value: roomFilter, text: roomLabel(roomFilter) }));
  }
  select.value = roomFilter;
  const form = h(
    'form',
    { class: 'search-form', id: 'search-form', role: 'search', novalidate: true },
    h(
      'div',
      { class: 'field search-q' },
      h('label', { for: 'search-q', text: T('search.q') }),
      h('div', { class: 'search-row' }, input, h('button', { type: 'submit', class: 'btn btn-primary', id: 'search-submit', text: T('search.submit') })),
      h('p', { class: 'field-hint', id: 'search-q-hint', text: T('search.qHint') }),
      qErr,
    ),
    h('div', { class: 'field search-room' }, h('label', { for: 'search-room', text: T('search.room') }), select),
  );

  const status = h('p', { class: 'search-status', id: 'search-status', role: 'status' });
  const hint = h('p', { class: 'notice search-hint', id: 'search-hint', role: 'alert', hidden: true });
  const results = h('ol', { class: 'search-results', id: 'search-results', 'aria-label': T('search.results') });
  const more = h('button', { type: 'button', class: 'btn btn-secondary', id: 'search-more', hidden: true, text: T('search.more') });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (!v) {
      fieldError(input, qErr, T('search.err.required'));
      input.focus();
      return;
    }
    if (new TextEncoder().encode(v).length > Q_MAX_BYTES) {
      fieldError(input, qErr, T('search.err.tooLong'));
      input.focus();
      return;
    }
    fieldError(input, qErr, null);
    const p = new URLSearchParams({ q: v });
    if (select.value) p.set('room', select.value);
    ctx.navigate(`/search?${p}`);
  });

  function resultItem(r) {
    const name = r.user?.name || '?';
    const who = h('span', { class: 'result-user', text: name });
    who.style.color = nameColor(name);
    const when = new Date(r.ts);
    return h(
      'li',
      { class: 'result', dataset: { room: r.room, seq: r.seq } },
      h(
        'a',
        { class: 'result-link', href: resultHref(r) },
        h(
          'span',
          { class: 'result-head' },
          h('span', { class: 'result-room', text: roomLabel(r.room) }),
          who,
          r.type === 'donation' ? h('span', { class: 'badge badge-off', text: T('search.donation') }) : null,
          h('time', { class: 'result-time', datetime: when.toISOString(), text: formatDateTime(when) }),
        ),
        h('span', { class: 'result-text' }, highlightNodes(r.highlight ?? r.text)),
      ),
    );
  }

  let next = null;
  let count = 0;
  let busy = false;
  async function load(beforeId) {
    busy = true;
    more.disabled = true;
    if (beforeId === undefined) setText(status, T('search.loading'));
    let cursor = beforeId;
    try {
      for (let i = 0; i < MAX_EMPTY_PAGES; i++) {
        const p = new URLSearchParams({ q, limit: String(PAGE) });
        if (roomFilter) p.set('room', roomFilter);
        if (cursor !== undefined && cursor !== null) p.set('before_id', String(cursor));
        let r;
        try {
          r = await api('GET', `/api/search?${p}`, undefined, { signal: ctx.signal });
        } catch {
          return; // left the page
        }
        if (!r.ok) {
          showError(r);
          return;
        }
        const page = r.data.results || [];
        for (const x of page) results.append(resultItem(x));
        count += page.length;
        next = r.data.next_before_id ?? null;
        cursor = next;
        if (page.length || next === null) break;
      }
      hint.hidden = true;
      more.hidden = next === null;
      if (count === 0 && next === null) setText(status, T('search.none', { q }));
      else if (next === null) setText(status, T('search.count', { n: formatNumber(count), raw: count }));
      else setText(status, T('search.countMore', { n: formatNumber(count) }));
    } finally {
      busy = false;
      more.disabled = false;
    }
  }

  function showError(r) {
    const code = r.error?.code;
    more.hidden = true;
    setText(status, '');
    let ref;
    if (code === 'query_too_broad') ref = T('search.tooBroad');
    else if (r.status === 403) ref = T('search.err.forbidden');
    else if (r.status === 404) ref = T('search.err.notFound');
    else if (r.status === 0) ref = T('err.network');
    else ref = T('search.err.other', { msg: r.error?.message || code });
    setText(hint, ref);
    hint.hidden = false;
    hint.dataset.code = code || '';
  }

  more.addEventListener('click', () => {
    if (!busy && next !== null) load(next);
  });

  const node = h(
    'div',
    { class: 'page search-page' },
    h('h1', { text: T('search.title') }),
    form,
    status,
    hint,
    results,
    h('div', { class: 'search-more-row' }, more),
  );
  if (q) load();

  return { node, name: 'search', title: q ? T('search.titleQ', { q }) : T('search.title') };
}
