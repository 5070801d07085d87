/**
 * `@zokio/net` under injected I/O faults (#9), on every driver and several seeds: failed submissions (`EINTR`,
 * `EAGAIN`, `ECONNRESET`, `EPIPE`, `ENOMEM`, `ENOBUFS`), short sends and receives, delayed and reordered
 * completions, on both ends of TCP echo connections. For each connection, each end either finishes correctly or
 * fails with a typed error; bytes are never corrupted or duplicated (what a client got back is a prefix of what it
 * sent, SHA-256-checked, and all of it unless an end failed); the server keeps accepting after a failed accept;
 * nothing hangs (each run is bounded) and nothing leaks: no fd, no task.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fn, join, race, tryJoin } from '@zokio/future';
import { IoError, TcpListener, TcpStream, UnexpectedEofError, type SocketAddress } from '@zokio/net';
import { Runtime } from '@zokio/runtime';
import { spawn } from '@zokio/scheduler';
import { sleep } from '@zokio/time';
import {
  drivers,
  INJECTED_CODES,
  NOTHING_LEFT,
  retryInjected,
  shutDownAndCount,
  steadyFdCount,
} from '@zokio/runtime/testing';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** And what a peer's failure causes here: a shutdown of a connection the peer reset. */
const CONSEQUENT = new Set([...INJECTED_CODES, 'ENOTCONN']);

/** A typed error's code; anything untyped is rethrown (it fails the test). */
function codeOf(error: unknown): string {
  if (error instanceof IoError || error instanceof UnexpectedEofError) return error.code;
  throw error;
}

const CONNECTIONS = 24;

const portOf = (address: SocketAddress): number => ('port' in address ? address.port : 0);

describe.each(drivers)('@zokio/net under injected faults (%s)', (driver) => {
  it.each([1, 2, 3])(
    'seed %i: echo connections finish or fail typed, never corrupt; nothing leaks',
    async (seed) => {
      const fdsBefore = await steadyFdCount(); // the previous test's fds may still be closing
      const rt = Runtime.create({ io: driver, ioFaults: { seed, rate: 0.05, maxDelayMs: 2 } });
      // Set-up may itself meet a fault (an injected ENOMEM on the socket): retried, as a service would at start.
      const listener = await retryInjected(() => rt.blockOn(TcpListener.bind('127.0.0.1:0')));
      const report = await rt.blockOn(
        fn(function* () {
          /** Server outcome by the client's port: 'ok' (echoed to EOF) or an error code. */
          const served = new Map<number, string>();
          const acceptErrors: string[] = [];
          const echo = fn(function* (s: TcpStream) {
            const port = portOf(s.peerAddr());
            try {
              for (let chunk = yield* s.read(); chunk.length > 0; chunk = yield* s.read()) yield* s.writeAll(chunk);
              yield* s.shutdown();
              served.set(port, 'ok');
            } catch (error) {
              served.set(port, codeOf(error));
            } finally {
              s.close();
            }
          });
          const server = spawn(
            fn(function* () {
              for (;;) {
                let s: TcpStream;
                try {
                  s = yield* listener.accept();
                } catch (error) {
                  acceptErrors.push(codeOf(error)); // a failed accept: keep accepting
                  continue;
                }
                spawn(echo(s));
              }
            })(),
          );
          const client = fn(function* (i: number) {
            const payload = randomBytes(4_096 + ((i * 104_729) % (256 * 1024)));
            let c: TcpStream;
            try {
              c = yield* TcpStream.connect(listener.localAddr());
            } catch (error) {
              return { connected: false, code: codeOf(error), port: 0, payload, got: Buffer.alloc(0) };
            }
            const port = portOf(c.localAddr());
            const received: Buffer[] = [];
            let code = 'ok';
            try {
              yield* tryJoin(
                fn(function* () {
                  yield* c.writeAll(payload);
                  yield* c.shutdown();
                })(),
                fn(function* () {
                  for (let chunk = yield* c.read(); chunk.length > 0; chunk = yield* c.read()) received.push(chunk);
                })(),
              );
            } catch (error) {
              code = codeOf(error);
            } finally {
              c.close();
            }
            return { connected: true, code, port, payload, got: Buffer.concat(received) };
          });
          const clients = Array.from({ length: CONNECTIONS }, (_, i) => spawn(client(i)));
          const results = [];
          for (const handle of clients) results.push(yield* handle);
          // Every connected client's server side reports once it sees the client's EOF or fails.
          server.abort();
          listener.close();
          return { results, served, acceptErrors };
        })(),
      );
      let complete = 0;
      for (const r of report.results) {
        if (!r.connected) {
          expect(INJECTED_CODES.has(r.code), r.code).toBe(true);
          continue;
        }
        if (r.code !== 'ok') expect(CONSEQUENT.has(r.code) || r.code === 'ERR_ZOKIO_UNEXPECTED_EOF', r.code).toBe(true);
        // Never corrupted, never duplicated: what came back is a prefix of what was sent.
        expect(r.got.length).toBeLessThanOrEqual(r.payload.length);
        expect(sha(r.got)).toBe(sha(r.payload.subarray(0, r.got.length)));
        if (r.got.length === r.payload.length) complete++;
        // All of it, unless one end failed.
        else expect(r.code !== 'ok' || (report.served.get(r.port) ?? 'ok') !== 'ok', `port ${r.port}`).toBe(true);
      }
      for (const code of report.acceptErrors) expect(INJECTED_CODES.has(code), code).toBe(true);
      for (const code of report.served.values()) if (code !== 'ok') expect(CONSEQUENT.has(code), code).toBe(true);
      expect(complete).toBeGreaterThan(0);
      expect(rt.metrics().ioFaults!.total).toBeGreaterThan(0);
      // Every task, timer, receive and send buffer, and fd came back.
      expect(await shutDownAndCount(rt, fdsBefore)).toEqual(NOTHING_LEFT);
    },
    60_000,
  );
});

describe.each(drivers)('an accept that fails ends the multishot accept: every waiter goes on (%s)', (driver) => {
  it('one waiter gets the error, the other arms a new accept and gets the connection, none is left waiting', async () => {
    // Seed 1 fails the first accept submitted and lets the second through (the injector is deterministic per seed).
    const rt = Runtime.create({ io: driver, ioFaults: { seed: 1, rate: 0.5, faults: ['fail'], ops: ['accept'] } });
    const outcome = await rt.blockOn(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const once = fn(function* () {
          try {
            using stream = yield* listener.accept();
            return stream.fd >= 0 ? 'ok' : 'closed';
          } catch (error) {
            return INJECTED_CODES.has(codeOf(error)) ? 'injected' : codeOf(error);
          }
        });
        const a = spawn(once());
        const b = spawn(once());
        yield* sleep(10); // both wait in accept() when the first completion arrives
        using _client = yield* TcpStream.connect(listener.localAddr());
        const both = yield* race([join(a, b), sleep(2_000)]);
        return both === undefined ? 'a waiter was left waiting' : [...both].sort();
      })(),
    );
    expect(outcome).toEqual(['injected', 'ok']);
    await rt.shutdown();
  });
});
