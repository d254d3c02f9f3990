// The Donate button of a watch page and its dialog: amount presets or a
// custom amount, a message (200 characters at most), the viewer's balance,
// and clear errors. A donation becomes a `donation` event of the channel's
// room, so it shows up in every viewer's chat (chat.js) by itself.
//
// Each attempt carries an idempotency key made when the dialog opens: a
// double click, or a retry after the answer was lost, donates once. A new key
// is made only after the server said no (nothing moved) or after a success.

import { h, fieldError, useStyle } from './dom.js';
import { T, setText, addStrings, formatNumber } from './i18n.js';
import { api, auth } from './api.js';
import { refreshBalance } from './main.js';
import { amountField } from './pages/wallet.js';

const PRESETS = [1000, 5000, 10000];
const MAX_DONATION = 1_000_000; // the server's default max-donation; it has the last word
const MAX_MESSAGE = 200;

addStrings({
  ko: {
    'donate.button': '후원하기',
    'donate.login': '로그인하고 후원하기',
    'donate.title': '{name} 님에게 후원',
    'donate.balance': '보유 포인트: {n}P',
    'donate.balanceLoading': '보유 포인트: …',
    'donate.amount': '후원할 포인트',
    'donate.amountHint': '1 ~ {max}P',
    'donate.message': '메시지 (선택)',
    'donate.messageHint': '채팅과 방송 화면에 함께 표시됩니다.',
    'donate.counter': '{n}/{max}',
    'donate.submit': '{n}P 후원하기',
    'donate.submitEmpty': '후원하기',
    'donate.cancel': '취소',
    'donate.done': '{name} 님에게 {n}P를 후원했습니다.',
    'donate.err.amountMax': '한 번에 최대 {max}P까지 후원할 수 있습니다.',
    'donate.err.amountServer': '후원할 수 없는 금액입니다: {msg}',
    'donate.err.messageLong': '메시지는 {max}자 이하로 입력하세요.',
    'donate.err.messageServer': '보낼 수 없는 메시지입니다: {msg}',
    'donate.err.insufficient': '포인트가 부족합니다. 지금 {n}P가 있습니다.',
    'donate.err.charge': '포인트 충전하기',
    'donate.err.self': '내 채널에는 후원할 수 없습니다.',
    'donate.err.notFound': '채널을 찾을 수 없습니다.',
    'donate.err.login': '로그인이 만료되었습니다. 다시 로그인한 뒤 후원하세요.',
    'donate.err.busy': '서버가 바쁩니다. 잠시 후 다시 시도하세요. 같은 후원이 두 번 처리되지는 않습니다.',
    'donate.err.network': '서버에 연결할 수 없습니다. 다시 시도해도 같은 후원이 두 번 처리되지는 않습니다.',
  },
  en: {
    'donate.button': 'Donate',
    'donate.login': 'Log in to donate',
    'donate.title': 'Donate to {name}',
    'donate.balance': 'Your balance: {n} P',
    'donate.balanceLoading': 'Your balance: …',
    'donate.amount': 'Points to donate',
    'donate.amountHint': '1 to {max} P',
    'donate.message': 'Message (optional)',
    'donate.messageHint': 'Shown in the chat and on the stream.',
    'donate.counter': '{n}/{max}',
    'donate.submit': 'Donate {n} P',
    'donate.submitEmpty': 'Donate',
    'donate.cancel': 'Cancel',
    'donate.done': 'You donated {n} P to {name}.',
    'donate.err.amountMax': 'You can donate at most {max} P at a time.',
    'donate.err.amountServer': 'That amount cannot be donated: {msg}',
    'donate.err.messageLong': 'Messages are at most {max} characters.',
    'donate.err.messageServer': 'That message cannot be sent: {msg}',
    'donate.err.insufficient': 'Not enough points: you have {n} P.',
    'donate.err.charge': 'Charge points',
    'donate.err.self': 'You cannot donate to your own channel.',
    'donate.err.notFound': 'This channel does not exist.',
    'donate.err.login': 'Your login expired. Log in again to donate.',
    'donate.err.busy': 'The server is busy. Try again shortly; a retry never donates twice.',
    'donate.err.network': 'Cannot reach the server. Trying again never donates twice.',
  },
});

/** A random key for one attempt (randomUUID needs a secure context; plain http on a LAN has none). */
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const chars = (s) => Array.from(s).length;

/**
 * The donate control for channel `name`: a Donate button with its dialog for
 * a signed-in viewer, "Log in to donate" for anyone else, nothing for the
 * streamer on their own channel. Follows logins and logouts.
 * Returns {node, destroy}.
 */
export function createDonate(name) {
  useStyle('/app/pages/wallet.css'); // the amount field
  useStyle('/app/donate.css');
  const controller = new AbortController();
  const node = h('div', { class: 'donate', id: 'donate' });
  const done = h('p', { class: 'form-ok donate-done', id: 'donate-done', role: 'status' });

  // ---- the dialog ----
  const amount = amountField({
    id: 'donate-amount',
    label: T('donate.amount'),
    presets: PRESETS,
    max: MAX_DONATION,
    maxKey: 'donate.err.amountMax',
    hint: T('donate.amountHint', { max: formatNumber(MAX_DONATION) }),
  });
  const message = h('textarea', {
    id: 'donate-message',
    name: 'donate-message',
    rows: '3',
    'aria-describedby': 'donate-message-hint donate-counter donate-message-error',
  });
  const counter = h('span', { class: 'donate-counter', id: 'donate-counter' });
  const messageErr = h('p', { class: 'field-error', id: 'donate-message-error', role: 'alert', hidden: true });
  const balance = h('p', { class: 'donate-balance', id: 'donate-balance', text: T('donate.balanceLoading') });
  const formErr = h('div', { class: 'form-error', id: 'donate-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'donate-submit', text: T('donate.submitEmpty') });
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', id: 'donate-cancel', text: T('donate.cancel') });
  const form = h(
    'form',
    { class: 'donate-form', id: 'donate-form', novalidate: true },
    h('h2', { id: 'donate-title', text: T('donate.title', { name }) }),
    balance,
    amount.node,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'donate-message', text: T('donate.message') }),
      message,
      h('p', { class: 'field-hint donate-message-foot' }, h('span', { id: 'donate-message-hint', text: T('donate.messageHint') }), counter),
      messageErr,
    ),
    formErr,
    h('div', { class: 'donate-actions' }, cancel, submit),
  );
  const dialog = h('dialog', { class: 'donate-dialog', id: 'donate-dialog', 'aria-labelledby': 'donate-title' }, form);
  let opener = null;
  let key = null;
  let busy = false;
  let succeeded = true; // start every first attempt afresh

  const showCounter = () => {
    const n = chars(message.value);
    setText(counter, T('donate.counter', { n: formatNumber(n), max: MAX_MESSAGE }));
    counter.classList.toggle('over', n > MAX_MESSAGE);
  };
  const showSubmit = () => {
    const v = Number(amount.input.value.replace(/[\s,_]/g, ''));
    setText(submit, Number.isInteger(v) && v >= 1 && v <= MAX_DONATION ? T('donate.submit', { n: formatNumber(v) }) : T('donate.submitEmpty'));
  };
  const clearFormErr = () => {
    formErr.replaceChildren();
    formErr.hidden = true;
  };
  const showFormErr = (...parts) => {
    formErr.replaceChildren(...parts);
    formErr.hidden = false;
  };
  message.addEventListener('input', () => {
    showCounter();
    fieldError(message, messageErr, null);
  });
  amount.input.addEventListener('input', () => {
    showSubmit();
    clearFormErr();
  });
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    if (opener?.isConnected) opener.focus();
  });
  // A click on the backdrop (outside the form's box) closes it too.
  dialog.addEventListener('click', (e) => {
    if (e.target !== dialog || busy) return;
    const r = dialog.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) dialog.close();
  });
  dialog.addEventListener('cancel', (e) => {
    if (busy) e.preventDefault(); // wait for the answer: it says whether points moved
  });

  async function loadBalance() {
    setText(balance, T('donate.balanceLoading'));
    const r = await api('GET', '/api/wallet', undefined, { signal: controller.signal }).catch(() => null);
    if (r?.ok && typeof r.data?.balance === 'number') setText(balance, T('donate.balance', { n: formatNumber(r.data.balance) }));
  }

  function open(btn) {
    opener = btn;
    if (succeeded) {
      amount.set(PRESETS[0]);
      message.value = '';
      fieldError(message, messageErr, null);
      key = newKey();
      succeeded = false;
    }
    clearFormErr();
    showCounter();
    showSubmit();
    setText(done, '');
    dialog.showModal();
    amount.input.focus();
    amount.input.select();
    loadBalance();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    clearFormErr();
    const n = amount.read();
    const text = message.value.trim();
    let bad = n === null;
    if (chars(text) > MAX_MESSAGE) {
      fieldError(message, messageErr, T('donate.err.messageLong', { max: MAX_MESSAGE }));
      bad = true;
    }
    if (bad) {
      form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    let r;
    try {
      r = await api(
        'POST',
        `/api/channels/${encodeURIComponent(name)}/donations`,
        { amount: n, message: text, idempotency_key: key },
        { signal: controller.signal },
      );
    } catch {
      return; // the page went away
    } finally {
      busy = false;
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
    if (r.ok) {
      const d = r.data.donation;
      succeeded = true;
      dialog.close();
      setText(done, T('donate.done', { n: formatNumber(d?.amount ?? n), name }));
      refreshBalance();
      return;
    }
    const code = r.error?.code;
    const msg = r.error?.message || '';
    // The server answered and nothing moved: the next attempt is a new one.
    if (r.status >= 400 && r.status < 500) key = newKey();
    if (code === 'insufficient_funds') {
      const have = typeof r.data?.balance === 'number' ? r.data.balance : 0;
      setText(balance, T('donate.balance', { n: formatNumber(have) }));
      showFormErr(
        h('span', { text: T('donate.err.insufficient', { n: formatNumber(have) }) }),
        ' ',
        h('a', { href: '/wallet', id: 'donate-charge-link', text: T('donate.err.charge'), onclick: () => dialog.close() }),
      );
      amount.input.focus();
    } else if (code === 'validation_failed' && /yourself|own/i.test(msg)) {
      showFormErr(h('span', { text: T('donate.err.self') }));
    } else if (code === 'validation_failed' && /message/i.test(msg)) {
      fieldError(message, messageErr, T('donate.err.messageServer', { msg }));
      message.focus();
    } else if (code === 'validation_failed' && /amount/i.test(msg)) {
      amount.showError(T('donate.err.amountServer', { msg }));
      amount.input.focus();
    } else if (r.status === 404) {
      showFormErr(h('span', { text: T('donate.err.notFound') }));
    } else if (r.status === 401) {
      showFormErr(
        h('span', { text: T('donate.err.login') }),
        ' ',
        h('a', { href: `/login?next=${encodeURIComponent(`/c/${name}`)}`, text: T('auth.login'), onclick: () => dialog.close() }),
      );
    } else if (code === 'network') {
      showFormErr(h('span', { text: T('donate.err.network') }));
    } else if (r.status === 503 || r.status === 429) {
      showFormErr(h('span', { text: T('donate.err.busy') }));
    } else {
      showFormErr(h('span', { text: T('err.generic', { msg: msg || code || '' }) }));
    }
  });

  // ---- the trigger, per who is signed in ----
  let shownFor;
  function renderTrigger() {
    const who = auth.loggedIn ? auth.username || '' : null;
    if (who === shownFor) return;
    shownFor = who;
    if (dialog.open) dialog.close();
    if (who === null) {
      node.replaceChildren(
        h('a', {
          class: 'btn btn-secondary donate-login',
          id: 'donate-login',
          href: `/login?next=${encodeURIComponent(`/c/${name}`)}`,
          text: T('donate.login'),
        }),
      );
    } else if (who.toLowerCase() === name.toLowerCase()) {
      node.replaceChildren(); // no donating to yourself
    } else {
      const btn = h(
        'button',
        { type: 'button', class: 'btn btn-primary donate-button', id: 'donate-button', 'aria-haspopup': 'dialog' },
        h('span', { 'aria-hidden': 'true', text: '💎 ' }),
        h('span', { text: T('donate.button') }),
      );
      btn.addEventListener('click', () => open(btn));
      node.replaceChildren(btn, done, dialog);
    }
  }
  renderTrigger();
  const offAuth = auth.on(renderTrigger);

  return {
    node,
    destroy() {
      offAuth();
      controller.abort();
      if (dialog.open) dialog.close();
    },
  };
}
