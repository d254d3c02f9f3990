// The app shell: header (logo, nav, language switch, log in / user menu with
// the balance) and client-side routing. Each page module exports
// render(ctx) -> {node, title, destroy?}; ctx = {params, query, signal, navigate}.

import { h, initial } from './dom.js';
import { T, t, setText, getLang, setLang, onLangChange, formatNumber } from './i18n.js';
import { api, auth } from './api.js';

const routes = [
  { re: /^\/$/, load: () => import('./pages/home.js') },
  { re: /^\/c\/([A-Za-z0-9_]{1,64})\/?$/, load: () => import('./pages/watch.js'), keys: ['channel'] },
  { re: /^\/login\/?$/, load: () => import('./pages/auth.js'), mode: 'login' },
  { re: /^\/signup\/?$/, load: () => import('./pages/auth.js'), mode: 'signup' },
  { re: /^\/dashboard\/?$/, load: () => import('./pages/dashboard.js') },
  { re: /^\/wallet\/?$/, load: () => import('./pages/wallet.js') },
  { re: /^\/rooms\/?$/, load: () => import('./pages/rooms.js') },
  { re: /^\/rooms\/([A-Za-z0-9_-]{1,64})\/?$/, load: () => import('./pages/rooms.js'), keys: ['room'] },
  { re: /^\/search\/?$/, load: () => import('./pages/search.js') },
];

const main = document.getElementById('main');
let current = null; // {destroy, controller}
let navSeq = 0;

function match(pathname) {
  for (const r of routes) {
    const m = r.re.exec(pathname);
    if (m) {
      const params = { mode: r.mode };
      (r.keys || []).forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
      return { route: r, params };
    }
  }
  return null;
}

export function navigate(to, { replace = false } = {}) {
  const url = new URL(to, location.origin);
  if (url.origin !== location.origin) {
    location.href = url.href;
    return;
  }
  if (replace) history.replaceState(null, '', url.pathname + url.search + url.hash);
  else history.pushState(null, '', url.pathname + url.search + url.hash);
  route();
}

let routedAt = null; // pathname + search of the page shown

async function route() {
  const seq = ++navSeq;
  routedAt = location.pathname + location.search;
  const focusAtStart = document.activeElement;
  if (current) {
    current.controller.abort();
    try {
      current.destroy?.();
    } catch (e) {
      console.error(e);
    }
    current = null;
  }
  const controller = new AbortController();
  const m = match(location.pathname);
  const ctx = {
    params: m?.params || {},
    query: new URLSearchParams(location.search),
    signal: controller.signal,
    navigate,
  };
  let page;
  try {
    const mod = m ? await m.route.load() : await import('./pages/notfound.js');
    if (seq !== navSeq) return;
    page = await mod.render(ctx);
  } catch (e) {
    if (seq !== navSeq || e?.name === 'AbortError') return;
    console.error(e);
    page = (await import('./pages/notfound.js')).render(ctx, e);
  }
  if (seq !== navSeq) {
    page.destroy?.();
    return;
  }
  current = { destroy: page.destroy, controller };
  main.replaceChildren(page.node);
  main.dataset.page = page.name || 'page';
  setTitle(page.title);
  updateNav();
  // Move focus to the new page's heading so keyboard and screen reader
  // users land on it (but not on the first load, and not away from where
  // the user went while the page loaded, such as a menu they opened).
  if (seq > 1) {
    const h1 = main.querySelector('h1');
    const active = document.activeElement;
    const moved = active && active !== document.body && active !== focusAtStart;
    if (h1 && !moved) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }
}

let titleRef = null;
function setTitle(ref) {
  titleRef = ref;
  const text = typeof ref === 'string' ? ref : ref ? t(ref.i18nKey, ref.args) : '';
  document.title = text ? `${text} · onair` : 'onair';
}
onLangChange(() => setTitle(titleRef));

// Same-origin links to app routes are handled here without a reload.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  if (a.getAttribute('href').startsWith('#')) {
    // In-page links (the skip link): move focus, leave the URL alone.
    const target = document.getElementById(a.getAttribute('href').slice(1));
    if (target) {
      e.preventDefault();
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus();
    }
    return;
  }
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !match(url.pathname)) return;
  e.preventDefault();
  closeMenus();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
});
// Back/forward; a change of the #fragment alone is not a new page.
window.addEventListener('popstate', () => {
  if (location.pathname + location.search !== routedAt) route();
});

// ---- header ----

const header = document.getElementById('site-header');
const navHome = h('a', { href: '/', class: 'nav-link', text: T('nav.home') });
const navDash = h('a', { href: '/dashboard', class: 'nav-link', text: T('nav.dashboard') });
const navRooms = h('a', { href: '/rooms', class: 'nav-link', text: T('nav.rooms') });
const navSearch = h('a', { href: '/search', class: 'nav-link', text: T('nav.search') });
const nav = h('nav', { class: 'main-nav', 'aria-label': T('nav.main') }, navHome, navRooms, navSearch, navDash);

const langBtn = h('button', { type: 'button', class: 'lang-switch', id: 'lang-switch' });
function renderLang() {
  // Names the language you switch to, in that language ("English" / "한국어").
  const to = getLang() === 'ko' ? 'en' : 'ko';
  langBtn.textContent = to === 'en' ? 'English' : '한국어';
  langBtn.lang = to;
  langBtn.dataset.lang = getLang();
}
langBtn.addEventListener('click', () => setLang(getLang() === 'ko' ? 'en' : 'ko'));
onLangChange(renderLang);
renderLang();

const account = h('div', { class: 'account' });
let balance = null;
let balanceTimer = null;

function renderAccount() {
  closeMenus();
  if (!auth.loggedIn) {
    account.replaceChildren(
      h('a', { href: '/login', class: 'btn btn-ghost', id: 'login-link', text: T('auth.login') }),
      h('a', { href: '/signup', class: 'btn btn-primary', id: 'signup-link', text: T('auth.signup') }),
    );
    return;
  }
  const name = auth.username || '';
  const bal = h('span', { class: 'balance', id: 'balance', title: T('user.balance') });
  const balValue = h('span', { class: 'balance-value' });
  bal.append(h('span', { class: 'visually-hidden', text: T('user.balance') }), balValue);
  const showBalance = () => setText(balValue, balance === null ? '…' : T('points', { n: formatNumber(balance) }));
  showBalance();
  const menuId = 'user-menu';
  const btn = h(
    'button',
    {
      type: 'button',
      class: 'user-button',
      id: 'user-button',
      'aria-haspopup': 'true',
      'aria-expanded': 'false',
      'aria-controls': menuId,
    },
    h('span', { class: 'avatar avatar-sm', 'aria-hidden': 'true', text: initial(name) }),
    h('span', { class: 'user-name', text: name }),
  );
  const menu = h(
    'ul',
    { class: 'menu', id: menuId, hidden: true },
    h('li', {}, h('a', { href: `/c/${encodeURIComponent(name)}`, text: T('user.myChannel') })),
    h('li', {}, h('a', { href: '/dashboard', text: T('nav.dashboard') })),
    h('li', {}, h('a', { href: '/wallet', id: 'wallet-link', text: T('user.wallet') })),
    h(
      'li',
      {},
      h('button', {
        type: 'button',
        id: 'logout',
        text: T('auth.logout'),
        onclick: async () => {
          await auth.logout();
          navigate('/');
        },
      }),
    ),
  );
  const setOpen = (open) => {
    menu.hidden = !open;
    btn.setAttribute('aria-expanded', String(open));
    if (open) menu.querySelector('a,button')?.focus();
  };
  btn.addEventListener('click', () => setOpen(menu.hidden));
  menu.addEventListener('keydown', (e) => {
    const items = [...menu.querySelectorAll('a,button')];
    const i = items.indexOf(document.activeElement);
    if (e.key === 'Escape') {
      setOpen(false);
      btn.focus();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      items[(i + 1) % items.length].focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      items[(i - 1 + items.length) % items.length].focus();
    }
  });
  const wrap = h('div', { class: 'user-menu' }, btn, menu);
  wrap.addEventListener('focusout', (e) => {
    if (!wrap.contains(e.relatedTarget)) setOpen(false);
  });
  account.replaceChildren(bal, wrap);
  account.showBalance = showBalance;
}

function closeMenus() {
  for (const m of document.querySelectorAll('.menu')) {
    m.hidden = true;
    m.parentElement?.querySelector('[aria-expanded]')?.setAttribute('aria-expanded', 'false');
  }
}
document.addEventListener('click', (e) => {
  if (!e.target.closest('.user-menu')) closeMenus();
});

export async function refreshBalance() {
  if (!auth.loggedIn) return;
  const r = await api('GET', '/api/wallet');
  if (r.ok && typeof r.data?.balance === 'number') {
    balance = r.data.balance;
    account.showBalance?.();
  }
}

function updateNav() {
  navDash.hidden = !auth.loggedIn;
  for (const a of nav.querySelectorAll('a')) {
    const here = new URL(a.href).pathname === location.pathname;
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

let lastUser = undefined;
function onAuthChange() {
  const who = auth.loggedIn ? auth.username : null;
  if (who === lastUser) return; // only the token was refreshed
  lastUser = who;
  balance = null;
  renderAccount();
  updateNav();
  clearInterval(balanceTimer);
  if (auth.loggedIn) {
    refreshBalance();
    balanceTimer = setInterval(refreshBalance, 30_000);
  }
}
auth.on(onAuthChange);

header.replaceChildren(
  h(
    'div',
    { class: 'header-inner' },
    h('a', { href: '/', class: 'logo' }, h('span', { class: 'logo-dot', 'aria-hidden': 'true' }), 'onair'),
    nav,
    h('div', { class: 'header-end' }, langBtn, account),
  ),
);
setText(document.getElementById('skip-link'), T('app.skip'));
onAuthChange();

// For the end-to-end tests and for debugging from the console.
window.onair = { navigate, auth, debug: {} };

route();
