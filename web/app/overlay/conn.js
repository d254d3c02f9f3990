// The overlay's WebSocket: anonymous, one room, reconnecting by itself.
//
// The first join has no `since`, so the overlay starts at the live edge
// (an OBS scene switched on does not replay yesterday's donations): the
// `joined` answer's last_seq is where it starts. After a drop it joins
// with `since` = the newest seq it has seen, so nothing said meanwhile is
// lost, and events it has seen already are skipped.

const PING_MS = 20_000;

export class OverlayConnection {
  /**
   * room: "channel:{name}". handlers: onEvent(ev) for room events in seq
   * order, onState('connecting'|'open'|'reconnecting'), beforeReconnect()
   * resolving false to stop (the key was rotated away).
   */
  constructor(room, handlers) {
    this.room = room;
    this.h = handlers;
    this.ws = null;
    this.lastSeq = null; // null until the first `joined`
    this.tries = 0;
    this.timer = null;
    this.ping = null;
    this.closed = false;
  }

  start() {
    this.connect();
  }

  connect() {
    if (this.closed) return;
    this.h.onState?.(this.tries ? 'reconnecting' : 'connecting');
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws`);
    this.ws = ws;
    ws.onopen = () => {
      // An overlay in OBS follows the room; it is not a viewer.
      const join = { type: 'join', room: this.room, viewer: false };
      if (this.lastSeq !== null) join.since = this.lastSeq;
      ws.send(JSON.stringify(join));
      clearInterval(this.ping);
      this.ping = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
      }, PING_MS);
    };
    ws.onmessage = (m) => {
      if (this.ws !== ws) return;
      let ev;
      try {
        ev = JSON.parse(m.data);
      } catch {
        return;
      }
      if (!ev || typeof ev !== 'object') return;
      if (ev.type === 'joined' && ev.room === this.room) {
        this.tries = 0;
        if (this.lastSeq === null) this.lastSeq = Number(ev.last_seq) || 0;
        this.h.onState?.('open');
        return;
      }
      if (ev.type === 'reset' && ev.room === this.room) return; // only newer events follow
      if (ev.room !== this.room) return;
      const seq = ev.event_seq ?? ev.seq;
      if (typeof seq === 'number') {
        if (this.lastSeq !== null && seq <= this.lastSeq) return; // seen already
        this.lastSeq = seq;
      }
      this.h.onEvent(ev);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.ping);
      if (this.closed) return;
      this.tries++;
      this.h.onState?.('reconnecting');
      const delay = Math.min(10_000, 500 * 2 ** Math.min(this.tries, 5)) * (0.75 + Math.random() / 2);
      this.timer = setTimeout(async () => {
        if (this.h.beforeReconnect && !(await this.h.beforeReconnect())) return;
        this.connect();
      }, delay);
    };
  }

  /** Drops the connection as if the network had (tests, and a stale socket). */
  drop() {
    this.ws?.close();
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.ping);
    this.ws?.close();
    this.ws = null;
  }
}
