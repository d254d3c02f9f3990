// Configuration: config file < environment < flags, --help, and refusing
// unknown flags / bad values with exit status 2.

import { describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  test,
  startServer,
  runOnairSync,
  freePorts,
  isListening,
  makeTempDir,
  removeDir,
  newUser,
  login,
  HOST,
} from './lib/server.mjs';

const SETTINGS = [
  '--config',
  '--http',
  '--rtmp',
  '--data',
  '--workers',
  '--web',
  '--log-level',
  '--max-header-bytes',
  '--max-body-bytes',
  '--header-timeout-ms',
  '--idle-timeout-ms',
  '--access-ttl',
  '--refresh-ttl',
  '--login-max-failures',
  '--login-max-failures-ip',
  '--login-window',
  '--argon2-ops',
  '--argon2-mem-kib',
];

describe('configuration', () => {
  const dirs = [];
  after(() => dirs.forEach(removeDir));

  function writeConfig(lines) {
    const dir = makeTempDir('onair-e2e-conf-');
    dirs.push(dir);
    const file = path.join(dir, 'onair.conf');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  // The listening address comes from the file, unless the environment overrides it,
  // unless a flag overrides both. Same for a second setting (access-ttl, seen as expires_in).
  test('precedence: config file < ONAIR_* env < flags', { timeout: 45_000 }, async (t) => {
    const [pFile, pEnv, pFlag] = await freePorts(3);
    const conf = writeConfig([
      '# onair test config',
      '',
      `http = ${HOST}:${pFile}`,
      '   # indented comment',
      'access-ttl = 111',
      'login-max-failures-ip = 1000',
    ]);

    // 1. file only
    let srv = await startServer({ t, httpFlag: false, port: pFile, args: ['--config', conf] });
    assert.equal(await isListening(pFile), true, 'file port');
    let u = await newUser(srv, 'cfg');
    assert.equal((await login(srv, u.username)).expiresIn, 111, 'access-ttl from the file');
    await srv.stop();

    // 2. file + env: env wins
    srv = await startServer({
      t,
      httpFlag: false,
      port: pEnv,
      args: ['--config', conf],
      env: { ONAIR_HTTP: `${HOST}:${pEnv}`, ONAIR_ACCESS_TTL: '222' },
    });
    assert.equal(await isListening(pEnv), true, 'env port');
    assert.equal(await isListening(pFile), false, 'must not listen on the file port when env overrides it');
    u = await newUser(srv, 'cfg');
    assert.equal((await login(srv, u.username)).expiresIn, 222, 'access-ttl from env');
    await srv.stop();

    // 3. file + env + flag: flag wins
    srv = await startServer({
      t,
      port: pFlag,
      args: ['--config', conf, '--access-ttl', '333'],
      env: { ONAIR_HTTP: `${HOST}:${pEnv}`, ONAIR_ACCESS_TTL: '222' },
    });
    assert.equal(await isListening(pFlag), true, 'flag port');
    assert.equal(await isListening(pFile), false, 'not on the file port');
    assert.equal(await isListening(pEnv), false, 'not on the env port');
    u = await newUser(srv, 'cfg');
    assert.equal((await login(srv, u.username)).expiresIn, 333, 'access-ttl from the flag');
    await srv.stop();
  });

  // Environment variables alone configure the server (no flags, no file).
  test('settings from ONAIR_* environment variables', { timeout: 20_000 }, async (t) => {
    const [port] = await freePorts(1);
    const srv = await startServer({
      t,
      httpFlag: false,
      port,
      env: { ONAIR_HTTP: `${HOST}:${port}`, ONAIR_ACCESS_TTL: '444', ONAIR_LOG_LEVEL: 'debug' },
    });
    const u = await newUser(srv, 'env');
    assert.equal((await login(srv, u.username)).expiresIn, 444);
  });

  // `onair --help` documents every setting and succeeds.
  test('--help lists every setting and exits 0', () => {
    const r = runOnairSync(['--help']);
    assert.equal(r.timedOut, false, '--help must not start the server');
    assert.equal(r.status, 0, `exit status ${r.status}; stderr: ${r.stderr}`);
    const out = r.stdout + r.stderr;
    for (const s of SETTINGS) assert.ok(out.includes(s), `--help does not mention ${s}:\n${out}`);
  });

  // A typo in a flag is an error (status 2), not silently ignored.
  test('unknown flag -> error message and exit 2', async () => {
    const [port] = await freePorts(1);
    const dir = makeTempDir('onair-e2e-flag-');
    dirs.push(dir);
    const safe = ['--http', `${HOST}:${port}`, '--data', path.join(dir, 'data'), '--web', dir];
    for (const args of [['--no-such-flag'], ['--htp', `${HOST}:${port}`], ['-z']]) {
      const r = runOnairSync([...safe, ...args], { timeoutMs: 5000 });
      assert.equal(r.timedOut, false, `${args.join(' ')}: server started instead of failing`);
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}; stderr: ${r.stderr}`);
      assert.ok((r.stderr + r.stdout).trim().length > 0, `${args.join(' ')}: prints an error`);
    }
  });

  // Nonsense values are refused with status 2, from flags, environment or file.
  test('bad values -> error message and exit 2', async () => {
    const [port] = await freePorts(1);
    const dir = makeTempDir('onair-e2e-badval-');
    dirs.push(dir);
    const safe = ['--data', path.join(dir, 'data'), '--web', dir];
    const http = ['--http', `${HOST}:${port}`];
    const cases = [
      [[...http, '--workers', 'abc'], {}],
      [[...http, '--workers', '-3'], {}],
      [[...http, '--log-level', 'loud'], {}],
      [[...http, '--max-body-bytes', 'lots'], {}],
      [[...http, '--access-ttl', '12x'], {}],
      [['--http', 'not-an-address'], {}],
      [['--http', `${HOST}:99999`], {}],
      [[...http, '--workers'], {}], // missing value
      [[...http, '--ladder', 'big'], {}],
      [[...http, '--ladder', '480p:fast'], {}],
      [[...http], { ONAIR_LOG_LEVEL: 'loud' }],
      [[...http], { ONAIR_WORKERS: 'many' }],
    ];
    for (const [args, env] of cases) {
      const what = `${args.join(' ')} ${JSON.stringify(env)}`;
      const r = runOnairSync([...safe, ...args], { env, timeoutMs: 5000 });
      assert.equal(r.timedOut, false, `${what}: server started instead of failing`);
      assert.equal(r.status, 2, `${what}: exit ${r.status}; stderr: ${r.stderr}`);
      assert.ok((r.stderr + r.stdout).trim().length > 0, `${what}: prints an error`);
    }
    const conf = writeConfig(['workers = banana']);
    const r = runOnairSync([...safe, ...http, '--config', conf], { timeoutMs: 5000 });
    assert.equal(r.timedOut, false, 'bad value in config file: server started');
    assert.equal(r.status, 2, `bad value in config file: exit ${r.status}; stderr: ${r.stderr}`);

    const missing = runOnairSync([...safe, ...http, '--config', path.join(dir, 'does-not-exist.conf')], { timeoutMs: 5000 });
    assert.equal(missing.timedOut, false, 'missing config file: server started');
    assert.notEqual(missing.status, 0, 'missing config file is an error');
  });
});
