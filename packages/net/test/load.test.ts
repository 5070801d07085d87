/**
 * Load on every driver: thousands of concurrent connections opened and closed in bounded time with every fd
 * given back, and cancellation storms — reads, receives and accepts dropped by the hundred while bytes and
 * connections keep arriving — that must lose, duplicate or reorder nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, race, ready, yieldNow, type Future } from '@zokio/future';
import { spawn, type JoinHandle } from '@zokio/scheduler';
import { TcpListener, TcpStream, UdpSocket, type Datagram } from '@zokio/net';
import { drivers, fdCount, runtimeOn } from './drivers.js';

function sleep<const T = 'timeout'>(ms: number, value: T = 'timeout' as T): Future<T> {
  return fromPromise((signal) => delay(ms, value, { signal }));
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The soft limit on open files (`RLIMIT_NOFILE`), from /proc (Node 20 has no `process.getrlimit`). */
function fdLimit(): number {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (line === null) return 1024;
    return line[1] === 'unlimited' ? 1 << 20 : Number(line[1]);
  } catch {
    return 1024;
  }
}

/** Connections for the mass test: 2,000, or fewer where the fd limit is low (each takes 2 fds, plus headroom). */
const CONNECTIONS = Math.max(50, Math.min(2000, Math.floor((fdLimit() - fdCount() - 256) / 3)));
/** Bound on the mass test's wall time (generous for a 2-core machine). */
const MASS_BUDGET_MS = 20_000;

async function settleFds(target: number, maxMs = 5000): Promise<number> {
  for (const start = Date.now(); fdCount() !== target && Date.now() - start < maxMs;) await delay(20);
  return fdCount();
}

const warm = fn(function* () {
  const listener = yield* TcpListener.bind('127.0.0.1:0');
  yield* listener.close();
});

/** A promise and its resolver: every client waits on it until all are connected. */
function barrier(count: number): { arrive: () => void; all: Promise<void> } {
  let resolve!: () => void;
  const all = new Promise<void>((r) => (resolve = r));
  let arrived = 0;
  return { arrive: () => (++arrived === count ? resolve() : undefined), all };
}

describe.each(drivers)('load on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it(
    `${CONNECTIONS} concurrent connections each echo 16 bytes within ${MASS_BUDGET_MS / 1000} s, and every fd is given back`,
    async () => {
      // A runtime of its own: if this test stalls, what it leaves in flight cannot disturb the others.
      const { run: runHere } = runtimeOn(driver);
      await runHere(warm());
      const before = fdCount();
      const started = performance.now();
      let progress = 0;
      let open = 0;
      let peak = 0;
      const work = fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0', { backlog: 4096 });
        const address = listener.localAddr();
        const gate = barrier(CONNECTIONS);

        // The server: one accept loop, one task per connection; each reports the index its client sent.
        const server = spawn(
          fn(function* () {
            const handlers: JoinHandle<number>[] = [];
            for (let i = 0; i < CONNECTIONS; i++) {
              const stream = yield* listener.accept();
              progress++;
              handlers.push(
                spawn(
                  fn(function* () {
                    using s = stream;
                    const message = yield* s.readExact(16);
                    yield* s.writeAll(message);
                    const end = yield* s.read(); // the client closes after it has its echo
                    if (end.length !== 0) throw new Error('bytes after the message');
                    return message.readUInt32BE(0);
                  })(),
                ),
              );
            }
            const seen: number[] = [];
            for (const h of handlers) seen.push(yield* h);
            return seen;
          })(),
        );

        const clients: JoinHandle<boolean>[] = [];
        for (let i = 0; i < CONNECTIONS; i++) {
          clients.push(
            spawn(
              fn(function* () {
                using c = yield* TcpStream.connect(address);
                progress++;
                peak = Math.max(peak, ++open);
                gate.arrive();
                // Every connection is open at the same time before any of them talks.
                yield* fromPromise(() => gate.all);
                const message = randomBytes(16);
                message.writeUInt32BE(i, 0);
                yield* c.writeAll(message);
                const back = yield* c.readExact(16);
                progress++;
                open--;
                return back.equals(message);
              })(),
            ),
          );
        }
        let echoed = 0;
        for (const h of clients) if (yield* h) echoed++;
        const seen = yield* server;
        return { echoed, seen };
      });
      // Fails fast (instead of at the test's timeout) when nothing has progressed for 3 s or the budget is spent.
      const watchdog = fn(function* () {
        let last = -1;
        let lastChange = performance.now();
        for (;;) {
          yield* sleep(100, undefined);
          const now = performance.now();
          if (progress !== last) {
            last = progress;
            lastChange = now;
          }
          if (now - lastChange > 3000) return `stalled after ${progress} steps (${open} open)`;
          if (now - started > MASS_BUDGET_MS) return `over budget after ${progress} steps`;
        }
      });
      const out = await runHere(race([work(), watchdog()]));
      const elapsed = performance.now() - started;
      if (typeof out === 'string') expect.fail(`${CONNECTIONS} connections on ${driver}: ${out}`);
      expect(out.echoed).toBe(CONNECTIONS);
      expect(peak).toBe(CONNECTIONS);
      // The server saw every client exactly once.
      expect(out.seen.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: CONNECTIONS }, (_, i) => i));
      expect(elapsed).toBeLessThan(MASS_BUDGET_MS);
      // `using` submits closes without waiting for them: give them a bounded moment.
      expect(await settleFds(before)).toBe(before);
    },
    MASS_BUDGET_MS + 10_000,
  );

  it('a write is not starved by 1,000 reads waiting at once', async () => {
    const WAITING = 1000;
    // A runtime of its own, as above.
    const { run: runHere } = runtimeOn(driver);
    const out = await runHere(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const clients: TcpStream[] = [];
        const servers: TcpStream[] = [];
        try {
          for (let i = 0; i < WAITING; i++) {
            clients.push(yield* TcpStream.connect(listener.localAddr()));
            servers.push(yield* listener.accept());
          }
          // Every server side waits for data: a read in flight per connection, as in any idle server.
          const readers = servers.map((s) => spawn(s.read()));
          yield* sleep(50, undefined);
          const last = WAITING - 1;
          const wrote = yield* race([
            fn(function* () {
              yield* clients[last]!.writeAll('x');
              return 'written' as const;
            })(),
            sleep(3000),
          ]);
          const read = yield* race([readers[last]!, sleep(3000)]);
          for (const r of readers) r.abort();
          return { wrote, read: Buffer.isBuffer(read) ? read.toString() : read };
        } finally {
          for (const c of clients) c[Symbol.dispose]();
          for (const s of servers) s[Symbol.dispose]();
        }
      })(),
    );
    expect(out).toEqual({ wrote: 'written', read: 'x' });
  }, 20_000);

  it('200 reads dropped between writes lose, duplicate and reorder no byte', async () => {
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        using client = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        client.setNoDelay();
        const written: Buffer[] = [];
        const received: Buffer[] = [];
        const write = fn(function* (size: number) {
          const chunk = randomBytes(size);
          written.push(chunk);
          yield* client.writeAll(chunk);
        });
        let dropped = 0;
        let rounds = 0;
        for (; dropped < 200 && rounds < 2000; rounds++) {
          const size = 1 + ((rounds * 7919) % 3000);
          let got: Buffer | 'dropped';
          switch (rounds % 5) {
            case 0: // submitted, then dropped before anything was written
              got = yield* race([server.read(), ready('dropped' as const)], { biased: true });
              yield* write(size);
              break;
            case 1: // bytes already waiting when the read is submitted and dropped; a small maxLength
              yield* write(size);
              got = yield* race([server.read(1 + (rounds % 700)), ready('dropped' as const)], { biased: true });
              break;
            case 2: // the read races a yield: either may win
              yield* write(size);
              got = yield* race([server.read(), dropAfterYield()]);
              break;
            case 3: // a readExact dropped part-way: what it had goes back, in order
              yield* write(size);
              got = yield* race([server.readExact(size + 4096), sleep(2, 'dropped' as const)]);
              break;
            default: {
              // the read races a timer while another task writes
              const writer = spawn(write(size));
              got = yield* race([server.read(512), sleep(1, 'dropped' as const)]);
              yield* writer;
              break;
            }
          }
          if (got === 'dropped') dropped++;
          else received.push(got);
          if (rounds % 16 === 0) yield* sleep(0, undefined); // let the kernel and the backend catch up now and then
        }
        yield* client.shutdown();
        received.push(yield* server.readToEnd());
        return { written: Buffer.concat(written), received: Buffer.concat(received), dropped, rounds };
      })(),
    );
    expect(out.dropped).toBeGreaterThanOrEqual(200);
    expect(out.received.length).toBe(out.written.length);
    expect(sha(out.received)).toBe(sha(out.written));
  }, 20_000);

  it('200 UDP receives dropped between sends lose, duplicate and reorder no datagram', async () => {
    const out = await run(
      fn(function* () {
        using a = yield* UdpSocket.bind('127.0.0.1:0');
        using b = yield* UdpSocket.bind('127.0.0.1:0');
        const to = b.localAddr();
        const received: number[] = [];
        let dropped = 0;
        const send = fn(function* (i: number) {
          const d = Buffer.alloc(8 + (i % 200), i & 0xff);
          d.writeUInt32BE(i, 0);
          d.writeUInt32BE(d.length, 4);
          yield* a.sendTo(d, to);
        });
        const take = (d: Buffer) => {
          if (d.readUInt32BE(4) !== d.length) throw new Error(`datagram ${d.readUInt32BE(0)} arrived cut`);
          received.push(d.readUInt32BE(0));
        };
        const drop = (i: number) => (i % 3 === 0 ? ready('dropped' as const) : dropAfterYield());
        let sent = 0;
        for (let i = 0; dropped < 200 && i < 2000; i++, sent = i) {
          let got: { data: Buffer } | 'dropped';
          if (i % 2 === 0) {
            // dropped while waiting, then the datagram is sent
            got = yield* race([b.recvFrom(), drop(i)], { biased: i % 3 === 0 });
            yield* send(i);
          } else {
            // the datagram is waiting (or on its way) when the receive is submitted and dropped
            yield* send(i);
            got = yield* race([b.recvFrom(), drop(i)], { biased: i % 3 === 0 });
          }
          if (got === 'dropped') dropped++;
          else take(got.data);
          // Keep the backlog small (the kernel drops datagrams past the receive buffer): catch up every few rounds.
          if (i % 4 === 3) {
            while (received.length < i + 1) {
              const next: Datagram | 'timeout' = yield* race([b.recvFrom(), sleep(1000, 'timeout' as const)]);
              if (next === 'timeout') break;
              take(next.data);
            }
          }
        }
        while (received.length < sent) {
          const next: Datagram | 'timeout' = yield* race([b.recvFrom(), sleep(1000, 'timeout' as const)]);
          if (next === 'timeout') break;
          take(next.data);
        }
        return { received, dropped, sent };
      })(),
    );
    expect(out.dropped).toBeGreaterThanOrEqual(200);
    expect(out.received).toEqual(Array.from({ length: out.sent }, (_, i) => i));
  }, 20_000);

  it('accepts dropped over and over while connections arrive: each connection is accepted exactly once', async () => {
    const N = 300;
    const ACCEPTERS = 3;
    await run(warm());
    const before = fdCount();
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const address = listener.localAddr();
        const seen = new Map<number, number>();
        let accepted = 0;
        let dropped = 0;
        const handlers: JoinHandle<void>[] = [];

        // Several accept loops; each accept is raced against something that often wins first.
        const accepter = fn(function* (k: number) {
          for (let round = 0; accepted < N; round++) {
            const mode = (round + k) % 3;
            const other =
              mode === 0 ? ready('dropped' as const) : mode === 1 ? dropAfterYield() : sleep(1, 'dropped' as const);
            const got = yield* race([listener.accept(), other], { biased: mode === 0 });
            if (got === 'dropped') {
              dropped++;
              continue;
            }
            accepted++;
            handlers.push(
              spawn(
                fn(function* () {
                  using s = got;
                  const index = (yield* s.readExact(4)).readUInt32BE(0);
                  seen.set(index, (seen.get(index) ?? 0) + 1);
                  yield* s.writeAll('k');
                })(),
              ),
            );
          }
        });
        const loops = Array.from({ length: ACCEPTERS }, (_, k) => spawn(accepter(k)));

        // The clients arrive in waves, a few at a time, while the accepts come and go.
        const clients: JoinHandle<void>[] = [];
        for (let i = 0; i < N; i++) {
          clients.push(
            spawn(
              fn(function* () {
                using c = yield* TcpStream.connect(address);
                const index = Buffer.alloc(4);
                index.writeUInt32BE(i, 0);
                yield* c.writeAll(index);
                const ack = yield* c.readExact(1);
                if (ack.toString() !== 'k') throw new Error('no ack');
              })(),
            ),
          );
          if (i % 10 === 9) yield* sleep(1, undefined);
        }
        for (const h of clients) yield* h;
        for (const h of loops) yield* h;
        for (const h of handlers) yield* h;
        // Nothing is left behind: no connection queued, none accepted twice, no phantom.
        const extra = yield* race([listener.accept(), sleep(100)]);
        return { seen, accepted, dropped, queued: listener.queued, extra: extra === 'timeout' ? 'none' : 'one' };
      })(),
    );
    expect(out.accepted).toBe(N);
    expect(out.dropped).toBeGreaterThanOrEqual(N / 3);
    expect(out.queued).toBe(0);
    expect(out.extra).toBe('none');
    expect([...out.seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect([...out.seen.values()].every((n) => n === 1)).toBe(true);
    expect(await settleFds(before)).toBe(before);
  }, 20_000);
});

/** A future that yields once, then finishes with 'dropped'. */
const dropAfterYield = fn(function* () {
  yield* yieldNow();
  return 'dropped' as const;
});
