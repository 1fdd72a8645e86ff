// The URL check against a real HTTP server on loopback: 2xx, 404, timeouts, redirect loops, the size cap, and private
// addresses refused before any byte is sent (unless allowed).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUrl, isPrivateAddress, MAX_REDIRECTS } from './net';

let server: http.Server;
let base: string;
const hits: string[] = [];
const open = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const url = req.url ?? '/';
    if (url === '/ok.csv') return res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end('a;b\n1;2\n');
    if (url === '/bad.json') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":');
    if (url === '/missing') return res.writeHead(404, { 'content-type': 'text/plain' }).end('no');
    if (url === '/hang') {
      open.add(res);
      return; // never answers
    }
    if (url === '/stall') {
      open.add(res);
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('a;b\n'); // and then nothing
      return;
    }
    if (url === '/loop-a') return res.writeHead(302, { location: '/loop-b' }).end();
    if (url === '/loop-b') return res.writeHead(302, { location: '/loop-a' }).end();
    const chain = /^\/chain\/(\d+)$/.exec(url);
    if (chain) {
      const n = Number(chain[1]);
      return n === 0 ? res.writeHead(200, { 'content-type': 'text/plain' }).end('end') : res.writeHead(301, { location: `/chain/${n - 1}` }).end();
    }
    if (url === '/to-ftp') return res.writeHead(302, { location: 'ftp://example.no/x' }).end();
    if (url === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const push = () => {
        while (sent < 5 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', push);
        }
        res.end('{}');
      };
      res.on('error', () => undefined);
      return push();
    }
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const r of open) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const allowed = { timeoutMs: 2000, maxBytes: 1024 * 1024, allowPrivate: true };

describe('checkUrl', () => {
  it('2xx is reachable, with the content type and whether a CSV body reads', async () => {
    const c = await checkUrl(`${base}/ok.csv`, allowed);
    expect(c).toMatchObject({ ok: true, status: 200, contentType: 'text/csv; charset=utf-8', syntaxValid: true, error: null });
    expect(Date.parse(c.checkedAt)).not.toBeNaN();
  });

  it('a JSON body that does not parse is reachable with invalid syntax', async () => {
    expect(await checkUrl(`${base}/bad.json`, allowed)).toMatchObject({ ok: true, status: 200, syntaxValid: false });
  });

  it('404 is not reachable', async () => {
    expect(await checkUrl(`${base}/missing`, allowed)).toMatchObject({ ok: false, status: 404, error: 'status', syntaxValid: null });
  });

  it('a server that never answers times out', async () => {
    const started = Date.now();
    expect(await checkUrl(`${base}/hang`, { ...allowed, timeoutMs: 300 })).toMatchObject({ ok: false, error: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a body that stalls after the headers times out too', async () => {
    expect(await checkUrl(`${base}/stall`, { ...allowed, timeoutMs: 300 })).toMatchObject({ ok: false, error: 'timeout' });
  });

  it('a redirect loop is named, and a chain longer than the limit stops', async () => {
    expect(await checkUrl(`${base}/loop-a`, allowed)).toMatchObject({ ok: false, error: 'redirect_loop' });
    expect(await checkUrl(`${base}/chain/${MAX_REDIRECTS}`, allowed)).toMatchObject({ ok: true, status: 200 });
    expect(await checkUrl(`${base}/chain/${MAX_REDIRECTS + 1}`, allowed)).toMatchObject({ ok: false, error: 'too_many_redirects' });
  });

  it('a redirect to a non-http scheme is refused', async () => {
    expect(await checkUrl(`${base}/to-ftp`, allowed)).toMatchObject({ ok: false, error: 'bad_redirect', status: 302 });
  });

  it('reads at most maxBytes: a large body is reachable, its syntax unknown, and memory bounded', async () => {
    expect(await checkUrl(`${base}/big`, { ...allowed, maxBytes: 10_000 })).toMatchObject({ ok: true, status: 200, syntaxValid: null });
  });

  it('refuses loopback and private addresses unless allowed, before sending a request', async () => {
    const before = hits.length;
    expect(await checkUrl(`${base}/ok.csv`, { ...allowed, allowPrivate: false })).toMatchObject({ ok: false, error: 'private_address' });
    const port = new URL(base).port;
    expect(await checkUrl(`http://localhost:${port}/ok.csv`, { ...allowed, allowPrivate: false })).toMatchObject({ ok: false, error: 'private_address' });
    expect(await checkUrl(`http://[::1]:${port}/ok.csv`, { ...allowed, allowPrivate: false })).toMatchObject({ ok: false, error: 'private_address' });
    expect(await checkUrl('http://10.0.0.1/x', { ...allowed, allowPrivate: false })).toMatchObject({ ok: false, error: 'private_address' });
    expect(await checkUrl('http://169.254.169.254/latest/meta-data', { ...allowed, allowPrivate: false })).toMatchObject({ ok: false, error: 'private_address' });
    // Other spellings of loopback that URL parsing normalises (hex, a single number, IPv4-mapped IPv6).
    for (const u of [`http://0x7f000001:${port}/ok.csv`, `http://2130706433:${port}/ok.csv`, `http://[::ffff:127.0.0.1]:${port}/ok.csv`]) {
      expect(await checkUrl(u, { ...allowed, allowPrivate: false }), u).toMatchObject({ ok: false, error: 'private_address' });
    }
    expect(hits.length).toBe(before);
  });

  it('refuses what is not an http(s) URL', async () => {
    for (const u of ['ftp://example.no/x', 'javascript:alert(1)', 'http://user:pw@example.no/', '', 'http://exa mple.no/']) {
      expect(await checkUrl(u, allowed)).toMatchObject({ ok: false, error: 'invalid_url' });
    }
  });
});

describe('isPrivateAddress', () => {
  it('knows loopback, private, link-local, CGNAT and mapped addresses from public ones', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', 'not-an-ip']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '158.36.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });
});
