import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fn, join, race, ready } from '@zokio/future';
import { spawn } from '@zokio/scheduler';
import { TcpListener, TcpStream, UdpSocket, IoError, type SocketAddress } from '@zokio/net';
import { drivers, fdCount, runtimeOn } from '@zokio/runtime/testing';

const warm = fn(function* () {
  const listener = yield* TcpListener.bind('127.0.0.1:0');
  yield* listener.close();
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe.each(drivers)('TCP and UDP on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('echoes 4 MiB of random bytes, half-closes, and leaks no fd', async () => {
    await run(warm()); // the driver's own fds exist from here
    const before = fdCount();
    const payload = randomBytes(4 << 20);
    const received = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const address = listener.localAddr();
        const server = spawn(
          fn(function* () {
            using s = yield* listener.accept();
            for (let chunk = yield* s.read(); chunk.length > 0; chunk = yield* s.read()) yield* s.writeAll(chunk);
            yield* s.shutdown();
          })(),
        );
        using client = yield* TcpStream.connect(address);
        const [, echoed] = yield* join(
          fn(function* () {
            yield* client.writeAll(payload);
            yield* client.shutdown();
          })(),
          client.readToEnd(),
        );
        yield* server;
        return echoed;
      })(),
    );
    expect(sha(received)).toBe(sha(payload));
    // `using` submits its closes without waiting: give them a moment (bounded) to complete.
    for (let i = 0; i < 50 && fdCount() !== before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(fdCount()).toBe(before);
  });

  it('a read dropped after its bytes arrived gives them to the next read', async () => {
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        using client = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        // The read is submitted, then dropped by the race; the bytes sent next may land in its buffer.
        const first = yield* race([server.read(), ready('dropped' as const)]);
        yield* client.writeAll('hello');
        yield* client.shutdown();
        return { first, rest: (yield* server.readToEnd()).toString() };
      })(),
    );
    expect(out.first).toBe('dropped');
    expect(out.rest).toBe('hello');
  });

  it('bytes already waiting when a read is dropped come back first, in order', async () => {
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        using client = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        yield* client.writeAll('hello'); // on loopback, in the server's receive queue once the send completes
        const first = yield* race([server.read(), ready('dropped' as const)]); // its receive finds them at once
        yield* client.writeAll(' world');
        yield* client.shutdown();
        return { first, all: (yield* server.readToEnd()).toString() };
      })(),
    );
    expect(out.first).toBe('dropped');
    expect(out.all).toBe('hello world');
  });

  it('an accept dropped while waiting loses no connection', async () => {
    const peer = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const dropped = yield* race([listener.accept(), ready('dropped' as const)]); // arms the multishot, then drops
        expect(dropped).toBe('dropped');
        using client = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        return { server: server.peerAddr(), client: client.localAddr() };
      })(),
    );
    expect(peer.server).toEqual(peer.client);
  });

  it('fails to connect to a closed port with ECONNREFUSED and the address', async () => {
    const port = await run(
      fn(function* () {
        const listener = yield* TcpListener.bind('127.0.0.1:0');
        const address = listener.localAddr() as SocketAddress & { port: number };
        yield* listener.close();
        return address.port;
      })(),
    );
    const error = await run(TcpStream.connect({ host: '127.0.0.1', port })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IoError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', path: `127.0.0.1:${port}` });
  });

  it('sends and receives UDP datagrams with their source addresses', async () => {
    const out = await run(
      fn(function* () {
        using a = yield* UdpSocket.bind('127.0.0.1:0');
        using b = yield* UdpSocket.bind('127.0.0.1:0');
        yield* a.sendTo('ping', b.localAddr());
        const got = yield* b.recvFrom();
        yield* b.sendTo('pong', got.from);
        const back = yield* a.recvFrom();
        return { got: got.data.toString(), from: got.from, a: a.localAddr(), back: back.data.toString() };
      })(),
    );
    expect(out).toMatchObject({ got: 'ping', back: 'pong' });
    expect(out.from).toEqual(out.a);
  });
});

describe.each(drivers)('toDuplex on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('pipes bytes both ways through a Node Duplex, ends with a half-close, and closes the socket', async () => {
    const { pipeline } = await import('node:stream/promises');
    const { Readable, Writable } = await import('node:stream');
    const { toDuplex } = await import('@zokio/net');
    const payload = randomBytes(300_000);
    const listener = await run(TcpListener.bind('127.0.0.1:0'));
    const echo = run(
      fn(function* () {
        using s = yield* listener.accept();
        for (let chunk = yield* s.read(); chunk.length > 0; chunk = yield* s.read()) yield* s.writeAll(chunk);
        yield* s.shutdown();
      })(),
    );
    const client = await run(TcpStream.connect(listener.localAddr()));
    const duplex = toDuplex(client);
    expect(client.closed).toBe(true); // the socket is the duplex's now
    const chunks: Buffer[] = [];
    await Promise.all([
      pipeline(Readable.from([payload.subarray(0, 100_000), payload.subarray(100_000)]), duplex),
      pipeline(
        duplex,
        new Writable({
          write(chunk: Buffer, _e, cb) {
            chunks.push(chunk);
            cb();
          },
        }),
      ),
    ]);
    await echo;
    await run(listener.close());
    expect(sha(Buffer.concat(chunks))).toBe(sha(payload));
    // pipeline destroyed the duplex when both sides finished: its close (after the ops in flight) ran.
    if (!duplex.closed) await new Promise((r) => duplex.once('close', r));
    expect(duplex.destroyed).toBe(true);
  });
});
