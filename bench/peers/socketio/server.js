// The Socket.IO v4 chat server that bench/chat.sh measures onair against:
// the plain way a Node chat is built on Socket.IO (one process, in-memory
// adapter, websocket transport only), doing the same job per message as
// onair's /ws: join a room, send into it, every member of the room gets the
// event (the sender included), the sender gets an acknowledgement.
//
//   PORT=3001 node bench/peers/socketio/server.js      (HOST: 127.0.0.1)
//
// Events (Engine.IO v4 over websocket, GET /socket.io/?EIO=4&transport=websocket):
//   client -> server  42["join","room"]                -> 42["joined",{"room","viewers"}]
//   client -> server  42<id>["message",{"room","text","client_id"}]
//                     -> every member: 42["message",{"room","user","text","ts","client_id"},"<offset>"]
//                     -> the sender:   43<id>[{"ok":true,"client_id"}]
// Connection state recovery is on (Socket.IO >= 4.6): a client that comes
// back within 2 minutes with its pid and last offset gets what it missed,
// which is what chat-recover measures. GET /healthz answers 200.
'use strict';

const http = require('node:http');
const { Server } = require('socket.io');

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 3001);
const MAX_TEXT = 500;

const httpServer = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  res.writeHead(404);
  res.end();
});
httpServer.maxConnections = 1_000_000;

const io = new Server(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 16 * 1024,
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true },
});

let nextUser = 0;
io.on('connection', (socket) => {
  const user = { id: ++nextUser, name: `guest${nextUser}` };
  socket.on('join', (room) => {
    if (typeof room !== 'string' || room.length === 0 || room.length > 128) return;
    socket.join(room);
    socket.emit('joined', { room, viewers: io.sockets.adapter.rooms.get(room)?.size ?? 0 });
  });
  socket.on('message', (msg, ack) => {
    const ok =
      msg &&
      typeof msg.room === 'string' &&
      typeof msg.text === 'string' &&
      msg.text.length > 0 &&
      msg.text.length <= MAX_TEXT &&
      socket.rooms.has(msg.room);
    if (!ok) {
      if (typeof ack === 'function') ack({ error: 'bad_request', client_id: msg?.client_id });
      return;
    }
    const ev = { room: msg.room, user, text: msg.text, ts: Date.now() };
    if (typeof msg.client_id === 'string') ev.client_id = msg.client_id;
    io.to(msg.room).emit('message', ev);
    if (typeof ack === 'function') ack({ ok: true, client_id: ev.client_id });
  });
});

httpServer.listen(port, host, () => {
  process.stderr.write(`socket.io peer listening on ${host}:${httpServer.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    io.close();
    process.exit(0);
  });
}
