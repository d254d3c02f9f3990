// ffmpeg as the OBS stand-in, and small HLS helpers for the video tests.
//
// startPublisher() spawns ffmpeg pushing a synthetic 30 fps H.264 (with
// B-frames, like OBS's x264) + AAC stream at real-time pace to onair's RTMP
// port. Every publisher is killed by PID when its test ends.

import { spawn, spawnSync } from 'node:child_process';
import { sleep } from './server.mjs';

export const FFMPEG = '/usr/bin/ffmpeg';
export const FFPROBE = '/usr/bin/ffprobe';

const publishers = new Set();
process.on('exit', () => {
  for (const p of publishers) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/**
 * Publishes to rtmp://127.0.0.1:<srv.rtmpPort>/live/<key>.
 * opts: size ('640x360'), gop (frames, 30 = 1 s keyframes), seconds (how long, default 120),
 *       t (node:test context: the publisher is stopped after the test).
 * Returns {proc, stderr(), exited: Promise<{code, signal}>, stop(), kill()}.
 */
export function startPublisher(srv, key, { size = '640x360', gop = 30, seconds = 120, t } = {}) {
  const url = `rtmp://127.0.0.1:${srv.rtmpPort}/live/${key}`;
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', String(gop),
    '-keyint_min', String(gop), '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-b:v', '800k',
    '-c:a', 'aac', '-b:a', '96k',
    '-f', 'flv', url,
  ];
  const proc = spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  publishers.add(proc);
  let err = '';
  proc.stderr.on('data', (d) => {
    if (err.length < 65536) err += d.toString();
  });
  const exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => {
      publishers.delete(proc);
      resolve({ code, signal });
    }),
  );
  const pub = {
    proc,
    exited,
    stderr: () => err,
    async stop(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(proc.pid, signal);
        } catch {
          /* gone */
        }
      }
      return exited;
    },
  };
  if (t) t.after(() => pub.stop());
  return pub;
}

/** Polls fn() until it returns a truthy value or timeoutMs passes; returns the last value. */
export async function waitFor(fn, timeoutMs, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await sleep(stepMs);
  }
}

/** Parses a media playlist into {tags, segments, parts, preloadHint, mediaSequence, ...}. */
export function parseMediaPlaylist(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const out = { lines, segments: [], parts: [], preloadHint: null, maps: [], discontinuities: 0, pdt: [] };
  let msn = null;
  let pendingDur = null;
  for (const l of lines) {
    if (l.startsWith('#EXT-X-MEDIA-SEQUENCE:')) msn = Number(l.split(':')[1]), (out.mediaSequence = msn);
    else if (l.startsWith('#EXT-X-TARGETDURATION:')) out.targetDuration = Number(l.split(':')[1]);
    else if (l.startsWith('#EXT-X-PART-INF:')) out.partTarget = Number(/PART-TARGET=([\d.]+)/.exec(l)[1]);
    else if (l.startsWith('#EXT-X-SERVER-CONTROL:')) out.serverControl = l;
    else if (l.startsWith('#EXT-X-MAP:')) out.maps.push(/URI="([^"]+)"/.exec(l)[1]);
    else if (l === '#EXT-X-DISCONTINUITY') out.discontinuities++;
    else if (l.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) out.pdt.push(Date.parse(l.slice(25)));
    else if (l.startsWith('#EXT-X-PART:')) {
      const uri = /URI="([^"]+)"/.exec(l)[1];
      const m = /_(\d+)\.(\d+)\.m4s$/.exec(uri);
      out.parts.push({
        uri,
        msn: Number(m[1]),
        index: Number(m[2]),
        duration: Number(/DURATION=([\d.]+)/.exec(l)[1]),
        independent: l.includes('INDEPENDENT=YES'),
      });
    } else if (l.startsWith('#EXT-X-PRELOAD-HINT:')) {
      const uri = /URI="([^"]+)"/.exec(l)[1];
      const m = /_(\d+)\.(\d+)\.m4s$/.exec(uri);
      out.preloadHint = { uri, msn: Number(m[1]), index: Number(m[2]) };
    } else if (l.startsWith('#EXTINF:')) pendingDur = Number(l.slice(8).split(',')[0]);
    else if (!l.startsWith('#') && pendingDur !== null) {
      out.segments.push({ uri: l, duration: pendingDur, msn: Number(/_(\d+)\.m4s$/.exec(l)[1]) });
      pendingDur = null;
    }
  }
  out.ended = lines.includes('#EXT-X-ENDLIST');
  return out;
}

/** Runs a command synchronously with a timeout; returns {status, stdout, stderr}. */
export function run(cmd, args, timeoutMs = 30_000) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { status: r.status, signal: r.signal, stdout: r.stdout || '', stderr: r.stderr || '', error: r.error };
}

/** Runs a command asynchronously (so the test's event loop keeps serving); same result shape. */
export function runAsync(cmd, args, timeoutMs = 30_000) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    p.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}
