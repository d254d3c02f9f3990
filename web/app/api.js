// The REST client and the signed-in session.
//
// Tokens live in localStorage ("onair.auth": access, refresh, exp in ms) so
// every tab shares one session. The access token is refreshed silently a
// little before it expires. Refresh tokens work once (a second use revokes
// the whole session), so tabs take a lock (Web Locks, or a short lease in
// localStorage where those are missing) and re-read the stored pair inside
// it: a tab that finds a pair newer than its own adopts it instead of
// spending the refresh token again.

const STORE_KEY = 'onair.auth';
const LEASE_KEY = 'onair.auth.lease';

const events = new EventTarget();
let session = load(); // {access, refresh, exp, user?: {id, username}}
let timer = null;

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
    return s && s.access && s.refresh && s.exp ? s : null;
  } catch {
    return null;
  }
}

function store(s) {
  try {
    if (s) localStorage.setItem(STORE_KEY, JSON.stringify(s));
    else localStorage.removeItem(STORE_KEY);
  } catch {
    /* private mode: the session lasts as long as the tab */
  }
}

function changed() {
  schedule();
  events.dispatchEvent(new Event('change'));
}

function adopt(s) {
  const was = session?.access;
  session = s;
  if (was !== s?.access) changed();
}

/** The username from the access token's payload (display only; the server checks it). */
function userFromToken(access) {
  try {
    const p = JSON.parse(atob(access.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return { id: Number(p.sub) || p.uid || null, username: p.name || p.username || null };
  } catch {
    return { id: null, username: null };
  }
}

export const auth = {
  get loggedIn() {
    return !!session;
  },
  get token() {
    return session?.access || null;
  },
  get username() {
    return session?.user?.username || null;
  },
  get exp() {
    return session?.exp || 0;
  },
  on(fn) {
    events.addEventListener('change', fn);
    return () => events.removeEventListener('change', fn);
  },
  /** Keeps the pair from a login or refresh answer. */
  set(pair, user) {
    const s = {
      access: pair.access_token,
      refresh: pair.refresh_token,
      exp: Date.now() + (pair.expires_in || 900) * 1000,
      ttl: (pair.expires_in || 900) * 1000,
      user: user || userFromToken(pair.access_token),
    };
    store(s);
    adopt(s);
  },
  setUser(user) {
    if (!session) return;
    session = { ...session, user };
    store(session);
    events.dispatchEvent(new Event('change'));
  },
  /** Forgets the session here (and in every tab). */
  clear() {
    store(null);
    adopt(null);
  },
  async logout() {
    const s = session;
    auth.clear();
    if (s) {
      await fetch('/api/auth/logout', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.access}` },
        body: JSON.stringify({ refresh_token: s.refresh }),
      }).catch(() => {});
    }
  },
  /** Refreshes now if the access token expires within marginMs. */
  async ensureFresh(marginMs = 30_000) {
    if (session && session.exp - Date.now() < marginMs) await refresh();
    return session?.access || null;
  },
  refresh: () => refresh(),
};

// Another tab logged in, refreshed or logged out.
window.addEventListener('storage', (e) => {
  if (e.key === STORE_KEY || e.key === null) adopt(load());
});

function schedule() {
  clearTimeout(timer);
  timer = null;
  if (!session) return;
  const ttl = session.ttl || 900_000;
  const margin = Math.min(60_000, ttl / 4);
  const wait = Math.max(1000, session.exp - margin - Date.now());
  timer = setTimeout(() => refresh().catch(() => {}), Math.min(wait, 2 ** 31 - 1));
}

async function withLock(fn) {
  if (navigator.locks?.request) return navigator.locks.request('onair-auth-refresh', fn);
  // No Web Locks (plain http on a LAN address): a lease in localStorage.
  const me = Math.random().toString(36).slice(2);
  for (let i = 0; i < 50; i++) {
    const lease = JSON.parse(localStorage.getItem(LEASE_KEY) || 'null');
    if (!lease || lease.until < Date.now()) {
      localStorage.setItem(LEASE_KEY, JSON.stringify({ id: me, until: Date.now() + 10_000 }));
      await new Promise((r) => setTimeout(r, 30));
      if (JSON.parse(localStorage.getItem(LEASE_KEY) || 'null')?.id === me) {
        try {
          return await fn();
        } finally {
          localStorage.removeItem(LEASE_KEY);
        }
      }
    }
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
  }
  return fn();
}

let inflight = null;
function refresh() {
  if (!inflight) {
    inflight = withLock(doRefresh).finally(() => {
      inflight = null;
    });
  }
  return inflight;
}

async function doRefresh() {
  const mine = session;
  const cur = load();
  if (!cur) {
    adopt(null);
    return null;
  }
  // Another tab already refreshed: use its pair.
  if (mine && cur.refresh !== mine.refresh && cur.exp - Date.now() > 30_000) {
    adopt(cur);
    return cur.access;
  }
  let res;
  try {
    res = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: cur.refresh }),
    });
  } catch {
    // Offline: try again soon; the access token may still be good.
    clearTimeout(timer);
    timer = setTimeout(() => refresh().catch(() => {}), 5000);
    return cur.access;
  }
  if (res.ok) {
    const pair = await res.json();
    const s = {
      access: pair.access_token,
      refresh: pair.refresh_token,
      exp: Date.now() + pair.expires_in * 1000,
      ttl: pair.expires_in * 1000,
      user: cur.user,
    };
    store(s);
    adopt(s);
    return s.access;
  }
  if (res.status === 401) {
    // Expired, unknown or reused: the session is over.
    store(null);
    adopt(null);
    return null;
  }
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch(() => {}), 5000);
  return cur.access;
}

/**
 * api('GET', '/api/me') -> {ok, status, data, error: {code, message}|null, headers}
 * Sends the access token when signed in (auth: false to not); on
 * token_expired refreshes once and retries. Never throws for HTTP errors; a
 * network failure gives status 0 and error.code "network".
 */
export async function api(method, path, body, { auth: useAuth = true, signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = useAuth ? session?.access : null;
    if (token) headers.authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (err?.name === 'AbortError') throw err;
      return { ok: false, status: 0, data: null, error: { code: 'network', message: String(err?.message || err) } };
    }
    let data = null;
    const text = await res.text();
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    const error = res.ok ? null : data?.error || { code: `http_${res.status}`, message: res.statusText };
    if (res.status === 401 && token && attempt === 0) {
      if (error.code === 'token_expired') {
        if (await refresh()) continue;
      } else if (error.code === 'unauthorized') {
        // Logged out elsewhere or revoked.
        auth.clear();
      }
    }
    return { ok: res.ok, status: res.status, data, error, headers: res.headers };
  }
}

schedule();
