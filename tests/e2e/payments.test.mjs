// Charging points through a payment provider: the built-in test provider end
// to end (its page, its form, the 303s, the pg_token), and the kakaopay
// provider against a local fake of KakaoPay's API. Money moves exactly
// once, only for an approved payment of the prepared amount, and every
// refusal says why and credits nothing.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { test, startServer, newUser, expectError, runOnairSync, sleep, SANITIZED } from './lib/server.mjs';
import { startFakeKakaoPay } from './lib/fake-kakaopay.mjs';

const FORM = 'application/x-www-form-urlencoded';

function prepare(srv, token, amount, provider = 'test') {
  return srv.api('POST', '/api/payments', { amount, provider }, token);
}

/** GET or POST an absolute or server-relative URL without following redirects. */
async function raw(srv, url, { method = 'GET', body, contentType, accept = 'application/json' } = {}) {
  const headers = { accept };
  if (contentType) headers['content-type'] = contentType;
  const res = await fetch(new URL(url, srv.url), { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The test provider's form: POST next_url; returns the 303's Location. */
async function submitForm(srv, nextUrl, body) {
  const r = await raw(srv, nextUrl, { method: 'POST', body, contentType: FORM });
  assert.equal(r.status, 303, `provider form: ${r.status} ${r.text}`);
  return r.headers.get('location');
}

async function balance(srv, token) {
  const r = await srv.api('GET', '/api/wallet', undefined, token);
  assert.equal(r.status, 200, r.text);
  return r.json.balance;
}

async function paymentOf(srv, token, id) {
  const r = await srv.api('GET', `/api/payments/${id}`, undefined, token);
  assert.equal(r.status, 200, r.text);
  return r.json.payment;
}

function checkLedger(srv) {
  const r = runOnairSync(['admin', 'check-ledger', '--data', srv.dataDir], { timeoutMs: 30_000 });
  assert.equal(r.status, 0, `check-ledger: ${r.stdout}${r.stderr}`);
}

describe('payments: the test provider', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: ['--max-charge', '100000'] });
  });
  after(async () => srv?.cleanup());

  test('create -> provider page -> approve -> credited once', async () => {
    const u = await newUser(srv, 'pa');
    const p = await prepare(srv, u.access, 5000);
    assert.equal(p.status, 201, p.text);
    const pay = p.json.payment;
    assert.match(pay.id, /^pay_[A-Za-z0-9_-]{24}$/);
    assert.equal(pay.amount, 5000);
    assert.equal(pay.status, 'ready');
    assert.equal(pay.provider, 'test');
    assert.ok(Date.parse(pay.created_at) > 0);
    assert.ok(Date.parse(pay.expires_at) > Date.parse(pay.created_at));
    assert.equal(new URL(p.json.next_url).pathname, `/pay/test/${pay.id}`);

    const page = await raw(srv, p.json.next_url, { accept: 'text/html' });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    assert.match(page.text, /5000 points/);
    assert.match(page.text, new RegExp(`<form method="post" action="/pay/test/${pay.id}">`));
    assert.match(page.text, /name="action" value="approve"/);
    assert.match(page.text, /name="action" value="cancel"/);

    const loc = await submitForm(srv, p.json.next_url, 'action=approve&amount=5000');
    assert.match(loc, new RegExp(`^/api/payments/${pay.id}/approve\\?pg_token=5000\\.[A-Za-z0-9_-]{43}$`));
    const ok = await raw(srv, loc);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.payment.id, pay.id);
    assert.equal(ok.json.payment.status, 'approved');
    assert.ok(Date.parse(ok.json.payment.approved_at) > 0);
    assert.equal(ok.json.balance, 5000);
    assert.equal(await balance(srv, u.access), 5000);

    // The page of a done payment has no form any more.
    const after = await raw(srv, p.json.next_url, { accept: 'text/html' });
    assert.match(after.text, /approved/);
    assert.doesNotMatch(after.text, /<form/);

    // Listed, newest first.
    const p2 = await prepare(srv, u.access, 700);
    const list = await srv.api('GET', '/api/payments', undefined, u.access);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.payments.map((x) => [x.id, x.status]), [
      [p2.json.payment.id, 'ready'],
      [pay.id, 'approved'],
    ]);
    assert.equal(list.json.next_before, null);
    const page1 = await srv.api('GET', '/api/payments?limit=1', undefined, u.access);
    assert.equal(page1.json.payments.length, 1);
    assert.equal(typeof page1.json.next_before, 'number');
    const page2 = await srv.api('GET', `/api/payments?limit=1&before=${page1.json.next_before}`, undefined, u.access);
    assert.equal(page2.json.payments[0].id, pay.id);
    expectError(await srv.api('GET', '/api/payments?limit=0', undefined, u.access), 400, 'bad_request');
    expectError(await srv.api('GET', '/api/payments?limit=101', undefined, u.access), 400, 'bad_request');
    expectError(await srv.api('GET', '/api/payments?before=x', undefined, u.access), 400, 'bad_request');
    expectError(await srv.api('GET', '/api/payments'), 401, 'unauthorized');
  });

  test('a browser is sent to the wallet page with the outcome', async () => {
    const u = await newUser(srv, 'pb');
    const p = await prepare(srv, u.access, 300);
    const id = p.json.payment.id;
    const loc = await submitForm(srv, p.json.next_url, 'action=approve');
    const html = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const r = await raw(srv, loc, { accept: html });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), `/wallet?payment=${id}&status=approved`);
    const again = await raw(srv, loc, { accept: html });
    assert.equal(again.headers.get('location'), `/wallet?payment=${id}&status=already_approved`);
    // fetch's and curl's */* get JSON.
    expectError(await raw(srv, loc, { accept: '*/*' }), 409, 'already_approved');
    assert.equal(await balance(srv, u.access), 300);
  });

  test('approving twice, or concurrently, credits once', async () => {
    const u = await newUser(srv, 'pc');
    const p = await prepare(srv, u.access, 1000);
    const loc = await submitForm(srv, p.json.next_url, 'action=approve');
    assert.equal((await raw(srv, loc)).status, 200);
    expectError(await raw(srv, loc), 409, 'already_approved');
    assert.equal(await balance(srv, u.access), 1000);

    for (let round = 0; round < 3; round++) {
      const q = await prepare(srv, u.access, 100);
      const l = await submitForm(srv, q.json.next_url, 'action=approve');
      const all = await Promise.all(Array.from({ length: 10 }, () => raw(srv, l)));
      const codes = all.map((r) => r.status).sort();
      assert.deepEqual(codes, [200, 409, 409, 409, 409, 409, 409, 409, 409, 409], JSON.stringify(all.map((r) => r.text)));
      for (const r of all) if (r.status === 409) expectError(r, 409, 'already_approved');
    }
    assert.equal(await balance(srv, u.access), 1300);
  });

  test('a tampered amount fails the payment and credits nothing', async () => {
    const u = await newUser(srv, 'pd');
    const p = await prepare(srv, u.access, 10000);
    const id = p.json.payment.id;
    // The form says 1 point: the "provider" approves 1, we prepared 10000.
    const loc = await submitForm(srv, p.json.next_url, 'action=approve&amount=1');
    assert.match(loc, /pg_token=1\./);
    expectError(await raw(srv, loc), 422, 'amount_mismatch');
    assert.equal((await paymentOf(srv, u.access, id)).status, 'failed');
    // A genuine token can't revive it.
    const genuine = await submitForm(srv, p.json.next_url, 'action=approve');
    expectError(await raw(srv, genuine), 409, 'failed');
    assert.equal(await balance(srv, u.access), 0);
  });

  test('a forged, edited, moved or missing pg_token is refused and the payment stays ready', async () => {
    const u = await newUser(srv, 'pe');
    const p = await prepare(srv, u.access, 2000);
    const id = p.json.payment.id;
    const loc = await submitForm(srv, p.json.next_url, 'action=approve');
    const token = new URL(loc, srv.url).searchParams.get('pg_token');
    const [, mac] = token.split('.');
    const flip = (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const other = await prepare(srv, u.access, 2000);
    const otherLoc = await submitForm(srv, other.json.next_url, 'action=approve');
    const otherToken = new URL(otherLoc, srv.url).searchParams.get('pg_token');
    const bad = [
      `20000.${mac}`, // amount edited
      `2000.${flip(mac)}`, // MAC edited
      `02000.${mac}`, // not canonical
      otherToken, // another payment's token
      'garbage',
      '2000.',
      '.' + mac,
      `2000.${mac}x`,
      'x'.repeat(400),
    ];
    for (const b of bad) {
      expectError(await raw(srv, `/api/payments/${id}/approve?pg_token=${encodeURIComponent(b)}`), 400, 'bad_token', b);
    }
    expectError(await raw(srv, `/api/payments/${id}/approve`), 400, 'bad_token');
    expectError(await raw(srv, `/api/payments/${id}/approve?pg_token=`), 400, 'bad_token');
    expectError(await raw(srv, `/api/payments/${id}/approve?pg_token=%zz`), 400, 'bad_token');
    assert.equal((await paymentOf(srv, u.access, id)).status, 'ready');
    assert.equal(await balance(srv, u.access), 0);
    assert.equal((await raw(srv, loc)).status, 200);
    assert.equal(await balance(srv, u.access), 2000);
  });

  test('cancelled, then approve: nothing credited', async () => {
    const u = await newUser(srv, 'pf');
    const p = await prepare(srv, u.access, 800);
    const id = p.json.payment.id;
    const approveLoc = await submitForm(srv, p.json.next_url, 'action=approve');
    const cancelLoc = await submitForm(srv, p.json.next_url, 'action=cancel');
    assert.equal(cancelLoc, `/api/payments/${id}/cancel`);
    const c = await raw(srv, cancelLoc);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.payment.status, 'cancelled');
    expectError(await raw(srv, approveLoc), 409, 'cancelled');
    expectError(await raw(srv, cancelLoc), 409, 'cancelled');
    const html = await raw(srv, cancelLoc, { accept: 'text/html' });
    assert.equal(html.headers.get('location'), `/wallet?payment=${id}&status=cancelled`);
    assert.equal(await balance(srv, u.access), 0);

    // Cancelling an approved payment changes nothing.
    const q = await prepare(srv, u.access, 50);
    assert.equal((await raw(srv, await submitForm(srv, q.json.next_url, 'action=approve'))).status, 200);
    expectError(await raw(srv, `/api/payments/${q.json.payment.id}/cancel`), 409, 'already_approved');
    assert.equal(await balance(srv, u.access), 50);
  });

  test("another user's payment: invisible to them, and approving it credits its owner", async () => {
    const a = await newUser(srv, 'pg');
    const b = await newUser(srv, 'ph');
    const p = await prepare(srv, a.access, 400);
    const id = p.json.payment.id;
    expectError(await srv.api('GET', `/api/payments/${id}`, undefined, b.access), 404, 'not_found');
    const listB = await srv.api('GET', '/api/payments', undefined, b.access);
    assert.deepEqual(listB.json.payments, []);
    const loc = await submitForm(srv, p.json.next_url, 'action=approve');
    const r = await srv.api('GET', loc, undefined, b.access);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.balance, 400);
    assert.equal(await balance(srv, a.access), 400);
    assert.equal(await balance(srv, b.access), 0);
  });

  test('every bad amount and provider is refused', async () => {
    const u = await newUser(srv, 'pi');
    for (const amount of [0, -1, 1.5, 100.0001, '100', null, true, [], {}, 100001, 2 ** 53, -(2 ** 53), 1e300]) {
      expectError(await prepare(srv, u.access, amount), 422, 'validation_failed', JSON.stringify(amount));
    }
    // Past 64 bits the JSON parser itself refuses the body.
    expectError(await prepare(srv, u.access, 1e20), 400, 'invalid_json');
    expectError(await srv.api('POST', '/api/payments', { provider: 'test' }, u.access), 422, 'validation_failed');
    for (const provider of ['paypal', '', 'TEST', 5, null]) {
      expectError(await prepare(srv, u.access, 100, provider), 422, 'validation_failed', String(provider));
    }
    expectError(await srv.api('POST', '/api/payments', { amount: 100 }, u.access), 422, 'validation_failed');
    // kakaopay without a secret key is off.
    expectError(await prepare(srv, u.access, 100, 'kakaopay'), 422, 'provider_unavailable');
    expectError(await srv.api('POST', '/api/payments', { amount: 100, provider: 'test' }), 401, 'unauthorized');
    expectError(await srv.api('POST', '/api/payments', 'amount=100', u.access, { contentType: FORM }), 415);
    expectError(await srv.api('POST', '/api/payments', '{"amount":1,"amount":100000,"provider":"test"}', u.access), 400);
    // The bounds themselves are fine.
    assert.equal((await prepare(srv, u.access, 1)).status, 201);
    assert.equal((await prepare(srv, u.access, 100000)).status, 201);
    assert.equal(await balance(srv, u.access), 0);
  });

  test('unknown payments and malformed requests to the provider page', async () => {
    const u = await newUser(srv, 'pj');
    const ghost = 'pay_AAAAAAAAAAAAAAAAAAAAAAAA';
    expectError(await raw(srv, `/api/payments/${ghost}/approve?pg_token=1.x`), 404, 'not_found');
    expectError(await raw(srv, `/api/payments/${ghost}/cancel`), 404, 'not_found');
    expectError(await raw(srv, `/api/payments/not-a-payment/approve?pg_token=1.x`), 404, 'not_found');
    expectError(await raw(srv, `/api/payments/%3Cscript%3E/cancel`), 404, 'not_found');
    const nf = await raw(srv, `/api/payments/${ghost}/approve?pg_token=1.x`, { accept: 'text/html' });
    assert.equal(nf.headers.get('location'), `/wallet?payment=${ghost}&status=not_found`);
    const evil = await raw(srv, `/api/payments/%3Cx%3E/approve?pg_token=1.x`, { accept: 'text/html' });
    assert.equal(evil.headers.get('location'), `/wallet?status=not_found`);
    expectError(await raw(srv, `/pay/test/${ghost}`), 404, 'not_found');
    // HEAD never runs a return URL (it would approve or cancel).
    const pend = await prepare(srv, u.access, 10);
    const head = await raw(srv, `/api/payments/${pend.json.payment.id}/cancel`, { method: 'HEAD' });
    assert.equal(head.status, 405);
    assert.equal(head.headers.get('allow'), 'GET');
    assert.equal((await paymentOf(srv, u.access, pend.json.payment.id)).status, 'ready');
    expectError(await raw(srv, `/pay/test/${ghost}`, { method: 'POST', body: 'action=approve', contentType: FORM }), 404);

    const p = await prepare(srv, u.access, 10);
    const next = p.json.next_url;
    const post = (body, contentType = FORM) => raw(srv, next, { method: 'POST', body, contentType });
    expectError(await post('{"action":"approve"}', 'application/json'), 415, 'unsupported_media_type');
    for (const body of ['', 'action=', 'action=pay', 'amount=10', 'action=approve&action=cancel', 'action=appr%zzove',
      'action=approve&amount=0', 'action=approve&amount=-5', 'action=approve&amount=1e3', 'action=approve&amount=%00',
      'action=approve&amount=99999999999999999999', 'a%00=1&action=approve']) {
      expectError(await post(body), 400, 'bad_request', body);
    }
    assert.equal((await post('action=approve&x=%F0%9F%98%80+y')).status, 303);
    assert.equal((await paymentOf(srv, u.access, p.json.payment.id)).status, 'ready');
  });

  test('the ledger checks out after all of the above', async () => {
    assert.equal((await srv.stop()).code, 0);
    checkLedger(srv);
  });
});

describe('payments: expiry and a disabled test provider', () => {
  test('an expired payment is refused with 410 and credits nothing', async (t) => {
    const srv = await startServer({ t, args: ['--payment-ttl-ms', '50'] });
    const u = await newUser(srv, 'px');
    const p = await prepare(srv, u.access, 100);
    assert.equal(p.status, 201, p.text);
    const loc = await submitForm(srv, p.json.next_url, 'action=approve');
    await sleep(100);
    expectError(await raw(srv, loc), 410, 'expired');
    const page = await raw(srv, p.json.next_url, { accept: 'text/html' });
    assert.match(page.text, /expired/);
    assert.doesNotMatch(page.text, /<form/);
    assert.equal(await balance(srv, u.access), 0);
    // An expired payment can still be cancelled (and then says so).
    assert.equal((await raw(srv, `/api/payments/${p.json.payment.id}/cancel`)).status, 200);
    expectError(await raw(srv, loc), 409, 'cancelled');
  });

  test('with payment-test 0 the test provider is unavailable', async (t) => {
    const srv = await startServer({ t, args: ['--payment-test', '0'] });
    const u = await newUser(srv, 'py');
    expectError(await prepare(srv, u.access, 100), 422, 'provider_unavailable');
  });
});

describe('payments: kakaopay against a local fake', () => {
  let srv;
  let fake;
  const SECRET = 'DEV_FAKE_SECRET_0123';
  before(async () => {
    fake = await startFakeKakaoPay({ secretKey: SECRET });
    srv = await startServer({
      args: ['--kakaopay-secret-key', SECRET, '--kakaopay-api', fake.url, '--kakaopay-timeout-ms', SANITIZED ? '2000' : '1000'],
    });
  });
  after(async () => {
    await srv?.cleanup();
    await fake?.close();
  });

  function reset() {
    fake.approveMode = 'ok';
    fake.readyMode = 'ok';
    fake.approveAmount = null;
  }

  /** The buyer at KakaoPay: follow next_url with an action; returns the Location back to onair. */
  async function buyer(nextUrl, action = 'approve') {
    const u = new URL(nextUrl);
    u.searchParams.set('action', action);
    const r = await fetch(u, { redirect: 'manual' });
    await r.arrayBuffer();
    assert.equal(r.status, 302);
    return r.headers.get('location');
  }

  test('ready -> buyer approves at KakaoPay -> approve credits once', async () => {
    reset();
    const u = await newUser(srv, 'ka');
    const p = await prepare(srv, u.access, 15000, 'kakaopay');
    assert.equal(p.status, 201, p.text);
    const id = p.json.payment.id;
    assert.equal(p.json.payment.provider, 'kakaopay');
    assert.ok(p.json.next_url.startsWith(`${fake.url}/pay/T`));
    const rec = fake.byOrder(id);
    assert.ok(rec, 'the fake saw the ready call');
    assert.equal(rec.cid, 'TC0ONETIME');
    assert.equal(rec.total_amount, 15000);
    assert.equal(rec.tax_free_amount, 0);
    assert.equal(rec.quantity, 1);
    assert.equal(rec.partner_user_id, String(u.id));
    assert.equal(rec.approval_url, `${srv.url}/api/payments/${id}/approve`);
    assert.equal(rec.cancel_url, `${srv.url}/api/payments/${id}/cancel`);
    assert.equal(rec.fail_url, `${srv.url}/api/payments/${id}/fail`);
    const call = fake.calls.find((c) => c.path === '/online/v1/payment/ready' && c.body.includes(id));
    assert.equal(call.auth, `SECRET_KEY ${SECRET}`);

    const back = await buyer(p.json.next_url);
    assert.ok(back.startsWith(`${srv.url}/api/payments/${id}/approve?pg_token=`));
    const ok = await raw(srv, back);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.payment.status, 'approved');
    assert.equal(ok.json.balance, 15000);
    assert.equal(rec.status, 'SUCCESS_PAYMENT');
    const approveCalls = fake.calls.filter((c) => c.path === '/online/v1/payment/approve').length;
    expectError(await raw(srv, back), 409, 'already_approved');
    assert.equal(fake.calls.filter((c) => c.path === '/online/v1/payment/approve').length, approveCalls,
      'a done payment is not sent to the provider again');
    assert.equal(await balance(srv, u.access), 15000);
  });

  test('two concurrent approves: KakaoPay approves one, one credit', async () => {
    reset();
    const u = await newUser(srv, 'kb');
    const p = await prepare(srv, u.access, 3000, 'kakaopay');
    const back = await buyer(p.json.next_url);
    const all = await Promise.all([raw(srv, back), raw(srv, back), raw(srv, back)]);
    const ok = all.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, JSON.stringify(all.map((r) => [r.status, r.text])));
    for (const r of all) if (r.status !== 200) expectError(r, r.status, ['already_approved', 'provider_error']);
    assert.equal(await balance(srv, u.access), 3000);
  });

  test('KakaoPay approves another amount: 422 amount_mismatch, failed, refunded, nothing credited', async () => {
    reset();
    const u = await newUser(srv, 'kc');
    const p = await prepare(srv, u.access, 9000, 'kakaopay');
    const id = p.json.payment.id;
    const back = await buyer(p.json.next_url);
    fake.approveAmount = 90;
    expectError(await raw(srv, back), 422, 'amount_mismatch');
    assert.equal((await paymentOf(srv, u.access, id)).status, 'failed');
    const tid = fake.byOrder(id).tid;
    assert.deepEqual(fake.cancels.filter((c) => c.tid === tid), [{ tid, amount: 90 }], 'what it took is given back');
    assert.equal(await balance(srv, u.access), 0);
  });

  test('provider errors: 500 and timeouts answer 502, credit nothing, and a retry can succeed', async () => {
    reset();
    const u = await newUser(srv, 'kd');
    // ready fails: the payment can never be paid.
    fake.readyMode = 'error500';
    expectError(await prepare(srv, u.access, 100, 'kakaopay'), 502, 'provider_error');
    fake.readyMode = 'timeout';
    const t0 = Date.now();
    expectError(await prepare(srv, u.access, 100, 'kakaopay'), 502, 'provider_error');
    assert.ok(Date.now() - t0 < 8000, 'bounded by kakaopay-timeout-ms');
    const list = await srv.api('GET', '/api/payments', undefined, u.access);
    assert.deepEqual(list.json.payments.map((x) => x.status), ['failed', 'failed']);

    // approve fails: stays ready, nothing credited; the buyer can come back.
    fake.readyMode = 'ok';
    const p = await prepare(srv, u.access, 700, 'kakaopay');
    const id = p.json.payment.id;
    const back = await buyer(p.json.next_url);
    fake.approveMode = 'error500';
    expectError(await raw(srv, back), 502, 'provider_error');
    fake.approveMode = 'timeout';
    expectError(await raw(srv, back), 502, 'provider_error');
    const html = await raw(srv, back, { accept: 'text/html' });
    assert.equal(html.headers.get('location'), `/wallet?payment=${id}&status=provider_error`);
    assert.equal((await paymentOf(srv, u.access, id)).status, 'ready');
    assert.equal(await balance(srv, u.access), 0);
    fake.approveMode = 'ok';
    const ok = await raw(srv, back);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(await balance(srv, u.access), 700);
  });

  test('an approval whose answer was lost is found by the order inquiry and credited once', async () => {
    reset();
    const u = await newUser(srv, 'kl');
    const p = await prepare(srv, u.access, 1200, 'kakaopay');
    const id = p.json.payment.id;
    const back = await buyer(p.json.next_url);
    // KakaoPay charges the buyer but its answer never arrives: onair times
    // out, asks for the order, finds it paid, and credits it.
    fake.approveMode = 'lost';
    const r = await raw(srv, back);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.balance, 1200);
    assert.equal(fake.byOrder(id).status, 'SUCCESS_PAYMENT');
    assert.ok(fake.calls.some((c) => c.path === '/online/v1/payment/order' && c.body.includes(fake.byOrder(id).tid)));
    // A retry: KakaoPay says already done; still one credit.
    fake.approveMode = 'ok';
    expectError(await raw(srv, back), 409, 'already_approved');
    assert.equal(await balance(srv, u.access), 1200);

    // The same when the approve went through but onair's request was
    // refused as a duplicate (the buyer reloaded before the first answer).
    const q = await prepare(srv, u.access, 300, 'kakaopay');
    const backQ = await buyer(q.json.next_url);
    fake.approveMode = 'lost';
    const first = raw(srv, backQ);
    await sleep(200);
    fake.approveMode = 'ok';
    const second = await raw(srv, backQ);
    const firstR = await first;
    const codes = [firstR.status, second.status].sort();
    assert.deepEqual(codes, [200, 409], `${firstR.text} ${second.text}`);
    assert.equal(await balance(srv, u.access), 1500);
  });

  test("KakaoPay's refusals: a wrong pg_token is a provider error and leaves the payment ready", async () => {
    reset();
    const u = await newUser(srv, 'ke');
    const p = await prepare(srv, u.access, 500, 'kakaopay');
    const id = p.json.payment.id;
    await buyer(p.json.next_url);
    expectError(await raw(srv, `/api/payments/${id}/approve?pg_token=0000deadbeef`), 502, 'provider_error');
    expectError(await raw(srv, `/api/payments/${id}/approve?pg_token=${encodeURIComponent('a b"<')}`), 400, 'bad_token');
    assert.equal((await paymentOf(srv, u.access, id)).status, 'ready');
    assert.equal(await balance(srv, u.access), 0);
  });

  test('the buyer cancels or fails at KakaoPay', async () => {
    reset();
    const u = await newUser(srv, 'kf');
    const p = await prepare(srv, u.access, 500, 'kakaopay');
    const back = await buyer(p.json.next_url, 'cancel');
    assert.equal(back, `${srv.url}/api/payments/${p.json.payment.id}/cancel`);
    const c = await raw(srv, back, { accept: 'text/html' });
    assert.equal(c.status, 303);
    assert.equal(c.headers.get('location'), `/wallet?payment=${p.json.payment.id}&status=cancelled`);
    const q = await prepare(srv, u.access, 500, 'kakaopay');
    const f = await raw(srv, await buyer(q.json.next_url, 'fail'));
    assert.equal(f.status, 200, f.text);
    assert.equal(f.json.payment.status, 'failed');
    expectError(await raw(srv, `/api/payments/${q.json.payment.id}/approve?pg_token=abc`), 409, 'failed');
    assert.equal(await balance(srv, u.access), 0);
  });

  test('the ledger checks out', async () => {
    assert.equal((await srv.stop()).code, 0);
    checkLedger(srv);
  });
});

describe('payments: kakaopay misconfigured', () => {
  test('a wrong secret key: 502 provider_error, the payment failed, nothing credited', async (t) => {
    const fake = await startFakeKakaoPay({ secretKey: 'RIGHT', t });
    const srv = await startServer({ t, args: ['--kakaopay-secret-key', 'WRONG', '--kakaopay-api', fake.url] });
    const u = await newUser(srv, 'kg');
    expectError(await prepare(srv, u.access, 100, 'kakaopay'), 502, 'provider_error');
    assert.equal(fake.calls.length, 1);
    const list = await srv.api('GET', '/api/payments', undefined, u.access);
    assert.equal(list.json.payments[0].status, 'failed');
    // The key never shows up in the server's own log lines.
    const own = srv.stderrText().split('\n').filter((l) => !l.startsWith('[harness]'));
    assert.ok(own.some((l) => /kakaopay call failed/.test(l)));
    assert.ok(!own.some((l) => l.includes('WRONG')), own.join('\n'));
  });

  test('plain http to anything but 127.0.0.1 is refused: the provider is off', async (t) => {
    const srv = await startServer({ t, args: ['--kakaopay-secret-key', 'K', '--kakaopay-api', 'http://example.com'] });
    const u = await newUser(srv, 'kh');
    expectError(await prepare(srv, u.access, 100, 'kakaopay'), 422, 'provider_unavailable');
    assert.match(srv.logs(), /kakaopay-api must be https/);
  });
});
