// The dashboard's "Overlay" panel: the two URLs for OBS's Browser Source
// (donation alerts and chat) with the absolute origin, copy buttons, the
// overlay key masked until revealed, and a new key after a confirmation
// (GET /api/channels/{name}/overlay, POST .../overlay/rotate).

import '../overlay/strings.js';
import { h, copyButton, confirmBox } from '../dom.js';
import { T, setText } from '../i18n.js';
import { api } from '../api.js';

const MASK = '•'.repeat(12);
const COPY_TEXTS = { copy: T('overlay.dash.copy'), copied: T('overlay.dash.copied'), failed: T('overlay.dash.copyFailed') };

/**
 * The panel for channel `name` (the signed-in owner's). It fills itself in
 * once the key has loaded; signal (optional) aborts that load.
 */
export function overlayPanel(name, signal) {
  let urls = null; // {alerts, chat}: absolute, with the key
  let shown = false;

  const status = h('p', { class: 'form-ok', id: 'overlay-status', role: 'status', hidden: true });
  const loading = h('p', { class: 'field-hint', id: 'overlay-loading', text: T('overlay.dash.loading') });

  function field(id, label, copyLabel, which) {
    const input = h('input', {
      id,
      type: 'text',
      readonly: true,
      class: 'mono',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': 'overlay-key-help',
    });
    // Disabled until the key has loaded (show()).
    const btn = copyButton({ id: `${id}-copy`, label: copyLabel, get: () => urls[which], status, texts: COPY_TEXTS, disabled: true });
    const node = h('div', { class: 'field' }, h('label', { for: id, text: label }), h('div', { class: 'key-row' }, input, btn));
    return { node, input, btn, which };
  }

  const fields = [
    field('overlay-alerts-url', T('overlay.dash.alerts'), T('overlay.dash.copyAlerts'), 'alerts'),
    field('overlay-chat-url', T('overlay.dash.chat'), T('overlay.dash.copyChat'), 'chat'),
  ];

  const reveal = h('button', {
    type: 'button',
    class: 'btn btn-secondary',
    id: 'overlay-reveal',
    'aria-pressed': 'false',
    'aria-controls': 'overlay-alerts-url overlay-chat-url',
    text: T('overlay.dash.reveal'),
    disabled: true,
  });
  const rotate = h('button', { type: 'button', class: 'btn btn-danger-ghost', id: 'overlay-rotate', text: T('overlay.dash.rotate'), disabled: true });

  /** Shows the URLs, the key masked unless revealed. */
  function show() {
    for (const f of fields) {
      const full = urls?.[f.which] || '';
      f.input.value = shown ? full : full.replace(/key=.*$/, `key=${MASK}`);
      f.btn.disabled = !urls;
    }
    reveal.disabled = rotate.disabled = !urls;
  }

  function take(overlay) {
    urls = { alerts: location.origin + overlay.alerts_url, chat: location.origin + overlay.chat_url };
    show();
  }

  reveal.addEventListener('click', () => {
    shown = !shown;
    reveal.setAttribute('aria-pressed', String(shown));
    setText(reveal, shown ? T('overlay.dash.hide') : T('overlay.dash.reveal'));
    show();
  });
  const rotateConfirm = confirmBox({
    trigger: rotate,
    id: 'overlay-rotate',
    question: T('overlay.dash.rotateConfirm'),
    yes: T('overlay.dash.rotateYes'),
    cancel: T('overlay.dash.cancel'),
    action: async () => {
      const r = await api('POST', `/api/channels/${encodeURIComponent(name)}/overlay/rotate`);
      if (r.ok) {
        take(r.data.overlay);
        setText(status, T('overlay.dash.rotated'));
      } else {
        setText(status, T('overlay.dash.failed', { msg: r.error?.message || '' }));
      }
      status.hidden = false;
    },
  });

  const node = h(
    'section',
    { class: 'panel', id: 'overlay-panel', 'aria-labelledby': 'overlay-heading' },
    h('h2', { id: 'overlay-heading', text: T('overlay.dash.heading') }),
    h('p', { class: 'field-hint', id: 'overlay-hint', style: 'margin-bottom: 12px', text: T('overlay.dash.hint') }),
    loading,
    fields.map((f) => f.node),
    h('p', { class: 'field-hint', id: 'overlay-key-help', text: T('overlay.dash.keyHelp') }),
    h('div', { class: 'row' }, reveal, rotate),
    rotateConfirm,
    status,
    h('p', { class: 'field-hint', text: T('overlay.dash.options') }),
  );
  show();

  api('GET', `/api/channels/${encodeURIComponent(name)}/overlay`, undefined, { signal })
    .then((r) => {
      if (r.ok) {
        loading.remove();
        take(r.data.overlay);
      } else {
        setText(loading, T('overlay.dash.failed', { msg: r.error?.message || '' }));
      }
    })
    .catch(() => {
      /* aborted: the page was left */
    });

  return node;
}
