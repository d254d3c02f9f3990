// The wallet /wallet: the balance, charging points through a payment
// provider (the built-in test provider here: the browser goes to its page,
// the user approves or cancels, and the server sends the browser back to
// /wallet?payment={id}&status={outcome}), and the history of charges and of
// donations sent and received, each a page at a time.

import { h, fieldError, useStyle } from '../dom.js';
import { T, setText, addStrings, formatNumber, formatDateTime } from '../i18n.js';
import { api, auth } from '../api.js';
import { refreshBalance } from '../main.js';

const PRESETS = [1000, 5000, 10000, 50000];
const MAX_CHARGE = 1_000_000; // the server's default max-charge; it has the last word
const PAGE = 20;


addStrings({
  ko: {
    'wallet.title': '지갑',
    'wallet.loginInvite': '포인트를 충전하고 내역을 보려면 로그인하세요.',
    'wallet.balance': '보유 포인트',
    'wallet.charge': '포인트 충전',
    'wallet.chargeHelp': '1포인트는 1원입니다. 테스트 결제는 실제로 돈이 나가지 않습니다.',
    'wallet.amount': '충전할 포인트',
    'wallet.amountHint': '1 ~ {max}P',
    'wallet.presets': '빠른 선택',
    'wallet.preset': '{n}P',
    'wallet.chargeSubmit': '{n}P 충전하기',
    'wallet.chargeSubmitEmpty': '충전하기',
    'wallet.err.amountRequired': '충전할 포인트를 입력하세요.',
    'wallet.err.amountInteger': '포인트는 1 이상의 정수로 입력하세요.',
    'wallet.err.amountMax': '한 번에 최대 {max}P까지 충전할 수 있습니다.',
    'wallet.err.amountServer': '충전할 수 없는 금액입니다: {msg}',
    'wallet.err.providerUnavailable': '이 서버에서는 테스트 결제를 사용할 수 없습니다. 관리자에게 문의하세요.',
    'wallet.err.providerError': '결제 서비스가 응답하지 않았습니다. 충전되지 않았으니 잠시 후 다시 시도하세요.',
    'wallet.redirecting': '결제 페이지로 이동하는 중…',
    'wallet.res.approved': '{n}P가 충전되었습니다.',
    'wallet.res.approvedNoAmount': '포인트가 충전되었습니다.',
    'wallet.res.cancelled': '결제를 취소했습니다. 충전된 포인트는 없습니다.',
    'wallet.res.failed': '결제에 실패했습니다. 충전된 포인트는 없습니다.',
    'wallet.res.expired': '결제 시간이 지났습니다. 충전된 포인트는 없습니다. 다시 시도하세요.',
    'wallet.res.already_approved': '이미 승인된 결제입니다. 포인트는 한 번만 충전됩니다.',
    'wallet.res.bad_token': '결제를 확인하지 못했습니다. 충전된 포인트는 없습니다.',
    'wallet.res.not_found': '해당 결제를 찾을 수 없습니다.',
    'wallet.res.amount_mismatch': '결제 금액이 맞지 않아 결제를 취소하고 환불했습니다. 충전된 포인트는 없습니다.',
    'wallet.res.provider_unavailable': '이 결제 수단은 지금 사용할 수 없습니다. 충전된 포인트는 없습니다.',
    'wallet.res.provider_error': '결제 서비스가 응답하지 않았습니다. 충전된 포인트는 없습니다. 다시 시도하세요.',
    'wallet.res.other': '결제가 완료되지 않았습니다 ({code}). 충전된 포인트는 없습니다.',
    'wallet.dismiss': '닫기',
    'wallet.charges': '충전 내역',
    'wallet.noCharges': '아직 충전 내역이 없습니다.',
    'wallet.donations': '후원 내역',
    'wallet.sent': '보낸 후원',
    'wallet.received': '받은 후원',
    'wallet.noSent': '아직 보낸 후원이 없습니다.',
    'wallet.noReceived': '아직 받은 후원이 없습니다.',
    'wallet.more': '더 보기',
    'wallet.loadFailed': '내역을 불러오지 못했습니다.',
    'wallet.plus': '+{n}P',
    'wallet.minus': '−{n}P',
    'wallet.to': '받는 채널',
    'wallet.from': '보낸 사람',
    'wallet.status.ready': '대기 중',
    'wallet.status.approved': '충전 완료',
    'wallet.status.cancelled': '취소됨',
    'wallet.status.failed': '실패',
    'wallet.status.expired': '만료됨',
    'wallet.provider.test': '테스트 결제',
    'wallet.provider.kakaopay': '카카오페이',
    'wallet.date': (a) => formatDateTime(a.ts, 'ko'),
  },
  en: {
    'wallet.title': 'Wallet',
    'wallet.loginInvite': 'Log in to charge points and see your history.',
    'wallet.balance': 'Your points',
    'wallet.charge': 'Charge points',
    'wallet.chargeHelp': 'One point is one won. The test provider moves no real money.',
    'wallet.amount': 'Points to charge',
    'wallet.amountHint': '1 to {max} P',
    'wallet.presets': 'Quick amounts',
    'wallet.preset': '{n} P',
    'wallet.chargeSubmit': 'Charge {n} P',
    'wallet.chargeSubmitEmpty': 'Charge',
    'wallet.err.amountRequired': 'Enter how many points to charge.',
    'wallet.err.amountInteger': 'Enter a whole number of points, 1 or more.',
    'wallet.err.amountMax': 'You can charge at most {max} P at a time.',
    'wallet.err.amountServer': 'That amount cannot be charged: {msg}',
    'wallet.err.providerUnavailable': 'Test payments are turned off on this server. Ask its operator.',
    'wallet.err.providerError': 'The payment provider did not answer. Nothing was charged; try again shortly.',
    'wallet.redirecting': 'Going to the payment page…',
    'wallet.res.approved': '{n} points charged.',
    'wallet.res.approvedNoAmount': 'Points charged.',
    'wallet.res.cancelled': 'Payment cancelled. Nothing was charged.',
    'wallet.res.failed': 'The payment failed. Nothing was charged.',
    'wallet.res.expired': 'The payment expired before it was approved. Nothing was charged; try again.',
    'wallet.res.already_approved': 'This payment was approved before. Points are charged only once.',
    'wallet.res.bad_token': 'The payment could not be verified. Nothing was charged.',
    'wallet.res.not_found': 'No such payment.',
    'wallet.res.amount_mismatch': 'The provider took a different amount, so the payment was cancelled and refunded. Nothing was charged.',
    'wallet.res.provider_unavailable': 'This payment provider is not available. Nothing was charged.',
    'wallet.res.provider_error': 'The payment provider did not answer. Nothing was charged; try again.',
    'wallet.res.other': 'The payment did not complete ({code}). Nothing was charged.',
    'wallet.dismiss': 'Dismiss',
    'wallet.charges': 'Charges',
    'wallet.noCharges': 'No charges yet.',
    'wallet.donations': 'Donations',
    'wallet.sent': 'Sent',
    'wallet.received': 'Received',
    'wallet.noSent': 'You have not donated yet.',
    'wallet.noReceived': 'No donations received yet.',
    'wallet.more': 'Show more',
    'wallet.loadFailed': 'Could not load the history.',
    'wallet.plus': '+{n} P',
    'wallet.minus': '−{n} P',
    'wallet.to': 'To',
    'wallet.from': 'From',
    'wallet.status.ready': 'Waiting',
    'wallet.status.approved': 'Charged',
    'wallet.status.cancelled': 'Cancelled',
    'wallet.status.failed': 'Failed',
    'wallet.status.expired': 'Expired',
    'wallet.provider.test': 'Test payment',
    'wallet.provider.kakaopay': 'KakaoPay',
    'wallet.date': (a) => formatDateTime(a.ts, 'en'),
  },
});

const RESULT_CODES = new Set([
  'approved',
  'cancelled',
  'failed',
  'expired',
  'already_approved',
  'bad_token',
  'not_found',
  'amount_mismatch',
  'provider_unavailable',
  'provider_error',
]);
const PAYMENT_ID_RE = /^pay_[A-Za-z0-9_-]{1,64}$/;

/** A whole number of points from what was typed ("5,000" and "5 000" too), or NaN. */
export function parsePoints(text) {
  const s = String(text).replace(/[\s,_]/g, '');
  return /^\d{1,9}$/.test(s) ? Number(s) : NaN;
}

/** The amount field with preset buttons that fill it; shared with the donate dialog. */
export function amountField({ id, label, presets, max, hint, maxKey = 'wallet.err.amountMax' }) {
  const input = h('input', {
    id,
    name: id,
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'off',
    required: true,
    'aria-describedby': `${id}-hint ${id}-error`,
  });
  const err = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
  const buttons = presets.map((n) =>
    h('button', {
      type: 'button',
      class: 'btn btn-secondary amount-preset',
      dataset: { amount: String(n) },
      'aria-pressed': 'false',
      text: T('wallet.preset', { n: formatNumber(n) }),
      onclick: () => {
        input.value = String(n);
        input.dispatchEvent(new Event('input'));
      },
    }),
  );
  const sync = () => {
    const v = parsePoints(input.value);
    for (const b of buttons) b.setAttribute('aria-pressed', String(Number(b.dataset.amount) === v));
  };
  input.addEventListener('input', () => {
    fieldError(input, err, null);
    sync();
  });
  const node = h(
    'div',
    { class: 'field amount-field' },
    h('label', { for: id, text: label }),
    h('div', { class: 'amount-presets', role: 'group', 'aria-label': T('wallet.presets') }, buttons),
    input,
    h('p', { class: 'field-hint', id: `${id}-hint`, text: hint }),
    err,
  );
  /** The amount, or null after showing what is wrong next to the field. */
  const read = () => {
    const raw = input.value.trim();
    const v = parsePoints(raw);
    let msg = null;
    if (!raw) msg = T('wallet.err.amountRequired');
    else if (!(v >= 1)) msg = T('wallet.err.amountInteger');
    else if (v > max) msg = T(maxKey, { max: formatNumber(max) });
    fieldError(input, err, msg);
    return msg ? null : v;
  };
  const set = (n) => {
    input.value = n ? String(n) : '';
    fieldError(input, err, null);
    sync();
  };
  return { node, input, err, read, set, showError: (msg) => fieldError(input, err, msg) };
}

function when(iso) {
  const ts = Date.parse(iso);
  return Number.isFinite(ts) ? h('time', { datetime: iso, text: T('wallet.date', { ts }) }) : null;
}

function paymentStatus(p) {
  if (p.status === 'ready' && Date.parse(p.expires_at) <= Date.now()) return 'expired';
  return ['ready', 'approved', 'cancelled', 'failed'].includes(p.status) ? p.status : 'failed';
}

function chargeItem(p) {
  const status = paymentStatus(p);
  return h(
    'li',
    { class: `history-item charge-item is-${status}`, dataset: { id: p.id, status } },
    h('span', { class: 'history-amount', text: T('wallet.plus', { n: formatNumber(p.amount) }) }),
    h('span', { class: `status-badge status-${status}`, text: T(`wallet.status.${status}`) }),
    h('span', { class: 'history-meta' }, p.provider === 'kakaopay' ? T('wallet.provider.kakaopay') : T('wallet.provider.test'), ' · ', when(p.created_at)),
  );
}

function donationItem(d, dir) {
  const other = dir === 'sent' ? d.to : d.from;
  const name = other?.name || '?';
  const who =
    dir === 'sent'
      ? h('a', { href: `/c/${encodeURIComponent(name)}`, class: 'history-who', text: name })
      : h('span', { class: 'history-who', text: name });
  return h(
    'li',
    { class: `history-item donation-item`, dataset: { id: String(d.id), dir } },
    h('span', { class: 'history-amount', text: T(dir === 'sent' ? 'wallet.minus' : 'wallet.plus', { n: formatNumber(d.amount) }) }),
    h('span', { class: 'history-party' }, h('span', { class: 'history-label', text: T(dir === 'sent' ? 'wallet.to' : 'wallet.from') }), ' ', who),
    d.message ? h('span', { class: 'history-message', text: d.message }) : null,
    h('span', { class: 'history-meta' }, when(d.created_at)),
  );
}

/**
 * A list that loads a page at a time: fetchPage(cursor) -> {items, next}
 * (next null on the last page); item(x) builds a row.
 */
function pagedList({ id, empty, fetchPage, item, signal }) {
  const list = h('ul', { class: 'history-list', id });
  const status = h('p', { class: 'empty', id: `${id}-status`, hidden: true });
  const more = h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: `${id}-more`, hidden: true, text: T('wallet.more') });
  let next = null;
  let count = 0;
  async function load(first) {
    more.disabled = true;
    let page;
    try {
      page = await fetchPage(first ? null : next, signal);
    } catch (e) {
      if (e?.name === 'AbortError') return;
      page = null;
    }
    more.disabled = false;
    if (!page) {
      setText(status, T('wallet.loadFailed'));
      status.hidden = false;
      return;
    }
    const rows = page.items.map(item);
    list.append(...rows);
    count += rows.length;
    next = page.next;
    more.hidden = next === null || next === undefined;
    setText(status, count ? '' : empty);
    status.hidden = count > 0;
    // Keyboard users who asked for more land on the first new row's link or the list.
    if (!first && rows.length) {
      rows[0].setAttribute('tabindex', '-1');
      rows[0].focus();
    }
  }
  more.addEventListener('click', () => load(false));
  const node = h('div', { class: 'history' }, list, status, h('div', { class: 'history-more' }, more));
  return { node, load: () => load(true) };
}

async function listPage(path, key, cursorKey, signal) {
  const r = await api('GET', path, undefined, { signal });
  if (!r.ok) return null;
  return { items: r.data[key] || [], next: r.data[cursorKey] ?? null };
}

/** The banner for /wallet?payment=&status= (the provider's way back). */
async function resultBanner(query, signal) {
  const status = query.get('status');
  const id = query.get('payment');
  if (!status) return null;
  const code = RESULT_CODES.has(status) ? status : 'other';
  let text;
  if (code === 'approved') {
    let amount = null;
    if (id && PAYMENT_ID_RE.test(id)) {
      const r = await api('GET', `/api/payments/${encodeURIComponent(id)}`, undefined, { signal });
      if (r.ok && r.data?.payment?.status === 'approved') amount = r.data.payment.amount;
    }
    text = amount === null ? T('wallet.res.approvedNoAmount') : T('wallet.res.approved', { n: formatNumber(amount) });
  } else {
    text = T(`wallet.res.${code}`, { code: status.slice(0, 40) });
  }
  const kind = code === 'approved' ? 'ok' : code === 'cancelled' || code === 'already_approved' ? 'info' : 'error';
  const msg = h('p', { class: 'wallet-banner-text', text });
  const banner = h(
    'div',
    { class: `wallet-banner is-${kind}`, id: 'wallet-result', role: kind === 'error' ? 'alert' : 'status', dataset: { status: code } },
    msg,
  );
  banner.append(
    h('button', {
      type: 'button',
      class: 'btn btn-ghost btn-small',
      id: 'wallet-result-dismiss',
      text: T('wallet.dismiss'),
      onclick: () => banner.remove(),
    }),
  );
  return banner;
}

export async function render(ctx) {
  useStyle('/app/pages/wallet.css');
  if (!auth.loggedIn) {
    // Come back here after logging in, with the payment's outcome if there is one.
    const back = encodeURIComponent(`/wallet${location.search}`);
    const node = h(
      'div',
      { class: 'page narrow wallet' },
      h('h1', { text: T('wallet.title') }),
      h(
        'div',
        { class: 'panel wallet-invite', id: 'wallet-invite' },
        h('p', { text: T('wallet.loginInvite') }),
        h(
          'div',
          { class: 'row' },
          h('a', { class: 'btn btn-primary', href: `/login?next=${back}`, text: T('auth.login') }),
          h('a', { class: 'btn btn-ghost', href: `/signup?next=${back}`, text: T('auth.signup') }),
        ),
      ),
    );
    return { node, name: 'wallet', title: T('wallet.title') };
  }

  // Back from the provider: show the outcome once, and drop it from the URL so
  // a reload or a shared link does not show it again.
  const banner = await resultBanner(ctx.query, ctx.signal);
  if (ctx.query.has('payment') || ctx.query.has('status')) history.replaceState(null, '', '/wallet');
  if (banner?.dataset.status === 'approved') refreshBalance();

  // ---- balance ----
  const balanceValue = h('span', { class: 'wallet-balance-value', id: 'wallet-balance', text: '…' });
  const showBalance = (n) => setText(balanceValue, T('points', { n: formatNumber(n) }));
  const balanceCard = h(
    'section',
    { class: 'panel wallet-balance-card', 'aria-labelledby': 'wallet-balance-heading' },
    h('h2', { id: 'wallet-balance-heading', text: T('wallet.balance') }),
    h('p', { class: 'wallet-balance' }, balanceValue),
  );

  // ---- charge ----
  const amount = amountField({
    id: 'charge-amount',
    label: T('wallet.amount'),
    presets: PRESETS,
    max: MAX_CHARGE,
    hint: T('wallet.amountHint', { max: formatNumber(MAX_CHARGE) }),
  });
  const formErr = h('p', { class: 'form-error', id: 'charge-error', role: 'alert', hidden: true });
  const formOk = h('p', { class: 'form-ok', id: 'charge-status', role: 'status', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', id: 'charge-submit', text: T('wallet.chargeSubmitEmpty') });
  const showSubmit = () => {
    const v = parsePoints(amount.input.value);
    setText(submit, v >= 1 && v <= MAX_CHARGE ? T('wallet.chargeSubmit', { n: formatNumber(v) }) : T('wallet.chargeSubmitEmpty'));
  };
  amount.input.addEventListener('input', () => {
    showSubmit();
    formErr.hidden = true;
  });
  const form = h('form', { class: 'charge-form', id: 'charge-form', novalidate: true }, amount.node, formErr, formOk, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formErr.hidden = true;
    const n = amount.read();
    if (n === null) {
      amount.input.focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    let r;
    try {
      r = await api('POST', '/api/payments', { amount: n, provider: 'test' }, { signal: ctx.signal });
    } catch {
      return; // left the page
    }
    if (r.ok && typeof r.data?.next_url === 'string') {
      const next = new URL(r.data.next_url, location.href);
      if (next.protocol === 'https:' || next.protocol === 'http:') {
        setText(formOk, T('wallet.redirecting'));
        formOk.hidden = false;
        location.assign(next.href);
        return; // the button stays disabled: one payment per click
      }
    }
    submit.disabled = false;
    form.removeAttribute('aria-busy');
    const code = r.error?.code;
    if (code === 'validation_failed' && /amount/i.test(r.error?.message || '')) {
      amount.showError(T('wallet.err.amountServer', { msg: r.error.message }));
      amount.input.focus();
      return;
    }
    let msg;
    if (code === 'provider_unavailable') msg = T('wallet.err.providerUnavailable');
    else if (code === 'provider_error') msg = T('wallet.err.providerError');
    else if (code === 'network') msg = T('err.network');
    else msg = T('err.generic', { msg: r.error?.message || code || '' });
    setText(formErr, msg);
    formErr.hidden = false;
  });
  const chargeCard = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'charge-heading' },
    h('h2', { id: 'charge-heading', text: T('wallet.charge') }),
    h('p', { class: 'field-hint charge-help', text: T('wallet.chargeHelp') }),
    form,
  );

  // ---- history ----
  const charges = pagedList({
    id: 'charges-list',
    empty: T('wallet.noCharges'),
    signal: ctx.signal,
    item: chargeItem,
    fetchPage: (before, signal) =>
      listPage(`/api/payments?limit=${PAGE}${before !== null ? `&before=${encodeURIComponent(before)}` : ''}`, 'payments', 'next_before', signal),
  });
  const donations = (dir) =>
    pagedList({
      id: `donations-${dir}`,
      empty: T(dir === 'sent' ? 'wallet.noSent' : 'wallet.noReceived'),
      signal: ctx.signal,
      item: (d) => donationItem(d, dir),
      fetchPage: (before, signal) =>
        listPage(
          `/api/me/donations?direction=${dir}&limit=${PAGE}${before !== null ? `&before_id=${encodeURIComponent(before)}` : ''}`,
          'donations',
          'next_before_id',
          signal,
        ),
    });
  const sent = donations('sent');
  const received = donations('received');
  const chargesCard = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'charges-heading' },
    h('h2', { id: 'charges-heading', text: T('wallet.charges') }),
    charges.node,
  );
  const donationsCard = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'donations-heading' },
    h('h2', { id: 'donations-heading', text: T('wallet.donations') }),
    h('div', { class: 'donation-cols' },
      h('section', { 'aria-labelledby': 'donations-sent-heading' }, h('h3', { id: 'donations-sent-heading', text: T('wallet.sent') }), sent.node),
      h('section', { 'aria-labelledby': 'donations-received-heading' }, h('h3', { id: 'donations-received-heading', text: T('wallet.received') }), received.node),
    ),
  );

  const node = h(
    'div',
    { class: 'page wallet' },
    h('h1', { text: T('wallet.title') }),
    banner,
    h(
      'div',
      { class: 'wallet-grid' },
      h('div', { class: 'wallet-col' }, balanceCard, chargeCard),
      h('div', { class: 'wallet-col' }, chargesCard, donationsCard),
    ),
  );

  const [w] = await Promise.all([api('GET', '/api/wallet', undefined, { signal: ctx.signal }), charges.load(), sent.load(), received.load()]);
  if (w.ok && typeof w.data?.balance === 'number') showBalance(w.data.balance);

  return { node, name: 'wallet', title: T('wallet.title') };
}
