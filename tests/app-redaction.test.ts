// Hardening item 2/3 end to end, through createOpsbot: a deploy script that prints a configured secret
// must leave it neither in the task log nor in any chat message (task card log tail included).
import { expect, it } from 'vitest';
import { BASE_YAML, createTestBot } from './helpers/test-bot.ts';

const TOKEN = 'sntrys_wired_token_0123456789';

it('a script echoing a configured secret reaches neither the task log nor the chat', async () => {
  const yaml =
    BASE_YAML.replace('env-1: { engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }', `env-1: { engine: { type: command, run: ["/bin/echo", "token=${TOKEN}"] } }`) +
    `sentry: { org: acme, authToken: "${TOKEN}", clientSecret: "client-secret-0123456789", url: "http://127.0.0.1:9" }\n`;
  const bot = await createTestBot({ yaml });
  try {
    await bot.say('/deploy demo v1.1.0 env-1', { from: 'alice' });
    const until = Date.now() + 5000;
    while (Date.now() < until && !bot.adapter.sent.some((m) => JSON.stringify(m).includes('[REDACTED]'))) await new Promise((r) => setTimeout(r, 50));
    const all = JSON.stringify(bot.adapter.sent);
    expect(all).toContain('[REDACTED]');
    expect(all).not.toContain(TOKEN);
    const log = (await bot.store.readLog('1')).join('\n');
    expect(log).toContain('[REDACTED]');
    expect(log).not.toContain(TOKEN);
  } finally {
    await bot.stop();
  }
});
