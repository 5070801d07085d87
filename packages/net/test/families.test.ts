/**
 * Address families on every driver: TCP over IPv4, IPv6 and Unix paths, UDP over IPv6, connected UDP,
 * `lookupHost`, socket options, and the addresses each end reports.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join as joinPath } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, isFuture, join, race, ready, type Future } from '@zokio/future';
import { spawn } from '@zokio/scheduler';
import {
  formatAddress,
  IoError,
  lookupHost,
  TcpListener,
  TcpStream,
  UdpSocket,
  type AddressLike,
  type SocketAddress,
} from '@zokio/net';
import { drivers, fdCount, runtimeOn, tempDir } from '@zokio/runtime/testing';
import { toSocketAddress } from '../src/address.js';

function sleep<const T = 'timeout'>(ms: number, value: T = 'timeout' as T): Future<T> {
  return fromPromise((signal) => delay(ms, value, { signal }));
}

const failureOf = fn(function* (call: () => unknown) {
  try {
    const f = call();
    if (isFuture(f)) yield* f;
    return undefined;
  } catch (error) {
    return error;
  }
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Echoes one connection of `listener` back to its sender until EOF, then half-closes. */
const echoOnce = fn(function* (listener: TcpListener) {
  using s = yield* listener.accept();
  for (let chunk = yield* s.read(); chunk.length > 0; chunk = yield* s.read()) yield* s.writeAll(chunk);
  yield* s.shutdown();
});

/** Sends `payload` through an echo server on `address`, returns what came back and the addresses seen. */
const echoThrough = fn(function* (address: AddressLike, payload: Uint8Array) {
  using listener = yield* TcpListener.bind(address);
  const bound = listener.localAddr();
  const server = spawn(echoOnce(listener));
  using client = yield* TcpStream.connect(bound);
  // Read while connected: once both sides have closed, getpeername fails with ENOTCONN.
  const clientPeer = client.peerAddr();
  const clientLocal = client.localAddr();
  const [, echoed] = yield* join(
    fn(function* () {
      yield* client.writeAll(payload);
      yield* client.shutdown();
    })(),
    client.readToEnd(),
  );
  yield* server;
  return { bound, echoed, clientPeer, clientLocal };
});

const warm = fn(function* () {
  const listener = yield* TcpListener.bind('127.0.0.1:0');
  yield* listener.close();
});

async function settleFds(target: number): Promise<number> {
  for (let i = 0; i < 100 && fdCount() !== target; i++) await delay(20);
  return fdCount();
}

describe.each(drivers)('address families on %s', (driver) => {
  const { run } = runtimeOn(driver);

  describe('TCP', () => {
    it.each([
      { family: 'ipv4', address: '127.0.0.1:0', host: '127.0.0.1' },
      { family: 'ipv6', address: '[::1]:0', host: '::1' },
    ] as const)('echoes 1 MiB over $family ($address)', async ({ family, address, host }) => {
      const payload = randomBytes(1 << 20);
      const out = await run(echoThrough(address, payload));
      expect(sha(out.echoed)).toBe(sha(payload));
      expect(out.bound).toMatchObject({ family, address: host });
      expect((out.bound as { port: number }).port).toBeGreaterThan(0);
      expect(out.clientPeer).toEqual(out.bound);
      expect(out.clientLocal).toMatchObject({ family, address: host });
    });

    it('echoes 1 MiB over a Unix socket path, and leaks no fd', async () => {
      await run(warm());
      const before = fdCount();
      const { dir, cleanup } = tempDir();
      try {
        const path = joinPath(dir, 'echo.sock');
        const payload = randomBytes(1 << 20);
        const out = await run(echoThrough({ path }, payload));
        expect(sha(out.echoed)).toBe(sha(payload));
        expect(out.bound).toEqual({ family: 'unix', path });
        expect(out.clientPeer).toEqual({ family: 'unix', path });
        // The client is unnamed: its address has an empty path.
        expect(out.clientLocal).toEqual({ family: 'unix', path: '' });
        expect(await settleFds(before)).toBe(before);
      } finally {
        cleanup();
      }
    });

    it('accepts a Unix path given as a SocketAddress, and the server side reports the path as local', async () => {
      const { dir, cleanup } = tempDir();
      try {
        const path = joinPath(dir, 'sa.sock');
        const out = await run(
          fn(function* () {
            using listener = yield* TcpListener.bind({ family: 'unix', path });
            using client = yield* TcpStream.connect({ family: 'unix', path });
            using server = yield* listener.accept();
            yield* client.writeAll('over unix');
            yield* client.shutdown();
            return {
              got: (yield* server.readToEnd()).toString(),
              serverLocal: server.localAddr(),
              serverPeer: server.peerAddr(),
            };
          })(),
        );
        expect(out.got).toBe('over unix');
        expect(out.serverLocal).toEqual({ family: 'unix', path });
        expect(out.serverPeer).toEqual({ family: 'unix', path: '' });
      } finally {
        cleanup();
      }
    });

    it.each(['127.0.0.1:0', '[::1]:0'])('peerAddr and localAddr agree between the two ends (%s)', async (address) => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind(address);
          using client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          return {
            listener: listener.localAddr(),
            clientLocal: client.localAddr(),
            clientPeer: client.peerAddr(),
            serverLocal: server.localAddr(),
            serverPeer: server.peerAddr(),
          };
        })(),
      );
      expect(out.clientPeer).toEqual(out.serverLocal);
      expect(out.serverPeer).toEqual(out.clientLocal);
      expect(out.serverLocal).toEqual(out.listener);
      expect(out.clientLocal).not.toEqual(out.clientPeer);
    });

    it('an accepted stream names its peer in errors (the label is the peer address)', async () => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          const client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          const peer = formatAddress(server.peerAddr());
          yield* client.close();
          yield* server.close();
          return { peer, error: yield* failureOf(() => server.read()) };
        })(),
      );
      expect(out.error).toBeInstanceOf(IoError);
      expect(out.error).toMatchObject({ code: 'EBADF', path: out.peer });
    });

    it.each(['127.0.0.1:0', '[::1]:0'])(
      'setNoDelay and setKeepAlive work on a live socket (%s) and fail with EBADF once closed',
      async (address) => {
        const out = await run(
          fn(function* () {
            using listener = yield* TcpListener.bind(address);
            const client = yield* TcpStream.connect(listener.localAddr());
            using server = yield* listener.accept();
            const live = [
              () => client.setNoDelay(),
              () => client.setNoDelay(false),
              () => client.setNoDelay(true),
              () => client.setKeepAlive(),
              () => client.setKeepAlive(false),
              () => client.setKeepAlive(true),
              () => server.setNoDelay(),
              () => server.setKeepAlive(),
            ].map((call) => call());
            // Still a working connection afterwards.
            yield* client.writeAll('ping');
            const got = (yield* server.readExact(4)).toString();
            yield* client.close();
            return {
              live,
              got,
              noDelay: yield* failureOf(() => client.setNoDelay()),
              keepAlive: yield* failureOf(() => client.setKeepAlive(false)),
            };
          })(),
        );
        expect(out.live).toEqual(Array.from({ length: 8 }, () => undefined));
        expect(out.got).toBe('ping');
        for (const error of [out.noDelay, out.keepAlive]) {
          expect(error).toBeInstanceOf(IoError);
          expect(error).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'setsockopt' });
        }
      },
    );
  });

  describe('UDP', () => {
    it.each([
      { family: 'ipv4', address: '127.0.0.1:0', host: '127.0.0.1' },
      { family: 'ipv6', address: '[::1]:0', host: '::1' },
    ] as const)(
      'sends and receives datagrams over $family with their source addresses',
      async ({ family, address, host }) => {
        const out = await run(
          fn(function* () {
            using a = yield* UdpSocket.bind(address);
            using b = yield* UdpSocket.bind(address);
            const sent = yield* a.sendTo('ping', b.localAddr());
            const got = yield* b.recvFrom();
            yield* b.sendTo(Buffer.from('pong'), got.from);
            const back = yield* a.recvFrom();
            return {
              sent,
              got: got.data.toString(),
              from: got.from,
              back: back.data.toString(),
              backFrom: back.from,
              a: a.localAddr(),
              b: b.localAddr(),
            };
          })(),
        );
        expect(out).toMatchObject({ sent: 4, got: 'ping', back: 'pong' });
        expect(out.a).toMatchObject({ family, address: host });
        expect(out.from).toEqual(out.a);
        expect(out.backFrom).toEqual(out.b);
      },
    );

    it('keeps datagram boundaries: many datagrams of different sizes arrive whole and in order', async () => {
      const sizes = [1, 7, 100, 1400, 9000, 0, 60000, 3];
      const out = await run(
        fn(function* () {
          using a = yield* UdpSocket.bind('[::1]:0');
          using b = yield* UdpSocket.bind('[::1]:0');
          const payloads = sizes.map((n, i) => Buffer.alloc(n, i + 1));
          for (const p of payloads) yield* a.sendTo(p, b.localAddr());
          const got: Buffer[] = [];
          for (let i = 0; i < payloads.length; i++) got.push((yield* b.recvFrom()).data);
          return { payloads, got };
        })(),
      );
      expect(out.got.map((d) => d.length)).toEqual(sizes);
      expect(out.got).toEqual(out.payloads);
    });

    it('a recvFrom with a small maxLength truncates the datagram and discards the rest', async () => {
      const out = await run(
        fn(function* () {
          using a = yield* UdpSocket.bind('127.0.0.1:0');
          using b = yield* UdpSocket.bind('127.0.0.1:0');
          yield* a.sendTo('0123456789', b.localAddr());
          yield* a.sendTo('next', b.localAddr());
          const first = yield* b.recvFrom(4);
          const second = yield* b.recvFrom();
          return [first.data.toString(), second.data.toString()];
        })(),
      );
      expect(out).toEqual(['0123', 'next']);
    });

    it("a datagram kept from a dropped receive still honours the next receive's maxLength", async () => {
      const out = await run(
        fn(function* () {
          using a = yield* UdpSocket.bind('127.0.0.1:0');
          using b = yield* UdpSocket.bind('127.0.0.1:0');
          yield* a.sendTo('0123456789', b.localAddr());
          yield* sleep(20); // waiting in b's receive queue
          // Submitted (and so completed with the datagram at once), then dropped: the datagram is kept.
          const dropped = yield* race([b.recvFrom(), ready('dropped' as const)], { biased: true });
          const next = yield* b.recvFrom(4);
          return { dropped, next: next.data.toString() };
        })(),
      );
      expect(out.dropped).toBe('dropped');
      expect(out.next).toBe('0123');
    });

    it.each(['127.0.0.1:0', '[::1]:0'])(
      'a connected socket (%s) sends with send(), receives with recv(), and reports its peer',
      async (address) => {
        const out = await run(
          fn(function* () {
            using a = yield* UdpSocket.bind(address);
            using b = yield* UdpSocket.bind(address);
            yield* a.connect(b.localAddr());
            yield* b.connect(a.localAddr());
            const sent = yield* a.send('ping');
            const ping = yield* b.recv();
            yield* b.send(new Uint8Array([0x70, 0x6f, 0x6e, 0x67]));
            const pong = yield* a.recv();
            return {
              sent,
              ping: ping.toString(),
              pong: pong.toString(),
              aPeer: a.peerAddr(),
              bPeer: b.peerAddr(),
              a: a.localAddr(),
              b: b.localAddr(),
            };
          })(),
        );
        expect(out).toMatchObject({ sent: 4, ping: 'ping', pong: 'pong' });
        expect(out.aPeer).toEqual(out.b);
        expect(out.bPeer).toEqual(out.a);
      },
    );

    it('a connected socket receives only from its peer', async () => {
      const out = await run(
        fn(function* () {
          using a = yield* UdpSocket.bind('127.0.0.1:0');
          using peer = yield* UdpSocket.bind('127.0.0.1:0');
          using stranger = yield* UdpSocket.bind('127.0.0.1:0');
          yield* a.connect(peer.localAddr());
          yield* stranger.sendTo('intruder', a.localAddr()); // filtered by the kernel (or the backend)
          yield* sleep(20);
          yield* peer.sendTo('legit', a.localAddr());
          const first = yield* a.recvFrom();
          return { data: first.data.toString(), from: first.from, peer: peer.localAddr() };
        })(),
      );
      expect(out.data).toBe('legit');
      expect(out.from).toEqual(out.peer);
    });

    it('peerAddr of a socket that is not connected fails with ENOTCONN', async () => {
      const error = await run(
        fn(function* () {
          using a = yield* UdpSocket.bind('127.0.0.1:0');
          return yield* failureOf(() => a.peerAddr());
        })(),
      );
      expect(error).toBeInstanceOf(IoError);
      expect(error).toMatchObject({ code: 'ENOTCONN', syscall: 'getpeername' });
    });

    it('setBroadcast works on a live socket and fails with EBADF once closed', async () => {
      const out = await run(
        fn(function* () {
          const a = yield* UdpSocket.bind('127.0.0.1:0');
          a.setBroadcast();
          a.setBroadcast(false);
          yield* a.close();
          return yield* failureOf(() => a.setBroadcast());
        })(),
      );
      expect(out).toBeInstanceOf(IoError);
      expect(out).toMatchObject({ code: 'EBADF', syscall: 'setsockopt' });
    });
  });

  describe('lookupHost', () => {
    it("lookupHost('localhost', 80) returns loopback addresses, each with the port", async () => {
      const found = await run(lookupHost('localhost', 80));
      expect(found.length).toBeGreaterThan(0);
      for (const a of found) {
        expect(['ipv4', 'ipv6']).toContain(a.family);
        expect(a).toMatchObject({ port: 80 });
      }
      const hosts = found.map((a) => (a.family === 'unix' ? a.path : a.address));
      expect(hosts.some((h) => h === '127.0.0.1' || h === '::1')).toBe(true);
    });

    it('lookupHost of IP literals returns them as they are, port 0 by default', async () => {
      const out = await run(
        fn(function* () {
          return {
            v4: yield* lookupHost('127.0.0.1'),
            v6: yield* lookupHost('::1', 7),
          };
        })(),
      );
      expect(out.v4).toEqual([{ family: 'ipv4', address: '127.0.0.1', port: 0 }]);
      expect(out.v6).toEqual([{ family: 'ipv6', address: '::1', port: 7 }]);
    });

    it('an address from lookupHost connects', async () => {
      const got = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          const port = (listener.localAddr() as SocketAddress & { port: number }).port;
          const found = yield* lookupHost('localhost', port);
          const v4 = found.find((a) => a.family === 'ipv4');
          if (v4 === undefined) throw new Error('localhost has no IPv4 address here');
          using client = yield* TcpStream.connect(v4);
          using server = yield* listener.accept();
          yield* client.writeAll('resolved');
          return (yield* server.readExact(8)).toString();
        })(),
      );
      expect(got).toBe('resolved');
    });
  });
});

describe('IPv6 addresses keep their scope', () => {
  it('a SocketAddress with scopeId and flowinfo keeps them (a link-local address needs its interface)', () => {
    const input = { family: 'ipv6', address: 'fe80::1', port: 9, scopeId: 1, flowinfo: 7 } as const;
    expect(toSocketAddress(input, 'test')).toEqual(input);
    expect(toSocketAddress({ family: 'ipv6', address: '::1', port: 9 }, 'test')).toEqual({
      family: 'ipv6',
      address: '::1',
      port: 9,
    });
    expect(() => toSocketAddress({ ...input, scopeId: -1 }, 'test')).toThrow(/Expected address.scopeId to be/);
    expect(() => toSocketAddress({ ...input, scopeId: '1' }, 'test')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});
