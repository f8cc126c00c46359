/**
 * Fault-test helpers: a config with every source and HTTP-mode platform on and known secrets, signers for
 * each source, the bot in-process (createOpsbot on a temp lowdb dir) or as a child (`src/main.ts`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { encrypt } from '@wecom/crypto';
import { pino } from 'pino';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { createOpsbot, type Opsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { LowdbStore } from '../../src/store/lowdb-store.ts';
import type { Store } from '../../src/store/types.ts';
import type { StoredDelivery } from '../../src/core/deliveries.ts';
import { dingtalkSign } from '../../src/adapters/dingtalk/verify.ts';
import { wecomSignature } from '../../src/adapters/wecom/crypto.ts';
import { signStandardWebhook } from '../../src/sources/gitlab/verify.ts';
import { eventAlertBody, eventId, FIXTURE_CLIENT_SECRET, sentryHeaders, storedIdFor } from '../../bench/lib/sentry.ts';
import { freePort, waitForStatus } from '../../bench/lib/config.ts';
import { spawnNode, type Child } from '../../bench/lib/proc.ts';

/** Every secret of the config: none of these may ever appear in a log line or a chat message. */
export const SECRETS = {
  sentryClientSecret: FIXTURE_CLIENT_SECRET,
  sentryAuthToken: 'sntrys_SECRET_auth_9f1c2e7a4b',
  sentryLegacyToken: 'SECRETlegacy7d3e9a1c5b0f2468',
  gitlabToken: 'glpat-SECRETgitlabapi4c8e2a',
  gitlabWebhookSecret: 'SECRETgitlabhook5b1d9f3e7a',
  gitlabSigningToken: 'whsec_' + Buffer.from('SECRETsigningkey-0123456789abcdef').toString('base64'),
  dingtalkClientSecret: 'SECRETdingtalkAppSecret8e2c4a6b',
  wecomSecret: 'SECRETwecomAppSecret1a3c5e7g',
  wecomToken: 'SECRETwecomToken2b4d6f',
  wecomAesKey: 'SECRETwecomAESkey0123456789abcdefghijklmnop'.slice(0, 43),
  aibotToken: 'SECRETaibotToken9z8y7x',
  aibotAesKey: 'SECRETaibotAESkeyABCDEFGHIJKLMNOPQRSTUVWXYZ0'.slice(0, 43),
};
export const CORP_ID = 'wwcorp0123456789';
const LOCAL = 'http://127.0.0.1:9';

/** Config with sentry (+legacy), gitlab (token + signing token), DingTalk HTTP mode, WeCom app + aibot HTTP mode. */
export function allSourcesYaml(o: { dataDir: string; port?: number; logLevel?: string; console?: boolean; maxSkewSeconds?: number }): string {
  return `
locale: en
server: { port: ${o.port ?? 3000}, host: 127.0.0.1 }
storage: { driver: lowdb, dataDir: ${JSON.stringify(o.dataDir)} }
log: { level: ${o.logLevel ?? 'silent'} }
chat:
  console: ${o.console ? 'true' : 'false'}
  dingtalk: { mode: http, clientId: dingclientid, clientSecret: "${SECRETS.dingtalkClientSecret}", robotCode: dingclientid, apiBase: "${LOCAL}", oapiBase: "${LOCAL}", gatewayUrl: "${LOCAL}/gw" }
  wecom:
    corpId: ${CORP_ID}
    agentId: 1000002
    secret: "${SECRETS.wecomSecret}"
    token: "${SECRETS.wecomToken}"
    encodingAESKey: "${SECRETS.wecomAesKey}"
    apiBase: "${LOCAL}"
    aibot: { mode: http, botId: aibot1, token: "${SECRETS.aibotToken}", encodingAESKey: "${SECRETS.aibotAesKey}" }
people:
  alice: { name: Alice, dingtalk: user123, wecom: alice, roles: [admin] }
teams:
  payments: { members: [alice], chats: ["test:pay"] }
products:
  demo:
    team: payments
    owners: [alice]
    sentryProjects: [front-end, demo-web]
    gitlabProject: group/demo
    components: [component-a]
    releases:
      v1.0.0: { component-a: v1.0.0 }
    environments:
      env-1: { engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }
sentry:
  url: "${LOCAL}"
  org: acme
  authToken: "${SECRETS.sentryAuthToken}"
  clientSecret: "${SECRETS.sentryClientSecret}"
  legacyToken: "${SECRETS.sentryLegacyToken}"
  appSlug: opsbot
  maxSkewSeconds: ${o.maxSkewSeconds ?? 300}
  defaultChat: "test:pay"
gitlab:
  url: "${LOCAL}"
  token: "${SECRETS.gitlabToken}"
  webhookSecret: "${SECRETS.gitlabWebhookSecret}"
  signingToken: "${SECRETS.gitlabSigningToken}"
`;
}

export const tempDir = (prefix = 'opsbot-fault-'): string => mkdtempSync(path.join(tmpdir(), prefix));

export interface InProcessBot {
  url: string;
  opsbot: Opsbot;
  adapter: CaptureAdapter;
  dataDir: string;
  server: Server;
  stop(): Promise<void>;
}

/** createOpsbot on a temp lowdb dir with a CaptureAdapter for `test:` chats, listening on 127.0.0.1:0. */
export async function startInProcess(yaml: (dataDir: string) => string, o: { dataDir?: string; store?: (dataDir: string) => Promise<Store> } = {}): Promise<InProcessBot> {
  const dataDir = o.dataDir ?? tempDir();
  const { config } = loadConfig({ file: path.join(dataDir, 'opsbot.yaml'), text: yaml(dataDir), env: {} });
  const adapter = new CaptureAdapter();
  const store = o.store ? await o.store(dataDir) : undefined;
  const opsbot = await createOpsbot({ config, log: pino({ level: 'silent' }), adapters: [adapter], ...(store ? { store } : {}) });
  const server = (await opsbot.start({ port: 0, host: '127.0.0.1' }))!;
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, opsbot, adapter, dataDir, server, stop: () => opsbot.stop() };
}

/** The bot as a process: `node --import tsx src/main.ts` with a generated config file. */
export async function startChild(yamlText: string, dataDir: string, port: number, extraEnv: NodeJS.ProcessEnv = {}, stdin: 'ignore' | 'pipe' = 'ignore'): Promise<Child> {
  const file = path.join(dataDir, 'opsbot.yaml');
  writeFileSync(file, yamlText);
  const env: NodeJS.ProcessEnv = { ...process.env, OPSBOT_CONFIG: file, PORT: String(port), OPSBOT_DATA_DIR: dataDir, NODE_ENV: 'production', ...extraEnv };
  const child = spawnNode(['--import', 'tsx', 'src/main.ts'], { env, stdin });
  try {
    await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200, 30_000);
  } catch (err) {
    child.proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${child.stderr().slice(-2000)}${child.stdout().slice(-2000)}`, { cause: err });
  }
  return child;
}
export { freePort };

/** Every stored delivery in a data dir, read fresh from deliveries.json through the lowdb driver. */
export async function readDeliveries(dataDir: string): Promise<StoredDelivery[]> {
  const store = new LowdbStore(dataDir);
  await store.init();
  const all = await store.collection<StoredDelivery>('deliveries', { tier: 'bulk' }).list();
  await store.close();
  return all;
}

// ---- signers -------------------------------------------------------------------------------------

export function dingtalkHeaders(nowMs = Date.now(), secret = SECRETS.dingtalkClientSecret): Record<string, string> {
  const ts = String(nowMs);
  return { 'content-type': 'application/json; charset=utf-8', timestamp: ts, sign: dingtalkSign(ts, secret) };
}

export function gitlabSigned(body: string, opts: { id?: string; ts?: number; token?: string } = {}): Record<string, string> {
  const id = opts.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  return { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signStandardWebhook(opts.token ?? SECRETS.gitlabSigningToken, id, ts, Buffer.from(body)) };
}

/** An encrypted WeCom callback: query string (msg_signature, timestamp, nonce) and the ciphertext. */
export function wecomSealed(plain: string, opts: { token: string; aesKey: string; receiveId: string; ts?: number; signToken?: string }): { query: string; encrypted: string } {
  const encrypted = encrypt(opts.aesKey, plain, opts.receiveId);
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  const nonce = Math.random().toString(36).slice(2);
  const sig = wecomSignature(opts.signToken ?? opts.token, ts, nonce, encrypted);
  return { query: `msg_signature=${sig}&timestamp=${ts}&nonce=${nonce}`, encrypted, };
}

export const appXml = (encrypted: string): string => `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`;
export const appTextPlain = (id: string, text: string): string =>
  `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[alice]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${text}]]></Content><MsgId>${id}</MsgId><AgentID>1000002</AgentID></xml>`;

export async function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { method: 'POST', body, headers });
  return { status: r.status, text: await r.text() };
}

/**
 * Posts `total` unique signed Sentry deliveries over `connections` concurrent workers and SIGKILLs `bot`
 * once `killAfter` have been acknowledged; the rest find the bot gone. What each side saw, for the
 * "every 2xx is stored" checks of the kill tests (lowdb and PostgreSQL).
 */
export async function ingestUntilKilled(o: { port: number; bot: Child; total: number; connections: number; killAfter: number; marker: string }): Promise<{ acked: Set<string>; failed: string[]; killedAt: number }> {
  const acked = new Set<string>();
  const failed: string[] = [];
  let next = 0;
  let killedAt = -1;
  const worker = async () => {
    while (next < o.total) {
      const n = next++;
      const body = eventAlertBody(eventId(o.marker, n));
      try {
        const r = await fetch(`http://127.0.0.1:${o.port}/webhooks/sentry`, { method: 'POST', body, headers: sentryHeaders(body, FIXTURE_CLIENT_SECRET) });
        await r.arrayBuffer();
        if (r.status >= 200 && r.status < 300) acked.add(storedIdFor(body));
        else failed.push(`${n}: ${r.status}`);
      } catch {
        failed.push(`${n}: connection error`);
      }
      if (acked.size >= o.killAfter && killedAt < 0) {
        killedAt = acked.size;
        o.bot.proc.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: o.connections }, worker));
  await o.bot.exited;
  return { acked, failed, killedAt };
}
