// A local fake of KakaoPay's online single-payment API, for the kakaopay
// provider's tests (the real API can't be reached from CI).
//
// Plain HTTP on 127.0.0.1 (onair allows http for kakaopay-api only there).
// It speaks the parts onair uses, with KakaoPay's shapes:
//   POST /online/v1/payment/ready    -> {tid, next_redirect_pc_url, ...}
//   POST /online/v1/payment/approve  -> {aid, tid, amount:{total,...}, ...}
//   POST /online/v1/payment/cancel   -> {tid, status:"CANCEL_PAYMENT", canceled_amount:{total}}
//   POST /online/v1/payment/order    -> {tid, status, amount:{total}, ...} (order inquiry)
//   GET  /pay/{tid}?action=approve|cancel|fail
//        the buyer's page: 302 to approval_url?pg_token=..., cancel_url or fail_url
// and its error answers: {"error_code", "error_message"} with 401 for a bad
// secret key, 400 for an unknown tid, a wrong pg_token or partner ids, and
// an already approved tid.
//
// Switches (set on the returned handle):
//   fake.approveAmount = n     approve reports amount.total = n (a provider that took another amount)
//   fake.approveMode = 'ok' | 'error500' | 'timeout' | 'lost'
//       timeout: never answers (until close()) and approves nothing;
//       lost: approves (the buyer is charged) but the answer never comes
//   fake.readyMode   = 'ok' | 'error500' | 'timeout'
// Every request is recorded in fake.calls: {path, auth, body}.

import http from 'node:http';
import crypto from 'node:crypto';

const HOST = '127.0.0.1';

function err(res, status, code, message) {
  const body = JSON.stringify({ error_code: code, error_message: message });
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function ok(res, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the fake. opts.secretKey: the key it accepts (default 'DEV_FAKE_SECRET').
 * opts.t: a test context to close it after. Returns the handle.
 */
export async function startFakeKakaoPay({ secretKey = 'DEV_FAKE_SECRET', t } = {}) {
  const payments = new Map(); // tid -> record
  const held = new Set(); // responses held open by 'timeout' modes
  const fake = {
    secretKey,
    url: '',
    payments,
    calls: [],
    approveAmount: null,
    approveMode: 'ok',
    readyMode: 'ok',
    cancels: [],
    byOrder(id) {
      for (const p of payments.values()) if (p.partner_order_id === id) return p;
      return null;
    },
    async close() {
      for (const res of held) res.destroy();
      held.clear();
      server.closeAllConnections?.();
      await new Promise((r) => server.close(() => r()));
    },
  };

  async function handle(req, res) {
    const url = new URL(req.url, `http://${HOST}`);
    if (req.method === 'GET' && url.pathname.startsWith('/pay/')) return buyerPage(url, res);
    const raw = await readBody(req);
    const auth = req.headers.authorization || '';
    fake.calls.push({ path: url.pathname, auth, body: raw });
    if (req.method !== 'POST') return err(res, 405, -405, 'method not allowed');
    if (auth !== `SECRET_KEY ${secretKey}`) return err(res, 401, -401, 'invalid secret key');
    if (!/^application\/json/i.test(req.headers['content-type'] || '')) return err(res, 400, -400, 'content-type must be application/json');
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return err(res, 400, -400, 'invalid json');
    }
    switch (url.pathname) {
      case '/online/v1/payment/ready':
        return ready(body, res);
      case '/online/v1/payment/approve':
        return approve(body, res);
      case '/online/v1/payment/cancel':
        return cancel(body, res);
      case '/online/v1/payment/order':
        return order(body, res);
      default:
        return err(res, 404, -404, 'not found');
    }
  }

  function hold(res) {
    held.add(res);
    res.on('close', () => held.delete(res));
  }

  function ready(b, res) {
    if (fake.readyMode === 'error500') return err(res, 500, -500, 'internal error');
    if (fake.readyMode === 'timeout') return hold(res);
    const need = ['cid', 'partner_order_id', 'partner_user_id', 'item_name', 'approval_url', 'cancel_url', 'fail_url'];
    for (const k of need) if (typeof b[k] !== 'string' || !b[k]) return err(res, 400, -400, `${k} is required`);
    for (const k of ['quantity', 'total_amount', 'tax_free_amount']) {
      if (!Number.isInteger(b[k]) || b[k] < 0) return err(res, 400, -400, `${k} must be an integer`);
    }
    if (b.total_amount <= 0) return err(res, 400, -400, 'total_amount must be positive');
    const tid = 'T' + crypto.randomBytes(9).toString('hex');
    const rec = { ...b, tid, status: 'READY', pg_token: null, approved: null };
    payments.set(tid, rec);
    const next = `${fake.url}/pay/${tid}`;
    ok(res, {
      tid,
      tms_result: false,
      created_at: new Date().toISOString(),
      next_redirect_app_url: `${next}?via=app`,
      next_redirect_mobile_url: `${next}?via=mobile`,
      next_redirect_pc_url: next,
      android_app_scheme: `kakaotalk://kakaopay/pg?url=${next}`,
      ios_app_scheme: `kakaotalk://kakaopay/pg?url=${next}`,
    });
  }

  function buyerPage(url, res) {
    const tid = url.pathname.slice('/pay/'.length);
    const rec = payments.get(tid);
    if (!rec) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('no such payment');
    }
    const action = url.searchParams.get('action') || 'approve';
    let location;
    if (action === 'approve') {
      rec.pg_token = crypto.randomBytes(10).toString('hex');
      rec.status = 'AUTH_PASSWORD';
      location = `${rec.approval_url}?pg_token=${rec.pg_token}`;
    } else if (action === 'cancel') {
      rec.status = 'QUIT_PAYMENT';
      location = rec.cancel_url;
    } else {
      rec.status = 'FAIL_PAYMENT';
      location = rec.fail_url;
    }
    res.writeHead(302, { location });
    res.end();
  }

  function approve(b, res) {
    if (fake.approveMode === 'error500') return err(res, 500, -500, 'internal error');
    if (fake.approveMode === 'timeout') return hold(res);
    const rec = payments.get(b.tid);
    if (!rec || rec.cid !== b.cid) return err(res, 400, -780, 'approval failure! invalid tid');
    if (rec.partner_order_id !== b.partner_order_id || rec.partner_user_id !== b.partner_user_id) {
      return err(res, 400, -780, 'approval failure! partner ids do not match');
    }
    if (rec.approved) return err(res, 400, -702, 'payment is already done!');
    if (!rec.pg_token || rec.pg_token !== b.pg_token) return err(res, 400, -780, 'approval failure! invalid pg_token');
    const total = fake.approveAmount ?? rec.total_amount;
    rec.status = 'SUCCESS_PAYMENT';
    rec.approved = total;
    if (fake.approveMode === 'lost') return hold(res);
    ok(res, {
      aid: 'A' + crypto.randomBytes(9).toString('hex'),
      tid: rec.tid,
      cid: rec.cid,
      partner_order_id: rec.partner_order_id,
      partner_user_id: rec.partner_user_id,
      payment_method_type: 'MONEY',
      item_name: rec.item_name,
      quantity: rec.quantity,
      amount: { total, tax_free: 0, vat: Math.floor(total / 11), point: 0, discount: 0, green_deposit: 0 },
      created_at: new Date().toISOString(),
      approved_at: new Date().toISOString(),
    });
  }

  function order(b, res) {
    const rec = payments.get(b.tid);
    if (!rec || rec.cid !== b.cid) return err(res, 400, -400, 'invalid tid');
    ok(res, {
      tid: rec.tid,
      cid: rec.cid,
      status: rec.status,
      partner_order_id: rec.partner_order_id,
      partner_user_id: rec.partner_user_id,
      item_name: rec.item_name,
      quantity: rec.quantity,
      amount: { total: rec.approved ?? rec.total_amount, tax_free: 0, vat: 0, point: 0, discount: 0 },
      canceled_amount: { total: fake.cancels.filter((c) => c.tid === rec.tid).reduce((a, c) => a + c.amount, 0) },
      created_at: new Date().toISOString(),
    });
  }

  function cancel(b, res) {
    const rec = payments.get(b.tid);
    if (!rec || rec.cid !== b.cid) return err(res, 400, -400, 'invalid tid');
    if (!rec.approved) return err(res, 400, -721, 'payment is not approved');
    if (!Number.isInteger(b.cancel_amount) || b.cancel_amount <= 0 || b.cancel_amount > rec.approved) {
      return err(res, 400, -400, 'invalid cancel_amount');
    }
    rec.status = 'CANCEL_PAYMENT';
    fake.cancels.push({ tid: rec.tid, amount: b.cancel_amount });
    ok(res, { tid: rec.tid, status: 'CANCEL_PAYMENT', canceled_amount: { total: b.cancel_amount } });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) err(res, 500, -500, String(e?.message || e));
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  fake.url = `http://${HOST}:${server.address().port}`;
  if (t && typeof t.after === 'function') t.after(() => fake.close());
  return fake;
}
