// The chat overlay: the newest `max` chat messages and donations, newest
// at the bottom, older ones fading out; removed ones (a moderator's delete
// or clear) disappear.

import { h, nameColor } from '../dom.js';
import { T, formatNumber } from '../i18n.js';

/** opts: max (rows). Returns {node, onEvent}. */
export function createChatList({ max }) {
  const list = h('ol', { class: 'ov-chat', id: 'ov-chat', 'aria-live': 'polite' });

  /* Newest fully opaque, the oldest down to 0.35. */
  function fade() {
    const rows = [...list.children];
    rows.forEach((row, i) => {
      const age = rows.length - 1 - i;
      row.style.opacity = String(Math.max(0.35, 1 - (age / Math.max(1, max)) * 0.75));
    });
  }

  function add(row) {
    list.append(row);
    while (list.children.length > max) list.firstElementChild.remove();
    fade();
  }

  function name(ev) {
    const n = ev.user?.name || '?';
    return h('span', { class: 'ov-chat-name', style: `color: ${nameColor(n)}`, text: n });
  }

  function onEvent(ev) {
    if (ev.deleted) return;
    if (ev.type === 'message') {
      add(h('li', { class: 'ov-chat-row', dataset: { seq: ev.seq } }, name(ev), h('span', { class: 'ov-chat-text', text: ev.text || '' })));
    } else if (ev.type === 'donation') {
      add(
        h(
          'li',
          { class: 'ov-chat-row ov-chat-donation', dataset: { seq: ev.seq } },
          h('span', { class: 'ov-chat-icon', 'aria-hidden': 'true', text: '💎' }),
          name(ev),
          h('span', { class: 'ov-chat-amount', text: T('points', { n: formatNumber(ev.amount || 0) }) }),
          ev.message ? h('span', { class: 'ov-chat-text', text: ev.message }) : null,
        ),
      );
    } else if (ev.type === 'deleted') {
      list.querySelector(`[data-seq="${Number(ev.seq)}"]`)?.remove();
      fade();
    } else if (ev.type === 'system' && ev.action === 'clear') {
      for (const row of [...list.children]) if (Number(row.dataset.seq) < ev.seq) row.remove();
      fade();
    }
  }

  return { node: list, onEvent };
}
