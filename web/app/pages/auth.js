// Log in and sign up. Errors are shown next to the field they concern
// (aria-invalid + aria-describedby), or above the button for the rest.

import { h, fieldError } from '../dom.js';
import { T } from '../i18n.js';
import { api, auth } from '../api.js';

const USERNAME_RE = /^[a-z0-9_]{3,24}$/;

function field(id, label, type, hint, autocomplete) {
  const hintId = `${id}-hint`;
  const errId = `${id}-error`;
  const input = h('input', {
    id,
    name: id,
    type,
    autocomplete,
    required: true,
    'aria-describedby': `${hintId} ${errId}`,
    spellcheck: 'false',
    autocapitalize: 'none',
  });
  const err = h('p', { class: 'field-error', id: errId, hidden: true, role: 'alert' });
  const node = h(
    'div',
    { class: 'field' },
    h('label', { for: id, text: label }),
    input,
    h('p', { class: 'field-hint', id: hintId, text: hint }),
    err,
  );
  return { node, input, err };
}

/** A safe same-origin path to go to after logging in. */
function nextPath(query) {
  const n = query.get('next');
  return n && n.startsWith('/') && !n.startsWith('//') ? n : '/';
}

export async function render(ctx) {
  const signup = ctx.params.mode === 'signup';
  const user = field('username', T('form.username'), 'text', signup ? T('form.usernameHint') : null, 'username');
  const pass = field(
    'password',
    T('form.password'),
    'password',
    signup ? T('form.passwordHint') : null,
    signup ? 'new-password' : 'current-password',
  );
  user.input.maxLength = 24;
  const formErr = h('p', { class: 'form-error', id: 'form-error', hidden: true, role: 'alert' });
  const submit = h('button', {
    type: 'submit',
    class: 'btn btn-primary btn-block',
    text: signup ? T('form.signupSubmit') : T('form.loginSubmit'),
  });
  const next = nextPath(ctx.query);
  const other = signup
    ? h('p', { class: 'form-alt' }, h('span', { text: T('form.toLogin') }), ' ', h('a', { href: `/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, text: T('auth.login') }))
    : h('p', { class: 'form-alt' }, h('span', { text: T('form.toSignup') }), ' ', h('a', { href: `/signup${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, text: T('auth.signup') }));

  const form = h(
    'form',
    { class: 'auth-form', novalidate: true, id: signup ? 'signup-form' : 'login-form' },
    user.node,
    pass.node,
    formErr,
    submit,
  );
  const showForm = (msg) => {
    if (msg) {
      formErr.textContent = '';
      formErr.append(h('span', { text: msg }));
    }
    formErr.hidden = !msg;
  };

  const clear = () => {
    fieldError(user.input, user.err, null);
    fieldError(pass.input, pass.err, null);
    showForm(null);
  };
  user.input.addEventListener('input', () => fieldError(user.input, user.err, null));
  pass.input.addEventListener('input', () => fieldError(pass.input, pass.err, null));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    const username = user.input.value.trim().toLowerCase();
    const password = pass.input.value;
    let bad = false;
    if (!username) {
      fieldError(user.input, user.err, T('err.usernameRequired'));
      bad = true;
    } else if (signup && !USERNAME_RE.test(username)) {
      fieldError(user.input, user.err, T('err.usernamePattern'));
      bad = true;
    }
    const bytes = new TextEncoder().encode(password).length;
    if (!password) {
      fieldError(pass.input, pass.err, T('err.passwordRequired'));
      bad = true;
    } else if (signup && (bytes < 8 || bytes > 128)) {
      fieldError(pass.input, pass.err, T('err.passwordLength'));
      bad = true;
    }
    if (bad) {
      form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      if (signup) {
        const r = await api('POST', '/api/auth/signup', { username, password }, { auth: false });
        if (!r.ok) return showError(r);
      }
      const r = await api('POST', '/api/auth/login', { username, password }, { auth: false });
      if (!r.ok) return showError(r);
      auth.set(r.data);
      ctx.navigate(signup && next === '/' ? '/dashboard' : next, { replace: true });
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });

  function showError(r) {
    const code = r.error?.code;
    const msg = r.error?.message || '';
    if (code === 'username_taken') fieldError(user.input, user.err, T('err.usernameTaken'));
    else if (code === 'invalid_credentials') fieldError(pass.input, pass.err, T('err.invalidCredentials'));
    else if (code === 'validation_failed' && /password/i.test(msg)) fieldError(pass.input, pass.err, T('err.passwordLength'));
    else if (code === 'validation_failed' && /username/i.test(msg)) fieldError(user.input, user.err, T('err.usernamePattern'));
    else if (code === 'rate_limited') showForm(T('err.rateLimited', { s: r.headers?.get('retry-after') || '60' }));
    else if (code === 'network') showForm(T('err.network'));
    else showForm(T('err.generic', { msg }));
    form.querySelector('[aria-invalid="true"]')?.focus();
  }

  const node = h(
    'section',
    { class: 'auth-page' },
    h('div', { class: 'auth-card' }, h('h1', { text: signup ? T('title.signup') : T('title.login') }), form, other),
  );
  // Already signed in: nothing to do here.
  if (auth.loggedIn) queueMicrotask(() => ctx.navigate(next, { replace: true }));
  return { node, name: signup ? 'signup' : 'login', title: signup ? T('title.signup') : T('title.login') };
}
