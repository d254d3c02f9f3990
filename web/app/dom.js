// A tiny element builder. Text always goes in as text nodes (textContent or
// append of strings), never as HTML, so user data can't inject markup.

import { isRef, setText, setAttr } from './i18n.js';

/**
 * h('a', {href: '/', class: 'x', text: T('nav.home'), onclick: fn}, ...children)
 * props: class, text (string or T() ref), on<event>, dataset, any attribute
 * (a T() ref as the value makes it translated); children: nodes or strings.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') setText(el, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (isRef(v)) setAttr(el, k, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.append(c);
    else if (isRef(c)) el.append(h('span', { text: c }));
    else el.append(String(c));
  }
}

/** Sets or clears an input's error message (shown next to it, announced). */
export function fieldError(input, errEl, message) {
  if (message) {
    setText(errEl, message);
    errEl.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  } else {
    setText(errEl, '');
    errEl.hidden = true;
    input.removeAttribute('aria-invalid');
  }
}

/** A stable, readable color for a user name (all pass 4.5:1 on the chat background). */
const NAME_COLORS = ['#ff8a8a', '#ffb36b', '#f5d565', '#9be15d', '#5fe0b4', '#6cc8ff', '#9fa8ff', '#d59bff', '#ff8ad8', '#7fe3e3'];
export function nameColor(name) {
  let x = 0;
  for (const ch of String(name)) x = (x * 31 + ch.codePointAt(0)) >>> 0;
  return NAME_COLORS[x % NAME_COLORS.length];
}

/** The first character of a name, upper-cased, for avatars. */
export function initial(name) {
  return Array.from(String(name || '?'))[0].toUpperCase();
}

/**
 * Loads a page module's own stylesheet once (a <link> in <head>), so pages
 * keep their CSS next to their code; resolves when it has loaded.
 */
const styles = new Map();
export function useStyle(href) {
  let p = styles.get(href);
  if (!p) {
    p = new Promise((resolve) => {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = href;
      link.onload = link.onerror = () => resolve();
      document.head.append(link);
    });
    styles.set(href, p);
  }
  return p;
}

/** Puts text on the clipboard; resolves to whether it worked. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain http on a LAN address): the old way.
    const ta = h('textarea', { class: 'visually-hidden', 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

/**
 * A "Copy" button: copies get() and says in status whether that worked,
 * for 3 s. texts: {copy, copied, failed} (strings or T() refs).
 */
export function copyButton({ id, label, get, status, texts, disabled = false }) {
  const btn = h('button', { type: 'button', class: 'btn btn-secondary', id, text: texts.copy, 'aria-label': label, disabled });
  btn.addEventListener('click', async () => {
    const ok = await copyText(get());
    setText(status, ok ? texts.copied : texts.failed);
    status.hidden = false;
    clearTimeout(btn.timer);
    btn.timer = setTimeout(() => (status.hidden = true), 3000);
  });
  return btn;
}

/**
 * A question before a dangerous action: clicking trigger shows it with a
 * Yes and a Cancel button (ids `${id}-confirm`, `${id}-q`, `${id}-yes`,
 * `${id}-no`). Yes runs action() (async), with Yes disabled meanwhile;
 * either answer hides the question and gives the focus back to trigger.
 * Returns the question's element, to place after the trigger.
 */
export function confirmBox({ trigger, id, question, yes, cancel, action }) {
  const yesBtn = h('button', { type: 'button', class: 'btn btn-danger', id: `${id}-yes`, text: yes });
  const noBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: `${id}-no`, text: cancel });
  const box = h(
    'div',
    { class: 'confirm', id: `${id}-confirm`, hidden: true, role: 'group', 'aria-labelledby': `${id}-q` },
    h('p', { id: `${id}-q`, text: question }),
    h('div', { class: 'row' }, yesBtn, noBtn),
  );
  trigger.addEventListener('click', () => {
    box.hidden = false;
    noBtn.focus();
  });
  noBtn.addEventListener('click', () => {
    box.hidden = true;
    trigger.focus();
  });
  yesBtn.addEventListener('click', async () => {
    yesBtn.disabled = true;
    try {
      await action();
    } finally {
      yesBtn.disabled = false;
      box.hidden = true;
      trigger.focus();
    }
  });
  return box;
}
