/** A local fake Stream gateway (packages.md §2.5): POST /v1.0/gateway/connections/open + a ws server. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface GatewayState {
  opens: Array<{ at: number; body: Record<string, unknown> }>;
  upgrades: Array<{ at: number; url: string; ok: boolean }>;
  sockets: WebSocket[];
  received: Array<Record<string, unknown>>;
}

export async function startFakeGateway(opts: { failUpgrade?: () => boolean } = {}) {
  const state: GatewayState = { opens: [], upgrades: [], sockets: [], received: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1.0/gateway/connections/open') {
        state.opens.push({ at: Date.now(), body: JSON.parse(body) as Record<string, unknown> });
        res.setHeader('content-type', 'application/json');
        const port = (server.address() as AddressInfo).port;
        res.end(JSON.stringify({ endpoint: `ws://127.0.0.1:${port}/connect`, ticket: `T${state.opens.length}` }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const ok = !(opts.failUpgrade?.() ?? false);
    state.upgrades.push({ at: Date.now(), url: req.url ?? '', ok });
    if (!ok) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      state.sockets.push(ws);
      ws.on('message', (m: Buffer) => state.received.push(JSON.parse(m.toString()) as Record<string, unknown>));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    state,
    gatewayUrl: `http://127.0.0.1:${port}/v1.0/gateway/connections/open`,
    /** Sockets the server still considers open. */
    live: () => state.sockets.filter((s) => s.readyState === 1),
    push: (ws: WebSocket, frame: unknown) => ws.send(JSON.stringify(frame)),
    close: async () => {
      for (const s of wss.clients) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
