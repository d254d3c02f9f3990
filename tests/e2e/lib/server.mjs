// Black-box test harness for the onair server.
//
// Starts the real binary on free loopback ports with a throw-away data dir and
// web root, waits for /healthz, and offers small HTTP helpers:
//   - api()        : JSON requests over fetch
//   - rawRequest() : exact bytes over node:net, returns everything received
//   - rawConnect() : a raw connection kept open for keep-alive / slow clients
//   - parseResponses(): a strict-enough HTTP/1.x response parser for raw bytes
//
// Servers and raw sockets are always cleaned up: startServer({t}) registers a
// t.after hook; the `test` wrapper exported here destroys raw sockets a test
// left open and dumps server logs when a test fails; a process 'exit' hook
// SIGKILLs (by PID) any child that is somehow still alive.

import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..', '..');
export const ONAIR_BIN = process.env.ONAIR_BIN
  ? path.resolve(process.env.ONAIR_BIN)
  : path.join(REPO_ROOT, 'build', 'onair');

export const HOST = '127.0.0.1';
// Sanitizer builds (make e2e-asan sets ONAIR_SANITIZED=1) start and stop more slowly.
export const SANITIZED = !!process.env.ONAIR_SANITIZED;
export const STARTUP_TIMEOUT_MS = SANITIZED ? 20_000 : 10_000;
const CLEANUP_GRACE_MS = SANITIZED ? 10_000 : 5_000;
const SANITIZER_RE = /ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer/;
export const DEFAULT_TEST_TIMEOUT_MS = 20_000;
const LOG_CAP_BYTES = 1 << 20; // keep at most the last 1 MiB per stream
const LOG_DUMP_LINES = 60; // lines per stream shown when a test fails

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// Process bookkeeping: every child we spawn, every raw socket we open.

const liveChildren = new Map(); // pid -> ChildProcess
const allServers = new Set(); // server handles, for log dumps
const openSockets = new Set(); // raw net.Sockets opened by tests

function killAllChildrenSync() {
  for (const [pid] of liveChildren) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveChildren.clear();
}
process.on('exit', killAllChildrenSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killAllChildrenSync();
    process.exit(128 + (os.constants.signals[sig] ?? 1));
  });
}

// ---------------------------------------------------------------------------
// Test wrapper: default timeout, log dump on failure, raw socket cleanup.

/**
 * Like node:test's `test`, but
 *  - applies a timeout (opts.timeout, default 20 s; doubled for sanitizer
 *    builds) that we enforce ourselves so that server logs can be dumped when it fires,
 *  - on failure prints the stdout/stderr of every server that was alive
 *    during the test as test diagnostics,
 *  - destroys raw sockets the test left open.
 */
export function test(name, opts, fn) {
  if (typeof opts === 'function') {
    fn = opts;
    opts = {};
  }
  const timeout = (opts.timeout ?? DEFAULT_TEST_TIMEOUT_MS) * (SANITIZED ? 2 : 1);
  return nodeTest(name, { ...opts, timeout: timeout + 5_000 }, async (t) => {
    const startedAt = Date.now();
    const socketsBefore = new Set(openSockets);
    let timer;
    try {
      await Promise.race([
        fn(t),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`test timed out after ${timeout} ms`)),
            timeout,
          );
        }),
      ]);
    } catch (err) {
      dumpServerLogs(t, startedAt);
      throw err;
    } finally {
      clearTimeout(timer);
      for (const s of openSockets) {
        if (!socketsBefore.has(s)) {
          s.destroy();
          openSockets.delete(s);
        }
      }
    }
  });
}

function dumpServerLogs(t, since) {
  for (const srv of allServers) {
    if (srv.stoppedAt !== null && srv.stoppedAt < since) continue;
    const lines = [`----- onair server ${srv.url} (pid ${srv.proc?.pid}) ${srv.statusLine()} -----`];
    for (const [label, text] of [['stdout', srv.stdoutText()], ['stderr', srv.stderrText()]]) {
      const all = text.split('\n');
      if (all.length && all[all.length - 1] === '') all.pop();
      const tail = all.slice(-LOG_DUMP_LINES);
      lines.push(`[${label}: last ${tail.length} of ${all.length} lines]`);
      for (const l of tail) lines.push(`  ${l}`);
    }
    for (const l of lines) t.diagnostic(l);
  }
}

// ---------------------------------------------------------------------------
// Ports and temp dirs.

function listenOnce(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve());
  });
}

/** Picks `n` distinct free TCP ports on 127.0.0.1 (listen on 0, read, close). */
export async function freePorts(n = 1) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      await listenOnce(s, 0);
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
  }
}

/** Resolves true if something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    const done = (v) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export function makeTempDir(prefix = 'onair-e2e-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir) {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}

export const DEFAULT_WEB_FILES = {
  'index.html': '<!doctype html>\n<html><head><title>onair e2e</title></head><body><h1>onair index</h1></body></html>\n',
  'app.js': 'console.log("onair e2e app");\n',
  'style.css': 'body { color: #123456; }\n',
  'data.json': '{"hello":"world"}\n',
  'notes.txt': 'plain text notes\n',
  'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>\n',
  // A tiny but real 1x1 PNG, with bytes that are not valid UTF-8.
  'pixel.png': Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
      '1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082',
    'hex',
  ),
  'sub/page.html': '<!doctype html><p>sub page</p>\n',
};

function writeTree(root, files) {
  for (const [rel, content] of Object.entries(files)) {
    if (content === null || content === undefined) continue;
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

/** A copy of process.env without any ONAIR_* variables (so the caller's shell can't leak settings in). */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ONAIR_')) env[k] = v;
  }
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------
// Server lifecycle.

function assertBinary() {
  if (!fs.existsSync(ONAIR_BIN)) {
    throw new Error(`onair binary not found at ${ONAIR_BIN} (build it, or set ONAIR_BIN)`);
  }
}

/**
 * Starts onair.
 *
 * opts:
 *   t         test context (or anything with .after(fn)) to register cleanup on
 *   args      extra command-line args; a default flag also given here is not repeated
 *   env       extra environment variables (ONAIR_* from the parent env are removed)
 *   webFiles  {relativePath: string|Buffer} merged over DEFAULT_WEB_FILES (null removes one)
 *   httpFlag  false to not pass --http (then give `port`, where the server is expected)
 *   port      the HTTP port to expect / pass (default: a free port)
 *   rtmpPort  the RTMP port (default: a free port)
 *   startupTimeoutMs (default 10 s)
 *   waitHealthy false to skip waiting for /healthz
 *
 * Returns a handle: {url, port, rtmpPort, root, dataDir, webDir, proc, args, env,
 *   stop(signal='SIGTERM', {timeoutMs}) -> {code, signal}, kill9(), restart(),
 *   cleanup(), logs(), alive(), api(), ...}
 */
export async function startServer(opts = {}) {
  assertBinary();
  const fixedPorts = opts.port !== undefined || opts.rtmpPort !== undefined;
  const attempts = fixedPorts ? 1 : 3;
  let lastErr;
  for (let i = 0; i < attempts; i++) {
    const srv = new OnairServer(opts);
    if (opts.t && typeof opts.t.after === 'function') opts.t.after(() => srv.cleanup());
    try {
      await srv.init();
      return srv;
    } catch (err) {
      lastErr = err;
      await srv.cleanup().catch(() => {});
      // Retry only when the process died on its own during startup (most likely
      // a port grabbed by someone else between our probe and its bind).
      if (!err.exitedDuringStartup) break;
    }
  }
  throw lastErr;
}

class OnairServer {
  constructor(opts) {
    this.opts = opts;
    this.root = makeTempDir();
    this.dataDir = path.join(this.root, 'data');
    this.webDir = path.join(this.root, 'web');
    fs.mkdirSync(this.dataDir);
    fs.mkdirSync(this.webDir);
    const files = { ...DEFAULT_WEB_FILES, ...(opts.webFiles || {}) };
    writeTree(this.webDir, files);
    this.proc = null;
    this.exit = null; // {code, signal} of the current child once it exited
    this.exitPromise = null;
    this.stdout = [];
    this.stderr = [];
    this.stdoutLen = 0;
    this.stderrLen = 0;
    this.stoppedAt = null;
    this.cleanedUp = false;
    this.expectExit = false; // set when we signal the child ourselves
    this.unexpectedExits = [];
    allServers.add(this);
  }

  async init() {
    const [p1, p2] = await freePorts(2);
    this.port = this.opts.port ?? p1;
    this.rtmpPort = this.opts.rtmpPort ?? p2;
    this.url = `http://${HOST}:${this.port}`;
    const defaults = [
      ...(this.opts.httpFlag === false ? [] : [['--http', `${HOST}:${this.port}`]]),
      ['--rtmp', `${HOST}:${this.rtmpPort}`],
      ['--data', this.dataDir],
      ['--web', this.webDir],
      ['--workers', '2'],
      ['--log-level', 'info'],
      ['--argon2-ops', '1'],
      ['--argon2-mem-kib', '8'],
    ];
    const extra = (this.opts.args || []).map(String);
    const args = [];
    for (const [flag, value] of defaults) {
      if (!extra.includes(flag)) args.push(flag, value);
    }
    args.push(...extra);
    this.args = args;
    this.env = cleanEnv(this.opts.env || {});
    await this.spawnAndWait();
  }

  spawnChild() {
    const child = spawn(ONAIR_BIN, this.args, {
      cwd: this.root,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = child;
    this.exit = null;
    this.stoppedAt = null;
    this.expectExit = false;
    this.appendLog('stderr', `[harness] spawned pid ${child.pid}: ${ONAIR_BIN} ${this.args.join(' ')}\n`);
    if (child.pid !== undefined) liveChildren.set(child.pid, child);
    child.stdout.on('data', (b) => this.appendLog('stdout', b.toString('utf8')));
    child.stderr.on('data', (b) => this.appendLog('stderr', b.toString('utf8')));
    this.exitPromise = new Promise((resolve) => {
      const onExit = (code, signal) => {
        if (this.exit) return;
        liveChildren.delete(child.pid);
        this.exit = { code, signal };
        this.stoppedAt = Date.now();
        if (!this.expectExit) this.unexpectedExits.push(`pid ${child.pid} exited on its own: code=${code} signal=${signal}`);
        this.appendLog('stderr', `[harness] pid ${child.pid} exited code=${code} signal=${signal}\n`);
        resolve(this.exit);
      };
      child.once('exit', onExit);
      child.once('error', (err) => {
        this.appendLog('stderr', `[harness] spawn error: ${err.message}\n`);
        onExit(null, null);
      });
    });
    // Do not let a forgotten server keep the test process alive; the 'exit'
    // hook above kills it by PID.
    child.unref();
    child.stdout.unref?.();
    child.stderr.unref?.();
    return child;
  }

  async spawnAndWait() {
    this.spawnChild();
    if (this.opts.waitHealthy === false) return;
    await this.waitHealthy(this.opts.startupTimeoutMs ?? STARTUP_TIMEOUT_MS);
  }

  async waitHealthy(timeoutMs = STARTUP_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    let lastProblem = 'no attempt';
    while (Date.now() < deadline) {
      if (this.exit) {
        const err = new Error(
          `onair exited during startup (code=${this.exit.code}, signal=${this.exit.signal})\n${this.logs()}`,
        );
        err.exitedDuringStartup = true;
        throw err;
      }
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
        lastProblem = `status ${res.status}`;
      } catch (e) {
        lastProblem = e.cause?.code || e.message;
      }
      await sleep(50);
    }
    throw new Error(`onair not healthy on ${this.url} after ${timeoutMs} ms (${lastProblem})\n${this.logs()}`);
  }

  appendLog(which, text) {
    const arr = which === 'stdout' ? this.stdout : this.stderr;
    arr.push(text);
    const lenKey = which === 'stdout' ? 'stdoutLen' : 'stderrLen';
    this[lenKey] += text.length;
    while (this[lenKey] > LOG_CAP_BYTES && arr.length > 1) {
      this[lenKey] -= arr.shift().length;
    }
  }

  stdoutText() {
    return this.stdout.join('');
  }
  stderrText() {
    return this.stderr.join('');
  }
  logs() {
    return `----- stdout -----\n${this.stdoutText()}----- stderr -----\n${this.stderrText()}`;
  }
  statusLine() {
    return this.exit ? `exited code=${this.exit.code} signal=${this.exit.signal}` : 'running';
  }
  alive() {
    return this.proc !== null && this.exit === null;
  }
  get pid() {
    return this.proc?.pid;
  }

  /** Sends `signal` to the child (by PID), waits for it to exit; escalates to SIGKILL after timeoutMs. */
  async stop(signal = 'SIGTERM', { timeoutMs = 8_000 } = {}) {
    if (!this.proc) return { code: null, signal: null };
    if (this.exit) return this.exit;
    this.proc.ref(); // the child is unref'd; keep the event loop alive until it exits
    this.expectExit = true;
    try {
      process.kill(this.proc.pid, signal);
    } catch {
      /* raced with exit */
    }
    let timer;
    const timedOut = await Promise.race([
      this.exitPromise.then(() => false),
      new Promise((r) => (timer = setTimeout(() => r(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.appendLog('stderr', `[harness] pid ${this.proc.pid} did not exit ${timeoutMs} ms after ${signal}; SIGKILL\n`);
      try {
        process.kill(this.proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await this.exitPromise;
    }
    return this.exit;
  }

  kill9() {
    return this.stop('SIGKILL');
  }

  /** Starts the server again with the same args, ports and data dir (stopping it first if still running). */
  async restart({ timeoutMs = STARTUP_TIMEOUT_MS } = {}) {
    if (this.alive()) await this.stop('SIGTERM');
    this.spawnChild();
    await this.waitHealthy(timeoutMs);
    return this;
  }

  /**
   * Stops the server (SIGTERM, then SIGKILL), removes its temp dirs, and throws
   * if the server crashed on its own at any point, exited non-zero after our
   * SIGTERM, or printed a sanitizer report: a suite whose server misbehaved
   * fails even if every request happened to succeed.
   */
  async cleanup() {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    let exit = null;
    if (this.alive()) exit = await this.stop('SIGTERM', { timeoutMs: CLEANUP_GRACE_MS });
    if (this.stoppedAt === null) this.stoppedAt = Date.now();
    removeDir(this.root);
    const problems = [...this.unexpectedExits];
    if (exit && exit.signal === null && exit.code !== 0) problems.push(`exit code ${exit.code} after SIGTERM`);
    if (SANITIZER_RE.test(this.stderrText()) || SANITIZER_RE.test(this.stdoutText())) problems.push('sanitizer report in output');
    if (problems.length) {
      throw new Error(`onair server ${this.url} misbehaved: ${problems.join('; ')}\n${this.logs().slice(-20_000)}`);
    }
  }

  // Convenience wrappers bound to this server.
  api(method, p, body, token, extra) {
    return apiAt(this.url, method, p, body, token, extra);
  }
  raw(bytes, opts) {
    return rawRequest(this.port, bytes, opts);
  }
  connect(opts) {
    return rawConnect(this.port, opts);
  }
}

/** Runs the binary to completion (for --help / bad flags). Never leaves it running. */
export function runOnairSync(args, { env = {}, timeoutMs = 5_000, cwd } = {}) {
  assertBinary();
  const dir = cwd ?? makeTempDir('onair-e2e-run-');
  try {
    const r = spawnSync(ONAIR_BIN, args, {
      cwd: dir,
      env: cleanEnv(env),
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
    });
    return {
      status: r.status,
      signal: r.signal,
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      error: r.error,
      timedOut: r.error?.code === 'ETIMEDOUT',
    };
  } finally {
    if (cwd === undefined) removeDir(dir);
  }
}

// ---------------------------------------------------------------------------
// JSON API helper (fetch).

/**
 * apiAt(baseUrl, method, path, body, token, extra) -> {status, headers, json, text}
 *
 * body: undefined -> no body; string / Buffer / Uint8Array -> sent verbatim;
 *       anything else -> JSON.stringify(body).
 * A body gets Content-Type: application/json unless extra.contentType is given
 * (extra.contentType === null sends no Content-Type at all... fetch then adds
 * text/plain for strings, so use rawRequest for a body with no Content-Type).
 * token: bearer access token (sets Authorization: Bearer <token>).
 * extra.headers: more request headers.
 */
export async function apiAt(baseUrl, method, p, body, token, extra = {}) {
  const headers = { ...(extra.headers || {}) };
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Uint8Array) payload = body;
    else payload = JSON.stringify(body);
    if (extra.contentType !== null) headers['content-type'] = extra.contentType ?? 'application/json';
  }
  if (token !== undefined && token !== null) headers.authorization = `Bearer ${token}`;
  const idempotent = method === 'GET' || method === 'HEAD';
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(baseUrl + p, {
        method,
        headers,
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(extra.timeoutMs ?? 10_000),
      });
      const buf = Buffer.from(await res.arrayBuffer());
      const text = buf.toString('utf8');
      let json = null;
      try {
        json = text.length ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: res.status, headers: res.headers, json, text, body: buf };
    } catch (err) {
      // A pooled keep-alive connection that the server closed just as we reused
      // it: retry idempotent requests once, like a browser would.
      const code = err?.cause?.code;
      if (idempotent && attempt === 0 && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) continue;
      throw err;
    }
  }
}

/** Asserts a contract error response: status, JSON content type, {"error":{"code","message"}}. */
export function expectError(res, status, code, what = '') {
  const ctx = `${what ? what + ': ' : ''}got ${res.status} ${String(res.text ?? '').slice(0, 300)}`;
  assert.equal(res.status, status, `expected status ${status}; ${ctx}`);
  const ct = res.headers.get('content-type') || '';
  assert.match(ct, /^application\/json\b/i, `error Content-Type should be application/json; ${ctx}`);
  const json = res.json ?? tryJson(res.text);
  assert.ok(json && typeof json === 'object' && json.error && typeof json.error === 'object', `error body shape; ${ctx}`);
  if (Array.isArray(code)) {
    assert.ok(code.includes(json.error.code), `error code should be one of ${code.join('|')}; ${ctx}`);
  } else if (code !== undefined) {
    assert.equal(json.error.code, code, `error code; ${ctx}`);
  }
  assert.equal(typeof json.error.message, 'string', `error.message should be a string; ${ctx}`);
  assert.ok(json.error.message.length > 0, `error.message should not be empty; ${ctx}`);
  return json;
}

export function tryJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Account helpers.

let nameCounter = 0;
/** A fresh valid username: lower-case [a-z0-9_], at most 24 chars. */
export function uniqueName(prefix = 'u') {
  nameCounter += 1;
  const rand = Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0');
  const suffix = `${process.pid.toString(36)}${nameCounter.toString(36)}${rand}`;
  return `${prefix}_${suffix}`.toLowerCase().slice(0, 24);
}

export const DEFAULT_PASSWORD = 'correct horse battery';

export async function signup(srv, username = uniqueName(), password = DEFAULT_PASSWORD) {
  const res = await srv.api('POST', '/api/auth/signup', { username, password });
  assert.equal(res.status, 201, `signup ${username}: ${res.status} ${res.text}`);
  return { username: res.json.user.username, id: res.json.user.id, password, res };
}

export async function login(srv, username, password = DEFAULT_PASSWORD) {
  const res = await srv.api('POST', '/api/auth/login', { username, password });
  assert.equal(res.status, 200, `login ${username}: ${res.status} ${res.text}`);
  return { access: res.json.access_token, refresh: res.json.refresh_token, expiresIn: res.json.expires_in, res };
}

/** Signs up a new user and logs in: {username, id, password, access, refresh}. */
export async function newUser(srv, prefix = 'u', password = DEFAULT_PASSWORD) {
  const u = await signup(srv, uniqueName(prefix), password);
  const l = await login(srv, u.username, password);
  return { ...u, access: l.access, refresh: l.refresh };
}

// ---------------------------------------------------------------------------
// Raw HTTP over node:net.

class HeaderBag {
  constructor(pairs) {
    this.pairs = pairs; // [[lowerName, value], ...]
  }
  get(name) {
    const vals = this.all(name);
    return vals.length ? vals.join(', ') : null;
  }
  all(name) {
    const n = name.toLowerCase();
    return this.pairs.filter(([k]) => k === n).map(([, v]) => v);
  }
  has(name) {
    return this.all(name).length > 0;
  }
}

/**
 * Parses as many complete HTTP/1.x responses from `buf` as possible.
 * opts.methods[i] is the method of the i-th request (HEAD responses have no body);
 * opts.closed says the connection ended (completes a read-until-close body).
 * Returns {responses, rest, error}. Interim 1xx responses are skipped.
 */
export function parseResponses(buf, { methods = [], closed = false } = {}) {
  const responses = [];
  let off = 0;
  let error = null;
  while (off < buf.length) {
    const headEnd = buf.indexOf('\r\n\r\n', off, 'latin1');
    if (headEnd < 0) break;
    const lines = buf.subarray(off, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m) {
      error = `malformed status line: ${JSON.stringify(lines[0].slice(0, 100))}`;
      break;
    }
    const pairs = [];
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i <= 0) {
        error = `malformed header line: ${JSON.stringify(line.slice(0, 100))}`;
        break;
      }
      pairs.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
    }
    if (error) break;
    const headers = new HeaderBag(pairs);
    const status = Number(m[2]);
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200) {
      off = bodyStart;
      continue;
    }
    const method = methods[responses.length];
    let body;
    let next;
    const te = (headers.get('transfer-encoding') || '').toLowerCase();
    if (method === 'HEAD' || status === 204 || status === 304) {
      body = Buffer.alloc(0);
      next = bodyStart;
    } else if (te.includes('chunked')) {
      const chunks = [];
      let p = bodyStart;
      let complete = false;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p, 'latin1');
        if (lineEnd < 0) break;
        const size = parseInt(buf.subarray(p, lineEnd).toString('latin1').split(';')[0].trim(), 16);
        if (Number.isNaN(size)) {
          error = 'bad chunk size in response';
          break;
        }
        if (size === 0) {
          // skip trailers up to the empty line
          const end = buf.indexOf('\r\n\r\n', lineEnd, 'latin1');
          if (end < 0) break;
          p = end + 4;
          complete = true;
          break;
        }
        if (lineEnd + 2 + size + 2 > buf.length) break;
        chunks.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
      if (error || !complete) break;
      body = Buffer.concat(chunks);
      next = p;
    } else if (headers.has('content-length')) {
      const len = Number(headers.all('content-length')[0]);
      if (!Number.isInteger(len) || len < 0) {
        error = `bad Content-Length in response: ${headers.get('content-length')}`;
        break;
      }
      if (bodyStart + len > buf.length) break;
      body = buf.subarray(bodyStart, bodyStart + len);
      next = bodyStart + len;
    } else {
      // Body delimited by connection close.
      if (!closed) break;
      body = buf.subarray(bodyStart);
      next = buf.length;
    }
    const text = body.toString('utf8');
    responses.push({
      version: m[1],
      status,
      statusText: m[3] ?? '',
      headers,
      body,
      text,
      get json() {
        return tryJson(text);
      },
    });
    off = next;
  }
  return { responses, rest: buf.subarray(off), error };
}

/**
 * A raw TCP connection to the server.
 *   write(bytes) -> Promise (flushed)
 *   data()       -> Buffer of everything received so far
 *   closed       -> true once the server ended/reset the connection
 *   closedAt     -> Date.now() when that happened
 *   waitResponses(n, {timeoutMs, methods}) -> parsed responses (throws on timeout)
 *   request(bytes, {method, timeoutMs}) -> the next response on this connection
 *   waitClosed(timeoutMs) -> true if the server closed it within timeoutMs
 *   destroy()
 */
export function rawConnect(port, { host = HOST, timeoutMs = 5_000, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    openSockets.add(socket);
    const chunks = [];
    let waiters = [];
    const conn = {
      socket,
      closed: false,
      closedAt: null,
      error: null,
      methods: [],
      consumed: 0,
      data: () => Buffer.concat(chunks),
      text: () => Buffer.concat(chunks).toString('latin1'),
      write(bytes) {
        return new Promise((res, rej) => {
          if (socket.destroyed || conn.closed) return rej(new Error('write on closed connection'));
          socket.write(bytes, (err) => (err ? rej(err) : res()));
        });
      },
      async waitFor(pred, ms) {
        if (pred()) return true;
        return new Promise((res) => {
          const w = {
            check: () => {
              if (pred()) {
                clearTimeout(w.timer);
                waiters = waiters.filter((x) => x !== w);
                res(true);
              }
            },
          };
          w.timer = setTimeout(() => {
            waiters = waiters.filter((x) => x !== w);
            res(pred());
          }, ms);
          waiters.push(w);
        });
      },
      parse(methods = conn.methods) {
        return parseResponses(conn.data(), { methods, closed: conn.closed });
      },
      async waitResponses(n, { timeoutMs: ms = 5_000, methods = conn.methods } = {}) {
        const ok = await conn.waitFor(() => {
          const r = conn.parse(methods);
          return r.responses.length >= n || !!r.error || conn.closed;
        }, ms);
        const r = conn.parse(methods);
        if (r.error) throw new Error(`unparseable response: ${r.error}\n${conn.text().slice(0, 2000)}`);
        if (r.responses.length < n) {
          throw new Error(
            `expected ${n} response(s), got ${r.responses.length} ` +
              `(${ok ? 'connection closed' : `timeout ${ms} ms`}); received: ${JSON.stringify(conn.text().slice(0, 1000))}`,
          );
        }
        return r.responses;
      },
      async request(bytes, { method, timeoutMs: ms = 5_000 } = {}) {
        conn.methods.push(method ?? String(bytes).split(' ', 1)[0]);
        const want = conn.consumed + 1;
        await conn.write(bytes);
        const responses = await conn.waitResponses(want, { timeoutMs: ms });
        conn.consumed = want;
        return responses[want - 1];
      },
      waitClosed(ms) {
        return conn.waitFor(() => conn.closed, ms);
      },
      destroy() {
        socket.destroy();
        openSockets.delete(socket);
      },
    };
    const markClosed = () => {
      if (!conn.closed) {
        conn.closed = true;
        conn.closedAt = Date.now();
      }
      for (const w of waiters) w.check();
    };
    socket.on('data', (b) => {
      chunks.push(b);
      for (const w of waiters) w.check();
    });
    socket.on('end', markClosed);
    socket.on('close', () => {
      markClosed();
      openSockets.delete(socket);
    });
    let connected = false;
    socket.on('error', (err) => {
      conn.error = err;
      if (!connected) {
        clearTimeout(connectTimer);
        openSockets.delete(socket);
        reject(err);
      }
      markClosed();
    });
    const connectTimer = setTimeout(() => {
      socket.destroy();
      openSockets.delete(socket);
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      resolve(conn);
    });
  });
}

/**
 * Sends `bytes` on a fresh connection and returns everything the server sent
 * until it closed the connection or `timeoutMs` elapsed (or, with
 * opts.responses = n, until n complete responses arrived). opts.localAddress
 * picks the client's source address (any 127.x.y.z works on Linux loopback).
 *
 * Returns {data, text, closed, timedOut, error, responses, parseError}.
 *   closed   : the server ended/reset the connection (not us)
 *   timedOut : we gave up waiting
 */
export async function rawRequest(
  port,
  bytes,
  { timeoutMs = 3_000, responses: want, methods, host = HOST, localAddress } = {},
) {
  const conn = await rawConnect(port, { host, localAddress });
  try {
    if (methods) conn.methods = methods;
    try {
      await conn.write(bytes);
    } catch {
      /* server may have closed/reset while we wrote; keep what we got */
    }
    const done = () => {
      if (conn.closed) return true;
      if (want !== undefined) return conn.parse().responses.length >= want;
      return false;
    };
    const finished = await conn.waitFor(done, timeoutMs);
    const parsed = conn.parse();
    return {
      data: conn.data(),
      text: conn.data().toString('latin1'),
      closed: conn.closed,
      timedOut: !finished,
      error: conn.error,
      responses: parsed.responses,
      parseError: parsed.error,
    };
  } finally {
    conn.destroy();
  }
}

/** Builds a raw HTTP/1.1 request. headers: object or array of [name, value]. body: string|Buffer. */
export function buildRequest(method, target, { headers = {}, body, version = 'HTTP/1.1', host = true } = {}) {
  const lines = [`${method} ${target} ${version}`];
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  if (host && !pairs.some(([k]) => k.toLowerCase() === 'host')) lines.push('Host: 127.0.0.1');
  for (const [k, v] of pairs) lines.push(`${k}: ${v}`);
  const bodyBuf = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  if (bodyBuf && !pairs.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k))) {
    lines.push(`Content-Length: ${bodyBuf.length}`);
  }
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return bodyBuf ? Buffer.concat([head, bodyBuf]) : head;
}

/** Encodes `parts` (strings/Buffers) as a chunked body, including the final 0-chunk. */
export function chunked(parts) {
  const out = [];
  for (const p of parts) {
    const b = Buffer.isBuffer(p) ? p : Buffer.from(p, 'utf8');
    if (b.length === 0) continue;
    out.push(Buffer.from(b.length.toString(16) + '\r\n', 'latin1'), b, Buffer.from('\r\n', 'latin1'));
  }
  out.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(out);
}

/**
 * Writes `buf` to `conn` in pieces, pausing between them, and stops early as
 * soon as the server has answered or closed (avoids the client racing a
 * server that rejects early). Returns the number of bytes written.
 */
export async function trickle(conn, buf, { piece = 1024, delayMs = 1 } = {}) {
  let written = 0;
  while (written < buf.length) {
    if (conn.closed || conn.data().length > 0) break;
    const part = buf.subarray(written, written + piece);
    try {
      await conn.write(part);
    } catch {
      break;
    }
    written += part.length;
    if (delayMs) await sleep(delayMs);
  }
  return written;
}

// ---------------------------------------------------------------------------
// Small assertion helpers shared by test files.

/** The server is up and `user` can still log in and read their own channel (with `title` if given). */
export async function assertIntact(srv, user, { title } = {}) {
  const h = await srv.api('GET', '/healthz');
  assert.equal(h.status, 200, `healthz after abuse: ${h.status} ${h.text}`);
  const l = await srv.api('POST', '/api/auth/login', { username: user.username, password: user.password });
  assert.equal(l.status, 200, `victim login after abuse: ${l.status} ${l.text}`);
  const me = await srv.api('GET', '/api/me', undefined, l.json.access_token);
  assert.equal(me.status, 200, `victim /api/me after abuse: ${me.status} ${me.text}`);
  assert.equal(me.json.user.username, user.username);
  const ch = await srv.api('GET', `/api/channels/${user.username}`);
  assert.equal(ch.status, 200, `victim channel after abuse: ${ch.status} ${ch.text}`);
  assert.equal(ch.json.name, user.username);
  if (title !== undefined) assert.equal(ch.json.title, title, 'victim title unchanged');
}

/** Splits an Allow header into upper-case method names. */
export function allowList(res) {
  return (res.headers.get('allow') || '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
}

/** base64url helpers for JWT tampering. */
export function b64urlDecode(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
export function b64urlEncode(buf) {
  return Buffer.from(buf).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
