// Home: live channels as cards (thumbnail, title, streamer, viewers, time
// live), refreshed every few seconds in place; offline channels below.

import { h, initial, nameColor } from '../dom.js';
import { T, setText, formatNumber, formatDuration } from '../i18n.js';
import { api } from '../api.js';

const REFRESH_MS = 5000;
const THUMB_MS = 15000;

function liveCard(c) {
  let card = null;
  const img = h('img', { class: 'thumb-img', alt: '', loading: 'lazy', decoding: 'async', width: 640, height: 360 });
  const ph = h('div', { class: 'thumb-placeholder', 'aria-hidden': 'true', text: initial(c.name) });
  img.addEventListener('load', () => {
    img.classList.remove('hidden');
    ph.classList.add('hidden');
  });
  img.addEventListener('error', () => {
    // No thumbnail yet (the first comes a few seconds after going live).
    img.classList.add('hidden');
    ph.classList.remove('hidden');
    card.thumbAt = 0;
  });
  const viewers = h('span', { class: 'badge badge-dark viewers' });
  const uptime = h('span', { class: 'badge badge-dark uptime' });
  const title = h('h3', { class: 'card-title' });
  const streamer = h('p', { class: 'card-streamer' });
  const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true' });
  const a = h(
    'a',
    { class: 'card live-card', href: `/c/${encodeURIComponent(c.name)}`, dataset: { channel: c.name } },
    h(
      'div',
      { class: 'thumb' },
      ph,
      img,
      h('span', { class: 'badge badge-live', text: T('live') }),
      viewers,
      uptime,
    ),
    h('div', { class: 'card-meta' }, avatar, h('div', { class: 'card-text' }, title, streamer)),
  );
  card = { node: a, img, ph, viewers, uptime, title, streamer, avatar, thumbAt: 0, c };
  update(card, c);
  return card;
}

function update(card, c) {
  card.c = c;
  setText(card.title, c.title);
  card.title.title = c.title;
  setText(card.streamer, c.name);
  setText(card.avatar, initial(c.name));
  card.avatar.style.background = nameColor(c.name);
  setText(card.viewers, T('viewers', { n: formatNumber(c.viewers || 0) }));
  tick(card);
  // A new thumbnail every THUMB_MS (the server makes one each 15 s).
  const slot = Math.floor(Date.now() / THUMB_MS);
  if (card.thumbAt !== slot) {
    card.thumbAt = slot;
    card.img.src = `/api/channels/${encodeURIComponent(c.name)}/thumbnail.jpg?t=${Date.now()}`;
  }
}

function tick(card) {
  const started = Date.parse(card.c.started_at);
  if (started) setText(card.uptime, T('uptime', { t: formatDuration(Date.now() - started) }));
  card.uptime.hidden = !started;
}

function offlineCard(c) {
  const title = h('p', { class: 'card-streamer', text: c.title });
  const name = h('h3', { class: 'card-title', text: c.name });
  const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true', text: initial(c.name) });
  avatar.style.background = nameColor(c.name);
  return h(
    'li',
    {},
    h(
      'a',
      { class: 'card offline-card', href: `/c/${encodeURIComponent(c.name)}`, dataset: { channel: c.name } },
      avatar,
      h('div', { class: 'card-text' }, name, title),
      h('span', { class: 'badge badge-off', text: T('offline') }),
    ),
  );
}

export async function render(ctx) {
  const liveList = h('ul', { class: 'card-grid', id: 'live-channels' });
  const liveEmpty = h('p', { class: 'empty', id: 'live-empty', hidden: true, text: T('home.noLive') });
  const offList = h('ul', { class: 'offline-grid', id: 'offline-channels' });
  const offSection = h(
    'section',
    { class: 'home-section', 'aria-labelledby': 'offline-heading', hidden: true },
    h('h2', { id: 'offline-heading', text: T('home.offline') }),
    offList,
  );
  const status = h('p', { class: 'notice', role: 'status', hidden: true });
  const node = h(
    'div',
    { class: 'page home-page' },
    h('h1', { class: 'visually-hidden', text: 'onair' }),
    status,
    h(
      'section',
      { class: 'home-section', 'aria-labelledby': 'live-heading' },
      h('h2', { id: 'live-heading' }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), h('span', { text: T('home.live') })),
      liveList,
      liveEmpty,
    ),
    offSection,
  );

  const cards = new Map(); // name -> card (live)
  let offKey = '';
  let stopped = false;

  async function load() {
    let r;
    try {
      r = await api('GET', '/api/channels', undefined, { auth: false, signal: ctx.signal });
    } catch {
      return; // aborted: the page is gone
    }
    if (stopped) return;
    if (!r.ok) {
      setText(status, T('home.loadFailed'));
      status.hidden = false;
      return;
    }
    status.hidden = true;
    const channels = r.data.channels || [];
    const live = channels.filter((c) => c.live);
    const off = channels.filter((c) => !c.live);
    // Live cards: update in place, keep the server's order.
    const seen = new Set();
    const nodes = live.map((c) => {
      seen.add(c.name);
      let card = cards.get(c.name);
      if (card) update(card, c);
      else cards.set(c.name, (card = liveCard(c)));
      let li = card.node.parentElement;
      if (!li) li = h('li', {}, card.node);
      return li;
    });
    for (const name of [...cards.keys()]) if (!seen.has(name)) cards.delete(name);
    const same = nodes.length === liveList.children.length && nodes.every((n, i) => liveList.children[i] === n);
    if (!same) liveList.replaceChildren(...nodes);
    liveEmpty.hidden = live.length > 0;
    if (channels.length === 0) setText(liveEmpty, T('home.noChannels'));
    else setText(liveEmpty, T('home.noLive'));
    // Offline list: rebuilt only when it changed.
    const key = JSON.stringify(off.map((c) => [c.name, c.title]));
    if (key !== offKey) {
      offKey = key;
      offList.replaceChildren(...off.map(offlineCard));
    }
    offSection.hidden = off.length === 0;
  }

  await load();
  const timer = setInterval(() => {
    if (!document.hidden) load();
  }, REFRESH_MS);
  const clock = setInterval(() => cards.forEach(tick), 1000);
  const onVisible = () => !document.hidden && load();
  document.addEventListener('visibilitychange', onVisible);
  return {
    node,
    name: 'home',
    title: T('title.home'),
    destroy() {
      stopped = true;
      clearInterval(timer);
      clearInterval(clock);
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}
