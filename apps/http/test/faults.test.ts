/**
 * The HTTP server under injected I/O faults (#9), on every driver: its sockets see failed accepts, receives and
 * sends (`EINTR`, `EAGAIN`, `ECONNRESET`, `EPIPE`, `ENOMEM`, `ENOBUFS`), short transfers, and delayed and
 * reordered completions, while Node's own `http` client (no faults on its side) sends echo requests. Every request
 * either gets the right answer — its body echoed, SHA-256-checked — or fails on the client as a closed connection;
 * none hangs (each has a deadline, and none may reach it); the server keeps serving, and after shutdown no task,
 * fd or pool buffer is left.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fn } from '@zokio/future';
import { Runtime } from '@zokio/runtime';
import { drivers, NOTHING_LEFT, retryInjected, shutDownAndCount, steadyFdCount } from '@zokio/runtime/testing';
import type { FaultOptions, IoBackendName } from '@zokio/io-driver';
import { HttpServer, Router, type Request } from '../src/index.js';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const REQUESTS = 120;
const DEADLINE_MS = 10_000;

/** One POST /echo through `agent`: the body that came back, or the client-side error's code. */
function echo(agent: Agent, port: number, body: Buffer): Promise<{ status?: number; back?: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/echo', method: 'POST', agent, timeout: DEADLINE_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, back: Buffer.concat(chunks) }));
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('deadline'), { code: 'DEADLINE' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

/** {@link REQUESTS} echo POSTs to a server on `driver` under `faults`: the checks of the module doc. */
async function echoUnderFaults(driver: IoBackendName, faults: FaultOptions): Promise<void> {
  const fdsBefore = await steadyFdCount(); // the previous test's sockets may still be closing
  const rt = Runtime.create({ io: driver, ioFaults: faults });
  const routes = new Router().post(
    '/echo',
    fn(function* (req: Request) {
      return { headers: { 'content-type': 'application/octet-stream' }, body: yield* req.body.bytes() };
    }),
  );
  // The bind meets the same faults: retried, as a service would at start (the suite checks serving, not binding).
  const server = await retryInjected(() => rt.blockOn(HttpServer.bind('127.0.0.1:0', routes.handler())));
  const address = server.address;
  if (address.family === 'unix') throw new Error('Expected a TCP address');
  const served = rt.blockOn(server.serve());
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const bodies = Array.from({ length: REQUESTS }, (_, i) => randomBytes(1 + ((i * 7919) % (96 * 1024))));
  const results = await Promise.all(bodies.map((body) => echo(agent, address.port, body)));
  agent.destroy();

  let answered = 0;
  for (const [i, r] of results.entries()) {
    expect(r.error, `request ${i}`).not.toBe('DEADLINE'); // nothing hangs
    if (r.error !== undefined) continue; // the server closed the connection after an I/O error: allowed
    expect(r.status).toBe(200);
    expect(sha(r.back!)).toBe(sha(bodies[i]!));
    answered++;
  }
  expect(answered).toBeGreaterThan(REQUESTS / 2);
  expect(rt.metrics().ioFaults!.total).toBeGreaterThan(0);

  server.shutdown(1_000);
  const report = await served;
  expect(report.accepted).toBeGreaterThan(0);
  expect(rt.metrics().alive).toBe(0); // every connection's task ended with the server
  expect(rt.metrics().timers!.pending).toBe(0); // and no deadline was left in the wheel
  expect(await shutDownAndCount(rt, fdsBefore)).toEqual(NOTHING_LEFT);
}

describe.each(drivers)('the HTTP server under injected faults (%s)', (driver) => {
  it.each([1, 2])(
    'seed %i: every request is answered right or its connection closes; nothing hangs or leaks',
    (seed) => echoUnderFaults(driver, { seed, rate: 0.03, maxDelayMs: 2 }),
    60_000,
  );

  // Aimed at one op: a transient accept failure (EAGAIN, EINTR, ENOMEM…) once ended `serve()`; a receive failing
  // mid-body was answered `400 Bad Request`, blaming a client that did nothing wrong.
  it('accept failing (rate 0.9): the server accepts again and keeps serving', () =>
    echoUnderFaults(driver, { seed: 1, rate: 0.9, faults: ['fail'], ops: ['accept'] }));

  it('recv failing and late (rate 0.1): a body lost to a failed read closes the connection, never a 400', () =>
    echoUnderFaults(driver, { seed: 5, rate: 0.1, faults: ['fail', 'delay'], ops: ['recv'] }));
});

describe.each(drivers)('a send that fails on a healthy socket (%s)', (driver) => {
  it('closes the connection at once (not at the keep-alive timeout) and gives its buffer back', async () => {
    const fdsBefore = await steadyFdCount(); // the previous test's sockets may still be closing
    // Every send fails (EINTR, EAGAIN, EPIPE, ECONNRESET, ENOMEM, ENOBUFS); receives, accepts and closes do not, so
    // the socket stays healthy and only the response is lost.
    const rt = Runtime.create({ io: driver, ioFaults: { rate: 1, faults: ['fail'], ops: ['send'] } });
    const hello = fn(function* () {
      return { body: 'hello' };
    });
    const server = await rt.blockOn(HttpServer.bind('127.0.0.1:0', hello, { keepAliveTimeout: 30_000 }));
    const address = server.address;
    if (address.family === 'unix') throw new Error('Expected a TCP address');
    const served = rt.blockOn(server.serve());
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const started = performance.now();
    const results = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<string>((resolve) => {
            const req = request({ host: '127.0.0.1', port: address.port, path: '/', agent, timeout: 3_000 }, (res) => {
              res.resume();
              res.on('end', () => resolve(`status ${res.statusCode}`));
            });
            req.on('timeout', () => req.destroy(Object.assign(new Error('deadline'), { code: 'DEADLINE' })));
            req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
            req.end();
          }),
      ),
    );
    agent.destroy();
    // The client sees its connection close (a reset or a hang-up), each well before its 3 s deadline.
    for (const r of results) expect(['ECONNRESET', 'socket hang up']).toContain(r);
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(rt.metrics().ioFaults!.failed).not.toEqual({});

    server.shutdown(1_000);
    await served;
    expect(await shutDownAndCount(rt, fdsBefore)).toEqual(NOTHING_LEFT); // the failed sends' buffers came back too
  }, 30_000);
});
