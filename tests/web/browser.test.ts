// The web console in real Chromium (Debian's /usr/bin/chromium driven by playwright-core; never a
// downloaded browser: alerting-and-engines.md §5). Covers issue 20's browser tests and its "Done when".
// Screenshots go to tests/web/screenshots/ (gitignored).
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cardToText } from '../../cards/model.ts';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { alertCollection } from '../../src/sources/sentry/state.ts';
import { detailsUrlOf, startWebBot, until, type WebBot } from './helpers.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
const SHOTS = new URL('./screenshots/', import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

let browser: Browser;
let bot: WebBot | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
  await bot?.stop();
  bot = undefined;
});

/** A phone-sized page (390×844, the size). */
async function phone() {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'zh-CN' });
  contexts.push(ctx);
  return ctx.newPage();
}

const stateOf = async (b: WebBot, id: string) => (await b.opsbot.services.get(DEPLOYS)!.get(id))?.state;

/** /login as `from` in the team group: the link arrives in their direct chat; the page's button signs in. */
async function signIn(b: WebBot, from: string) {
  const answer = (await b.say('/login', { from, chat: 'team' })).join('\n');
  expect(answer).toContain('私信');
  const dm = b.sentTo(`test:dm-${from}`).at(-1);
  const url = dm?.reply.kind === 'text' ? /https?:\/\/\S+/.exec(dm.reply.text)?.[0] : undefined;
  expect(url).toBeDefined();
  // The group never sees the link.
  expect(b.sentTo('test:team').some((m) => m.reply.kind === 'text' && m.reply.text.includes('/ui/login'))).toBe(false);
  const page = await phone();
  await page.goto(url!);
  await page.click('#sign-in');
  await page.waitForURL(/\/ui\/products$/);
  return page;
}

describe('web console in Chromium', () => {
  it('the deploy card link shows the log growing live to success; markup in a log line is text; no sideways scroll at 390 px', async () => {
    bot = await startWebBot();
    const b = bot;
    // Issue 20 "Done when": /deploy from the chat, open the card's link.
    await b.say('/deploy demo v1.1.0 env-1');
    const url = detailsUrlOf(b, 'task:1');
    const text = b.adapter.sent.filter((m) => m.cardKey === 'task:1').map((m) => (m.reply.kind === 'card' ? cardToText(m.reply.card) : ''));
    expect(text.at(-1)).toContain(`[查看详情 / Details: ${url}]`);

    const page = await phone();
    await page.goto(url);
    await page.locator('#log li', { hasText: 'step one of task 1' }).waitFor();
    // A marker the page would lose on a reload: the next lines must arrive without one.
    await page.evaluate('window.__sameDocument = true');
    b.open('1', 1);
    const two = page.locator('#log li', { hasText: 'step two' });
    await two.waitFor();
    expect(await two.textContent()).toContain('<script>window.__pwned=1</script> <b>bold</b>');
    expect(await page.locator('#log b').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();

    const width = await page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
    expect(width.scroll).toBeLessThanOrEqual(width.client);
    await page.screenshot({ path: `${SHOTS}task-running-390.png`, fullPage: true });

    b.open('1', 2);
    await page.locator('#state[data-state="succeeded"]').waitFor();
    await page.locator('#log li', { hasText: 'deploy finished' }).waitFor();
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(await page.locator('#state').textContent()).toBe('成功');
    await page.screenshot({ path: `${SHOTS}task-succeeded-390.png`, fullPage: true });

    // An altered signature and an expired link: the 403 page; no signature at all: 401.
    const altered = url.replace(/sig=([A-Za-z0-9_-])/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await page.goto(altered))!.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toBe('链接无效');
    const exp = Number(new URL(url).searchParams.get('exp'));
    expect((await page.goto(url.replace(`exp=${exp}`, `exp=${Math.floor(Date.now() / 1000) - 60}`)))!.status()).toBe(403);
    expect((await page.goto(`${b.base}/ui/tasks/1`))!.status()).toBe(401);
    await page.screenshot({ path: `${SHOTS}unsigned-401.png` });
  });

  it('/login signs in; the products page shows v1.1.0 on env-1; a deployer cancels from the page, a viewer cannot', async () => {
    bot = await startWebBot();
    const b = bot;
    await b.say('/deploy demo v1.1.0 env-1');
    b.open('1', 1);
    b.open('1', 2);
    await until(async () => (await stateOf(b, '1')) === 'succeeded');

    const alice = await signIn(b, 'alice');
    const env1 = alice.locator('li[data-env="env-1"]');
    expect(await env1.locator('.release').textContent()).toBe('v1.1.0');
    expect(await env1.textContent()).toContain('Alice');
    await alice.screenshot({ path: `${SHOTS}products-390.png`, fullPage: true });

    await b.say('/deploy demo v1.0.0 env-2');
    await until(async () => ((await stateOf(b, '2')) === 'running' ? true : undefined));

    // Bob (no roles) sees the task and its cancel button, but the dispatcher refuses him: the chat's rule.
    const bob = await signIn(b, 'bob');
    await bob.goto(`${b.base}/ui/tasks/2`);
    await bob.locator('form[action="/ui/actions"] button', { hasText: '取消' }).click();
    await bob.waitForURL(/\/ui\/actions$/);
    expect(await bob.locator('main').textContent()).toContain('权限');
    expect(await stateOf(b, '2')).toBe('running');

    await alice.goto(`${b.base}/ui/tasks/2`);
    await alice.locator('form[action="/ui/actions"] button', { hasText: '取消' }).click();
    await alice.waitForURL(/\/ui\/actions$/);
    await until(async () => ((await stateOf(b, '2')) === 'cancelled' ? true : undefined));
    await alice.click('#back');
    await alice.locator('#state[data-state="cancelled"]').waitFor();

    // Retry from the page: the new task is announced in the chat /login came from, like a click there.
    await alice.locator('form[action="/ui/actions"] button', { hasText: '重试' }).click();
    await alice.waitForURL(/\/ui\/actions$/);
    await until(() => (b.adapter.sent.some((m) => m.cardKey === 'task:3' && m.to === 'test:team') ? true : undefined));
    b.open('3', 1);
    b.open('3', 2);
    await until(async () => ((await stateOf(b, '3')) === 'succeeded' ? true : undefined));

    // Both attempts are in the audit log, as from the chat.
    const audit = await b.store.listAudit();
    expect(audit.some((e) => e.actor === 'bob' && e.command === '/cancel 2' && e.outcome === 'denied')).toBe(true);
    expect(audit.some((e) => e.actor === 'alice' && e.command === '/cancel 2' && e.outcome === 'ok' && e.chat === 'test:team')).toBe(true);
    await alice.goto(`${b.base}/ui/audit`);
    expect(await alice.locator('main').textContent()).toContain('/cancel 2');

    // A used login link does not sign in again.
    const used = b.sentTo('test:dm-alice').at(-1)!;
    const again = await phone();
    await again.goto(used.reply.kind === 'text' ? /https?:\/\/\S+/.exec(used.reply.text)![0] : '');
    expect(await again.locator('#sign-in').count()).toBe(0);

    // The forged form (no CSRF token) is refused even with the session cookie.
    const forged = await alice.evaluate(async () => {
      const r = await fetch('/ui/actions', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=wrong&command=%2Fcancel%201' });
      return r.status;
    });
    expect(forged).toBe(403);
  });

  it('the card preview page shows a Sentry alert card as DingTalk, WeCom and text', async () => {
    bot = await startWebBot();
    const alice = await signIn(bot, 'alice');
    await alice.goto(`${bot.base}/ui/previews`);
    const sentry = alice.locator('section[data-card="sentry-alert: sentryAlertCard"]');
    for (const platform of ['dingtalk', 'wecom', 'text']) {
      expect(await sentry.locator(`[data-platform="${platform}"] pre`).textContent()).toContain('TypeError');
    }
    expect(await sentry.locator('[data-platform="dingtalk"] pre').textContent()).toContain('sys_full_json_obj');
    expect(await sentry.locator('[data-platform="wecom"] pre').textContent()).toContain('button_interaction');
    const width = await alice.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(width).toBeLessThanOrEqual(0);
    await alice.screenshot({ path: `${SHOTS}previews-390.png` });
  });

  it('the alerts list and an alert page read Sentry\'s alerts; the page offers the card\'s buttons to a session', async () => {
    bot = await startWebBot();
    await alertCollection(bot.store).put('99', {
      key: '99', kind: 'issue', title: 'ZeroDivisionError <img src=x onerror=alert(1)>', count: 3, status: 'open', level: 'error', project: 'demo-web',
      url: 'https://sentry.io/organizations/acme/issues/99/', paging: false, chats: ['test:team'], owners: ['alice'], history: [], posted: {}, escalations: 0, updatedAt: Date.now(),
    });
    const alice = await signIn(bot, 'alice');
    await alice.goto(`${bot.base}/ui/alerts`);
    expect(await alice.locator('main').textContent()).toContain('未处理 1');
    expect(await alice.locator('main img').count()).toBe(0);
    await alice.locator('a', { hasText: 'ZeroDivisionError' }).click();
    await alice.waitForURL(/\/ui\/alerts\/99$/);
    expect(await alice.locator('form[action="/ui/actions"] input[name="command"]').evaluateAll((els) => els.map((e) => e.getAttribute('value')))).toContain('/sentry ack 99');
  });
});
