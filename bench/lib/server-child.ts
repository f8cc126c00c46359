/**
 * A server under test, in its own process so the load generator does not share its CPU:
 *   node <bundle> koa                 (the bench runs it bundled: bench/lib/bundle.ts)
 *   node <bundle> bot <configFile>
 *   node --import tsx bench/lib/server-child.ts koa|bot …   (the same, unbundled)
 * Prints `LISTENING <port>` once ready; SIGTERM stops it cleanly (the bot drains and flushes).
 */
import http from 'node:http';
import Koa from 'koa';
import { pino } from 'pino';
import { createOpsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';

const [mode, configFile] = process.argv.slice(2);

async function main(): Promise<void> {
  if (mode === 'koa') {
    // The baseline: Koa answering 200 JSON after reading the body, no routing, no work.
    const app = new Koa();
    app.use(async (ctx) => {
      for await (const _ of ctx.req) void _;
      ctx.body = { ok: true };
    });
    const server = http.createServer(app.callback());
    server.keepAliveTimeout = 5_000;
    server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${(server.address() as { port: number }).port}\n`));
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
    return;
  }
  const { config } = loadConfig({ file: configFile! });
  const bot = await createOpsbot({ config, log: pino({ level: config.log.level }, process.stderr as unknown as pino.DestinationStream) });
  const server = await bot.start({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`LISTENING ${(server!.address() as { port: number }).port}\n`);
  process.on('SIGTERM', () => {
    void bot.stop().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`server-child failed: ${String(err)}\n`);
  process.exit(1);
});
