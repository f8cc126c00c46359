/**
 * Resource limits of the HTTP server: a socket flood is bounded (server.maxConnections: the sockets past
 * it are closed at once, idle ones go after the headers timeout) and a trickled webhook body is cut with
 * a 408 within server.bodyTimeoutSeconds.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createOpsbot, type Opsbot } from '../../src/app.ts';
import type { ChatAdapter } from '../../src/adapters/types.ts';
import { loadConfig } from '../../src/config/load.ts';

const MAX = 20;
let bot: Opsbot;
let port: number;
let handled = 0;

const probe: ChatAdapter = {
  platform: 'test',
  addressPrefixes: ['probe'],
  routes: () => [{ method: 'POST', path: '/webhooks/probe', handle: async () => { handled++; return { status: 200, body: { ok: true } }; } }],
  start: async () => {},
  stop: async () => {},
  send: async () => {},
};

beforeAll(async () => {
  const yaml = `chat: { console: false }\nserver: { maxConnections: ${MAX}, bodyTimeoutSeconds: 1, headersTimeoutSeconds: 2 }\n`;
  const { config } = loadConfig({ file: 't.yaml', text: yaml, env: {} });
  bot = await createOpsbot({ config, log: pino({ level: 'silent' }), adapters: [probe] });
  const server = await bot.start({ port: 0, host: '127.0.0.1' });
  port = (server!.address() as AddressInfo).port;
});
afterAll(async () => {
  await bot.stop();
});

/** A raw socket: resolves once connected; `closed` settles with the time the server closed it. */
function open(): Promise<{ socket: net.Socket; closed: Promise<number>; data: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now())));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed, data: () => text }));
    socket.once('error', reject);
  });
}

describe('resource limits', () => {
  it(`a flood of ${MAX + 50} idle sockets: those past maxConnections are closed at once, the rest after the headers timeout; then requests work`, async () => {
    const start = Date.now();
    const flood = await Promise.all(Array.from({ length: MAX + 50 }, () => open()));
    // Node closes a socket past maxConnections as soon as it accepts it.
    const quick = await Promise.all(flood.map((f) => Promise.race([f.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 500))])));
    expect(quick.filter(Boolean).length).toBeGreaterThanOrEqual(50);
    expect(quick.filter((q) => !q).length).toBeLessThanOrEqual(MAX);
    // While the flood holds every slot, a new request does not get in.
    const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 'refused');
    expect(refused).toBe('refused');
    // The idle ones hold no request: the headers timeout (2 s, checked every second) closes them.
    const closedAt = await Promise.all(flood.map((f) => f.closed));
    expect(Math.max(...closedAt) - start).toBeLessThan(5_000);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(ok.status).toBe(200);
  }, 15_000);

  it('a trickled body is cut with 408 and the connection closed within the body timeout', async () => {
    const before = handled;
    const { socket, closed, data } = await open();
    const start = Date.now();
    socket.write('POST /webhooks/probe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const drip = setInterval(() => socket.writable && socket.write(' '), 100);
    const end = await closed;
    clearInterval(drip);
    expect(end - start).toBeLessThan(3_000);
    expect(data()).toMatch(/^HTTP\/1\.1 408 /);
    expect(data()).toMatch(/body not received in time/);
    expect(handled).toBe(before);
    // A normal request right after still works.
    const r = await fetch(`http://127.0.0.1:${port}/webhooks/probe`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
  });
});
