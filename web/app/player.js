// The live player: hls.js in low-latency mode on /hls/{channel}/index.m3u8
// (Safari plays LL-HLS natively), a readout of how far behind live it plays
// (from EXT-X-PROGRAM-DATE-TIME: the wall-clock time the frame reached the
// server), and a quality menu when the stream has several renditions.

import { h } from './dom.js';
import { T, setText } from './i18n.js';

const HLS_MODULE = '/node_modules/hls.js/dist/hls.min.mjs';
const HLS_WORKER = '/node_modules/hls.js/dist/hls.worker.js';

let hlsModule = null;
function loadHls() {
  hlsModule ??= import(HLS_MODULE).then((m) => m.default);
  return hlsModule;
}

/** Resolves once the master playlist answers 200 (the first parts exist). */
async function waitForPlaylist(url, signal) {
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(url, { signal, cache: 'no-store' });
      if (r.ok) return;
    } catch (e) {
      if (e?.name === 'AbortError') throw e;
    }
    await new Promise((res, rej) => {
      const id = setTimeout(res, Math.min(3000, 500 + i * 250));
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(id);
          rej(new DOMException('aborted', 'AbortError'));
        },
        { once: true },
      );
    });
  }
}

/**
 * createPlayer(channel) -> {node, destroy}
 * node.dataset: state (loading|playing|error), latency (seconds, once known),
 * fatalErrors (count of fatal hls.js errors).
 */
export function createPlayer(channel) {
  const src = `/hls/${encodeURIComponent(channel)}/index.m3u8`;
  const video = h('video', {
    class: 'video',
    id: 'video',
    playsinline: true,
    muted: true,
    autoplay: true,
    controls: true,
    'aria-label': T('watch.player', { name: channel }),
  });
  video.muted = true;
  const spinner = h('div', { class: 'player-overlay', id: 'player-status', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { text: T('watch.connecting') }));
  const latency = h('span', { class: 'latency', id: 'latency', hidden: true, title: T('watch.latencyLabel') });
  const qualityWrap = h('div', { class: 'quality', hidden: true });
  const unmute = h('button', { type: 'button', class: 'btn btn-small', id: 'unmute', text: T('watch.unmute') });
  unmute.addEventListener('click', () => {
    video.muted = false;
    video.play().catch(() => {});
  });
  video.addEventListener('volumechange', () => (unmute.hidden = !video.muted));
  const bar = h(
    'div',
    { class: 'player-bar' },
    latency,
    h('span', { class: 'spacer' }),
    qualityWrap,
    unmute,
  );
  const node = h('div', { class: 'player', id: 'player', dataset: { state: 'loading', fatalErrors: '0' } }, h('div', { class: 'video-box' }, video, spinner), bar);

  const controller = new AbortController();
  let hls = null;
  let timer = null;
  let fatal = 0;
  let retry = null;

  const setState = (s) => {
    node.dataset.state = s;
    spinner.hidden = s === 'playing';
    if (s === 'error') setText(spinner.lastElementChild, T('watch.playerError'));
    if (s === 'loading') setText(spinner.lastElementChild, T('watch.connecting'));
  };
  video.addEventListener('playing', () => setState('playing'));
  video.addEventListener('waiting', () => node.dataset.state === 'playing' && (spinner.hidden = false));
  video.addEventListener('timeupdate', () => node.dataset.state === 'playing' && (spinner.hidden = true));

  function playingDate() {
    if (hls) return hls.playingDate;
    const start = video.getStartDate?.();
    const ms = start?.getTime?.();
    return Number.isFinite(ms) && ms > 0 ? new Date(ms + video.currentTime * 1000) : null;
  }

  function showLatency() {
    const d = playingDate();
    let s = d ? (Date.now() - d.getTime()) / 1000 : NaN;
    // A client clock far off from the server's: fall back to the player's
    // own estimate (distance from the live edge).
    if (!(s >= 0 && s < 120) && hls && Number.isFinite(hls.latency)) s = hls.latency;
    if (!Number.isFinite(s) || video.readyState < 2) {
      latency.hidden = true;
      return;
    }
    latency.hidden = false;
    node.dataset.latency = s.toFixed(2);
    setText(latency, T('watch.latency', { s: s.toFixed(1) }));
  }

  function buildQuality(Hls) {
    const levels = hls.levels || [];
    if (levels.length < 2) {
      qualityWrap.hidden = true;
      return;
    }
    const select = h('select', { id: 'quality' });
    const label = (l) => (l.height ? `${l.height}p` : `${Math.round((l.bitrate || 0) / 1000)}k`);
    const auto = h('option', { value: '-1', text: T('watch.auto') });
    select.append(auto);
    levels
      .map((l, i) => ({ l, i }))
      .sort((a, b) => (b.l.height || b.l.bitrate) - (a.l.height || a.l.bitrate))
      .forEach(({ l, i }) => select.append(h('option', { value: String(i), text: label(l) })));
    select.addEventListener('change', () => {
      hls.currentLevel = Number(select.value);
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_, data) => {
      if (hls.autoLevelEnabled) setText(auto, T('watch.autoCurrent', { q: label(levels[data.level] || {}) }));
      else setText(auto, T('watch.auto'));
    });
    qualityWrap.replaceChildren(h('label', { for: 'quality', text: T('watch.quality') }), select);
    qualityWrap.hidden = false;
  }

  // Renditions made by the server's ladder join the master playlist a few
  // seconds after the stream starts; a player that loaded it before then
  // looks again now and then, and reloads it when more are listed.
  let renditionTimer = null;
  function watchRenditions() {
    clearInterval(renditionTimer);
    if (!hls || hls.levels.length > 1) return;
    renditionTimer = setInterval(async () => {
      if (!hls || document.hidden) return;
      let text = '';
      try {
        const r = await fetch(src, { signal: controller.signal, cache: 'no-store' });
        if (r.ok) text = await r.text();
      } catch {
        return;
      }
      const n = (text.match(/^#EXT-X-STREAM-INF:/gm) || []).length;
      if (hls && n > hls.levels.length) {
        clearInterval(renditionTimer);
        hls.loadSource(src);
      }
    }, 8000);
  }

  async function start() {
    setState('loading');
    try {
      await waitForPlaylist(src, controller.signal);
    } catch {
      return; // destroyed
    }
    let Hls;
    try {
      Hls = await loadHls();
    } catch (e) {
      console.error('hls.js failed to load', e);
      Hls = null;
    }
    if (controller.signal.aborted) return;
    if (Hls?.isSupported()) {
      hls = new Hls({
        lowLatencyMode: true,
        workerPath: HLS_WORKER,
        backBufferLength: 30,
        maxLiveSyncPlaybackRate: 1.5,
        liveDurationInfinity: true,
      });
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        buildQuality(Hls);
        video.play().catch(() => {});
        watchRenditions();
      });
      hls.on(Hls.Events.ERROR, (_, data) => {
        if (!data.fatal) return;
        fatal++;
        node.dataset.fatalErrors = String(fatal);
        console.warn('hls.js fatal error', data.type, data.details);
        (window.onair?.debug ?? {}).playerErrors?.push?.(`${data.type}:${data.details}`);
        setState('error');
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
        } else {
          // Network trouble or worse: start over once the playlist answers.
          const old = hls;
          hls = null;
          old.destroy();
          clearTimeout(retry);
          retry = setTimeout(start, 2000);
        }
      });
      hls.loadSource(src);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = src;
      video.play().catch(() => {});
    } else {
      setState('error');
      setText(spinner.lastElementChild, T('watch.unsupported'));
      return;
    }
  }

  start();
  timer = setInterval(showLatency, 500);
  return {
    node,
    video,
    get hls() {
      return hls;
    },
    destroy() {
      controller.abort();
      clearInterval(timer);
      clearInterval(renditionTimer);
      clearTimeout(retry);
      hls?.destroy();
      hls = null;
      video.removeAttribute('src');
      video.load();
    },
  };
}
