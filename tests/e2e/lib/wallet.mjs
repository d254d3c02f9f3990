// Points for the tests: charging through the built-in test payment provider
// (the real flow a user follows: prepare, open the provider's page, approve,
// come back), and donating.

import assert from 'node:assert/strict';

/** Charges amount points to the user (their access token) through the test provider. */
export async function charge(srv, token, amount) {
  const p = await srv.api('POST', '/api/payments', { amount, provider: 'test' }, token);
  assert.equal(p.status, 201, `prepare: ${p.status} ${p.text}`);
  const base = `http://127.0.0.1:${srv.port}`;
  const page = new URL(p.json.next_url, base);
  const form = await fetch(page, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'action=approve',
    redirect: 'manual',
  });
  assert.equal(form.status, 303, `provider page: ${form.status}`);
  const back = await fetch(new URL(form.headers.get('location'), base), {
    headers: { accept: 'application/json' },
  });
  const body = await back.json();
  assert.equal(back.status, 200, `approve: ${back.status} ${JSON.stringify(body)}`);
  return body.balance;
}

/** POST /api/channels/{channel}/donations as token's user. */
export function donate(srv, token, channel, amount, extra = {}) {
  return srv.api('POST', `/api/channels/${channel}/donations`, { amount, message: 'gg', ...extra }, token);
}
