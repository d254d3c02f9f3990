// Live video end to end: ffmpeg publishes over RTMP (like OBS), viewers read
// LL-HLS back with ffprobe/ffmpeg and raw HTTP.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { test, startServer, newUser, sleep, SANITIZED } from './lib/server.mjs';
import { startPublisher, waitFor, parseMediaPlaylist, runAsync, FFMPEG, FFPROBE } from './lib/media.mjs';

const SLOW = SANITIZED ? 3 : 1;

async function getText(srv, path) {
  const res = await fetch(srv.url + path);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function channel(srv, name) {
  return (await srv.api('GET', `/api/channels/${name}`)).json;
}

/** Waits until the channel's media playlist exists and has at least n complete segments. */
async function waitForSegments(srv, name, n, timeoutMs = 20_000 * SLOW) {
  return waitFor(async () => {
    const r = await getText(srv, `/hls/${name}/src/index.m3u8`);
    if (r.status !== 200) return null;
    const p = parseMediaPlaylist(r.text);
    return p.segments.length >= n ? p : null;
  }, timeoutMs, 200);
}

describe('live video: one publisher, many checks', () => {
  let srv;
  let user;
  let pub;

  before(async () => {
    srv = await startServer({ args: ['--hls-segment-ms', '1000', '--hls-part-ms', '333'] });
    user = await newUser(srv, 'cam');
    const key = (await srv.api('GET', '/api/me/stream-key', undefined, user.access)).json.stream_key;
    pub = startPublisher(srv, key);
    const p = await waitForSegments(srv, user.username, 3);
    assert.ok(p, `no playlist with 3 segments; ffmpeg said: ${pub.stderr()}`);
  });
  after(async () => {
    await pub?.stop();
    await srv?.stop();
  });

  // Going live shows in the channel list with a start time.
  test('the channel is live with started_at', async () => {
    const ch = await channel(srv, user.username);
    assert.equal(ch.live, true);
    assert.ok(ch.started_at && Date.now() - Date.parse(ch.started_at) < 120_000, ch.started_at);
    const list = (await srv.api('GET', '/api/channels')).json.channels;
    assert.equal(list[0].name, user.username, 'live channels come first');
  });

  // The master playlist describes the stream from its own headers.
  test('master playlist lists the rendition with BANDWIDTH, RESOLUTION and CODECS', async () => {
    const r = await getText(srv, `/hls/${user.username}/index.m3u8`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /mpegurl/i);
    assert.match(r.headers.get('cache-control'), /no-store/);
    assert.match(r.text, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,RESOLUTION=640x360,CODECS="avc1\.[0-9A-F]{6},mp4a\.40\.2"/);
    assert.match(r.text, /\nsrc\/index\.m3u8\n/);
  });

  // The media playlist carries every LL-HLS feature players rely on.
  test('media playlist has the LL-HLS tags', async () => {
    const r = await getText(srv, `/hls/${user.username}/src/index.m3u8`);
    const p = parseMediaPlaylist(r.text);
    assert.match(r.text, /#EXT-X-VERSION:(9|1\d)/);
    assert.match(p.serverControl, /CAN-BLOCK-RELOAD=YES/);
    const phb = Number(/PART-HOLD-BACK=([\d.]+)/.exec(p.serverControl)[1]);
    assert.ok(phb >= 2 * p.partTarget, `PART-HOLD-BACK ${phb} < 2 x PART-TARGET ${p.partTarget}`);
    assert.ok(p.parts.length > 3, 'parts listed');
    assert.ok(p.parts.some((x) => x.independent), 'a part starting on a keyframe is INDEPENDENT');
    for (const part of p.parts) assert.ok(part.duration <= p.partTarget + 0.001, `part ${part.uri} too long`);
    assert.ok(p.preloadHint, 'EXT-X-PRELOAD-HINT present');
    assert.equal(p.maps.length, 1);
    // One PROGRAM-DATE-TIME per listed segment (complete, or in progress with parts).
    const listed = new Set([...p.segments.map((x) => x.msn), ...p.parts.map((x) => x.msn)]);
    assert.equal(p.pdt.length, listed.size);
    for (const s of p.segments) assert.ok(s.duration > 0.5 && s.duration <= p.targetDuration + 0.001);
    // PROGRAM-DATE-TIME is the wall clock of RTMP arrival: recent, increasing.
    assert.ok(Math.abs(Date.now() - p.pdt.at(-1)) < 10_000, 'PDT near now');
    for (let i = 1; i < p.pdt.length; i++) assert.ok(p.pdt[i] > p.pdt[i - 1]);
  });

  // Real players read it back: codecs right, no decode errors, timestamps continuous.
  test('ffprobe and ffmpeg read the HLS back without errors', { timeout: 60_000 * SLOW }, async () => {
    const url = `${srv.url}/hls/${user.username}/index.m3u8`;
    const probe = await runAsync(FFPROBE, ['-v', 'error', '-show_entries', 'stream=codec_name,width,height,sample_rate', '-of', 'json', url], 30_000);
    assert.equal(probe.status, 0, probe.stderr);
    const streams = JSON.parse(probe.stdout).streams;
    const v = streams.find((s) => s.codec_name === 'h264');
    const a = streams.find((s) => s.codec_name === 'aac');
    assert.ok(v && a, probe.stdout);
    assert.equal(v.width, 640);
    assert.equal(v.height, 360);
    assert.equal(Number(a.sample_rate), 48000);

    const dec = await runAsync(FFMPEG, ['-v', 'error', '-i', url, '-t', '6', '-map', '0:v', '-f', 'framecrc', '-'], 40_000);
    assert.equal(dec.status, 0, dec.stderr);
    assert.equal(dec.stderr.trim(), '', `decode errors: ${dec.stderr}`);
    const frames = dec.stdout.split('\n').filter((l) => /^\d+,/.test(l)).map((l) => l.split(',').map((x) => x.trim()));
    assert.ok(frames.length >= 170, `only ${frames.length} frames in 6 s`);
    // Continuous: each frame's pts follows the previous by exactly one frame duration.
    for (let i = 1; i < frames.length; i++) {
      const step = Number(frames[i][2]) - Number(frames[i - 1][2]);
      assert.equal(step, Number(frames[i - 1][3]), `pts jump at frame ${i}: ${frames[i - 1]} -> ${frames[i]}`);
    }
  });

  // A blocking reload for the next part is parked and answered as soon as the part exists.
  test('blocking reload returns the next part within one part duration', async () => {
    const base = `/hls/${user.username}/src/index.m3u8`;
    for (let round = 0; round < 3; round++) {
      const p = parseMediaPlaylist((await getText(srv, base)).text);
      const want = p.preloadHint;
      const t0 = Date.now();
      const r = await getText(srv, `${base}?_HLS_msn=${want.msn}&_HLS_part=${want.index}`);
      const waited = Date.now() - t0;
      assert.equal(r.status, 200);
      const q = parseMediaPlaylist(r.text);
      const got = q.parts.find((x) => x.msn === want.msn && x.index === want.index) ||
        (q.parts.find((x) => x.msn === want.msn + 1 && x.index === 0));
      assert.ok(got, `part ${want.msn}.${want.index} not in the answer`);
      assert.ok(waited <= (p.partTarget * 1000 + 250) * SLOW, `waited ${waited} ms for a ${p.partTarget}s part`);
    }
  });

  // The hinted part is served once it exists; its bytes are a valid fMP4 fragment.
  test('the preload-hinted part is parked and then served', async () => {
    const p = parseMediaPlaylist((await getText(srv, `/hls/${user.username}/src/index.m3u8`)).text);
    const res = await fetch(`${srv.url}/hls/${user.username}/src/${p.preloadHint.uri}`);
    assert.equal(res.status, 200);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.subarray(4, 8).toString(), 'moof');
    assert.match(res.headers.get('cache-control'), /immutable/);
  });

  // Blocking requests that can't be honoured are refused, not parked forever.
  test('bad blocking requests -> 400', async () => {
    const base = `/hls/${user.username}/src/index.m3u8`;
    const p = parseMediaPlaylist((await getText(srv, base)).text);
    assert.equal((await getText(srv, `${base}?_HLS_msn=${p.preloadHint.msn + 10}`)).status, 400);
    assert.equal((await getText(srv, `${base}?_HLS_part=1`)).status, 400);
    assert.equal((await getText(srv, `${base}?_HLS_msn=abc`)).status, 400);
  });

  // Segments and parts are what the playlist says; unknown names are 404.
  test('segments, parts and init are served with the right types', async () => {
    const p = parseMediaPlaylist((await getText(srv, `/hls/${user.username}/src/index.m3u8`)).text);
    const dir = `${srv.url}/hls/${user.username}/src/`;
    const init = await fetch(dir + p.maps[0]);
    assert.equal(init.status, 200);
    assert.equal(Buffer.from(await init.arrayBuffer()).subarray(4, 8).toString(), 'ftyp');
    const seg = p.segments.at(-1);
    const sr = await fetch(dir + seg.uri);
    assert.equal(sr.status, 200);
    assert.match(sr.headers.get('content-type'), /video\/mp4/);
    const segBytes = Buffer.from(await sr.arrayBuffer());
    // A segment is its parts back to back.
    const parts = p.parts.filter((x) => x.msn === seg.msn);
    if (parts.length) {
      const bufs = [];
      for (const x of parts) bufs.push(Buffer.from(await (await fetch(dir + x.uri)).arrayBuffer()));
      assert.ok(Buffer.concat(bufs).equals(segBytes), 'segment == its parts concatenated');
    }
    assert.equal((await fetch(dir + 'nope_1.m4s')).status, 404);
    assert.equal((await fetch(dir + p.maps[0].replace(/init\d+/, 'init99'))).status, 404);
    assert.equal((await fetch(`${srv.url}/hls/nobody/index.m3u8`)).status, 404);
  });

  // A second encoder with the same key is refused; the first keeps streaming.
  test('a second publisher is refused and the first keeps going', { timeout: 40_000 * SLOW }, async (t) => {
    const key = (await srv.api('GET', '/api/me/stream-key', undefined, user.access)).json.stream_key;
    const before = parseMediaPlaylist((await getText(srv, `/hls/${user.username}/src/index.m3u8`)).text);
    const second = startPublisher(srv, key, { t, seconds: 20 });
    const { code } = await Promise.race([second.exited, sleep(10_000).then(() => ({ code: 'timeout' }))]);
    assert.notEqual(code, 0, 'second publisher should fail');
    assert.notEqual(code, 'timeout', 'second publisher was not refused');
    await sleep(1500);
    const after = parseMediaPlaylist((await getText(srv, `/hls/${user.username}/src/index.m3u8`)).text);
    assert.ok(after.preloadHint.msn > before.preloadHint.msn, 'first stream still advancing');
  });

  // A live channel has a JPEG thumbnail of its newest keyframe; others 404.
  test('thumbnail.jpg is a fresh JPEG of the stream; offline channels 404', async () => {
    const r = await waitFor(async () => {
      const res = await fetch(`${srv.url}/api/channels/${user.username}/thumbnail.jpg`);
      return res.status === 200 ? res : null;
    }, 10_000 * SLOW, 250);
    assert.ok(r, 'no thumbnail');
    assert.equal(r.headers.get('content-type'), 'image/jpeg');
    const jpg = Buffer.from(await r.arrayBuffer());
    assert.equal(jpg[0], 0xff);
    assert.equal(jpg[1], 0xd8);
    const other = await newUser(srv, 'off');
    const off = await fetch(`${srv.url}/api/channels/${other.username}/thumbnail.jpg`);
    assert.equal(off.status, 404);
    assert.equal((await off.json()).error.code, 'not_found');
  });

  // Metrics show the stream.
  test('metrics count the live stream, ingest and parts', async () => {
    const m = (await getText(srv, '/metrics')).text;
    assert.match(m, /^onair_streams_live 1$/m);
    assert.ok(Number(/^onair_ingest_bytes_total (\d+)/m.exec(m)[1]) > 100_000);
    assert.ok(Number(/^onair_hls_parts_total (\d+)/m.exec(m)[1]) > 5);
    assert.match(m, /^onair_hls_part_ready_seconds_count \d+/m);
  });
});

describe('publishing rules and lifecycle', () => {
  // A wrong or rotated key is refused and nothing goes live.
  test('unknown and rotated keys are refused', { timeout: 40_000 * SLOW }, async (t) => {
    const srv = await startServer({ t });
    const u = await newUser(srv, 'key');
    const oldKey = (await srv.api('GET', '/api/me/stream-key', undefined, u.access)).json.stream_key;
    await srv.api('POST', '/api/me/stream-key/rotate', undefined, u.access);
    for (const key of ['not-a-key', oldKey]) {
      const pub = startPublisher(srv, key, { t, seconds: 20 });
      const { code } = await Promise.race([pub.exited, sleep(10_000).then(() => ({ code: 'timeout' }))]);
      assert.notEqual(code, 0);
      assert.notEqual(code, 'timeout', `publisher with key ${key === oldKey ? 'old' : 'bogus'} was not refused`);
    }
    assert.equal((await channel(srv, u.username)).live, false);
    assert.match(srv.logs(), /unknown stream key/);
  });

  // Publisher drops and returns within the grace period: same playlist, a discontinuity,
  // nothing lost from before. After the grace period: offline, and a new broadcast
  // never shows the old segments.
  test('drop and resume -> discontinuity; past grace -> offline; new broadcast is fresh', { timeout: 90_000 * SLOW }, async (t) => {
    const srv = await startServer({ t, args: ['--hls-segment-ms', '1000', '--grace-ms', '3000'] });
    const u = await newUser(srv, 'drop');
    const key = (await srv.api('GET', '/api/me/stream-key', undefined, u.access)).json.stream_key;
    const base = `/hls/${u.username}/src/index.m3u8`;

    let pub = startPublisher(srv, key, { t });
    const first = await waitForSegments(srv, u.username, 2);
    assert.ok(first);
    await pub.stop('SIGKILL');
    await sleep(500);
    assert.equal((await channel(srv, u.username)).live, true, 'still live inside the grace period');

    pub = startPublisher(srv, key, { t });
    const resumed = await waitFor(async () => {
      const p = parseMediaPlaylist((await getText(srv, base)).text);
      return p.discontinuities > 0 && p.segments.filter((s) => s.msn > first.segments.at(-1).msn).length >= 2 ? p : null;
    }, 20_000 * SLOW, 200);
    assert.ok(resumed, 'no discontinuity after the publisher came back');
    assert.equal(resumed.maps.length, 2, 'a new EXT-X-MAP after the discontinuity');
    assert.ok(resumed.segments[0].msn <= first.segments.at(-1).msn + 1, 'media sequence continues');
    // The resumed stream still decodes.
    const dec = await runAsync(FFMPEG, ['-v', 'error', '-i', `${srv.url}${base}`, '-t', '2', '-f', 'null', '-'], 30_000);
    assert.equal(dec.status, 0, dec.stderr);

    await pub.stop('SIGKILL');
    const offline = await waitFor(async () => !(await channel(srv, u.username)).live, 10_000 * SLOW, 200);
    assert.ok(offline, 'offline after the grace period');
    assert.equal((await getText(srv, base)).status, 404, 'playlist gone with the stream');
    assert.equal((await fetch(`${srv.url}/api/channels/${u.username}/thumbnail.jpg`)).status, 404);
    assert.match((await getText(srv, '/metrics')).text, /^onair_streams_live 0$/m);

    pub = startPublisher(srv, key, { t });
    const fresh = await waitForSegments(srv, u.username, 1);
    assert.ok(fresh);
    const oldBid = first.maps[0].split('_')[0];
    assert.ok(!fresh.lines.some((l) => l.includes(oldBid + '_')), 'old broadcast segments in the new playlist');
    assert.equal(fresh.discontinuities, 0);
    await pub.stop();
  });

  // An ABR ladder: ffmpeg children make lower renditions, listed in the master
  // playlist and playable; they stop with the stream. A bad ladder spec is refused.
  test('ladder renditions are produced, listed, playable, and stopped with the stream', { timeout: 90_000 * SLOW }, async (t) => {
    const srv = await startServer({ t, args: ['--hls-segment-ms', '1000', '--grace-ms', '1000', '--ladder', '240p,720p'] });
    const u = await newUser(srv, 'abr');
    const key = (await srv.api('GET', '/api/me/stream-key', undefined, u.access)).json.stream_key;
    const pub = startPublisher(srv, key, { t });
    const master = await waitFor(async () => {
      const r = await getText(srv, `/hls/${u.username}/index.m3u8`);
      return r.status === 200 && r.text.includes('240p/index.m3u8') ? r.text : null;
    }, 30_000 * SLOW, 250);
    assert.ok(master, 'no 240p rendition in the master playlist');
    assert.match(master, /RESOLUTION=426x240,CODECS="avc1\.[0-9A-F]{6},mp4a\.40\.2"\n240p\/index\.m3u8/);
    assert.ok(!master.includes('720p/'), 'a rung as big as the source is skipped');
    const src = (await getText(srv, `/hls/${u.username}/src/index.m3u8`)).text;
    assert.match(src, /#EXT-X-RENDITION-REPORT:URI="\.\.\/240p\/index\.m3u8",LAST-MSN=\d+,LAST-PART=\d+/);
    const probe = await runAsync(FFPROBE, ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', `${srv.url}/hls/${u.username}/240p/index.m3u8`], 30_000);
    assert.equal(probe.status, 0, probe.stderr);
    const v = JSON.parse(probe.stdout).streams.find((x) => x.codec_name === 'h264');
    assert.equal(v.height, 240);
    assert.match((await getText(srv, '/metrics')).text, /^onair_transcode_children 1$/m);
    await pub.stop('SIGKILL');
    const gone = await waitFor(async () => /^onair_transcode_children 0$/m.test((await getText(srv, '/metrics')).text), 10_000 * SLOW, 200);
    assert.ok(gone, 'rendition ffmpeg still running after the stream ended');
  });

  // With --record 1 a broadcast is kept on disk as a VOD playlist that plays back whole.
  test('recording: the broadcast becomes a playable VOD playlist', { timeout: 60_000 * SLOW }, async (t) => {
    const srv = await startServer({ t, args: ['--hls-segment-ms', '1000', '--grace-ms', '1000', '--record', '1'] });
    const u = await newUser(srv, 'rec');
    const key = (await srv.api('GET', '/api/me/stream-key', undefined, u.access)).json.stream_key;
    const pub = startPublisher(srv, key, { t });
    const live = await waitForSegments(srv, u.username, 4);
    assert.ok(live);
    const bid = live.maps[0].split('_init')[0];
    // While live the recording is an EVENT playlist that grows.
    const during = await getText(srv, `/vod/${u.username}/${bid}/index.m3u8`);
    assert.equal(during.status, 200);
    assert.match(during.text, /#EXT-X-PLAYLIST-TYPE:EVENT/);
    await pub.stop('SIGKILL');
    const vod = await waitFor(async () => {
      const r = await getText(srv, `/vod/${u.username}/${bid}/index.m3u8`);
      return r.text.includes('#EXT-X-ENDLIST') ? r.text : null;
    }, 10_000 * SLOW, 200);
    assert.ok(vod, 'recording not finished after the broadcast ended');
    assert.match(vod, /#EXT-X-PLAYLIST-TYPE:VOD/);
    const segs = vod.split('\n').filter((l) => /^\d+\.m4s$/.test(l)).length;
    assert.ok(segs >= 4, `only ${segs} segments recorded`);
    const dec = await runAsync(FFMPEG, ['-v', 'error', '-i', `${srv.url}/vod/${u.username}/${bid}/index.m3u8`, '-map', '0:v', '-f', 'framecrc', '-'], 30_000);
    assert.equal(dec.status, 0, dec.stderr);
    assert.equal(dec.stderr.trim(), '');
    const frames = dec.stdout.split('\n').filter((l) => /^\d+,/.test(l)).length;
    assert.ok(frames >= segs * 30 - 30, `${frames} frames for ${segs} one-second segments`);
    for (const bad of [`/vod/${u.username}/${bid}/..%2f..%2fonair.db`, `/vod/..%2f/x/index.m3u8`, `/vod/${u.username}/nope/index.m3u8`]) {
      const st = (await fetch(srv.url + bad)).status;
      assert.ok(st === 404 || st === 400, `${bad}: ${st}`); /* refused, never a file */
    }
  });

  // A publisher that keeps sending is never taken for idle (regression: the idle
  // timer once cut every publisher off one timeout after its handshake).
  test('an active publisher outlives --rtmp-idle-timeout-ms', { timeout: 40_000 * SLOW }, async (t) => {
    const srv = await startServer({ t, args: ['--hls-segment-ms', '1000', '--rtmp-idle-timeout-ms', '2000'] });
    const u = await newUser(srv, 'idle');
    const key = (await srv.api('GET', '/api/me/stream-key', undefined, u.access)).json.stream_key;
    const pub = startPublisher(srv, key, { t });
    assert.ok(await waitForSegments(srv, u.username, 1));
    await sleep(5000);
    assert.equal(pub.proc.exitCode, null, `publisher was dropped: ${pub.stderr()}`);
    assert.equal((await channel(srv, u.username)).live, true);
    const before = parseMediaPlaylist((await getText(srv, `/hls/${u.username}/src/index.m3u8`)).text);
    await sleep(1500);
    const later = parseMediaPlaylist((await getText(srv, `/hls/${u.username}/src/index.m3u8`)).text);
    assert.ok(later.preloadHint.msn > before.preloadHint.msn, 'still advancing');
    await pub.stop();
  });

  // Garbage on the RTMP port closes that connection only.
  test('garbage on the RTMP port is dropped; the server stays up', async (t) => {
    const srv = await startServer({ t });
    for (const bytes of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.concat([Buffer.from([3]), Buffer.alloc(1536), Buffer.alloc(1536), Buffer.alloc(64, 0xff)])]) {
      const closed = await new Promise((resolve) => {
        const s = net.connect(srv.rtmpPort, '127.0.0.1', () => s.write(bytes));
        s.on('data', () => {});
        s.on('close', () => resolve(true));
        s.on('error', () => {});
        setTimeout(() => {
          s.destroy();
          resolve(false);
        }, 5000);
      });
      assert.equal(closed, true, 'server kept a garbage connection open');
    }
    assert.equal((await srv.api('GET', '/healthz')).status, 200);
  });
});
