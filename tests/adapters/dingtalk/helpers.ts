/** Test helpers: fixtures, a silent logger, and a local fake DingTalk HTTP server (OpenAPI + sessionWebhook). */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { dingtalkConfigSchema, type DingtalkConfig } from '../../../src/adapters/dingtalk/config.ts';

export const FIXTURES = new URL('../../fixtures/dingtalk', import.meta.url).pathname;
export const fixture = <T = Record<string, unknown>>(name: string): T => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8')) as T;
export const silentLog = pino({ level: 'silent' });

export interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export type Responder = (req: Recorded) => { status?: number; body?: unknown } | undefined;

/** A 127.0.0.1 server that records every JSON request and answers via `respond` (default: sensible OKs). */
export async function startFakeDingtalk(respond: Responder = () => undefined) {
  const calls: Recorded[] = [];
  let tokenN = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} };
      calls.push(rec);
      let answer = respond(rec);
      if (!answer) {
        if (rec.path === '/v1.0/oauth2/accessToken') answer = { body: { accessToken: `tok-${++tokenN}`, expireIn: 7200 } };
        else if (rec.path.startsWith('/robot/sendBySession')) answer = { body: { errcode: 0, errmsg: 'ok' } };
        else if (rec.path === '/v1.0/card/instances/createAndDeliver') answer = { body: { success: true, result: { outTrackId: rec.body['outTrackId'], deliverResults: [{ success: true }] } } };
        else answer = { body: { processQueryKey: 'pqk' } };
      }
      res.statusCode = answer.status ?? 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    calls,
    callsTo: (path: string) => calls.filter((c) => c.path.split('?')[0] === path),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A parsed config pointing every base URL at `base`. */
export function testConfig(base: string, over: Partial<DingtalkConfig> = {}): DingtalkConfig {
  return dingtalkConfigSchema.parse({
    mode: 'http',
    clientId: 'dingAPPKEY',
    clientSecret: 'this is secret',
    robotCode: 'dingrobotcode00000',
    apiBase: base,
    oapiBase: base,
    gatewayUrl: `${base}/v1.0/gateway/connections/open`,
    ...over,
  });
}
