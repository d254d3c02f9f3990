// Points and donations: exact totals under concurrency, never overdrawn,
// idempotent retries, every bad input refused, each donation an event of the
// channel's chat, and a ledger that checks out after kill -9.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { test, startServer, newUser, runOnairSync } from './lib/server.mjs';
import { connect, join } from './lib/chat.mjs';
import { charge, donate } from './lib/wallet.mjs';

/** Runs `onair admin check-ledger` on srv's data directory. */
function checkLedger(srv) {
  const r = runOnairSync(['admin', 'check-ledger', '--data', srv.dataDir], { timeoutMs: 30_000 });
  return r;
}

describe('wallet and donations', () => {
  let srv;
  before(async () => {
    srv = await startServer({});
  });
  after(async () => srv?.stop());

  test('a donation: 201 with its shape, balances move, chat and lists show it', async (t) => {
    const giver = await newUser(srv, 'gv');
    const streamer = await newUser(srv, 'st');
    assert.equal((await srv.api('GET', '/api/wallet', undefined, giver.access)).json.balance, 0);
    assert.equal(await charge(srv, giver.access, 1000), 1000);
    const room = `channel:${streamer.username}`;
    const viewer = await connect(srv, null, { t });
    const joined = await join(viewer, room);
    const r = await donate(srv, giver.access, streamer.username, 300, { message: '방송 잘 보고 있어요', idempotency_key: 'k1' });
    assert.equal(r.status, 201, r.text);
    const d = r.json.donation;
    assert.equal(d.amount, 300);
    assert.equal(d.message, '방송 잘 보고 있어요');
    assert.equal(d.from.name, giver.username);
    assert.equal(d.to.name, streamer.username);
    assert.ok(Date.parse(d.created_at) > 0);
    assert.equal(r.json.balance, 700);
    assert.equal((await srv.api('GET', '/api/wallet', undefined, streamer.access)).json.balance, 300);
    // The chat event, in the room's seq order.
    const ev = await viewer.next((m) => m.type === 'donation');
    assert.equal(ev.room, room);
    assert.equal(ev.seq, joined.last_seq + 1);
    assert.equal(ev.amount, 300);
    assert.equal(ev.user.name, giver.username);
    assert.equal(ev.message, '방송 잘 보고 있어요');
    const hist = await srv.api('GET', `/api/rooms/${room}/messages`);
    assert.ok(hist.json.messages.some((m) => m.type === 'donation' && m.seq === ev.seq));
    // Lists.
    const sent = await srv.api('GET', '/api/me/donations?direction=sent', undefined, giver.access);
    assert.deepEqual(sent.json.donations.map((x) => x.id), [d.id]);
    const got = await srv.api('GET', '/api/me/donations?direction=received', undefined, streamer.access);
    assert.deepEqual(got.json.donations.map((x) => x.id), [d.id]);
    const top = await srv.api('GET', `/api/channels/${streamer.username}/donations/top`);
    assert.equal(top.status, 200);
    assert.deepEqual(top.json.top.map((x) => [x.user.name, x.total]), [[giver.username, 300]]);
    const own = await srv.api('GET', `/api/channels/${streamer.username}/donations`, undefined, streamer.access);
    assert.equal(own.status, 200);
    assert.equal(own.json.total_amount, 300);
    assert.equal(own.json.count, 1);
    assert.equal((await srv.api('GET', `/api/channels/${streamer.username}/donations`, undefined, giver.access)).status, 403);
  });

  test('every bad donation is refused and moves nothing', async () => {
    const giver = await newUser(srv, 'bd');
    const streamer = await newUser(srv, 'bs');
    await charge(srv, giver.access, 500);
    const ch = streamer.username;
    for (const amount of [0, -1, 1.5, '100', null, true, 1_000_001]) {
      const r = await donate(srv, giver.access, ch, amount);
      assert.equal(r.status, 422, `amount ${JSON.stringify(amount)}: ${r.status}`);
      assert.equal(r.json.error.code, 'validation_failed');
    }
    assert.equal((await donate(srv, giver.access, ch, 10, { message: '가'.repeat(201) })).status, 422);
    assert.equal((await donate(srv, giver.access, ch, 10, { message: 5 })).status, 422);
    assert.equal((await donate(srv, giver.access, ch, 10, { idempotency_key: 'x'.repeat(65) })).status, 422);
    assert.equal((await donate(srv, giver.access, giver.username, 10)).status, 422, 'to yourself');
    assert.equal((await donate(srv, giver.access, 'nobody_here_x', 10)).status, 404);
    assert.equal((await donate(srv, null, ch, 10)).status, 401);
    const poor = await donate(srv, giver.access, ch, 501);
    assert.equal(poor.status, 409);
    assert.equal(poor.json.error.code, 'insufficient_funds');
    assert.equal(poor.json.balance, 500);
    assert.equal((await donate(srv, giver.access, ch, 10, { message: '가'.repeat(200) })).status, 201);
    assert.equal((await srv.api('GET', '/api/wallet', undefined, giver.access)).json.balance, 490);
  });

  test('a retry with the same idempotency key returns the first donation and moves nothing', async () => {
    const giver = await newUser(srv, 'ig');
    const streamer = await newUser(srv, 'is');
    await charge(srv, giver.access, 1000);
    const rs = await Promise.all(
      Array.from({ length: 5 }, () => donate(srv, giver.access, streamer.username, 100, { idempotency_key: 'once' })),
    );
    for (const r of rs) assert.equal(r.status, 201, r.text);
    assert.equal(new Set(rs.map((r) => r.json.donation.id)).size, 1);
    assert.equal(rs.filter((r) => !r.json.replayed).length, 1);
    assert.equal((await srv.api('GET', '/api/wallet', undefined, giver.access)).json.balance, 900);
    const hist = await srv.api('GET', `/api/rooms/channel:${streamer.username}/messages`);
    assert.equal(hist.json.messages.filter((m) => m.type === 'donation').length, 1);
  });

  test('1,000 concurrent donations of 100 from 100 users add up exactly', { timeout: 120_000 }, async () => {
    const streamer = await newUser(srv, 'cs');
    const givers = [];
    for (let i = 0; i < 100; i++) givers.push(await newUser(srv, `c${i}`));
    await Promise.all(givers.map((g) => charge(srv, g.access, 1000)));
    const rs = await Promise.all(
      givers.flatMap((g) => Array.from({ length: 10 }, () => donate(srv, g.access, streamer.username, 100))),
    );
    assert.deepEqual([...new Set(rs.map((r) => r.status))], [201]);
    assert.equal((await srv.api('GET', '/api/wallet', undefined, streamer.access)).json.balance, 100_000);
    for (const g of givers.slice(0, 5)) assert.equal((await srv.api('GET', '/api/wallet', undefined, g.access)).json.balance, 0);
    const own = await srv.api('GET', `/api/channels/${streamer.username}/donations?limit=1`, undefined, streamer.access);
    assert.equal(own.json.count, 1000);
    assert.equal(own.json.total_amount, 100_000);
    // The chat got 1,000 donation events, gapless.
    const seqs = [];
    let before = 0;
    for (;;) {
      const page = await srv.api('GET', `/api/rooms/channel:${streamer.username}/messages?limit=200${before ? `&before_seq=${before}` : ''}`);
      seqs.push(...page.json.messages.filter((m) => m.type === 'donation').map((m) => m.seq));
      if (page.json.next_before_seq === null) break;
      before = page.json.next_before_seq;
    }
    seqs.sort((a, b) => a - b);
    assert.equal(seqs.length, 1000);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
    const ledger = checkLedger(srv);
    assert.equal(ledger.status, 0, ledger.stdout + ledger.stderr);
  });

  test('100 concurrent donations worth more than the balance: exactly as many as it allows', async () => {
    const giver = await newUser(srv, 'og');
    const streamer = await newUser(srv, 'os');
    await charge(srv, giver.access, 1000);
    const rs = await Promise.all(Array.from({ length: 100 }, () => donate(srv, giver.access, streamer.username, 30)));
    const ok = rs.filter((r) => r.status === 201).length;
    assert.equal(ok, 33);
    assert.equal(rs.filter((r) => r.status === 409).length, 67);
    assert.equal((await srv.api('GET', '/api/wallet', undefined, giver.access)).json.balance, 10);
    assert.equal((await srv.api('GET', '/api/wallet', undefined, streamer.access)).json.balance, 990);
  });
});

describe('wallet durability', () => {
  test('kill -9 during a donation storm: every 201 is kept and the ledger checks out', { timeout: 120_000 }, async (t) => {
    const srv = await startServer({ t });
    const streamer = await newUser(srv, 'ks');
    const givers = [];
    for (let i = 0; i < 20; i++) givers.push(await newUser(srv, `k${i}`));
    await Promise.all(givers.map((g) => charge(srv, g.access, 100_000)));
    const acked = [];
    let stop = false;
    const storm = givers.map(async (g) => {
      for (let i = 0; i < 500 && !stop; i++) {
        try {
          const r = await donate(srv, g.access, streamer.username, 7);
          if (r.status === 201) acked.push(r.json.donation.id);
        } catch {
          return; // the server died under us
        }
      }
    });
    while (acked.length < 300) await new Promise((r) => setTimeout(r, 20));
    srv.kill9();
    stop = true;
    await Promise.all(storm);
    await srv.restart();
    const ledger = checkLedger(srv);
    assert.equal(ledger.status, 0, ledger.stdout + ledger.stderr);
    const ids = new Set();
    let before = 0;
    for (;;) {
      const q = `/api/channels/${streamer.username}/donations?limit=100${before ? `&before_id=${before}` : ''}`;
      const page = await srv.api('GET', q, undefined, streamer.access);
      for (const d of page.json.donations) ids.add(d.id);
      if (page.json.next_before_id === null) break;
      before = page.json.next_before_id;
    }
    for (const id of acked) assert.ok(ids.has(id), `acknowledged donation ${id} lost`);
    const bal = (await srv.api('GET', '/api/wallet', undefined, streamer.access)).json.balance;
    assert.equal(bal, ids.size * 7);
  });
});
