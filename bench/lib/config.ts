/** Generated bot configs for benches and fault tests: sentry configured, console off, lowdb in a temp dir. */
import { createServer } from 'node:net';

export interface BotYamlOptions {
  dataDir: string;
  port?: number;
  clientSecret: string;
  legacyToken?: string;
  retention?: number;
  /** storage.driver (default lowdb). */
  driver?: 'lowdb' | 'memory' | 'postgres';
  /** storage.url (postgres). */
  storageUrl?: string;
  logLevel?: string;
  /** Extra YAML appended at top level (e.g. gitlab:, chat: sections). */
  extra?: string;
  chat?: string;
}

/** A config with the Sentry source on, cards to `test:` chats (no adapter in a child: dropped with a warning). */
export function botYaml(o: BotYamlOptions): string {
  return `
locale: en
server: { port: ${o.port ?? 3000}, host: 127.0.0.1 }
storage: { driver: ${o.driver ?? 'lowdb'}, dataDir: ${JSON.stringify(o.dataDir)}, deliveriesRetention: ${o.retention ?? 5000}${o.storageUrl ? `, url: ${JSON.stringify(o.storageUrl)}` : ''} }
log: { level: ${o.logLevel ?? 'silent'} }
${o.chat ?? 'chat: { console: false }'}
people:
  alice: { name: Alice, roles: [deployer] }
teams:
  payments: { members: [alice], chats: ["test:pay"] }
products:
  demo:
    team: payments
    owners: [alice]
    sentryProjects: [front-end, demo-web]
    components: [component-a]
    releases:
      v1.0.0: { component-a: v1.0.0 }
    environments:
      env-1: { engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }
sentry:
  url: http://127.0.0.1:9
  org: acme
  authToken: ${JSON.stringify('sntrys-bench-auth-token-0123456789')}
  clientSecret: ${JSON.stringify(o.clientSecret)}
  ${o.legacyToken ? `legacyToken: ${JSON.stringify(o.legacyToken)}` : ''}
  appSlug: opsbot
${o.extra ?? ''}
`;
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Polls `GET url` until it answers `status`; returns the elapsed ms. */
export async function waitForStatus(url: string, status = 200, timeoutMs = 20_000, intervalMs = 20): Promise<number> {
  const t0 = performance.now();
  let last = 'no answer';
  while (performance.now() - t0 < timeoutMs) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === status) return performance.now() - t0;
      last = `status ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (${last})`);
}
