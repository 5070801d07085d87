/**
 * Owned halves on every driver: a reader task and a writer task on one socket, what closing each half does, and
 * that the socket goes when — and only when — both halves are closed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, isFuture, join, race, ready, type Future } from '@zokio/future';
import { spawn } from '@zokio/scheduler';
import { IoError, TcpListener, TcpStream, type ReadHalf, type WriteHalf } from '@zokio/net';
import { drivers, fdCount, runtimeOn } from '@zokio/runtime/testing';

function sleep<const T = 'timeout'>(ms: number, value: T = 'timeout' as T): Future<T> {
  return fromPromise((signal) => delay(ms, value, { signal }));
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function settleFds(target: number): Promise<number> {
  for (let i = 0; i < 100 && fdCount() !== target; i++) await delay(20);
  return fdCount();
}

/** The error `call` throws at once or fails with; `undefined` if neither. */
const failureOf = fn(function* (call: () => unknown) {
  try {
    const f = call();
    if (isFuture(f)) yield* f;
    return undefined;
  } catch (error) {
    return error;
  }
});

const warm = fn(function* () {
  const listener = yield* TcpListener.bind('127.0.0.1:0');
  yield* listener.close();
});

describe.each(drivers)('intoSplit on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('a reader task and a writer task echo 8 MiB through the halves; both closed, no fd is left', async () => {
    await run(warm());
    const before = fdCount();
    const payload = randomBytes(8 << 20);
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const server = spawn(
          fn(function* () {
            using s = yield* listener.accept();
            for (let chunk = yield* s.read(); chunk.length > 0; chunk = yield* s.read()) yield* s.writeAll(chunk);
            yield* s.shutdown();
          })(),
        );
        using stream = yield* TcpStream.connect(listener.localAddr());
        const { reader, writer } = stream.intoSplit();
        const writing = spawn(
          fn(function* () {
            using w = writer;
            for (let at = 0; at < payload.length; at += 1 << 20)
              yield* w.writeAll(payload.subarray(at, at + (1 << 20)));
            yield* w.shutdown();
          })(),
        );
        const reading = spawn(
          fn(function* () {
            using r = reader;
            return yield* r.readToEnd();
          })(),
        );
        const [, echoed] = yield* join(writing, reading);
        yield* server;
        return { echoed, closed: [stream.closed, reader.closed, writer.closed] };
      })(),
    );
    expect(sha(out.echoed)).toBe(sha(payload));
    expect(out.closed).toEqual([true, true, true]);
    expect(await settleFds(before)).toBe(before);
  }, 30_000);

  it('closing the write half shuts down the sending side; the read half still reads; then both close the socket', async () => {
    await run(warm());
    const before = fdCount();
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const stream = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        const { reader, writer } = stream.intoSplit();
        yield* writer.writeAll('request');
        yield* writer.close();
        // The peer reads the request and then the end: the write half's close was a shutdown.
        const request = (yield* server.readToEnd()).toString();
        const writeAfter = yield* failureOf(() => writer.writeAll('late'));
        // The socket is still open for the reader.
        yield* server.writeAll('reply');
        yield* server.shutdown();
        const reply = (yield* reader.readToEnd()).toString();
        const open = fdCount();
        yield* reader.close();
        const eof = (yield* server.read()).length;
        return { request, reply, writeAfter, open, eof };
      })(),
    );
    expect(out.request).toBe('request');
    expect(out.reply).toBe('reply');
    expect(out.writeAfter).toBeInstanceOf(IoError);
    expect(out.writeAfter).toMatchObject({ code: 'EBADF', syscall: 'send' });
    expect(out.eof).toBe(0);
    expect(await settleFds(before)).toBe(before);
  });

  it('closing the read half alone keeps the socket open for the writer and interrupts its read', async () => {
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const stream = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        const { reader, writer } = stream.intoSplit();
        const pending = spawn(failureOf(() => reader.read()));
        yield* sleep(20); // the read is in flight
        yield* reader.close();
        const interrupted = yield* race([pending, sleep(2000)]);
        const readAfter = yield* failureOf(() => reader.read());
        yield* writer.writeAll('still writing');
        yield* writer.shutdown();
        const got = (yield* server.readToEnd()).toString();
        yield* writer.close();
        return {
          interrupted: interrupted instanceof IoError ? interrupted.code : String(interrupted),
          readAfter: readAfter instanceof IoError ? readAfter.code : String(readAfter),
          got,
          eofAfterClose: (yield* server.read()).length,
        };
      })(),
    );
    expect(out).toEqual({
      interrupted: expect.stringMatching(/^(ECANCELED|EBADF)$/),
      readAfter: 'EBADF',
      got: 'still writing',
      eofAfterClose: 0,
    });
  });

  it('the stream reads as closed after intoSplit; disposing it leaves the socket to the halves', async () => {
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const stream = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        const { reader, writer } = stream.intoSplit();
        stream[Symbol.dispose](); // does nothing: the socket is the halves'
        const readError = yield* failureOf(() => stream.read());
        const splitAgain = yield* failureOf(() => stream.intoSplit());
        yield* writer.writeAll('halves');
        const got = (yield* server.readExact(6)).toString();
        yield* server.writeAll('ok');
        const back = (yield* reader.readExact(2)).toString();
        yield* reader.close();
        yield* writer.close();
        return {
          closed: stream.closed,
          readError: readError instanceof IoError ? readError.code : String(readError),
          splitAgain: splitAgain instanceof IoError ? splitAgain.code : String(splitAgain),
          got,
          back,
          end: (yield* server.read()).length,
        };
      })(),
    );
    expect(out).toEqual({ closed: true, readError: 'EBADF', splitAgain: 'EBADF', got: 'halves', back: 'ok', end: 0 });
  });

  it('bytes a dropped read kept, and writes already queued, carry over to the halves', async () => {
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const stream = yield* TcpStream.connect(listener.localAddr());
        using server = yield* listener.accept();
        // A read submitted and dropped: its receive becomes an orphan of the stream's gate.
        const dropped = yield* race([stream.read(), ready('dropped' as const)], { biased: true });
        yield* server.writeAll('kept bytes');
        const { reader, writer } = stream.intoSplit();
        using r = reader;
        using w = writer;
        const first = (yield* r.readExact(10)).toString();
        yield* w.writev(['a', 'b', 'c']);
        const back = (yield* server.readExact(3)).toString();
        return { dropped, first, back };
      })(),
    );
    expect(out).toEqual({ dropped: 'dropped', first: 'kept bytes', back: 'abc' });
  });

  it('every method of a closed half fails with EBADF; close is idempotent; await using works', async () => {
    await run(warm());
    const before = fdCount();
    const halves = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const stream = yield* TcpStream.connect(listener.localAddr());
        const server = yield* listener.accept();
        server[Symbol.dispose]();
        return stream.intoSplit();
      })(),
    );
    {
      await using _r = halves.reader;
      await using _w = halves.writer;
    }
    const out = await run(
      fn(function* () {
        const { reader, writer }: { reader: ReadHalf; writer: WriteHalf } = halves;
        const calls: [string, () => unknown][] = [
          ['recv', () => reader.read()],
          ['recv', () => reader.readExact(1)],
          ['recv', () => reader.readToEnd()],
          ['getpeername', () => reader.peerAddr()],
          ['getsockname', () => reader.localAddr()],
          ['send', () => writer.write('x')],
          ['send', () => writer.writeAll('x')],
          ['send', () => writer.writev(['x'])],
          ['shutdown', () => writer.shutdown()],
          ['setsockopt', () => writer.setNoDelay()],
          ['getpeername', () => writer.peerAddr()],
          ['getsockname', () => writer.localAddr()],
        ];
        const errors: { syscall: string; error: unknown }[] = [];
        for (const [syscall, call] of calls) errors.push({ syscall, error: yield* failureOf(call) });
        const again = [yield* failureOf(() => reader.close()), yield* failureOf(() => writer.close())];
        reader[Symbol.dispose]();
        writer[Symbol.dispose]();
        return { errors, again };
      })(),
    );
    for (const { syscall, error } of out.errors) {
      expect(error, syscall).toBeInstanceOf(IoError);
      expect(error, syscall).toMatchObject({ code: 'EBADF', syscall });
    }
    expect(out.again).toEqual([undefined, undefined]);
    expect(await settleFds(before)).toBe(before);
  });
});
