// The console over real HTTP without a browser: every page refuses unsigned requests (401), an altered
// or expired signature gets 403, the signed link opens exactly its page, headers are strict, and
// `web.enabled: false` mounts nothing.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signedPath } from '../../src/web/signing.ts';
import { detailsUrlOf, startWebBot, until, type WebBot } from './helpers.ts';

vi.setConfig({ testTimeout: 60_000 });
let bot: WebBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

const PAGES = ['/ui', '/ui/products', '/ui/tasks', '/ui/tasks/1', '/ui/tasks/1/events', '/ui/alerts', '/ui/alerts/1', '/ui/audit', '/ui/previews'];

async function secretOf(b: WebBot): Promise<string> {
  return (await b.store.collection<{ secret: string }>('web.secret', { tier: 'hot' }).get('hmac'))!.secret;
}

describe('web console over HTTP', () => {
  it('refuses every page without a signed link or session, and accepts the card link for its own page only', async () => {
    bot = await startWebBot({ locale: 'en' });
    for (const p of PAGES) {
      const r = await fetch(bot.base + p, { redirect: 'manual' });
      expect(r.status, p).toBe(401);
      expect(r.headers.get('content-security-policy'), p).toContain("default-src 'none'");
    }
    expect((await fetch(`${bot.base}/ui/actions`, { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(401);

    await bot.say('/deploy demo v1.1.0 env-1');
    const url = detailsUrlOf(bot, 'task:1');
    expect(url.startsWith(`${bot.base}/ui/tasks/1?exp=`)).toBe(true);
    await until(async () => (await bot!.store.readLog('1')).some((l) => l.includes('step one')));
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    const csp = ok.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9_-]+'/);
    expect(csp).toContain("connect-src 'self'");
    expect(ok.headers.get('referrer-policy')).toBe('no-referrer');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await ok.text()).toContain('step one of task 1');

    const u = new URL(url);
    // The same signature on another page, an altered signature, an altered expiry: 403.
    expect((await fetch(`${bot.base}/ui/tasks/2${u.search}`)).status).toBe(403);
    expect((await fetch(`${bot.base}/ui/products${u.search}`)).status).toBe(403);
    const sig = u.searchParams.get('sig')!;
    expect((await fetch(`${bot.base}/ui/tasks/1?exp=${u.searchParams.get('exp')}&sig=${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`)).status).toBe(403);
    expect((await fetch(`${bot.base}/ui/tasks/1?exp=${Number(u.searchParams.get('exp')) + 1}&sig=${sig}`)).status).toBe(403);
    const expired = signedPath(await secretOf(bot), '/ui/tasks/1', Date.now() - 7_200_000, 3_600_000);
    const r = await fetch(bot.base + expired);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('expired');

    bot.open('1', 1);
    bot.open('1', 2);
    await until(async () => (await bot!.opsbot.services.get((await import('../../src/deploy/service.ts')).DEPLOYS)!.get('1'))?.state === 'succeeded');
  });

  it('mounts nothing when web.enabled is false, and /login answers "not enabled"', async () => {
    bot = await startWebBot({ locale: 'en', web: '{ enabled: false }' });
    expect((await fetch(`${bot.base}/ui/products`)).status).toBe(404);
    expect((await bot.say('/login', { chat: 'dm', from: 'alice' })).join('\n')).toContain('not enabled');
    await bot.say('/deploy demo v1.1.0 env-1');
    const card = bot.adapter.sent.find((m) => m.cardKey === 'task:1');
    expect(card?.reply.kind === 'card' && card.reply.card.details).toBeFalsy();
    bot.open('1', 1);
    bot.open('1', 2);
  });

  it('a secret never renders: a command text carrying one shows redacted in the audit page', async () => {
    const secret = 'S3cr3t-web-key-0123456789-abcdefghijkl';
    bot = await startWebBot({ locale: 'en', web: `{ enabled: true, secret: "${secret}" }` });
    await bot.say(`/deploy demo ${secret} env-1`);
    await bot.say('/login', { chat: 'team', from: 'alice' });
    const dm = bot.sentTo('test:dm-alice').at(-1)!;
    const token = dm.reply.kind === 'text' ? /token=([A-Za-z0-9_-]+)/.exec(dm.reply.text)![1]! : '';
    const login = await fetch(`${bot.base}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(login.headers.get('set-cookie')).toContain('HttpOnly');
    const audit = await (await fetch(`${bot.base}/ui/audit`, { headers: { cookie } })).text();
    expect(audit).toContain('/deploy demo [REDACTED] env-1');
    expect(audit).not.toContain(secret);
    // The login link worked once.
    expect((await fetch(`${bot.base}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` })).status).toBe(403);
  });

  it('a signed-in reader filtering by a product that does not exist gets a 400 page, never a 500', async () => {
    bot = await startWebBot({ locale: 'en' });
    await bot.say('/login', { chat: 'team', from: 'alice' });
    const dm = bot.sentTo('test:dm-alice').at(-1)!;
    const token = dm.reply.kind === 'text' ? /token=([A-Za-z0-9_-]+)/.exec(dm.reply.text)![1]! : '';
    const login = await fetch(`${bot.base}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    for (const q of ['product=nope', 'product=constructor', 'product=__proto__']) {
      const r = await fetch(`${bot.base}/ui/tasks?${q}`, { headers: { cookie } });
      expect(r.status, q).toBe(400);
      expect(await r.text(), q).toContain(q.slice('product='.length));
    }
  });
});
