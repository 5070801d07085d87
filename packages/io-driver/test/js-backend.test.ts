/**
 * What only the `js` backend has: virtual fds, and its emulation of socket semantics on Node's `net` and `dgram`
 * (receive buffering, cancellation that loses nothing, flow control, shutdown, poll, options).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  AF_INET,
  AF_INET6,
  COMPLETION_BUFFER,
  COMPLETION_MORE,
  createJsBackend,
  decodeSockaddr,
  IoDriver,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_MAX_BYTES,
  SocketOption,
  type SocketAddress,
  Op,
} from '@zokio/io-driver';
import { VIRTUAL_FD_BASE } from '../src/backends/js/sockets.js';
import { backends } from './backends.js';
import { collect, final, turn } from './completions.js';
import { Harness } from './raw-harness.js';

const E = constants.errno;
const POLLIN = 1;
const POLLOUT = 4;
const MSG_PEEK = 2;
const MSG_DONTWAIT = 0x40;
const MSG_WAITALL = 0x100;
const LOOPBACK: SocketAddress = { family: 'ipv4', address: '127.0.0.1', port: 0 };

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A loopback listener that never accepts, its queue filled by `node:net` clients until one goes unanswered: a connect
 * to it waits (Linux drops SYNs to a full accept queue). On a native backend — the `js` backend's listener is a
 * `net.Server`, which accepts at once. Returns its address, and a function that closes it and the clients.
 */
async function fullListener(): Promise<{ address: SocketAddress; close: () => Promise<void> }> {
  const native = backends.find((b) => b.name !== 'js');
  if (native === undefined) throw new Error('Expected a native backend (io_uring or epoll) to load, got only js');
  const d = new IoDriver(native.factory);
  const listener = await final((h) => d.socket(AF_INET, SOCK_STREAM, 0, h));
  const a = d.encodeAddress(LOOPBACK);
  expect(await final((h) => d.bind(listener, a.buf, a.length, h))).toBe(0);
  d.pool.release(a.buf);
  expect(await final((h) => d.listen(listener, 1, h))).toBe(0);
  const out = new Uint8Array(SOCKADDR_MAX_BYTES);
  const address = decodeSockaddr(out, d.socketAddress(listener, false, out));
  const port = (address as { port: number }).port;
  const clients: Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const client = connect(port, '127.0.0.1');
    clients.push(client);
    const answered = await new Promise<boolean>((resolve) => {
      client.once('connect', () => resolve(true));
      client.once('error', () => resolve(false));
      setTimeout(() => resolve(false), 300);
    });
    if (!answered) break;
  }
  return {
    address,
    close: async () => {
      for (const client of clients) client.destroy();
      expect(await final((h) => d.close(listener, h))).toBe(0);
      await d.shutdown();
    },
  };
}

class Net {
  readonly d = new IoDriver(createJsBackend);

  socket(domain = AF_INET, type = SOCK_STREAM): Promise<number> {
    return final((h) => this.d.socket(domain, type, 0, h));
  }

  async withAddress(address: SocketAddress, op: (buf: ReturnType<IoDriver['encodeAddress']>) => Promise<number>) {
    const a = this.d.encodeAddress(address);
    try {
      return await op(a);
    } finally {
      this.d.pool.release(a.buf);
    }
  }

  bind(fd: number, address: SocketAddress): Promise<number> {
    return this.withAddress(address, (a) => final((h) => this.d.bind(fd, a.buf, a.length, h)));
  }

  connect(fd: number, address: SocketAddress): Promise<number> {
    return this.withAddress(address, (a) => final((h) => this.d.connect(fd, a.buf, a.length, h)));
  }

  address(fd: number, peer = false): SocketAddress {
    const out = new Uint8Array(SOCKADDR_MAX_BYTES);
    const length = this.d.socketAddress(fd, peer, out);
    expect(length).toBeGreaterThan(0);
    return decodeSockaddr(out, length);
  }

  /** A connected pair: [listener, client, server]. */
  async pair(): Promise<[number, number, number]> {
    const listener = await this.socket();
    expect(await this.bind(listener, LOOPBACK)).toBe(0);
    expect(await final((h) => this.d.listen(listener, 16, h))).toBe(0);
    const client = await this.socket();
    expect(await this.connect(client, this.address(listener))).toBe(0);
    const server = await final((h) => this.d.accept(listener, h));
    expect(server).toBeGreaterThanOrEqual(VIRTUAL_FD_BASE);
    return [listener, client, server];
  }

  async send(fd: number, text: string | Uint8Array): Promise<number> {
    const bytes = typeof text === 'string' ? Buffer.from(text) : text;
    const buf = this.d.pool.acquire(bytes.length);
    buf.bytes.set(bytes);
    const res = await final((h) => this.d.send(fd, buf, h, { length: bytes.length }));
    this.d.pool.release(buf);
    return res;
  }

  async recv(fd: number, n: number, flags = 0): Promise<string | number> {
    const buf = this.d.pool.acquire(n);
    const res = await final((h) => this.d.recv(fd, buf, h, { length: n, flags }));
    const text = res >= 0 ? Buffer.from(buf.bytes.subarray(0, res)).toString() : res;
    this.d.pool.release(buf);
    return text;
  }

  async close(...fds: number[]): Promise<void> {
    for (const fd of fds) expect(await final((h) => this.d.close(fd, h))).toBe(0);
  }
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('js backend sockets', () => {
  it('numbers sockets from 2^30 up, never reusing a live number; unknown virtual fds are EBADF', async () => {
    const net = new Net();
    const a = await net.socket();
    const b = await net.socket(AF_INET, SOCK_DGRAM);
    expect(a).toBe(VIRTUAL_FD_BASE);
    expect(b).toBe(VIRTUAL_FD_BASE + 1);
    await net.close(a);
    expect(await net.socket()).toBe(VIRTUAL_FD_BASE + 2);
    expect(await final((h) => net.d.close(a, h))).toBe(-E.EBADF);
    expect(await net.recv(VIRTUAL_FD_BASE + 99, 4)).toBe(-E.EBADF);
    expect(net.d.setSocketOption(VIRTUAL_FD_BASE + 99, SocketOption.NODELAY, 1)).toBe(-E.EBADF);
    // A real fd is not a socket here.
    expect(net.d.socketAddress(0, false, new Uint8Array(128))).toBe(-E.ENOTSOCK);
    expect(await final((h) => net.d.socket(99, SOCK_STREAM, 0, h))).toBe(-E.EAFNOSUPPORT);
    await net.d.shutdown();
  });

  it('keeps bytes that arrive before any receive; PEEK leaves them, DONTWAIT does not wait, WAITALL fills', async () => {
    const net = new Net();
    const [listener, client, server] = await net.pair();
    expect(await net.recv(server, 4, MSG_DONTWAIT)).toBe(-E.EAGAIN);
    expect(await net.send(client, 'hello world')).toBe(11);
    await settle();
    expect(await net.recv(server, 5, MSG_PEEK)).toBe('hello');
    expect(await net.recv(server, 5)).toBe('hello');
    const all = net.recv(server, 12, MSG_WAITALL);
    await turn();
    expect(await net.send(client, ' again')).toBe(6);
    expect(await all).toBe(' world again');
    // ACCEPT before LISTEN, RECV on a listener, CONNECT on a connected socket: as the kernel says.
    expect(await net.recv(listener, 4)).toBe(-E.ENOTCONN);
    expect(await net.connect(client, net.address(listener))).toBe(-E.EISCONN);
    await net.close(client, server, listener);
    await net.d.shutdown();
  });

  it('buffers a large burst without a receive (flow control), then delivers every byte in order', async () => {
    const net = new Net();
    const [listener, client, server] = await net.pair();
    const payload = randomBytes(40 * 65536);
    const bufs = Array.from({ length: 40 }, (_, i) => {
      const b = net.d.pool.acquire(65536);
      b.bytes.set(payload.subarray(i * 65536, (i + 1) * 65536));
      return b;
    });
    const sent = Promise.all(bufs.map((b) => final((h) => net.d.send(client, b, h))));
    await settle();
    const got: Buffer[] = [];
    const out = net.d.pool.acquire(65536);
    let total = 0;
    while (total < payload.length) {
      const n = await final((h) => net.d.recv(server, out, h));
      expect(n).toBeGreaterThan(0);
      got.push(Buffer.from(out.bytes.subarray(0, n)));
      total += n;
    }
    expect(await sent).toEqual(new Array(40).fill(65536));
    expect(Buffer.concat(got).equals(payload)).toBe(true);
    for (const b of [...bufs, out]) net.d.pool.release(b);
    await net.close(client, server, listener);
    await net.d.shutdown();
  });

  it('multishot provided-buffer receive: one completion per buffer, EOF ends it, no buffer for EOF', async () => {
    const net = new Net();
    const [listener, client, server] = await net.pair();
    const group = net.d.createBufferGroup(8, 4);
    const h = collect();
    net.d.recvSelect(server, group, h, { multishot: true });
    expect(await net.send(client, 'abcdefghij')).toBe(10);
    await settle();
    expect(await final((c) => net.d.shutdownSocket(client, 1, c))).toBe(0);
    const all = await h.done;
    const data = all.filter((c) => c.res > 0);
    expect(
      data.every((c) => (c.flags & (COMPLETION_MORE | COMPLETION_BUFFER)) === (COMPLETION_MORE | COMPLETION_BUFFER)),
    ).toBe(true);
    expect(data.map((c) => Buffer.from(group.buffer(c.aux).bytes.subarray(0, c.res)).toString()).join('')).toBe(
      'abcdefghij',
    );
    expect(all.at(-1)).toEqual({ res: 0, flags: 0, aux: 0 });
    expect(group.lent).toBe(data.length);
    await net.close(client, server, listener);
    await net.d.shutdown();
  });

  it('cancels a waiting connect, recvmsg and poll', async () => {
    const net = new Net();
    // A connect to a listener whose accept queue is full stays pending until cancelled. (Not a "blackhole" address
    // outside: where a gateway answers for every address, such a connect succeeds at once.)
    const hole = await fullListener();
    const fd = await net.socket();
    const a = net.d.encodeAddress(hole.address);
    const connecting = collect();
    const token = net.d.connect(fd, a.buf, a.length, connecting);
    await delay(50);
    net.d.cancel(token);
    expect((await connecting.done).map((c) => c.res)).toEqual([-E.ECANCELED]);
    net.d.pool.release(a.buf);
    await hole.close();

    const udp = await net.socket(AF_INET, SOCK_DGRAM);
    expect(await net.bind(udp, LOOPBACK)).toBe(0);
    const out = net.d.pool.acquire(16);
    const r = collect();
    const rt = net.d.recvmsg(udp, out, undefined, r);
    const p = collect();
    const pt = net.d.pollAdd(udp, POLLIN, p);
    await turn();
    net.d.cancel(rt);
    net.d.cancel(pt);
    expect((await r.done).map((c) => c.res)).toEqual([-E.ECANCELED]);
    expect((await p.done).map((c) => c.res)).toEqual([-E.ECANCELED]);

    for (const b of [out]) net.d.pool.release(b);
    await net.close(fd, udp);
    await net.d.shutdown();
  });

  it('raw: cancel results are 0, ENOENT once done, EALREADY for a send handed to the socket', async () => {
    const h = new Harness(createJsBackend, 64, 256, -1);
    const res = async (_opcode: number, token: number) => (await h.roundTrip(1)).get(token)!.res;
    h.op(Op.SOCKET, 1, { arg: AF_INET, mode: SOCK_STREAM, fd2: 0 });
    const listener = await res(Op.SOCKET, 1);
    h.op(Op.LISTEN, 2, { fd: listener, arg: 8 });
    expect(await res(Op.LISTEN, 2)).toBe(0);
    const addrAt = 4096;
    const addrLength = h.backend.socketAddress(listener, false, h.bytes.subarray(addrAt, addrAt + 128));
    h.bytes.set([127, 0, 0, 1], addrAt + 4); // connect to loopback, not the wildcard
    h.op(Op.SOCKET, 3, { arg: AF_INET, mode: SOCK_STREAM, fd2: 0 });
    const client = await res(Op.SOCKET, 3);
    h.op(Op.CONNECT, 4, { fd: client, path: [0, addrAt], path2: [addrLength, 0] });
    h.op(Op.ACCEPT, 5, { fd: listener });
    const done = await h.roundTrip(2);
    expect(done.get(4)!.res).toBe(0);
    const server = done.get(5)!.res;
    // A receive waiting for data: the cancel wins; cancelling it again finds nothing.
    h.op(Op.RECV, 6, { fd: server, buf: [0, 0, 16] });
    h.op(Op.CANCEL, 7, { arg: 6 });
    const cancelled = await h.roundTrip(2);
    expect(cancelled.get(6)!.res).toBe(-E.ECANCELED);
    expect(cancelled.get(7)!.res).toBe(0);
    h.op(Op.CANCEL, 8, { arg: 6 });
    expect(await res(Op.CANCEL, 8)).toBe(-E.ENOENT);
    // Sends nobody reads: the last one is still with the socket, and cannot be stopped.
    for (let i = 0; i < 8; i++) h.op(Op.SEND, 10 + i, { fd: client, buf: [0, 0, 1 << 20] });
    h.flush();
    await settle();
    h.op(Op.CANCEL, 20, { arg: 17 });
    expect(await res(Op.CANCEL, 20)).toBe(-E.EALREADY);
    h.op(Op.CLOSE, 21, { fd: server });
    h.op(Op.CLOSE, 22, { fd: client });
    h.op(Op.CLOSE, 23, { fd: listener });
    h.flush();
    const wanted = [10, 11, 12, 13, 14, 15, 16, 17, 21, 22, 23];
    while (!wanted.every((t) => h.log.some((c) => c.token === t))) await turn();
    expect(h.log.filter((c) => c.token >= 10 && c.token < 18)).toHaveLength(8);
    expect([21, 22, 23].map((t) => h.res(t))).toEqual([0, 0, 0]);
    expect(() => h.backend.close()).not.toThrow();
  });

  it('multishot poll fires on each new readiness; POLLOUT is ready on a connected socket', async () => {
    const net = new Net();
    const [listener, client, server] = await net.pair();
    expect(await final((h) => net.d.pollAdd(client, POLLOUT, h))).toBe(POLLOUT);
    const p = collect();
    const token = net.d.pollAdd(server, POLLIN, p, { multishot: true });
    await net.send(client, 'a');
    while (p.seen.length < 1) await turn();
    expect(await net.recv(server, 1)).toBe('a');
    await net.send(client, 'b');
    while (p.seen.length < 2) await turn();
    net.d.cancel(token);
    const all = await p.done;
    expect(all.slice(0, 2).every((c) => c.res & POLLIN && c.flags & COMPLETION_MORE)).toBe(true);
    expect(all.at(-1)!.res).toBe(-E.ECANCELED);
    await net.close(client, server, listener);
    await net.d.shutdown();
  });

  it('SHUT_RD ends receives with EOF; SHUT_WR makes sends EPIPE; close completes waiting ops with ECANCELED', async () => {
    const net = new Net();
    const [listener, client, server] = await net.pair();
    const waiting = net.recv(server, 4);
    await turn();
    expect(await final((h) => net.d.shutdownSocket(server, 0, h))).toBe(0);
    expect(await waiting).toBe('');
    expect(await final((h) => net.d.shutdownSocket(client, 1, h))).toBe(0);
    expect(await net.send(client, 'x')).toBe(-E.EPIPE);
    const r = collect();
    const buf = net.d.pool.acquire(4);
    net.d.recv(client, buf, r);
    await turn();
    await net.close(client);
    expect((await r.done).map((c) => c.res)).toEqual([-E.ECANCELED]);
    net.d.pool.release(buf);
    await net.close(server, listener);
    await net.d.shutdown();
  });

  it('LISTEN without BIND picks a port; a bound socket connects from its own address', async () => {
    const net = new Net();
    const listener = await net.socket(AF_INET6);
    expect(await final((h) => net.d.listen(listener, 8, h))).toBe(0);
    const at = net.address(listener) as { family: 'ipv6'; port: number };
    expect(at).toMatchObject({ family: 'ipv6', address: '::' });
    expect(at.port).toBeGreaterThan(0);
    const client = await net.socket(AF_INET6);
    expect(await net.bind(client, { family: 'ipv6', address: '::1', port: 0 })).toBe(0);
    const local = net.address(client);
    expect(await net.connect(client, { family: 'ipv6', address: '::1', port: at.port })).toBe(0);
    expect(net.address(client)).toEqual(local);
    const addr = net.d.pool.acquire(SOCKADDR_MAX_BYTES);
    const seen = collect();
    net.d.accept(listener, seen, { addr });
    const [c] = await seen.done;
    expect(decodeSockaddr(addr.bytes, c!.aux)).toEqual(local);
    expect(net.address(c!.res, true)).toEqual(local);
    net.d.pool.release(addr);
    await net.close(c!.res, client, listener);
    await net.d.shutdown();
  });

  it('UDP: truncates to the buffer, RECV takes datagrams too, connected sends, options', async () => {
    const net = new Net();
    const a = await net.socket(AF_INET, SOCK_DGRAM);
    const b = await net.socket(AF_INET, SOCK_DGRAM);
    expect(net.d.setSocketOption(a, SocketOption.BROADCAST, 1)).toBe(0); // applied once bound
    expect(net.d.setSocketOption(a, SocketOption.NODELAY, 1)).toBe(-E.ENOPROTOOPT);
    expect(await net.bind(a, LOOPBACK)).toBe(0);
    expect(await net.bind(b, LOOPBACK)).toBe(0);
    expect(net.d.socketAddress(a, true, new Uint8Array(128))).toBe(-E.ENOTCONN);
    expect(await net.connect(a, net.address(b))).toBe(0);
    expect(net.address(a, true)).toEqual(net.address(b));
    expect(await net.send(a, 'first datagram')).toBe(14);
    expect(await net.send(a, 'second')).toBe(6);
    expect(await net.recv(b, 5)).toBe('first'); // truncated; the rest of it is gone
    expect(await net.recv(b, 64)).toBe('second');
    await net.close(a, b);
    await net.d.shutdown();
  });

  it('close() refuses while ops are in flight (EBUSY) and is idempotent; buffer groups refuse bad input', async () => {
    const h = new Harness(createJsBackend);
    h.backend.createBufferGroup(1, 2);
    expect(() => h.backend.createBufferGroup(1, 2)).toThrow(expect.objectContaining({ code: 'EEXIST' }) as Error);
    expect(() => h.backend.createBufferGroup(2, 3)).toThrow(/Expected a capacity that is a power of two/);
    expect(() => h.backend.provideBuffer(9, 0, 0, 0, 4)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
    expect(() => h.backend.provideBuffer(1, 5, 0, 0, 4)).toThrow(/Expected a buffer id from 0 to 1/);
    expect(() => h.backend.provideBuffer(1, 0, 0, 1 << 20, 4)).toThrow(/Expected a buffer inside a registered arena/);
    h.op(Op.SOCKET, 1, { arg: AF_INET, mode: SOCK_DGRAM, fd2: 0 });
    const fd = (await h.roundTrip(1)).get(1)!.res;
    expect(fd).toBeGreaterThanOrEqual(VIRTUAL_FD_BASE);
    h.op(Op.RECV, 2, { fd, buf: [0, 0, 16] });
    h.flush();
    await turn();
    expect(() => h.backend.close()).toThrow(expect.objectContaining({ code: 'EBUSY' }) as Error);
    h.op(Op.CANCEL, 3, { arg: 2 });
    const done = await h.roundTrip(2);
    expect([done.get(2)!.res, done.get(3)!.res]).toEqual([-E.ECANCELED, 0]);
    h.backend.close(); // destroys the socket left open
    h.backend.close();
  });
});
