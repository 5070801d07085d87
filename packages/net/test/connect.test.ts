/**
 * Connect time-outs and `incoming()` on every driver.
 *
 * The unanswered connect is deterministic on Linux loopback: a listener with `backlog: 1` that never accepts holds
 * two finished connections in its accept queue; the kernel then drops every further SYN (`sk_acceptq_is_full`), so
 * the next connect stays in SYN_SENT until its SYN retries run out (minutes). That listener is made by a native
 * driver — the `js` driver's listener accepts everything itself (Node's `net.Server`), so its backlog never fills —
 * and connected to from each driver under test.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, race, ready, type Future } from '@zokio/future';
import { spawn } from '@zokio/scheduler';
import { ConnectTimeoutError, IoError, TcpListener, TcpStream, type SocketAddress } from '@zokio/net';
import { drivers, fdCount, runtimeOn } from '@zokio/runtime/testing';

function sleep<const T = 'timeout'>(ms: number, value: T = 'timeout' as T): Future<T> {
  return fromPromise((signal) => delay(ms, value, { signal }));
}

async function settleFds(target: number): Promise<number> {
  for (let i = 0; i < 100 && fdCount() !== target; i++) await delay(20);
  return fdCount();
}

const warm = fn(function* () {
  const listener = yield* TcpListener.bind('127.0.0.1:0');
  yield* listener.close();
});

/** A native driver for the listener that never accepts, if one loads here. */
const native = drivers.find((d) => d !== 'js');

/**
 * A listener whose accept queue is full, on a native driver: connects to it go unanswered. Returns its address and
 * a function that closes it and the connections filling it.
 */
async function blackhole(): Promise<{ address: SocketAddress; close: () => Promise<void> }> {
  // The native addon builds on every supported machine (g++ and make); io-driver's own tests fail without it.
  if (native === undefined) throw new Error('Expected a native I/O driver (io_uring or epoll) to load, got only js');
  const { run } = runtimeOn(native);
  return run(
    fn(function* () {
      const listener = yield* TcpListener.bind('127.0.0.1:0', { backlog: 1 });
      const address = listener.localAddr();
      const fillers: TcpStream[] = [];
      // Connect until one goes unanswered: the queue (backlog + 1 = 2 on Linux) is full.
      for (let i = 0; i < 16; i++) {
        try {
          fillers.push(yield* TcpStream.connect(address, { timeout: 300 }));
        } catch (error) {
          if (error instanceof ConnectTimeoutError) break;
          throw error;
        }
      }
      const close = () =>
        run(
          fn(function* () {
            for (const f of fillers) f[Symbol.dispose]();
            yield* listener.close();
          })(),
        );
      return { address, close };
    })(),
  );
}

describe.each(drivers)('connect with a timeout on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('an unanswered connect fails with ConnectTimeoutError (ETIMEDOUT) after its timeout, and leaks no fd', async () => {
    const hole = await blackhole();
    try {
      await run(warm());
      const before = fdCount();
      const started = performance.now();
      // The fds open when the error is caught, in the task that made the connect: the socket is closed by then.
      const { error, fds } = await run(
        fn(function* () {
          try {
            yield* TcpStream.connect(hole.address, { timeout: 100 });
            return { error: undefined, fds: -1 };
          } catch (e) {
            return { error: e, fds: fdCount() };
          }
        })(),
      );
      const elapsed = performance.now() - started;
      expect(error).toBeInstanceOf(ConnectTimeoutError);
      expect(error).toBeInstanceOf(IoError);
      const port = (hole.address as { port: number }).port;
      expect(error).toMatchObject({
        code: 'ETIMEDOUT',
        errno: -110,
        syscall: 'connect',
        path: `127.0.0.1:${port}`,
        timeout: 100,
      });
      expect((error as Error).message).toBe(
        `ETIMEDOUT: connect to '127.0.0.1:${port}' timed out after 100 ms (errno -110)`,
      );
      expect(elapsed).toBeGreaterThanOrEqual(95);
      expect(elapsed).toBeLessThan(1000); // well before the kernel's first SYN retry gives up
      // The timed-out socket was closed before the error was thrown, as documented.
      expect(fds).toBe(before);
    } finally {
      await hole.close();
    }
  });

  it('a connect with a timeout, dropped before its deadline, closes its socket', async () => {
    const hole = await blackhole();
    try {
      await run(warm());
      const before = fdCount();
      const out = await run(race([TcpStream.connect(hole.address, { timeout: 5000 }), sleep(50)]));
      expect(out).toBe('timeout');
      expect(await settleFds(before)).toBe(before);
    } finally {
      await hole.close();
    }
  });

  it('a connect done in time returns the stream; Infinity means no limit', async () => {
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        using a = yield* TcpStream.connect(listener.localAddr(), { timeout: 5000 });
        using b = yield* TcpStream.connect(listener.localAddr(), { timeout: Infinity });
        using c = yield* TcpStream.connect(listener.localAddr(), {});
        using sa = yield* listener.accept();
        using sb = yield* listener.accept();
        using sc = yield* listener.accept();
        yield* a.writeAll('a');
        yield* b.writeAll('b');
        yield* c.writeAll('c');
        return [yield* sa.readExact(1), yield* sb.readExact(1), yield* sc.readExact(1)].join('');
      })(),
    );
    expect(out).toBe('abc');
  });

  it('a refused connect with a timeout fails with ECONNREFUSED at once, not with a timeout', async () => {
    const port = await run(
      fn(function* () {
        const listener = yield* TcpListener.bind('127.0.0.1:0');
        const p = (listener.localAddr() as { port: number }).port;
        yield* listener.close();
        return p;
      })(),
    );
    const started = performance.now();
    const error = await run(TcpStream.connect({ host: '127.0.0.1', port }, { timeout: 10_000 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IoError);
    expect(error).not.toBeInstanceOf(ConnectTimeoutError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe.each(drivers)('incoming() on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('next() gives the connections in arrival order', async () => {
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const connections = listener.incoming();
        const clients: TcpStream[] = [];
        for (let i = 0; i < 5; i++) clients.push(yield* TcpStream.connect(listener.localAddr()));
        const ports: number[] = [];
        for (let i = 0; i < 5; i++) {
          using s = yield* connections.next();
          ports.push((s.peerAddr() as { port: number }).port);
        }
        const expected = clients.map((c) => (c.localAddr() as { port: number }).port);
        for (const c of clients) c[Symbol.dispose]();
        return { ports, expected, same: connections.listener === listener };
      })(),
    );
    expect(out.ports).toEqual(out.expected);
    expect(out.same).toBe(true);
  });

  it('a next() dropped while waiting loses no connection, over and over', async () => {
    const N = 100;
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const connections = listener.incoming();
        let dropped = 0;
        const got: number[] = [];
        const clients = spawn(
          fn(function* () {
            for (let i = 0; i < N; i++) {
              using c = yield* TcpStream.connect(listener.localAddr());
              const index = Buffer.alloc(4);
              index.writeUInt32BE(i, 0);
              yield* c.writeAll(index);
              yield* c.readExact(1); // the server took it
              if (i % 7 === 0) yield* sleep(1);
            }
          })(),
        );
        for (let round = 0; got.length < N; round++) {
          // In turn: dropped at once (biased, after its first poll armed the accept), or raced against a timer.
          const mode = round % 3;
          const other = mode === 0 ? ready('dropped' as const) : sleep(mode - 1, 'dropped' as const);
          const next = yield* race([connections.next(), other], { biased: mode === 0 });
          if (next === 'dropped') {
            dropped++;
            continue;
          }
          using s = next;
          got.push((yield* s.readExact(4)).readUInt32BE(0));
          yield* s.writeAll('k');
        }
        yield* clients;
        const extra = yield* race([connections.next(), sleep(100)]);
        return { got, dropped, queued: listener.queued, extra: extra === 'timeout' ? 'none' : 'one' };
      })(),
    );
    expect(out.got).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(out.dropped).toBeGreaterThanOrEqual(N / 3);
    expect(out.queued).toBe(0);
    expect(out.extra).toBe('none');
  }, 20_000);

  it('next() fails with EBADF once the listener is closed, and incoming() of a closed listener too', async () => {
    const out = await run(
      fn(function* () {
        const listener = yield* TcpListener.bind('127.0.0.1:0');
        const connections = listener.incoming();
        const waiting = spawn(
          fn(function* () {
            try {
              yield* connections.next();
              return 'accepted';
            } catch (error) {
              return error instanceof IoError ? error.code : String(error);
            }
          })(),
        );
        yield* sleep(20);
        yield* listener.close();
        const waited = yield* race([waiting, sleep(2000)]);
        let after = 'none';
        try {
          listener.incoming();
        } catch (error) {
          after = error instanceof IoError ? `${error.code} ${error.syscall}` : String(error);
        }
        let next = 'none';
        try {
          connections.next();
        } catch (error) {
          next = error instanceof IoError ? error.code : String(error);
        }
        return { waited, after, next };
      })(),
    );
    expect(out).toEqual({ waited: 'EBADF', after: 'EBADF accept', next: 'EBADF' });
  });
});
