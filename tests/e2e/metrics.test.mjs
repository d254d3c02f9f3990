// /metrics: valid Prometheus exposition (checked with promtool), required
// families with the right types, and counters/gauges that follow real traffic.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test, startServer, rawConnect, buildRequest, sleep } from './lib/server.mjs';

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => fs.existsSync(p));

/** Parses Prometheus text format into {types: {family: type}, samples: [{name, labels, value}]}. */
function parseMetrics(text) {
  const types = {};
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('#')) {
      const m = /^# TYPE (\S+) (\S+)/.exec(line);
      if (m) types[m[1]] = m[2];
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/.exec(line);
    assert.ok(m, `unparseable metrics line: ${line}`);
    const labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;
      let lm;
      while ((lm = re.exec(m[3]))) labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    const v = m[4];
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    samples.push({ name: m[1], labels, value });
  }
  return { types, samples };
}

function sum(samples, name, match = {}) {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

describe('metrics', () => {
  let srv;

  before(async () => {
    srv = await startServer();
  }, { timeout: 30_000 });
  after(() => srv?.cleanup(), { timeout: 30_000 });

  async function scrape() {
    const res = await srv.api('GET', '/metrics');
    assert.equal(res.status, 200, res.text);
    return { res, ...parseMetrics(res.text) };
  }

  // Prometheus can scrape us: right content type, valid exposition format (promtool).
  test('GET /metrics is valid Prometheus text format', async (t) => {
    await srv.api('GET', '/api/channels');
    await srv.api('GET', '/api/nope');
    const { res } = await scrape();
    const ct = res.headers.get('content-type') || '';
    assert.match(ct, /^text\/plain\b/i);
    assert.match(ct, /version=0\.0\.4/);
    // `make test` installs promtool (scripts/deps.sh); a missing one is a
    // broken setup, not a reason to pass without checking.
    assert.ok(PROMTOOL, 'promtool not installed (Debian package "prometheus"; run scripts/deps.sh test)');
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: res.text, encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, `promtool check metrics failed (exit ${r.status}):\n${r.stdout}${r.stderr}\n--- body ---\n${res.text.slice(0, 3000)}`);
  });

  // Dashboards rely on these families existing with these types.
  test('required metric families and types', async () => {
    await srv.api('GET', '/healthz');
    const { types, samples } = await scrape();
    assert.equal(types.onair_http_connections, 'gauge');
    assert.equal(types.onair_http_requests_total, 'counter');
    assert.equal(types.onair_http_request_duration_seconds, 'histogram');
    assert.equal(types.onair_store_queue_depth, 'gauge');
    const conns = samples.find((s) => s.name === 'onair_http_connections');
    assert.ok(conns && conns.value >= 1, 'at least our own connection is open');
    const q = samples.find((s) => s.name === 'onair_store_queue_depth');
    assert.ok(q && Number.isFinite(q.value) && q.value >= 0, 'store queue depth is a non-negative number');
    const req = samples.filter((s) => s.name === 'onair_http_requests_total');
    assert.ok(req.length > 0);
    for (const s of req) {
      for (const l of ['route', 'method', 'status']) assert.ok(l in s.labels, `requests_total has label ${l}`);
    }
  });

  // Request counters and latency histogram move with traffic.
  test('requests_total and the duration histogram count requests', async () => {
    const match = { route: '/api/channels', method: 'GET', status: '200' };
    const before = await scrape();
    const c0 = sum(before.samples, 'onair_http_requests_total', match);
    const h0 = sum(before.samples, 'onair_http_request_duration_seconds_count');
    for (let i = 0; i < 3; i++) assert.equal((await srv.api('GET', '/api/channels')).status, 200);
    await srv.api('GET', '/api/definitely-missing');
    const after = await scrape();
    const c1 = sum(after.samples, 'onair_http_requests_total', match);
    assert.ok(c1 >= c0 + 3, `requests_total{route="/api/channels",method="GET",status="200"} went ${c0} -> ${c1}`);
    const notFound = sum(after.samples, 'onair_http_requests_total', { status: '404' });
    assert.ok(notFound >= 1, '404s are counted too');
    const h1 = sum(after.samples, 'onair_http_request_duration_seconds_count');
    assert.ok(h1 >= h0 + 3, `histogram _count went ${h0} -> ${h1}`);

    // Histogram sanity: cumulative buckets, +Inf bucket equals _count per series.
    const buckets = after.samples.filter((s) => s.name === 'onair_http_request_duration_seconds_bucket');
    assert.ok(buckets.length > 0, 'histogram has buckets');
    const series = new Map();
    for (const b of buckets) {
      const { le, ...rest } = b.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      if (!series.has(key)) series.set(key, { rest, points: [] });
      series.get(key).points.push([le === '+Inf' ? Infinity : Number(le), b.value]);
    }
    for (const { rest, points } of series.values()) {
      points.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < points.length; i++) assert.ok(points[i][1] >= points[i - 1][1], 'buckets are cumulative');
      const inf = points.find((p) => p[0] === Infinity);
      assert.ok(inf, 'has an le="+Inf" bucket');
      const count = sum(after.samples, 'onair_http_request_duration_seconds_count', rest);
      assert.equal(inf[1], count, '+Inf bucket equals _count');
    }
    assert.ok(sum(after.samples, 'onair_http_request_duration_seconds_sum') >= 0);
  });

  // The open-connections gauge follows clients connecting and leaving.
  test('onair_http_connections tracks open connections', async () => {
    const base = sum((await scrape()).samples, 'onair_http_connections');
    const conns = [];
    for (let i = 0; i < 5; i++) {
      const c = await rawConnect(srv.port);
      assert.equal((await c.request(buildRequest('GET', '/healthz'))).status, 200);
      conns.push(c);
    }
    const during = sum((await scrape()).samples, 'onair_http_connections');
    assert.ok(during >= base + 5, `gauge went ${base} -> ${during} with 5 more connections open`);
    for (const c of conns) c.destroy();
    let now = during;
    for (let i = 0; i < 40 && now > during - 5; i++) {
      await sleep(100);
      now = sum((await scrape()).samples, 'onair_http_connections');
    }
    assert.ok(now <= during - 5, `gauge ${during} -> ${now} after 5 connections closed (base ${base})`);
  });
});
