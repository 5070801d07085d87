/**
 * Failures of `@zokio/net` on every driver: the system's errors (EADDRINUSE, ECONNREFUSED, ECONNRESET, EPIPE,
 * EBADF) with Node's shape, argument errors thrown at the call, and `readExact` cut short by the peer.
 */
import * as net from 'node:net';
import { join as joinPath } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, isFuture, race, ready, ZokioError, type Future } from '@zokio/future';
import { spawn } from '@zokio/scheduler';
import {
  formatAddress,
  IoError,
  lookupHost,
  NetArgumentError,
  TcpListener,
  TcpStream,
  UdpSocket,
  UnexpectedEofError,
  type SocketAddress,
} from '@zokio/net';
import { drivers, fdCount, runtimeOn, tempDir } from '@zokio/runtime/testing';

/** A future that finishes with `value` after `ms` (its timer is cleared if it is dropped). */
function sleep<const T = 'timeout'>(ms: number, value: T = 'timeout' as T): Future<T> {
  return fromPromise((signal) => delay(ms, value, { signal }));
}

/** The error `call` throws at once, or the error its future fails with; `undefined` if neither fails. */
const failureOf = fn(function* (call: () => unknown) {
  try {
    const f = call();
    if (isFuture(f)) yield* f;
    return undefined;
  } catch (error) {
    return error;
  }
});

/** The `NetArgumentError` `call` throws synchronously (anything else thrown, or nothing, fails the test). */
function argumentErrorOf(call: () => unknown): NetArgumentError {
  try {
    call();
  } catch (error) {
    if (error instanceof NetArgumentError) return error;
    throw new Error(`expected a NetArgumentError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a NetArgumentError, but nothing was thrown');
}

function portOf(address: SocketAddress): number {
  if (address.family === 'unix') throw new Error('expected an IP address');
  return address.port;
}

/** Polls (bounded) until the fd count is back to `target`; returns the last count. */
async function settleFds(target: number): Promise<number> {
  for (let i = 0; i < 100 && fdCount() !== target; i++) await delay(20);
  return fdCount();
}

/** A plain Node TCP server on 127.0.0.1 for the duration of `body`. */
async function withNodeServer<T>(
  onConnection: (socket: net.Socket) => void,
  body: (port: number) => Promise<T>,
  options: net.ServerOpts = {},
): Promise<T> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(options, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await body((server.address() as net.AddressInfo).port);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

const warm = fn(function* () {
  const listener = yield* TcpListener.bind('127.0.0.1:0');
  yield* listener.close();
});

/** Addresses no function of `@zokio/net` accepts, with the code they must fail with. */
const badAddresses: { label: string; value: unknown; code: 'ERR_INVALID_ARG_VALUE' | 'ERR_INVALID_ARG_TYPE' }[] = [
  { label: "'x'", value: 'x', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "'host:99999'", value: 'host:99999', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "'127.0.0.1:99999'", value: '127.0.0.1:99999', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "'127.0.0.1:-1'", value: '127.0.0.1:-1', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "'127.0.0.1' (no port)", value: '127.0.0.1', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "':80' (no host)", value: ':80', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "'::1:80' (IPv6 without brackets)", value: '::1:80', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "'[::1]' (no port)", value: '[::1]', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "'[::1]:65536'", value: '[::1]:65536', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "'example.com:80' (a DNS name)", value: 'example.com:80', code: 'ERR_INVALID_ARG_VALUE' },
  { label: "'[127.0.0.1]:80' (IPv4 in brackets)", value: '[127.0.0.1]:80', code: 'ERR_INVALID_ARG_VALUE' },
  { label: '{ host: DNS name }', value: { host: 'example.com', port: 80 }, code: 'ERR_INVALID_ARG_VALUE' },
  { label: '{ port: 70000 }', value: { host: '127.0.0.1', port: 70000 }, code: 'ERR_INVALID_ARG_VALUE' },
  { label: '{ port: 1.5 }', value: { host: '127.0.0.1', port: 1.5 }, code: 'ERR_INVALID_ARG_VALUE' },
  { label: '{ host } without port', value: { host: '127.0.0.1' }, code: 'ERR_INVALID_ARG_VALUE' },
  { label: "{ path: '' }", value: { path: '' }, code: 'ERR_INVALID_ARG_VALUE' },
  { label: '{ path with NUL }', value: { path: 'a\0b' }, code: 'ERR_INVALID_ARG_VALUE' },
  { label: '{ path of 108 bytes }', value: { path: 'x'.repeat(108) }, code: 'ERR_INVALID_ARG_VALUE' },
  {
    label: 'SocketAddress with a bad IP',
    value: { family: 'ipv4', address: '1.2.3', port: 1 },
    code: 'ERR_INVALID_ARG_VALUE',
  },
  { label: '8080 (a number)', value: 8080, code: 'ERR_INVALID_ARG_TYPE' },
  { label: '{}', value: {}, code: 'ERR_INVALID_ARG_TYPE' },
  { label: 'null', value: null, code: 'ERR_INVALID_ARG_TYPE' },
  { label: 'undefined', value: undefined, code: 'ERR_INVALID_ARG_TYPE' },
  { label: 'true', value: true, code: 'ERR_INVALID_ARG_TYPE' },
  { label: '[] (an array)', value: [], code: 'ERR_INVALID_ARG_TYPE' },
];

describe.each(drivers)('errors on %s', (driver) => {
  const { run } = runtimeOn(driver);

  describe('EADDRINUSE', () => {
    it('binding a TCP port already bound fails with EADDRINUSE and the address, and leaks no fd', async () => {
      await run(warm());
      const out = await run(
        fn(function* () {
          using first = yield* TcpListener.bind('127.0.0.1:0');
          const port = portOf(first.localAddr());
          const before = fdCount();
          const error = yield* failureOf(() => TcpListener.bind(`127.0.0.1:${port}`));
          // With SO_REUSEADDR off too: the port is in use by a listener, not in TIME_WAIT.
          const plain = yield* failureOf(() => TcpListener.bind({ host: '127.0.0.1', port }, { reuseAddress: false }));
          // The failed bind's socket is closed by a close submitted, not awaited: allow it a moment.
          const after = yield* fromPromise(() => settleFds(before));
          return { port, error, plain, before, after };
        })(),
      );
      for (const error of [out.error, out.plain]) {
        expect(error).toBeInstanceOf(IoError);
        expect(error).toMatchObject({ code: 'EADDRINUSE', errno: -98, path: `127.0.0.1:${out.port}` });
        // The js backend binds by listening, so it reports at bind; the kernel backends at bind (or listen).
        expect(['bind', 'listen']).toContain((error as IoError).syscall);
      }
      expect(out.after).toBe(out.before);
    });

    it('binding a TCP port already bound on IPv6 fails with EADDRINUSE and the bracketed address', async () => {
      const out = await run(
        fn(function* () {
          using first = yield* TcpListener.bind('[::1]:0');
          const port = portOf(first.localAddr());
          return { port, error: yield* failureOf(() => TcpListener.bind(`[::1]:${port}`)) };
        })(),
      );
      expect(out.error).toBeInstanceOf(IoError);
      expect(out.error).toMatchObject({ code: 'EADDRINUSE', path: `[::1]:${out.port}` });
      expect(['bind', 'listen']).toContain((out.error as IoError).syscall);
    });

    it('binding a Unix socket path that is in use fails with EADDRINUSE and the path', async () => {
      const { dir, cleanup } = tempDir();
      try {
        const path = joinPath(dir, 'in-use.sock');
        const error = await run(
          fn(function* () {
            using _first = yield* TcpListener.bind({ path });
            return yield* failureOf(() => TcpListener.bind({ path }));
          })(),
        );
        expect(error).toBeInstanceOf(IoError);
        expect(error).toMatchObject({ code: 'EADDRINUSE', path });
        expect(['bind', 'listen']).toContain((error as IoError).syscall);
      } finally {
        cleanup();
      }
    });

    it('binding a UDP port already bound fails with EADDRINUSE at bind, and leaks no fd', async () => {
      await run(warm());
      const out = await run(
        fn(function* () {
          using first = yield* UdpSocket.bind('127.0.0.1:0');
          const port = portOf(first.localAddr());
          const before = fdCount();
          const error = yield* failureOf(() => UdpSocket.bind({ host: '127.0.0.1', port }));
          const after = yield* fromPromise(() => settleFds(before));
          return { port, error, before, after };
        })(),
      );
      expect(out.error).toBeInstanceOf(IoError);
      expect(out.error).toMatchObject({
        code: 'EADDRINUSE',
        errno: -98,
        syscall: 'bind',
        path: `127.0.0.1:${out.port}`,
      });
      expect(out.after).toBe(out.before);
    });
  });

  describe('ECONNREFUSED and ENOENT', () => {
    it.each(['127.0.0.1', '::1'])('connecting to a closed port on %s fails with ECONNREFUSED', async (host) => {
      const port = await run(
        fn(function* () {
          const listener = yield* TcpListener.bind({ host, port: 0 });
          const p = portOf(listener.localAddr());
          yield* listener.close();
          return p;
        })(),
      );
      const error = await run(failureOf(() => TcpStream.connect({ host, port })));
      expect(error).toBeInstanceOf(IoError);
      const label = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      expect(error).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', path: label });
    });

    it('connecting to a Unix socket path that does not exist fails with ENOENT and the path', async () => {
      const { dir, cleanup } = tempDir();
      try {
        const path = joinPath(dir, 'nobody.sock');
        const error = await run(failureOf(() => TcpStream.connect({ path })));
        expect(error).toBeInstanceOf(IoError);
        expect(error).toMatchObject({ code: 'ENOENT', syscall: 'connect', path });
      } finally {
        cleanup();
      }
    });
  });

  describe('ECONNRESET and EPIPE', () => {
    it('a read on a connection the peer reset fails with ECONNRESET; later writes fail with EPIPE', async () => {
      const out = await withNodeServer(
        (socket) => socket.once('data', () => socket.resetAndDestroy()),
        (port) =>
          run(
            fn(function* () {
              using client = yield* TcpStream.connect({ host: '127.0.0.1', port });
              yield* client.writeAll('hello'); // the server resets the connection when it sees this
              const readError = yield* failureOf(() => client.read());
              const writeError = yield* failureOf(() => client.writeAll('more'));
              return { port, readError, writeError };
            })(),
          ),
      );
      expect(out.readError).toBeInstanceOf(IoError);
      expect(out.readError).toMatchObject({ code: 'ECONNRESET', syscall: 'recv', path: `127.0.0.1:${out.port}` });
      expect(out.writeError).toBeInstanceOf(IoError);
      expect(['EPIPE', 'ECONNRESET']).toContain((out.writeError as IoError).code);
      expect(out.writeError).toMatchObject({ syscall: 'send', path: `127.0.0.1:${out.port}` });
    });

    it('a write on a connection the peer reset fails with ECONNRESET or EPIPE', async () => {
      const out = await withNodeServer(
        (socket) => socket.once('data', () => socket.resetAndDestroy()),
        (port) =>
          run(
            fn(function* () {
              using client = yield* TcpStream.connect({ host: '127.0.0.1', port });
              yield* client.writeAll('hello');
              yield* sleep(50); // the reset has arrived
              for (let i = 0; i < 100; i++) {
                const error = yield* failureOf(() => client.write('x'));
                if (error !== undefined) return { port, error, writes: i };
                yield* sleep(10);
              }
              return { port, error: undefined, writes: 100 };
            })(),
          ),
      );
      expect(out.error).toBeInstanceOf(IoError);
      expect(['ECONNRESET', 'EPIPE']).toContain((out.error as IoError).code);
      expect(out.error).toMatchObject({ syscall: 'send', path: `127.0.0.1:${out.port}` });
    });

    it('a peer that closes with unread data resets the connection: the read fails with ECONNRESET', async () => {
      // The server never reads (paused from the start), so closing leaves unread bytes: the kernel sends a RST.
      const out = await withNodeServer(
        (socket) => setTimeout(() => socket.destroy(), 100),
        (port) =>
          run(
            fn(function* () {
              using client = yield* TcpStream.connect({ host: '127.0.0.1', port });
              yield* client.writeAll('unread bytes');
              return { port, error: yield* failureOf(() => client.read()) };
            })(),
          ),
        { pauseOnConnect: true },
      );
      expect(out.error).toBeInstanceOf(IoError);
      expect(out.error).toMatchObject({ code: 'ECONNRESET', syscall: 'recv', path: `127.0.0.1:${out.port}` });
    });

    it('writing after the peer closed fails with EPIPE (or ECONNRESET) within a few writes', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          const server = yield* listener.accept();
          yield* server.close();
          expect((yield* client.read()).length).toBe(0); // the peer's FIN
          for (let i = 0; i < 100; i++) {
            const error = yield* failureOf(() => client.write('x'));
            if (error !== undefined) return { label: formatAddress(listener.localAddr()), error, writes: i };
            yield* sleep(10);
          }
          return { label: '', error: undefined, writes: 100 };
        })(),
      );
      expect(out.error).toBeInstanceOf(IoError);
      expect(['EPIPE', 'ECONNRESET']).toContain((out.error as IoError).code);
      expect(out.error).toMatchObject({ syscall: 'send', path: out.label });
      expect(out.writes).toBeGreaterThanOrEqual(1); // the first write after a FIN is accepted; the RST comes back
    });

    it('writing after our own shutdown("write") fails with EPIPE', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          yield* client.shutdown('write');
          const error = yield* failureOf(() => client.write('late'));
          const eof = yield* server.read();
          return { error, eof: eof.length, label: formatAddress(listener.localAddr()) };
        })(),
      );
      expect(out.error).toBeInstanceOf(IoError);
      expect(out.error).toMatchObject({ code: 'EPIPE', errno: -32, syscall: 'send', path: out.label });
      expect(out.eof).toBe(0);
    });
  });

  describe('EBADF after close', () => {
    it('every method of a closed TcpStream fails with EBADF; close is idempotent', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          const label = formatAddress(listener.localAddr());
          const client = yield* TcpStream.connect(listener.localAddr());
          using _server = yield* listener.accept();
          yield* client.close();
          const calls: [string, () => unknown][] = [
            ['recv', () => client.read()],
            ['recv', () => client.read(10)],
            ['recv', () => client.readExact(4)],
            ['recv', () => client.readToEnd()],
            ['send', () => client.write('x')],
            ['send', () => client.writeAll('x')],
            ['send', () => client.writev(['x', 'y'])],
            ['split', () => client.intoSplit()],
            ['shutdown', () => client.shutdown()],
            ['shutdown', () => client.shutdown('both')],
            ['getpeername', () => client.peerAddr()],
            ['getsockname', () => client.localAddr()],
            ['setsockopt', () => client.setNoDelay()],
            ['setsockopt', () => client.setKeepAlive()],
          ];
          const errors: { syscall: string; error: unknown }[] = [];
          for (const [syscall, call] of calls) errors.push({ syscall, error: yield* failureOf(call) });
          const again = yield* failureOf(() => client.close());
          client[Symbol.dispose]();
          return { label, errors, again, closed: client.closed, fd: client.fd };
        })(),
      );
      for (const { syscall, error } of out.errors) {
        expect(error, syscall).toBeInstanceOf(IoError);
        expect(error, syscall).toMatchObject({ code: 'EBADF', errno: -9, syscall, path: out.label });
      }
      expect(out.again).toBeUndefined();
      expect(out.closed).toBe(true);
      expect(out.fd).toBe(-1);
    });

    it('a TcpStream closed by `using` fails with EBADF too', async () => {
      const error = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          const escaped: TcpStream[] = [];
          {
            using client = yield* TcpStream.connect(listener.localAddr());
            escaped.push(client);
          }
          return yield* failureOf(() => escaped[0]!.read());
        })(),
      );
      expect(error).toBeInstanceOf(IoError);
      expect(error).toMatchObject({ code: 'EBADF', syscall: 'recv' });
    });

    it('every method of a closed TcpListener fails with EBADF; close is idempotent', async () => {
      const out = await run(
        fn(function* () {
          const listener = yield* TcpListener.bind('127.0.0.1:0');
          const label = formatAddress(listener.localAddr());
          yield* listener.close();
          return {
            label,
            accept: yield* failureOf(() => listener.accept()),
            localAddr: yield* failureOf(() => listener.localAddr()),
            again: yield* failureOf(() => listener.close()),
            fd: listener.fd,
          };
        })(),
      );
      expect(out.accept).toBeInstanceOf(IoError);
      expect(out.accept).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'accept' });
      expect(out.localAddr).toBeInstanceOf(IoError);
      expect(out.localAddr).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'getsockname' });
      expect(out.again).toBeUndefined();
      expect(out.fd).toBe(-1);
    });

    it('an accept waiting when the listener closes fails with EBADF', async () => {
      const out = await run(
        fn(function* () {
          const listener = yield* TcpListener.bind('127.0.0.1:0');
          const waiting = spawn(failureOf(() => listener.accept()));
          yield* sleep(20); // the accept is waiting
          yield* listener.close();
          return yield* race([waiting, sleep(2000)]);
        })(),
      );
      expect(out).toBeInstanceOf(IoError);
      expect(out).toMatchObject({ code: 'EBADF', syscall: 'accept' });
    });

    it('every method of a closed UdpSocket fails with EBADF; close is idempotent', async () => {
      const out = await run(
        fn(function* () {
          using peer = yield* UdpSocket.bind('127.0.0.1:0');
          const socket = yield* UdpSocket.bind('127.0.0.1:0');
          const label = '127.0.0.1:0';
          yield* socket.connect(peer.localAddr());
          yield* socket.close();
          const calls: [string, () => unknown][] = [
            ['sendmsg', () => socket.sendTo('x', peer.localAddr())],
            ['sendmsg', () => socket.send('x')],
            ['recvmsg', () => socket.recvFrom()],
            ['recvmsg', () => socket.recv()],
            ['connect', () => socket.connect(peer.localAddr())],
            ['setsockopt', () => socket.setBroadcast()],
            ['getsockname', () => socket.localAddr()],
            ['getpeername', () => socket.peerAddr()],
          ];
          const errors: { syscall: string; error: unknown }[] = [];
          for (const [syscall, call] of calls) errors.push({ syscall, error: yield* failureOf(call) });
          return { label, errors, again: yield* failureOf(() => socket.close()), fd: socket.fd };
        })(),
      );
      for (const { syscall, error } of out.errors) {
        expect(error, syscall).toBeInstanceOf(IoError);
        expect(error, syscall).toMatchObject({ code: 'EBADF', errno: -9, syscall, path: out.label });
      }
      expect(out.again).toBeUndefined();
      expect(out.fd).toBe(-1);
    });

    it('a close() future dropped before it is polled still closes the socket ("closed from the call on")', async () => {
      await run(warm());
      const before = fdCount();
      const out = await run(
        fn(function* () {
          const listener = yield* TcpListener.bind('127.0.0.1:0');
          const client = yield* TcpStream.connect(listener.localAddr());
          const server = yield* listener.accept();
          const udp = yield* UdpSocket.bind('127.0.0.1:0');
          const open = fdCount() - before;
          // A close raced against something already done: the close future is dropped unpolled.
          yield* race([ready('first'), client.close()], { biased: true });
          yield* race([ready('first'), udp.close()], { biased: true });
          // A close never awaited at all.
          void server.close();
          void listener.close();
          return { open, closed: [client.fd, server.fd, udp.fd, listener.fd] };
        })(),
      );
      expect(out.open).toBeGreaterThanOrEqual(4);
      expect(out.closed).toEqual([-1, -1, -1, -1]);
      expect(await settleFds(before)).toBe(before);
    });
  });

  describe('closing with a read in flight', () => {
    // Each test has a runtime of its own: a receive left behind must not disturb the other tests.

    it('a read in flight when its stream is closed fails, and the peer sees the end', async () => {
      const { run: runHere } = runtimeOn(driver);
      const out = await runHere(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          const server = yield* listener.accept();
          const reader = spawn(failureOf(() => server.read()));
          try {
            yield* sleep(20); // the read is in flight
            yield* server.close();
            const read = yield* race([reader, sleep(2000)]);
            const peer = yield* race([client.read(), sleep(2000)]);
            return {
              // The read must settle with an error (the socket is gone), not wait forever.
              read: read instanceof IoError ? read.code : String(read),
              // And the close must reach the peer: a receive in flight must not keep the connection open.
              peer: Buffer.isBuffer(peer) ? (peer.length === 0 ? 'eof' : 'bytes') : String(peer),
            };
          } finally {
            reader.abort();
          }
        })(),
      );
      expect(out).toEqual({ read: expect.stringMatching(/^(ECANCELED|EBADF)$/), peer: 'eof' });
    });

    it('a read left in flight by close never takes the bytes of a socket that reuses its fd number', async () => {
      const { run: runHere } = runtimeOn(driver);
      const out = await runHere(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          const server = yield* listener.accept();
          const reader = spawn(failureOf(() => server.read()));
          try {
            yield* sleep(20);
            yield* server.close();
            yield* sleep(20);
            // New sockets: with a kernel backend, one of them likely gets the closed fd's number.
            using client2 = yield* TcpStream.connect(listener.localAddr());
            using server2 = yield* listener.accept();
            yield* server2.writeAll('for client2');
            yield* client2.writeAll('for server2');
            const got1 = yield* race([client2.readExact(11), sleep(2000)]);
            const got2 = yield* race([server2.readExact(11), sleep(2000)]);
            void client;
            return { got1: String(got1), got2: String(got2) };
          } finally {
            reader.abort();
          }
        })(),
      );
      expect(out).toEqual({ got1: 'for client2', got2: 'for server2' });
    });

    it('a recvFrom in flight when its UDP socket is closed fails instead of waiting forever', async () => {
      const { run: runHere } = runtimeOn(driver);
      const out = await runHere(
        fn(function* () {
          const socket = yield* UdpSocket.bind('127.0.0.1:0');
          const reader = spawn(failureOf(() => socket.recvFrom()));
          try {
            yield* sleep(20);
            yield* socket.close();
            const outcome = yield* race([reader, sleep(2000)]);
            return outcome instanceof IoError ? outcome.code : String(outcome);
          } finally {
            reader.abort();
          }
        })(),
      );
      expect(out).toMatch(/^(ECANCELED|EBADF)$/);
    });
  });

  describe('readExact cut short', () => {
    it('fails with UnexpectedEofError when the peer closes early; the next read returns the partial bytes', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          yield* server.writeAll('abc');
          yield* server.shutdown();
          const error = yield* failureOf(() => client.readExact(10));
          const next = yield* client.read();
          const end = yield* client.read();
          return { error, next: next.toString(), end: end.length, label: formatAddress(listener.localAddr()) };
        })(),
      );
      expect(out.error).toBeInstanceOf(UnexpectedEofError);
      expect(out.error).toBeInstanceOf(ZokioError);
      expect(out.error).toMatchObject({
        code: 'ERR_ZOKIO_UNEXPECTED_EOF',
        expected: 10,
        got: 3,
        path: out.label,
      });
      expect(out.next).toBe('abc');
      expect(out.end).toBe(0);
    });

    it('keeps partial bytes from several chunks, in order', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          client.setNoDelay();
          yield* client.writeAll('first-');
          yield* sleep(20);
          yield* client.writeAll('second-');
          yield* sleep(20);
          yield* client.writeAll('third');
          yield* client.shutdown();
          const error = yield* failureOf(() => server.readExact(1000));
          const rest = yield* server.readToEnd();
          return { error, rest: rest.toString() };
        })(),
      );
      expect(out.error).toBeInstanceOf(UnexpectedEofError);
      expect(out.error).toMatchObject({ code: 'ERR_ZOKIO_UNEXPECTED_EOF', expected: 1000, got: 18 });
      expect(out.rest).toBe('first-second-third');
    });

    it('readExact(0) returns an empty buffer at once, even at EOF', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          yield* server.shutdown();
          return (yield* client.readExact(0)).length;
        })(),
      );
      expect(out).toBe(0);
    });
  });

  describe('argument errors (thrown at the call, before anything is submitted)', () => {
    it.each(badAddresses)('rejects the address $label everywhere with $code', ({ value, code }) => {
      const calls: [string, () => unknown][] = [
        ['TcpStream.connect', () => TcpStream.connect(value as never)],
        ['TcpListener.bind', () => TcpListener.bind(value as never)],
        ['UdpSocket.bind', () => UdpSocket.bind(value as never)],
      ];
      for (const [where, call] of calls) {
        const error = argumentErrorOf(call);
        expect(error, where).toBeInstanceOf(ZokioError);
        expect(error, where).toMatchObject({ code, argument: 'address' });
        expect(error.message, where).toContain(`${where}: Expected address to be`);
      }
    });

    it.each(badAddresses)('rejects the address $label on a live UDP socket with $code', async ({ value, code }) => {
      const errors = await run(
        fn(function* () {
          using socket = yield* UdpSocket.bind('127.0.0.1:0');
          return [
            argumentErrorOf(() => socket.sendTo('x', value as never)),
            argumentErrorOf(() => socket.connect(value as never)),
          ];
        })(),
      );
      for (const error of errors) expect(error).toMatchObject({ code, argument: 'address' });
    });

    it('accepts the addresses it documents', async () => {
      const { dir, cleanup } = tempDir();
      try {
        const out = await run(
          fn(function* () {
            const bound: SocketAddress[] = [];
            for (const address of [
              'localhost:0',
              '127.0.0.1:0',
              '[::1]:0',
              { host: '127.0.0.1', port: 0 },
              { host: 'localhost', port: 0 },
              { family: 'ipv6', address: '::1', port: 0 } as const,
              { path: joinPath(dir, 'a.sock') },
              { family: 'unix', path: joinPath(dir, 'b.sock') } as const,
            ]) {
              using listener = yield* TcpListener.bind(address);
              bound.push(listener.localAddr());
            }
            return bound.map((a) => a.family);
          })(),
        );
        expect(out).toEqual(['ipv4', 'ipv4', 'ipv6', 'ipv4', 'ipv4', 'ipv6', 'unix', 'unix']);
      } finally {
        cleanup();
      }
    });

    it('UdpSocket.bind rejects a Unix path with ERR_INVALID_ARG_VALUE', () => {
      expect(argumentErrorOf(() => UdpSocket.bind({ path: '/tmp/x.sock' }))).toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        argument: 'address',
      });
    });

    it('rejects bad lengths and data on a live TcpStream, and the stream still works', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          const errors = [
            argumentErrorOf(() => client.read(-1)),
            argumentErrorOf(() => client.read(1.5)),
            argumentErrorOf(() => client.read(Number.NaN)),
            argumentErrorOf(() => client.read(Number.POSITIVE_INFINITY)),
            argumentErrorOf(() => client.read('10' as never)),
            argumentErrorOf(() => client.readExact(-1)),
            argumentErrorOf(() => client.readExact(2.5)),
            argumentErrorOf(() => client.readExact('4' as never)),
            argumentErrorOf(() => client.write(42 as never)),
            argumentErrorOf(() => client.writeAll(null as never)),
            argumentErrorOf(() => client.writeAll({} as never)),
          ];
          yield* server.writeAll('still fine');
          return { errors, after: (yield* client.readExact(10)).toString() };
        })(),
      );
      expect(out.errors.map((e) => [e.code, e.argument])).toEqual([
        ['ERR_INVALID_ARG_VALUE', 'maxLength'],
        ['ERR_INVALID_ARG_VALUE', 'maxLength'],
        ['ERR_INVALID_ARG_VALUE', 'maxLength'],
        ['ERR_INVALID_ARG_VALUE', 'maxLength'],
        ['ERR_INVALID_ARG_TYPE', 'maxLength'],
        ['ERR_INVALID_ARG_VALUE', 'length'],
        ['ERR_INVALID_ARG_VALUE', 'length'],
        ['ERR_INVALID_ARG_TYPE', 'length'],
        ['ERR_INVALID_ARG_TYPE', 'data'],
        ['ERR_INVALID_ARG_TYPE', 'data'],
        ['ERR_INVALID_ARG_TYPE', 'data'],
      ]);
      expect(out.after).toBe('still fine');
    });

    it('rejects bad lengths and data on a live UdpSocket', async () => {
      const out = await run(
        fn(function* () {
          using socket = yield* UdpSocket.bind('127.0.0.1:0');
          const to = socket.localAddr();
          return [
            argumentErrorOf(() => socket.recvFrom(0)),
            argumentErrorOf(() => socket.recvFrom(65537)),
            argumentErrorOf(() => socket.recvFrom(2.5)),
            argumentErrorOf(() => socket.recvFrom('1' as never)),
            argumentErrorOf(() => socket.recv(0)),
            argumentErrorOf(() => socket.sendTo(Buffer.alloc(65537), to)),
            argumentErrorOf(() => socket.send(Buffer.alloc(65537))),
            argumentErrorOf(() => socket.sendTo({} as never, to)),
            argumentErrorOf(() => socket.send(7 as never)),
          ];
        })(),
      );
      expect(out.map((e) => [e.code, e.argument])).toEqual([
        ['ERR_INVALID_ARG_VALUE', 'maxLength'],
        ['ERR_INVALID_ARG_VALUE', 'maxLength'],
        ['ERR_INVALID_ARG_VALUE', 'maxLength'],
        ['ERR_INVALID_ARG_TYPE', 'maxLength'],
        ['ERR_INVALID_ARG_VALUE', 'maxLength'],
        ['ERR_INVALID_ARG_VALUE', 'data'],
        ['ERR_INVALID_ARG_VALUE', 'data'],
        ['ERR_INVALID_ARG_TYPE', 'data'],
        ['ERR_INVALID_ARG_TYPE', 'data'],
      ]);
    });

    it('rejects bad writev chunks naming the chunk at fault, and the stream still works', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          const errors = [
            argumentErrorOf(() => client.writev('abc' as never)),
            argumentErrorOf(() => client.writev(null as never)),
            argumentErrorOf(() => client.writev(Buffer.from('x') as never)),
            argumentErrorOf(() => client.writev(['ok', 42 as never])),
            argumentErrorOf(() => client.writev([Buffer.from('ok'), 'ok', null as never])),
          ];
          yield* client.writev(['still', ' ', 'fine']);
          return { errors, after: (yield* server.readExact(10)).toString() };
        })(),
      );
      expect(out.errors.map((e) => [e.code, e.argument])).toEqual([
        ['ERR_INVALID_ARG_TYPE', 'chunks'],
        ['ERR_INVALID_ARG_TYPE', 'chunks'],
        ['ERR_INVALID_ARG_TYPE', 'chunks'],
        ['ERR_INVALID_ARG_TYPE', 'chunks[1]'],
        ['ERR_INVALID_ARG_TYPE', 'chunks[2]'],
      ]);
      expect(out.errors[3]!.message).toBe(
        'TcpStream.writev: Expected chunks[1] to be a string, Buffer or Uint8Array, got number 42',
      );
      expect(out.after).toBe('still fine');
    });

    it.each([
      { label: 'timeout 0', options: { timeout: 0 }, code: 'ERR_INVALID_ARG_VALUE', argument: 'timeout' },
      { label: 'timeout -1', options: { timeout: -1 }, code: 'ERR_INVALID_ARG_VALUE', argument: 'timeout' },
      { label: 'timeout NaN', options: { timeout: Number.NaN }, code: 'ERR_INVALID_ARG_VALUE', argument: 'timeout' },
      { label: "timeout '5' (a string)", options: { timeout: '5' }, code: 'ERR_INVALID_ARG_TYPE', argument: 'timeout' },
      { label: 'timeout null', options: { timeout: null }, code: 'ERR_INVALID_ARG_TYPE', argument: 'timeout' },
      { label: 'options null', options: null, code: 'ERR_INVALID_ARG_TYPE', argument: 'options' },
      { label: 'options 5000 (a number)', options: 5000, code: 'ERR_INVALID_ARG_TYPE', argument: 'options' },
    ])('TcpStream.connect rejects connect options: $label', ({ options, code, argument }) => {
      expect(argumentErrorOf(() => TcpStream.connect('127.0.0.1:1', options as never))).toMatchObject({
        code,
        argument,
      });
    });

    it('says what a connect timeout must be, and what it got', () => {
      expect(argumentErrorOf(() => TcpStream.connect('127.0.0.1:1', { timeout: 0 })).message).toBe(
        'TcpStream.connect: Expected timeout to be a positive number of milliseconds (or Infinity), got number 0',
      );
    });

    it('rejects a bad shutdown `how` with ERR_INVALID_ARG_VALUE, and the stream stays open', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          const errors = ['sideways', 'WRITE', '', 1, null].map((how) =>
            argumentErrorOf(() => client.shutdown(how as never)),
          );
          yield* client.writeAll('open');
          return { errors, got: (yield* server.readExact(4)).toString() };
        })(),
      );
      for (const error of out.errors) expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', argument: 'how' });
      expect(out.got).toBe('open');
    });

    it('rejects bad socket options with ERR_INVALID_ARG_TYPE naming the parameter', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          using udp = yield* UdpSocket.bind('127.0.0.1:0');
          return [
            argumentErrorOf(() => client.setNoDelay('yes' as never)),
            argumentErrorOf(() => client.setKeepAlive(1 as never)),
            argumentErrorOf(() => udp.setBroadcast('on' as never)),
          ];
        })(),
      );
      expect(out.map((e) => [e.code, e.argument])).toEqual([
        ['ERR_INVALID_ARG_TYPE', 'noDelay'],
        ['ERR_INVALID_ARG_TYPE', 'keepAlive'],
        ['ERR_INVALID_ARG_TYPE', 'on'],
      ]);
    });

    it.each([
      { label: 'backlog 0', options: { backlog: 0 }, code: 'ERR_INVALID_ARG_VALUE', argument: 'backlog' },
      { label: 'backlog 65536', options: { backlog: 65536 }, code: 'ERR_INVALID_ARG_VALUE', argument: 'backlog' },
      { label: 'backlog 1.5', options: { backlog: 1.5 }, code: 'ERR_INVALID_ARG_VALUE', argument: 'backlog' },
      { label: 'backlog NaN', options: { backlog: Number.NaN }, code: 'ERR_INVALID_ARG_VALUE', argument: 'backlog' },
      { label: "backlog '5' (a string)", options: { backlog: '5' }, code: 'ERR_INVALID_ARG_TYPE', argument: 'backlog' },
      {
        label: "reuseAddress 'yes'",
        options: { reuseAddress: 'yes' },
        code: 'ERR_INVALID_ARG_TYPE',
        argument: 'reuseAddress',
      },
      { label: 'options null', options: null, code: 'ERR_INVALID_ARG_TYPE', argument: 'options' },
      { label: 'options 5 (a number)', options: 5, code: 'ERR_INVALID_ARG_TYPE', argument: 'options' },
      { label: "options 'fast' (a string)", options: 'fast', code: 'ERR_INVALID_ARG_TYPE', argument: 'options' },
    ])('TcpListener.bind rejects bind options: $label', ({ options, code, argument }) => {
      expect(argumentErrorOf(() => TcpListener.bind('127.0.0.1:0', options as never))).toMatchObject({
        code,
        argument,
      });
    });

    it.each([
      { label: "host ''", call: () => lookupHost(''), code: 'ERR_INVALID_ARG_VALUE', argument: 'host' },
      { label: 'host 42', call: () => lookupHost(42 as never), code: 'ERR_INVALID_ARG_TYPE', argument: 'host' },
      { label: 'host null', call: () => lookupHost(null as never), code: 'ERR_INVALID_ARG_TYPE', argument: 'host' },
      {
        label: 'port 70000',
        call: () => lookupHost('localhost', 70000),
        code: 'ERR_INVALID_ARG_VALUE',
        argument: 'port',
      },
      { label: 'port -1', call: () => lookupHost('localhost', -1), code: 'ERR_INVALID_ARG_VALUE', argument: 'port' },
      { label: 'port 1.5', call: () => lookupHost('localhost', 1.5), code: 'ERR_INVALID_ARG_VALUE', argument: 'port' },
      {
        label: "port '80' (a string)",
        call: () => lookupHost('localhost', '80' as never),
        code: 'ERR_INVALID_ARG_TYPE',
        argument: 'port',
      },
    ])('lookupHost rejects $label', ({ call, code, argument }) => {
      expect(argumentErrorOf(call)).toMatchObject({ code, argument });
    });
  });
});
