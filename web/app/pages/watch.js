// Watch /c/{channel}: the player (or an offline card) with the stream's
// title, streamer, viewers and time live; the channel's chat beside it.

import { h, initial, nameColor } from '../dom.js';
import { T, setText, formatNumber, formatDuration } from '../i18n.js';
import { api } from '../api.js';
import { createPlayer } from '../player.js';
import { createChat } from '../chat.js';
import { createDonate } from '../donate.js';

const POLL_MS = 5000;

export async function render(ctx) {
  const name = ctx.params.channel.toLowerCase();
  const r = await api('GET', `/api/channels/${encodeURIComponent(name)}`, undefined, { auth: false, signal: ctx.signal });
  if (r.status === 404) {
    const node = h(
      'div',
      { class: 'page narrow' },
      h('h1', { text: T('watch.notFound') }),
      h('p', {}, h('a', { href: '/', text: T('notFound.home') })),
    );
    return { node, name: 'watch-missing', title: T('watch.notFound') };
  }
  let channel = r.ok ? r.data : { name, title: name, live: false, viewers: 0, started_at: null };

  const stage = h('div', { class: 'stage', id: 'stage' });
  const title = h('h1', { class: 'stream-title', id: 'stream-title' });
  const avatar = h('span', { class: 'avatar avatar-lg', 'aria-hidden': 'true', text: initial(name) });
  avatar.style.background = nameColor(name);
  const liveBadge = h('span', { class: 'badge badge-live', text: T('live') });
  const viewers = h('span', { class: 'meta-item', id: 'viewer-count' });
  const uptime = h('span', { class: 'meta-item', id: 'uptime' });
  const donate = createDonate(name);
  const info = h(
    'div',
    { class: 'stream-info' },
    avatar,
    h(
      'div',
      { class: 'stream-text' },
      title,
      h('p', { class: 'stream-meta' }, h('span', { class: 'streamer-name', text: name }), liveBadge, viewers, uptime),
    ),
    donate.node,
  );

  const chat = createChat(`channel:${name}`, {
    loginNext: `/c/${name}`,
    onPresence: (n) => {
      channel = { ...channel, viewers: n };
      showMeta();
    },
    onLive: (live) => {
      if (live !== channel.live) poll();
    },
  });

  const node = h(
    'div',
    { class: 'watch-layout' },
    h('section', { class: 'watch-main', 'aria-labelledby': 'stream-title' }, stage, info),
    h('aside', { class: 'watch-chat', 'aria-label': T('chat.title') }, chat.node),
  );

  let player = null;
  let offlineCard = null;

  function showMeta() {
    setText(title, channel.title || name);
    liveBadge.hidden = !channel.live;
    viewers.hidden = !channel.live;
    setText(viewers, T('viewers', { n: formatNumber(channel.viewers || 0) }));
    tick();
  }
  function tick() {
    const started = channel.live && Date.parse(channel.started_at);
    uptime.hidden = !started;
    if (started) setText(uptime, T('uptime', { t: formatDuration(Date.now() - started) }));
  }

  function showStage() {
    if (channel.live && !player) {
      offlineCard = null;
      player = createPlayer(name);
      stage.replaceChildren(player.node);
      if (window.onair) window.onair.debug.player = player;
    } else if (!channel.live && (player || !offlineCard)) {
      player?.destroy();
      player = null;
      offlineCard = h(
        'div',
        { class: 'offline-stage', id: 'offline-card' },
        h('span', { class: 'avatar avatar-xl', 'aria-hidden': 'true', text: initial(name) }),
        h('p', { class: 'offline-title', text: T('watch.offlineTitle', { name }) }),
        h('p', { class: 'offline-text', text: T('watch.offlineText') }),
      );
      offlineCard.firstChild.style.background = nameColor(name);
      stage.replaceChildren(offlineCard);
    }
  }

  async function poll() {
    let res;
    try {
      res = await api('GET', `/api/channels/${encodeURIComponent(name)}`, undefined, { auth: false, signal: ctx.signal });
    } catch {
      return;
    }
    if (!res.ok) return;
    channel = res.data;
    showMeta();
    showStage();
  }

  showMeta();
  showStage();
  const pollTimer = setInterval(() => !document.hidden && poll(), POLL_MS);
  const clock = setInterval(tick, 1000);
  if (window.onair) window.onair.debug.chat = chat;

  return {
    node,
    name: 'watch',
    title: channel.title ? `${channel.title} - ${name}` : name,
    destroy() {
      clearInterval(pollTimer);
      clearInterval(clock);
      player?.destroy();
      chat.destroy();
      donate.destroy();
    },
  };
}
