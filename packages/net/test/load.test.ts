/**
 * Load on every driver: 10,000 concurrent connections opened and closed in bounded time with every fd given back
 * (the server side in a child process on the same driver: see `fixtures/echo-peer.ts`), and cancellation storms —
 * reads, receives, accepts and queued writes dropped by the hundred while bytes and connections keep arriving —
 * that must lose, duplicate, reorder or interleave nothing.
 */
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, joinAll, race, ready, yieldNow, type Future } from '@zokio/future';
import { spawn, type JoinHandle } from '@zokio/scheduler';
import { TcpListener, TcpStream, UdpSocket, type Datagram } from '@zokio/net';
import type { IoBackendName } from '@zokio/io-driver';
import { drivers, fdCount, runtimeOn } from '@zokio/runtime/testing';

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

/**
 * Connections for the mass test: 10,000, or fewer where the fd limit is low. Each process (this one, the peer)
 * holds one end of each, plus headroom for what the process and the runtime already have open.
 */
const CONNECTIONS = Math.max(50, Math.min(10_000, fdLimit() - fdCount() - 512));
/** Bound on the mass test's wall time, from the peer's first line on (generous for a 2-core machine). */
const MASS_BUDGET_MS = 30_000;
/** No step for this long: the mass test has stalled (a SYN the full accept queue dropped is retried after 1 s). */
const STALL_MS = 5000;

/** What the peer reports at its end. */
interface PeerReport {
  seen: number;
  distinct: number;
  inRange: boolean;
  fdBefore: number;
  fdAfter: number;
  error?: string;
}

/**
 * Starts the echo peer on `driver` for `connections` connections; resolves with its port and a promise of its
 * final report (rejected if it exits without one).
 */
async function startPeer(
  driver: IoBackendName,
  connections: number,
): Promise<{ port: number; report: Promise<PeerReport>; child: ChildProcess }> {
  const packageRoot = fileURLToPath(new URL('..', import.meta.url));
  const child = spawnProcess(
    process.execPath,
    ['--conditions=@zokio/source', '--import', 'tsx', 'test/fixtures/echo-peer.ts', driver, String(connections)],
    { cwd: packageRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const messages: unknown[] = [];
  let notify: (() => void) | undefined;
  lines.on('line', (line) => {
    messages.push(JSON.parse(line));
    notify?.();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const next = async (): Promise<unknown> => {
    while (messages.length === 0) {
      const more = new Promise<void>((resolve) => (notify = resolve));
      const code = await Promise.race([more, exited.then((c) => ({ exit: c }))]);
      if (code !== undefined && messages.length === 0) throw new Error(`echo peer exited (${String(code.exit)})`);
    }
    return messages.shift();
  };
  const first = (await next()) as { port?: number; error?: string };
  if (first.port === undefined) throw new Error(`echo peer failed: ${first.error}`);
  return { port: first.port, report: next() as Promise<PeerReport>, child };
}

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
      const peer = await startPeer(driver, CONNECTIONS);
      try {
        const started = performance.now();
        let progress = 0;
        let open = 0;
        let peak = 0;
        const work = fn(function* () {
          const address = { host: '127.0.0.1', port: peer.port };
          const gate = barrier(CONNECTIONS);
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
          return echoed;
        });
        // Fails fast (instead of at the test's timeout) when nothing has progressed for a while or the budget is spent.
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
            if (now - lastChange > STALL_MS) return `stalled after ${progress} steps (${open} open)`;
            if (now - started > MASS_BUDGET_MS) return `over budget after ${progress} steps`;
          }
        });
        const out = await runHere(race([work(), watchdog()]));
        const elapsed = performance.now() - started;
        if (typeof out === 'string') expect.fail(`${CONNECTIONS} connections on ${driver}: ${out}`);
        expect(out).toBe(CONNECTIONS);
        expect(peak).toBe(CONNECTIONS);
        // The peer saw every client exactly once, and gave back its fds too.
        const report = await peer.report;
        expect(report).toEqual({
          seen: CONNECTIONS,
          distinct: CONNECTIONS,
          inRange: true,
          fdBefore: report.fdBefore,
          fdAfter: report.fdBefore,
        });
        expect(elapsed).toBeLessThan(MASS_BUDGET_MS);
        // `using` submits closes without waiting for them: give them a bounded moment.
        expect(await settleFds(before)).toBe(before);
      } finally {
        if (peer.child.exitCode === null) peer.child.kill();
      }
    },
    MASS_BUDGET_MS + 20_000,
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
        for (; dropped < 200 && rounds < 10_000; rounds++) {
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

  it('200 writes from 6 tasks dropped while they wait in line: none is sent, the others arrive whole and in order', async () => {
    const TASKS = 6;
    const PER_TASK = 50;
    // The holder: more than loopback's socket buffers take, with nobody reading yet, so it holds the line while
    // every other write queues behind it — a drop below is always the drop of a waiting write.
    const big = randomBytes(32 << 20);
    const frames = new Map<string, Buffer>();
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        using client = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        const holder = spawn(client.writeAll(big));
        yield* sleep(20, undefined);
        let dropped = 0;
        const writer = fn(function* (t: number) {
          const kept: Future<void>[] = [];
          for (let i = 0; i < PER_TASK; i++) {
            const payload = randomBytes(1 + ((t * 31 + i * 977) % 20_000));
            const head = Buffer.alloc(8);
            head.writeUInt16BE(t, 0);
            head.writeUInt16BE(i, 2);
            head.writeUInt32BE(payload.length, 4);
            const f = Buffer.concat([head, payload]);
            frames.set(`${t}/${i}`, f);
            switch (i % 3) {
              case 0: // queued at its first poll, dropped at once
                if ((yield* race([client.writeAll(f), ready('dropped' as const)], { biased: true })) === 'dropped') {
                  dropped++;
                }
                break;
              case 1: // queued, dropped by a timer or a yield while the holder still sends
                if (
                  (yield* race([client.writeAll(f), i % 2 === 0 ? sleep(1, 'dropped' as const) : dropAfterYield()])) ===
                  'dropped'
                ) {
                  dropped++;
                }
                break;
              default: // kept: polled (queued) in order by the joinAll below
                kept.push(client.writeAll(f));
            }
          }
          yield* joinAll(kept);
        });
        const writers = Array.from({ length: TASKS }, (_, t) => spawn(writer(t)));
        yield* sleep(50, undefined); // every kept write is queued behind the holder
        const reader = spawn(server.readToEnd());
        yield* holder;
        for (const w of writers) yield* w;
        yield* client.shutdown();
        return { dropped, received: yield* reader };
      })(),
    );
    expect(out.dropped).toBe(TASKS * (PER_TASK - Math.floor(PER_TASK / 3)));
    expect(out.dropped).toBeGreaterThanOrEqual(200);
    expect(sha(out.received.subarray(0, big.length))).toBe(sha(big));
    const next = new Map<number, number>();
    let at = big.length;
    let count = 0;
    while (at < out.received.length) {
      const t = out.received.readUInt16BE(at);
      const i = out.received.readUInt16BE(at + 2);
      const length = out.received.readUInt32BE(at + 4);
      const f = out.received.subarray(at, at + 8 + length);
      expect(i % 3, `frame ${t}/${i} was dropped, yet sent`).toBe(2);
      expect(f.equals(frames.get(`${t}/${i}`)!), `frame ${t}/${i} whole`).toBe(true);
      expect(i, `task ${t}'s kept frames in order`).toBeGreaterThanOrEqual(next.get(t) ?? 0);
      next.set(t, i + 1);
      at += 8 + length;
      count++;
    }
    expect(at).toBe(out.received.length);
    expect(count).toBe(TASKS * Math.floor(PER_TASK / 3));
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
