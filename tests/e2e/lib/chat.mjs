// A small WebSocket chat client for the tests (the `ws` package from npm).

import WebSocket from 'ws';
import { sleep } from './server.mjs';

const open = new Set();
process.on('exit', () => {
  for (const ws of open) ws.terminate();
});

/** Connects to srv's /ws (with ?token= when given). Resolves once open. */
export function connect(srv, token, { t } = {}) {
  const url = `ws://127.0.0.1:${srv.port}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const c = {
      ws,
      msgs: [],
      closed: null,
      send(obj) {
        ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
      },
      /** Waits for a message matching pred (checking ones already received). */
      async next(pred, timeoutMs = 5000) {
        const deadline = Date.now() + timeoutMs;
        let i = 0;
        for (;;) {
          for (; i < c.msgs.length; i++) if (pred(c.msgs[i])) return c.msgs[i];
          if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(c.msgs.slice(-5))}`);
          await sleep(10);
        }
      },
      of(type) {
        return c.msgs.filter((m) => m.type === type);
      },
      async waitClosed(timeoutMs = 5000) {
        const deadline = Date.now() + timeoutMs;
        while (!c.closed && Date.now() < deadline) await sleep(10);
        return c.closed;
      },
      close() {
        ws.terminate();
      },
    };
    ws.on('message', (d) => c.msgs.push(JSON.parse(d.toString())));
    ws.on('close', (code, reason) => {
      open.delete(ws);
      c.closed = { code, reason: reason.toString() };
    });
    ws.on('open', () => {
      open.add(ws);
      resolve(c);
    });
    ws.on('error', (e) => {
      if (!c.closed) reject(e);
    });
    if (t) t.after(() => ws.terminate());
  });
}

/** Joins room and waits for `joined`. */
export async function join(c, room, since) {
  c.send(since === undefined ? { type: 'join', room } : { type: 'join', room, since });
  return c.next((m) => m.type === 'joined' && m.room === room);
}
