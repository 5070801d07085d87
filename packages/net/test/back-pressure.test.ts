/**
 * A socket read dropped while it waits for a pool buffer (the pool at its cap, `OpFuture` back-pressure) must not
 * wedge the socket: the drop ends as a drop in flight does (`orphaned`), so the read gate does not wait for an orphan
 * that will never complete, and the next read receives.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, type Future } from '@zokio/future';
import type { IoBuf } from '@zokio/memory';
import { TcpListener, TcpStream, toDuplex, UdpSocket } from '@zokio/net';
import { Runtime } from '@zokio/runtime';
import { spawn } from '@zokio/scheduler';
import { timeout, TimeoutError } from '@zokio/time';
import { drivers } from '@zokio/runtime/testing';

const CAP = 1 << 20;

describe.each(drivers)('a read dropped while waiting for a pool buffer (%s)', (driver) => {
  it('leaves the socket readable: the next recvFrom gets the next datagram', async () => {
    const rt = Runtime.create({ io: driver, bufferArenaBytes: CAP, bufferPoolMaxBytes: CAP });
    const peer = createSocket('udp4');
    const got = await rt.blockOn(
      fn(function* () {
        const socket = yield* UdpSocket.bind('127.0.0.1:0');
        const port = (socket.localAddr() as { port: number }).port;
        const pool = rt.io!.pool;
        const held: IoBuf[] = [];
        for (;;) {
          try {
            held.push(pool.acquire(65536));
          } catch {
            break;
          }
        }
        let timedOut = false;
        try {
          yield* timeout(50, socket.recvFrom()); // waits in the pool's line, then is dropped
        } catch (error) {
          timedOut = error instanceof TimeoutError;
        }
        expect(timedOut).toBe(true);
        for (const buf of held) pool.release(buf);
        peer.send('after', port, '127.0.0.1');
        const datagram = yield* timeout(2_000, socket.recvFrom()); // hung for ever before the fix
        yield* socket.close();
        return datagram.data.toString();
      })(),
    );
    peer.close();
    expect(got).toBe('after');
    await rt.shutdown();
    expect(rt.io!.pool.stats().inUseBytes).toBe(0);
  });
});

describe.each(drivers)('toDuplex at the pool cap (%s)', (driver) => {
  /** A runtime whose pool is at its cap: `hold(size)` takes every free chunk of that size's class. */
  const capped = () => {
    const rt = Runtime.create({ io: driver, bufferArenaBytes: 4 << 16, bufferPoolMaxBytes: 4 << 16 });
    const hold = (size: number): IoBuf[] => {
      const pool = rt.io!.pool;
      const held: IoBuf[] = [];
      for (;;) {
        try {
          held.push(pool.acquire(size));
        } catch {
          return held;
        }
      }
    };
    return { rt, hold };
  };

  it('a write that needs a buffer waits for one, then goes out whole: no crash, nothing lost', async () => {
    const { rt, hold } = capped();
    const got = await rt.blockOn(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const client = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        const pool = rt.io!.pool;
        // The 64 KiB class has one free chunk, the 512 B class none and no page is left to carve: the write's first
        // 64 KiB span goes out, its last 300 bytes wait for a 512 B chunk — inside the first span's completion.
        const big = pool.acquire(65536);
        const small = hold(300);
        pool.release(big);
        const duplex = toDuplex(client);
        const errors: unknown[] = [];
        duplex.on('error', (error) => errors.push(error));
        const data = Buffer.alloc(65536 + 300, 7);
        const written = new Promise<unknown>((resolve) => duplex.write(data, resolve));
        setTimeout(() => small.forEach((buf) => pool.release(buf)), 30);
        let received = 0;
        while (received < data.length) received += (yield* server.read()).length;
        expect(yield* fromPromise(() => written)).toBeFalsy(); // the write's callback: no error
        expect(errors).toEqual([]);
        duplex.destroy();
        return received;
      })(),
    );
    expect(got).toBe(65536 + 300);
    await rt.shutdown();
  });

  it('a receive waiting for a buffer is withdrawn by destroy; a write that cannot get one fails its callback', async () => {
    const { rt, hold } = capped();
    await rt.blockOn(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const waiting = () => rt.io!.pool.stats().classes.reduce((n, c) => n + c.waiting, 0);
        const pool = rt.io!.pool;
        const held = hold(65536); // every 64 KiB chunk out, no page left: a receive (64 KiB) waits for one
        const reader = toDuplex(yield* TcpStream.connect(listener.localAddr()));
        using _peer = yield* listener.accept();
        reader.resume();
        yield* fromPromise(() => new Promise((resolve) => setTimeout(resolve, 10)));
        expect(waiting()).toBe(1);
        const closed = new Promise((resolve) => reader.on('close', resolve));
        reader.destroy();
        yield* fromPromise(() => closed);
        expect(waiting()).toBe(0); // out of the line: no wake-up is swallowed

        // A 1,000-byte write: its class has no chunk out to come back, so it cannot wait: its callback fails.
        const writer = toDuplex(yield* TcpStream.connect(listener.localAddr()));
        using _peer2 = yield* listener.accept();
        writer.on('error', () => {});
        const written = new Promise<unknown>((resolve) => writer.write(Buffer.alloc(1000), resolve));
        expect(yield* fromPromise(() => written)).toMatchObject({ code: 'ERR_ZOKIO_POOL_EXHAUSTED' });
        held.forEach((buf) => pool.release(buf));
      })(),
    );
    await rt.shutdown();
    expect(rt.io!.pool.stats().inUseBytes).toBe(0);
  });

  it('destroy withdraws a waiting receive even after a write got its buffer meanwhile, and closes at once', async () => {
    const { rt, hold } = capped();
    await rt.blockOn(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const duplex = toDuplex(yield* TcpStream.connect(listener.localAddr()));
        using _peer = yield* listener.accept();
        duplex.on('error', () => {});
        const pool = rt.io!.pool;
        pool.release(pool.acquire(300)); // a page for the small classes first: a short write finds a chunk
        const held = hold(65536); // then every 64 KiB chunk out, no page left: a receive waits
        const waiting = () => pool.stats().classes.reduce((n, c) => n + c.waiting, 0);
        duplex.resume();
        yield* fromPromise(() => new Promise((resolve) => setTimeout(resolve, 10)));
        expect(waiting()).toBe(1);
        const written = new Promise((resolve) => duplex.write('hi', resolve));
        expect(yield* fromPromise(() => written)).toBeFalsy(); // sent: the write had its buffer at once
        const closed = new Promise((resolve) => duplex.on('close', resolve));
        duplex.destroy();
        yield* timeout(
          1_000,
          fromPromise(() => closed),
        ); // it hung for ever: the write's buffer hid the wait
        expect(waiting()).toBe(0);
        held.forEach((buf) => pool.release(buf));
      })(),
    );
    await rt.shutdown();
    expect(rt.io!.pool.stats().inUseBytes).toBe(0);
  });

  it('bytes transferred away while their send waits for a buffer fail it typed, for write and writev', async () => {
    const { rt, hold } = capped();
    await rt.blockOn(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        using client = yield* TcpStream.connect(listener.localAddr());
        using _server = yield* listener.accept();
        const pool = rt.io!.pool;
        const held = hold(1000); // the 1 KiB class: every chunk out, no page left
        const outcomes: unknown[] = [];
        const sends: ((b: Buffer) => Future<unknown>)[] = [
          (b) => client.write(b),
          (b) => client.writev([b, Buffer.from('!')]),
        ];
        for (const send of sends) {
          const data = Buffer.from(new ArrayBuffer(1000));
          const handle = spawn(send(data)); // waits in the pool's line for a 1 KiB chunk
          yield* fromPromise(() => new Promise((resolve) => setTimeout(resolve, 10)));
          structuredClone(data.buffer, { transfer: [data.buffer] });
          pool.release(held.pop()!);
          try {
            yield* handle;
          } catch (error) {
            outcomes.push((error as Error).cause);
          }
          held.push(pool.acquire(1000)); // the chunk the failed send left: out again, so the next send waits too
        }
        expect(outcomes).toMatchObject([
          { code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/^TcpStream.write: /) },
          { code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/^TcpStream.writev: /) },
        ]);
        held.forEach((buf) => pool.release(buf));
      })(),
    );
    await rt.shutdown();
    expect(rt.io!.pool.stats().inUseBytes).toBe(0);
  });

  it('a UDP send waiting for a buffer when its socket closes fails with EBADF, never leaving from a reused fd', async () => {
    const { rt, hold } = capped();
    const outcome = await rt.blockOn(
      fn(function* () {
        const receiver = yield* UdpSocket.bind('127.0.0.1:0');
        const socket = yield* UdpSocket.bind('127.0.0.1:0');
        const pool = rt.io!.pool;
        const held = hold(65536); // every 64 KiB chunk out: a 60,000-byte datagram waits for one
        const send = spawn(socket.sendTo(Buffer.alloc(60_000, 1), receiver.localAddr()));
        yield* fromPromise(() => new Promise((resolve) => setTimeout(resolve, 10)));
        yield* socket.close();
        const other = yield* UdpSocket.bind('127.0.0.1:0'); // most likely on the fd number `socket` had
        held.forEach((buf) => pool.release(buf));
        let result: unknown;
        try {
          result = yield* send;
        } catch (error) {
          result = (error as Error).cause;
        }
        yield* other.close();
        yield* receiver.close();
        return result;
      })(),
    );
    await rt.shutdown();
    expect(outcome).toMatchObject({ code: 'EBADF' });
  });
});
