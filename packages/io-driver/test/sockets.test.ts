/**
 * The socket and vectored half of the conformance suite: every backend (`js`, `io_uring`, `epoll`) runs the same
 * cases through {@link IoDriver}, on real sockets on the loopback interface and real files in a temp dir.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  COMPLETION_BUFFER,
  COMPLETION_MORE,
  decodeSockaddr,
  IoDriver,
  ipv4ToNumber,
  numberToIpv4,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_MAX_BYTES,
  SocketOption,
  type SocketAddress,
} from '@zokio/io-driver';
import { backends, throughInjector } from './backends.js';
import { collect, fdCount, final, finalSeen, turn } from './completions.js';

const E = constants.errno;
const POLLIN = 1;
const dir = mkdtempSync(join(tmpdir(), 'zokio-sock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe.each([...backends, throughInjector])('I/O driver socket conformance ($name)', ({ factory }) => {
  /** One driver per test, with the socket steps every test needs. */
  class Net {
    readonly d = new IoDriver(factory);

    async socket(domain: number, type: number): Promise<number> {
      const fd = await final((h) => this.d.socket(domain, type, 0, h));
      expect(fd).toBeGreaterThanOrEqual(0);
      return fd;
    }

    async bind(fd: number, address: SocketAddress): Promise<number> {
      const { buf, length } = this.d.encodeAddress(address);
      const res = await final((h) => this.d.bind(fd, buf, length, h));
      this.d.pool.release(buf);
      return res;
    }

    async connect(fd: number, address: SocketAddress): Promise<number> {
      const { buf, length } = this.d.encodeAddress(address);
      const res = await final((h) => this.d.connect(fd, buf, length, h));
      this.d.pool.release(buf);
      return res;
    }

    address(fd: number, peer = false): SocketAddress {
      const out = new Uint8Array(SOCKADDR_MAX_BYTES);
      const length = this.d.socketAddress(fd, peer, out);
      expect(length).toBeGreaterThan(0);
      return decodeSockaddr(out, length);
    }

    /** A listening socket on `address` (port 0: any); returns its fd and the address it got. */
    async listen(address: SocketAddress = { family: 'ipv4', address: '127.0.0.1', port: 0 }) {
      const domain = address.family === 'ipv4' ? AF_INET : address.family === 'ipv6' ? AF_INET6 : AF_UNIX;
      const fd = await this.socket(domain, SOCK_STREAM);
      if (domain !== AF_UNIX) expect(this.d.setSocketOption(fd, SocketOption.REUSEADDR, 1)).toBe(0);
      expect(await this.bind(fd, address)).toBe(0);
      expect(await final((h) => this.d.listen(fd, 128, h))).toBe(0);
      return { fd, address: this.address(fd) };
    }

    async dial(address: SocketAddress): Promise<number> {
      const domain = address.family === 'ipv4' ? AF_INET : address.family === 'ipv6' ? AF_INET6 : AF_UNIX;
      const fd = await this.socket(domain, SOCK_STREAM);
      expect(await this.connect(fd, address)).toBe(0);
      return fd;
    }

    async accept(fd: number): Promise<number> {
      const res = await final((h) => this.d.accept(fd, h));
      expect(res).toBeGreaterThanOrEqual(0);
      return res;
    }

    async sendAll(fd: number, bytes: Uint8Array): Promise<void> {
      const buf = this.d.pool.acquire(64 * 1024);
      for (let at = 0; at < bytes.length;) {
        const n = Math.min(buf.capacity, bytes.length - at);
        buf.bytes.set(bytes.subarray(at, at + n));
        const res = await final((h) => this.d.send(fd, buf, h, { length: n }));
        expect(res).toBeGreaterThan(0);
        at += res;
        if (res < n) buf.bytes.copyWithin(0, res, n); // partial send: the rest goes next time round
      }
      this.d.pool.release(buf);
    }

    /** Receives until `n` bytes or EOF. */
    async recvUpTo(fd: number, n: number): Promise<Uint8Array> {
      const out = new Uint8Array(n);
      const buf = this.d.pool.acquire(64 * 1024);
      let got = 0;
      while (got < n) {
        const res = await final((h) => this.d.recv(fd, buf, h, { length: Math.min(buf.capacity, n - got) }));
        expect(res).toBeGreaterThanOrEqual(0);
        if (res === 0) break;
        out.set(buf.bytes.subarray(0, res), got);
        got += res;
      }
      this.d.pool.release(buf);
      return out.subarray(0, got);
    }

    async close(...fds: number[]): Promise<void> {
      for (const fd of fds) expect(await final((h) => this.d.close(fd, h))).toBe(0);
    }
  }

  it('TCP: accepts with the peer address, echoes random payloads intact, and half-closes', async () => {
    const net = new Net();
    const { fd: listener, address } = await net.listen();
    expect(address).toMatchObject({ family: 'ipv4', address: '127.0.0.1' });
    const client = await net.socket(AF_INET, SOCK_STREAM);
    const addr = net.d.pool.acquire(SOCKADDR_MAX_BYTES);
    const accepted = collect();
    net.d.accept(listener, accepted, { addr });
    expect(await net.connect(client, address)).toBe(0);
    const [acceptedCompletion] = await accepted.done;
    const server = acceptedCompletion!.res;
    expect(server).toBeGreaterThanOrEqual(0);
    const peer = decodeSockaddr(addr.bytes, acceptedCompletion!.aux);
    expect(peer).toEqual(net.address(client));
    expect(net.address(server, true)).toEqual(net.address(client));
    net.d.pool.release(addr);
    expect(net.d.setSocketOption(client, SocketOption.NODELAY, 1)).toBe(0);

    const payload = randomBytes(1 << 20);
    const echo = (async () => {
      const got = await net.recvUpTo(server, payload.length);
      await net.sendAll(server, got);
      // The client's half-close arrives as EOF after the payload.
      expect((await net.recvUpTo(server, 1)).length).toBe(0);
      await net.sendAll(server, Buffer.from('bye'));
      await net.close(server);
    })();
    await net.sendAll(client, payload);
    const back = await net.recvUpTo(client, payload.length);
    expect(sha(back)).toBe(sha(payload));
    expect(await final((h) => net.d.shutdownSocket(client, 1, h))).toBe(0);
    await echo;
    expect(Buffer.from(await net.recvUpTo(client, 10)).toString()).toBe('bye'); // then EOF
    await net.close(client, listener);
    await net.d.shutdown();
  });

  it('multishot accept completes once per connection and ends on cancel; no fd is leaked', async () => {
    const before = await fdCount();
    const net = new Net();
    const { fd: listener, address } = await net.listen();
    const accepts = collect();
    const token = net.d.accept(listener, accepts, { multishot: true });
    const clients: number[] = [];
    for (let i = 0; i < 5; i++) clients.push(await net.dial(address));
    while (accepts.seen.length < 5) await turn();
    expect(accepts.seen.every((c) => c.res >= 0 && (c.flags & COMPLETION_MORE) !== 0)).toBe(true);
    net.d.cancel(token);
    const all = await accepts.done;
    expect(all).toHaveLength(6);
    expect(all.at(-1)!.res).toBe(-E.ECANCELED);
    await net.close(...all.slice(0, 5).map((c) => c.res), ...clients, listener);
    await net.d.shutdown();
    expect(await fdCount()).toBe(before);
  });

  it('an accept cancelled as a connection arrives leaks no fd and loses no connection', async () => {
    const net = new Net();
    const { fd: listener, address } = await net.listen();
    const before = await fdCount();
    const clients: number[] = [];
    const taken: number[] = [];
    const to = net.d.encodeAddress(address);
    for (let i = 0; i < 20; i++) {
      const h = collect();
      const token = net.d.accept(listener, h);
      const client = await net.socket(AF_INET, SOCK_STREAM);
      clients.push(client);
      const connected = final((c) => net.d.connect(client, to.buf, to.length, c));
      if (i % 2 === 0) net.d.cancel(token);
      else setImmediate(() => net.d.cancel(token));
      expect(await connected).toBe(0);
      const res = (await h.done).at(-1)!.res;
      if (res >= 0) taken.push(res);
      else expect(res).toBe(-E.ECANCELED);
    }
    // Every connection an accept did not hand out is still queued for the next accept.
    while (taken.length < 20) taken.push(await net.accept(listener));
    net.d.pool.release(to.buf);
    await net.close(...taken, ...clients);
    expect(await fdCount()).toBe(before);
    await net.close(listener);
    await net.d.shutdown();
  });

  it('reports ECONNREFUSED, EADDRINUSE, and EPIPE or ECONNRESET from a closed peer', async () => {
    const net = new Net();
    const { fd: listener, address } = await net.listen();
    // A port nothing listens on: take one and close it.
    const { fd: gone, address: goneAddress } = await net.listen();
    await net.close(gone);
    const refused = await net.socket(AF_INET, SOCK_STREAM);
    expect(await net.connect(refused, goneAddress)).toBe(-E.ECONNREFUSED);

    const second = await net.socket(AF_INET, SOCK_STREAM);
    const bound = await net.bind(second, address);
    const inUse = bound === 0 ? await final((h) => net.d.listen(second, 16, h)) : bound;
    expect(inUse).toBe(-E.EADDRINUSE);

    const client = await net.dial(address);
    const server = await net.accept(listener);
    await net.close(server);
    const buf = net.d.pool.acquire(64 * 1024);
    let res = 0;
    for (let i = 0; i < 100 && res >= 0; i++) res = await final((h) => net.d.send(client, buf, h));
    expect([-E.EPIPE, -E.ECONNRESET]).toContain(res);
    net.d.pool.release(buf);
    await net.close(client, refused, second, listener);
    await net.d.shutdown();
  });

  it('UDP: sendmsg and recvmsg carry datagrams and addresses, IPv4 and IPv6', async () => {
    const net = new Net();
    for (const [domain, host, family] of [
      [AF_INET, '127.0.0.1', 'ipv4'],
      [AF_INET6, '::1', 'ipv6'],
    ] as const) {
      const a = await net.socket(domain, SOCK_DGRAM);
      const b = await net.socket(domain, SOCK_DGRAM);
      expect(await net.bind(a, { family, address: host, port: 0 })).toBe(0);
      expect(await net.bind(b, { family, address: host, port: 0 })).toBe(0);
      const aAddr = net.address(a);
      const bAddr = net.address(b);
      const out = net.d.pool.acquire(1500);
      const from = net.d.pool.acquire(SOCKADDR_MAX_BYTES);
      const to = net.d.encodeAddress(bAddr);
      for (let i = 0; i < 20; i++) {
        const message = randomBytes(1 + ((i * 37) % 1400));
        out.bytes.set(message);
        const received = finalSeen((h) => net.d.recvmsg(b, out, from, h));
        expect(await final((h) => net.d.sendmsg(a, out, to.buf, to.length, h, { length: message.length }))).toBe(
          message.length,
        );
        const got = await received;
        expect(got.res).toBe(message.length);
        expect(sha(out.bytes.subarray(0, got.res))).toBe(sha(message));
        expect(decodeSockaddr(from.bytes, got.aux)).toEqual(aAddr);
      }
      for (const b2 of [out, from, to.buf]) net.d.pool.release(b2);
      await net.close(a, b);
    }
    await net.d.shutdown();
  });

  it('UDP: IPv4 multicast — a member receives what is sent to its group on loopback; leaving twice fails', async () => {
    const net = new Net();
    const group = ipv4ToNumber('239.7.7.7')!;
    const loopback = ipv4ToNumber('127.0.0.1')!;
    const member = await net.socket(AF_INET, SOCK_DGRAM);
    const sender = await net.socket(AF_INET, SOCK_DGRAM);
    expect(await net.bind(member, { family: 'ipv4', address: '0.0.0.0', port: 0 })).toBe(0);
    expect(await net.bind(sender, { family: 'ipv4', address: '127.0.0.1', port: 0 })).toBe(0);
    const bound = net.address(member);
    if (bound.family === 'unix') throw new Error('Expected an IPv4 address');
    const port = bound.port;
    expect(net.d.setMembership(member, true, group, loopback)).toBe(0);
    expect(net.d.setSocketOption(sender, SocketOption.MULTICAST_IF, loopback | 0)).toBe(0);
    expect(net.d.setSocketOption(sender, SocketOption.MULTICAST_LOOP, 1)).toBe(0);
    const out = net.d.pool.acquire(64);
    const into = net.d.pool.acquire(64);
    const to = net.d.encodeAddress({ family: 'ipv4', address: numberToIpv4(group), port });
    out.bytes.set(Buffer.from('to the group'));
    const received = finalSeen((h) => net.d.recvmsg(member, into, undefined, h));
    expect(await final((h) => net.d.sendmsg(sender, out, to.buf, to.length, h, { length: 12 }))).toBe(12);
    const got = await received;
    expect(Buffer.from(into.bytes.subarray(0, got.res)).toString()).toBe('to the group');
    expect(net.d.setMembership(member, false, group, loopback)).toBe(0);
    expect(net.d.setMembership(member, false, group, loopback)).toBeLessThan(0); // not a member any more
    for (const b of [out, into, to.buf]) net.d.pool.release(b);
    await net.close(member, sender);
    await net.d.shutdown();
  });

  it('Unix stream sockets connect, carry bytes and report their path', async () => {
    const net = new Net();
    const path = join(dir, `s-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    const { fd: listener, address } = await net.listen({ family: 'unix', path });
    expect(address).toEqual({ family: 'unix', path });
    const client = await net.dial({ family: 'unix', path });
    const server = await net.accept(listener);
    const payload = randomBytes(200_000);
    const got = net.recvUpTo(server, payload.length);
    await net.sendAll(client, payload);
    expect(sha(await got)).toBe(sha(payload));
    await net.close(client, server, listener);
    await net.d.shutdown();
  });

  it('a cancelled receive loses no byte: what arrives later goes to the next receive', async () => {
    const net = new Net();
    const { fd: listener, address } = await net.listen();
    const client = await net.dial(address);
    const server = await net.accept(listener);
    const buf = net.d.pool.acquire(1024);
    for (let i = 0; i < 10; i++) {
      const h = collect();
      const token = net.d.recv(server, buf, h);
      if (i % 2 === 0) net.d.cancel(token);
      else {
        await turn();
        net.d.cancel(token);
      }
      expect((await h.done).at(-1)!.res).toBe(-E.ECANCELED);
      await net.sendAll(client, Buffer.from(`message ${i};`));
      const got = await net.recvUpTo(server, `message ${i};`.length);
      expect(Buffer.from(got).toString()).toBe(`message ${i};`);
    }
    net.d.pool.release(buf);
    await net.close(client, server, listener);
    await net.d.shutdown();
  });

  it('closing an fd ends the receives, accepts and polls waiting on it with ECANCELED', async () => {
    const net = new Net();
    const { fd: listener, address } = await net.listen();
    const client = await net.dial(address);
    const server = await net.accept(listener);
    const buf = net.d.pool.acquire(1024);
    const group = net.d.createBufferGroup(4, 1024);
    const recv = finalSeen((h) => net.d.recv(server, buf, h));
    const selecting = collect();
    net.d.recvSelect(server, group, selecting, { multishot: true });
    const poll = finalSeen((h) => net.d.pollAdd(server, POLLIN, h));
    const accept = finalSeen((h) => net.d.accept(listener, h));
    await turn(); // all four are waiting in the backend
    expect(await final((h) => net.d.close(server, h))).toBe(0);
    expect(await final((h) => net.d.close(listener, h))).toBe(0);
    expect((await recv).res).toBe(-E.ECANCELED);
    expect((await selecting.done).at(-1)!.res).toBe(-E.ECANCELED);
    expect((await poll).res).toBe(-E.ECANCELED);
    expect((await accept).res).toBe(-E.ECANCELED);
    net.d.pool.release(buf);
    await net.close(client);
    await net.d.shutdown();
  });

  it('provided buffers: a receive that finds its group empty fails with ENOBUFS, and recovers once refilled', async () => {
    const net = new Net();
    const { fd: listener, address } = await net.listen();
    const client = await net.dial(address);
    const server = await net.accept(listener);
    const group = net.d.createBufferGroup(4, 1024);
    const payload = randomBytes(8 * 1024);
    await net.sendAll(client, payload);
    await new Promise((r) => setTimeout(r, 20)); // all 8 KiB queued at the receiver
    const received: Uint8Array[] = [];
    const take = (c: { res: number; flags: number; aux: number }) => {
      expect(c.flags & COMPLETION_BUFFER).toBe(COMPLETION_BUFFER);
      received.push(group.buffer(c.aux).bytes.slice(0, c.res));
    };

    // Multishot: four buffers of 1 KiB each fill, then the group is dry.
    const first = collect();
    net.d.recvSelect(server, group, first, { multishot: true });
    const firstAll = await first.done;
    expect(firstAll.at(-1)!.res).toBe(-E.ENOBUFS);
    const data = firstAll.filter((c) => c.res > 0);
    expect(data.length).toBeGreaterThan(0);
    expect(data.length).toBeLessThanOrEqual(4);
    data.forEach(take);
    expect(group.lent).toBe(data.length);
    expect(() => group.recycle(data.length === 4 ? 99 : 3)).toThrow(/Expected a buffer/);

    // Single-shot with the group still empty: ENOBUFS again.
    if (data.length === 4) expect(await final((h) => net.d.recvSelect(server, group, h))).toBe(-E.ENOBUFS);

    // Refill and drain the rest.
    for (const c of data) group.recycle(c.aux);
    expect(group.lent).toBe(0);
    let total = received.reduce((n, r) => n + r.length, 0);
    while (total < payload.length) {
      const c = await finalSeen((h) => net.d.recvSelect(server, group, h));
      expect(c.res).toBeGreaterThan(0);
      take(c);
      group.recycle(c.aux);
      total += c.res;
    }
    expect(sha(Buffer.concat(received))).toBe(sha(payload));
    await net.close(client, server, listener);
    await net.d.shutdown();
  });

  it('poll-add completes when the socket becomes readable', async () => {
    const net = new Net();
    const { fd: listener, address } = await net.listen();
    const client = await net.dial(address);
    const server = await net.accept(listener);
    const polled = collect();
    net.d.pollAdd(server, POLLIN, polled);
    await turn();
    await turn();
    expect(polled.seen).toHaveLength(0); // nothing to read yet
    await net.sendAll(client, Buffer.from('x'));
    const [ready] = await polled.done;
    expect(ready!.res & POLLIN).toBe(POLLIN);
    expect(Buffer.from(await net.recvUpTo(server, 1)).toString()).toBe('x');
    await net.close(client, server, listener);
    await net.d.shutdown();
  });

  it('readv and writev move several buffers in one op, positional and at the current offset', async () => {
    const net = new Net();
    const path = join(dir, `v-${Math.random()}`);
    writeFileSync(path, '');
    const fd = openSync(path, 'r+');
    const parts = ['alpha-', 'beta-', 'gamma'].map((s) => {
      const b = net.d.pool.acquire(s.length);
      b.bytes.set(Buffer.from(s));
      return b;
    });
    const wtable = net.d.encodeIovecs(parts);
    expect(await final((h) => net.d.writev(fd, wtable, 3, 0, h))).toBe(16);
    expect(readFileSync(path, 'utf8')).toBe('alpha-beta-gamma');
    const outs = [net.d.pool.acquire(4), net.d.pool.acquire(8)];
    const rtable = net.d.encodeIovecs(outs, [4, 8]);
    expect(await final((h) => net.d.readv(fd, rtable, 2, 2, h))).toBe(12);
    expect(Buffer.from(outs[0]!.bytes.subarray(0, 4)).toString()).toBe('pha-');
    expect(Buffer.from(outs[1]!.bytes.subarray(0, 8)).toString()).toBe('beta-gam');
    const rtable2 = net.d.encodeIovecs(outs, [4, 8]);
    expect(await final((h) => net.d.readv(fd, rtable2, 2, -1, h))).toBe(12); // current offset: 0
    expect(Buffer.from(outs[0]!.bytes.subarray(0, 4)).toString()).toBe('alph');
    for (const b of [...parts, ...outs, wtable, rtable, rtable2]) net.d.pool.release(b);
    closeSync(fd);
    await net.d.shutdown();
  });

  it('refuses bad socket input with errors that say what was expected', async () => {
    const net = new Net();
    expect(() => net.d.encodeAddress({ family: 'ipv4', address: '999.1.1.1', port: 80 })).toThrow(
      /Expected an IPv4 address/,
    );
    expect(() => net.d.encodeAddress({ family: 'ipv4', address: '127.0.0.1', port: 70000 })).toThrow(
      /Expected a port from 0 to 65535/,
    );
    expect(() => net.d.createBufferGroup(3, 1024)).toThrow(/Expected a power of two/);
    expect(() => net.d.encodeIovecs([])).toThrow(/Expected 1 to 1024 buffers/);
    expect(net.d.socketAddress(987_654, false, new Uint8Array(SOCKADDR_MAX_BYTES))).toBe(-E.EBADF);
    expect(net.d.setSocketOption(987_654, SocketOption.NODELAY, 1)).toBe(-E.EBADF);
    const buf = net.d.pool.acquire(16);
    expect(await final((h) => net.d.recv(987_654, buf, h))).toBe(-E.EBADF);
    net.d.pool.release(buf);
    await net.d.shutdown();
  });

  it('a bind, connect or send closed before it finishes still completes once, and shutdown resolves', async () => {
    const net = new Net();
    const d = net.d;
    const results: Record<string, number | undefined> = {};
    const record = (name: string) => ({ complete: (res: number) => (results[name] = res) });
    // A Unix bind and a close in one flush.
    const unixFd = await net.socket(AF_UNIX, SOCK_STREAM);
    const path = join(dir, `bind-close-${Math.random()}.sock`);
    const unix = d.encodeAddress({ family: 'unix', path });
    d.bind(unixFd, unix.buf, unix.length, record('bind'));
    d.close(unixFd, record('close1'));
    // A UDP connect and a close; a UDP send to an address and a close.
    const dest = { family: 'ipv4', address: '127.0.0.1', port: 9 } as const;
    const udp1 = await net.socket(AF_INET, SOCK_DGRAM);
    const to1 = d.encodeAddress(dest);
    d.connect(udp1, to1.buf, to1.length, record('connect'));
    d.close(udp1, record('close2'));
    const udp2 = await net.socket(AF_INET, SOCK_DGRAM);
    const to2 = d.encodeAddress(dest);
    const data = d.pool.acquire(4);
    d.sendmsg(udp2, data, to2.buf, to2.length, record('send'));
    d.close(udp2, record('close3'));
    const deadline = performance.now() + 2_000;
    while (Object.keys(results).length < 6 && performance.now() < deadline) await turn();
    expect(Object.keys(results).sort()).toEqual(['bind', 'close1', 'close2', 'close3', 'connect', 'send']);
    for (const buf of [unix.buf, to1.buf, to2.buf, data]) d.pool.release(buf);
    expect(d.inFlight).toBe(0);
    await d.shutdown();
  });
});
