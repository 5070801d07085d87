/**
 * Graceful shutdown on every driver: a large response in flight when `shutdown` is called completes whole while
 * new connections are refused; idle keep-alive connections close at once; `serve()`'s report counts the accepted
 * connections; a client stalled past the grace period is abandoned.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drivers,
  eventually,
  KeepAliveClient,
  makeSite,
  parseResponses,
  sha256,
  startServer,
  type Site,
} from './harness.js';

/** Tries to connect: 'refused' (ECONNREFUSED) or 'connected'. */
function tryConnect(port: number): Promise<'refused' | 'connected'> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      socket.destroy();
      if (e.code === 'ECONNREFUSED') resolve('refused');
      else reject(e);
    });
  });
}

/** A request for `path` on a raw socket that is paused after its first bytes arrive. */
function pausedDownload(port: number, path: string) {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let resolveFirst!: () => void;
  const first = new Promise<void>((r) => (resolveFirst = r));
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('end', () => resolve());
    socket.on('error', reject);
  });
  socket.on('data', (c: Buffer) => {
    if (chunks.length === 0) {
      socket.pause();
      resolveFirst();
    }
    chunks.push(c);
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return { socket, first, ended, bytes: () => Buffer.concat(chunks) };
}

describe.each(drivers)('graceful shutdown on %s', (driver) => {
  let site: Site;
  beforeAll(() => {
    site = makeSite();
  });
  afterAll(() => site?.cleanup());

  it('finishes a large response in flight, refuses new connections meanwhile, and reports', async () => {
    const srv = await startServer(driver, site.root);
    const download = pausedDownload(srv.port, '/big.bin');
    await download.first;
    // The server is now blocked sending the rest (the client reads nothing): shut down with a generous grace.
    srv.server.shutdown(10_000);
    // The accept loop sees the stop on its next turn and closes the listener: from then on, new connections are
    // refused by the kernel, while the response is still in flight. (A connect racing the close itself may be
    // reset instead, or land in the backlog: leave the loop a moment first.)
    await new Promise((r) => setTimeout(r, 100));
    expect(await tryConnect(srv.port)).toBe('refused');
    expect(await tryConnect(srv.port)).toBe('refused');
    expect(srv.server.connections).toBe(1);
    download.socket.resume();
    await download.ended;
    const { responses, rest } = parseResponses(download.bytes(), ['GET']);
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.body.length).toBe(site.big.length);
    expect(sha256(responses[0]!.body)).toBe(sha256(site.big));
    expect(rest.length).toBe(0);
    const report = await srv.served;
    expect(report).toEqual({ accepted: 1, abandoned: 0 });
    expect(await tryConnect(srv.port)).toBe('refused');
  });

  it('closes idle keep-alive connections at once and counts every accepted connection', async () => {
    const srv = await startServer(driver, site.root);
    const clients = await Promise.all(Array.from({ length: 5 }, () => KeepAliveClient.connect(srv.port)));
    for (const c of clients) {
      for (let i = 0; i < 3; i++) {
        const res = await c.request('GET', '/small.txt');
        expect(res.status).toBe(200);
        expect(res.body.toString()).toBe('short\n');
      }
    }
    // One more connection that never sends anything: idle from the start.
    const silent = await KeepAliveClient.connect(srv.port);
    await eventually(() => srv.server.connections === 6);
    const started = performance.now();
    srv.server.shutdown(10_000);
    await Promise.all([...clients, silent].map((c) => c.closed()));
    const report = await srv.served;
    const took = performance.now() - started;
    // At once: far below the 10 s grace period and the 5 s keep-alive timeout.
    expect(took).toBeLessThan(1500);
    expect(report).toEqual({ accepted: 6, abandoned: 0 });
    for (const c of [...clients, silent]) c.destroy();
  });

  it('answers a request whose head was arriving at shutdown, with Connection: close', async () => {
    const srv = await startServer(driver, site.root);
    const client = await KeepAliveClient.connect(srv.port);
    client.socket.write('GET /text.txt HTTP/1.1\r\nHost: x\r\n');
    await eventually(() => srv.server.connections === 1);
    await new Promise((r) => setTimeout(r, 50)); // the partial head is received: the connection is not idle
    srv.server.shutdown(10_000);
    await new Promise((r) => setTimeout(r, 50));
    const chunks: Buffer[] = [];
    client.socket.on('data', (c: Buffer) => chunks.push(c));
    client.socket.write('\r\n');
    await client.closed();
    const { responses } = parseResponses(Buffer.concat(chunks), ['GET']);
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.headers['connection']).toBe('close');
    expect(responses[0]!.body.equals(site.files['text.txt']!)).toBe(true);
    expect(await srv.served).toEqual({ accepted: 1, abandoned: 0 });
    client.destroy();
  });

  it('closes an idle connection at once while a busy one finishes its response', async () => {
    const srv = await startServer(driver, site.root);
    const busy = pausedDownload(srv.port, '/big.bin');
    await busy.first;
    const client = await KeepAliveClient.connect(srv.port);
    expect((await client.request('GET', '/small.txt')).status).toBe(200);
    srv.server.shutdown(10_000);
    // The idle one is closed; the busy one finishes.
    await client.closed();
    busy.socket.resume();
    await busy.ended;
    expect(sha256(parseResponses(busy.bytes(), ['GET']).responses[0]!.body)).toBe(sha256(site.big));
    expect(await srv.served).toEqual({ accepted: 2, abandoned: 0 });
    client.destroy();
  });

  it('abandons a client that stalls past the grace period', async () => {
    const srv = await startServer(driver, site.root);
    const stalled = pausedDownload(srv.port, '/big.bin');
    await stalled.first;
    const started = performance.now();
    srv.server.shutdown(300);
    const report = await srv.served;
    expect(performance.now() - started).toBeLessThan(3000);
    expect(report).toEqual({ accepted: 1, abandoned: 1 });
    stalled.socket.resume();
    await stalled.ended.catch(() => undefined);
    // It got less than the whole file: the response was cut at the deadline.
    expect(stalled.bytes().length).toBeLessThan(site.big.length);
  });
});
