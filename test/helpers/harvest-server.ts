// A loopback HTTP server for harvest tests and the benchmark: each path answers with a handler the test sets, so a
// test can play a DCAT catalogue, a CKAN site, data.norge.no's search API, or a misbehaving server (HTML, 500,
// a hang, endless redirects, a huge body).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export interface HarvestServer {
  url: string;
  /** Sets (or replaces) what a path answers. */
  route(path: string, handler: Handler): void;
  /** A fixed answer. */
  serve(path: string, contentType: string, body: string | Buffer, status?: number): void;
  hits(path: string): number;
  close(): Promise<void>;
}

export async function startHarvestServer(): Promise<HarvestServer> {
  const routes = new Map<string, Handler>();
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const handler = routes.get(path);
      if (!handler) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      handler(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    route: (path, handler) => routes.set(path, handler),
    serve: (path, contentType, body, status = 200) => routes.set(path, (_req, res) => res.writeHead(status, { 'content-type': contentType }).end(body)),
    hits: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
