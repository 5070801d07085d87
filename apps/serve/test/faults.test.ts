/**
 * The static file server under injected I/O faults (#9), on every driver: file opens and reads, accepts, receives
 * and sends fail at random (`EINTR`, `EAGAIN`, `ECONNRESET`, `EPIPE`, `ENOMEM`, `ENOBUFS`), transfer short, and
 * complete late and out of order, while Node's own `http` client (no faults on its side) fetches every file of the
 * test site, the 5 MiB one included, several times. Every fetch either gets the file byte for byte (SHA-256), or a
 * 5xx saying the server failed, or a closed connection — never a wrong or truncated body with a 200, never a hang;
 * nothing outside the root ever appears; after shutdown no task, fd or pool buffer is left.
 */
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Runtime } from '@zokio/runtime';
import { HttpServer } from '@zokio/http';
import { staticFiles } from '../src/index.js';
import { NOTHING_LEFT, retryInjected, shutDownAndCount } from '@zokio/runtime/testing';
import { drivers, makeSite, MARKER, sha256, steadyFdCount } from './harness.js';

const DEADLINE_MS = 15_000;

/** GET `path`: the status and body, or the client-side error's code. */
function get(agent: Agent, port: number, path: string): Promise<{ status?: number; body?: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: DEADLINE_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      res.on('aborted', () => resolve({ error: 'ABORTED' }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('deadline'), { code: 'DEADLINE' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

describe.each(drivers)('the static file server under injected faults (%s)', (driver) => {
  it.each([1, 2])(
    'seed %i: each fetch gets the file, a 5xx or a closed connection; nothing hangs or leaks',
    async (seed) => {
      const site = makeSite();
      // The previous test's sockets may still be closing (a loop turn after its shutdown): wait for a steady count.
      const fdsBefore = await steadyFdCount();
      const rt = Runtime.create({ io: driver, ioFaults: { seed, rate: 0.03, maxDelayMs: 2 } });
      // Set-up meets the same faults (the root's stat, the bind): retried, as a service would at start.
      const handler = await retryInjected(() => rt.blockOn(staticFiles(site.root, { cacheMs: 0 })));
      const server = await retryInjected(() => rt.blockOn(HttpServer.bind('127.0.0.1:0', handler)));
      const address = server.address;
      if (address.family === 'unix') throw new Error('Expected a TCP address');
      const served = rt.blockOn(server.serve());
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      const paths = Object.keys(site.files).filter((p) => site.files[p]!.length > 0);
      const wanted = [...paths, ...paths, ...paths];
      const results = await Promise.all(wanted.map((p) => get(agent, address.port, `/${encodeURI(p)}`)));
      agent.destroy();

      let right = 0;
      for (const [i, r] of results.entries()) {
        const path = wanted[i]!;
        expect(r.error, path).not.toBe('DEADLINE');
        if (r.error !== undefined) continue; // the connection closed after a server-side I/O error
        expect(r.body!.includes(MARKER), path).toBe(false);
        if (r.status === 200) {
          expect(sha256(r.body!), path).toBe(sha256(site.files[path]!));
          right++;
        } else expect(r.status, path).toBeGreaterThanOrEqual(500);
      }
      expect(right).toBeGreaterThan(wanted.length / 2);
      expect(rt.metrics().ioFaults!.total).toBeGreaterThan(0);

      server.shutdown(1_000);
      await served;
      expect(rt.metrics().alive).toBe(0); // every connection's task ended with the server
      expect(rt.metrics().timers!.pending).toBe(0); // and no deadline was left in the wheel
      expect(await shutDownAndCount(rt, fdsBefore)).toEqual(NOTHING_LEFT);
      site.cleanup();
    },
    90_000,
  );
});
