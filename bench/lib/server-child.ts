/**
 * A server under test, in its own process so the load generator does not share its CPU:
 *   node <bundle> koa                 (the bench runs it bundled: bench/lib/bundle.ts)
 *   node <bundle> bot <configFile>
 *   node <bundle> floor <clientSecret>   (the least any Sentry ingest must do: see floorServer)
 *   node --import tsx bench/lib/server-child.ts koa|bot …   (the same, unbundled)
 * Prints `LISTENING <port>` once ready; SIGTERM stops it cleanly (the bot drains and flushes).
 */
import http from 'node:http';
import Koa from 'koa';
import { pino } from 'pino';
import { createOpsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { VerificationError } from '../../src/core/errors.ts';
import { parseJsonObject } from '../../src/core/mount-source.ts';
import { verifySentrySignature } from '../../src/sources/sentry/verify.ts';

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
  if (mode === 'floor') return floorServer(configFile!);
  const { config } = loadConfig({ file: configFile! });
  const bot = await createOpsbot({ config, log: pino({ level: config.log.level }, process.stderr as unknown as pino.DestinationStream) });
  const server = await bot.start({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`LISTENING ${(server!.address() as { port: number }).port}\n`);
  process.on('SIGTERM', () => {
    void bot.stop().then(() => process.exit(0));
  });
}

/**
 * The floor under any ingest of a signed Sentry delivery, with no framework and no storage: node:http
 * reads the body, then the bot's own checks run on it (verifySentrySignature, sentry.md 1.3; and
 * parseJsonObject, the contract's 400 for what is not a JSON object), and it answers as the bot does.
 * Nothing is kept, so it pays no garbage collection for retained bodies and no page-cache writes: what
 * it costs is what no ingest of these deliveries can skip.
 */
function floorServer(secret: string): void {
  const answer = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      try {
        verifySentrySignature(raw, req.headers['sentry-hook-signature'] as string | undefined, secret);
        parseJsonObject(raw.toString('utf8'));
      } catch (err) {
        return answer(res, err instanceof VerificationError ? 401 : 400, { error: (err as Error).message });
      }
      answer(res, 200, { ok: true, duplicate: false });
    });
  });
  server.keepAliveTimeout = 5_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${(server.address() as { port: number }).port}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`server-child failed: ${String(err)}\n`);
  process.exit(1);
});
