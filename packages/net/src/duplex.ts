/**
 * {@link toDuplex}: a {@link TcpStream} as a Node `Duplex`, for libraries that take Node streams (`pipeline`, HTTP
 * parsers, TLS).
 *
 * The adapter submits to the stream's driver directly, one receive and one send in flight at most, so backpressure
 * is the Node stream's own: it receives only when its readable buffer is below the high-water mark, and sends the
 * next chunk only when the last one went out. At the buffer pool's cap an op waits for a pool buffer as every op
 * future does (`acquireOrWait`); a wait that runs out fails the write (its callback) or destroys the duplex (a
 * receive), and destroying the duplex withdraws a wait. It first hands out what dropped reads of the `TcpStream`
 * kept. Ending the writable side shuts down the socket's sending side (the peer reads the end); destroying the duplex
 * closes the socket after any op in flight completes (so the kernel never touches a recycled fd).
 *
 * The socket belongs to the duplex from the call on: the `TcpStream` reads as closed (its methods fail with
 * `EBADF`). Call it with no read of the stream in flight (a dropped read still in flight keeps its bytes in the
 * stream, not the duplex).
 *
 * @module
 */
import { Duplex } from 'node:stream';
import { acquireOrWait, IoError } from '@zokio/io-driver';
import { MAX_BUFFER_BYTES, type IoBuf } from '@zokio/memory';
import { closedSocket, invalidArgument } from './errors.js';
import { TcpStream } from './tcp-stream.js';

/**
 * A Node `Duplex` over `stream`.
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * import { fn, fromPromise, join } from '@zokio/future';
 * import { TcpListener, TcpStream, toDuplex } from '@zokio/net';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   using listener = yield* TcpListener.bind('127.0.0.1:0');
 *   using client = yield* TcpStream.connect(listener.localAddr());
 *   const echo = toDuplex(yield* listener.accept()); // a Node Duplex: it owns the socket from here
 *   const talk = fn(function* () {
 *     yield* client.writeAll('hello');
 *     yield* client.shutdown();
 *     return (yield* client.readToEnd()).toString();
 *   });
 *   const serve = fromPromise(() => pipeline(echo, echo)); // Node's echo: ends, closing the socket, after the client
 *   const [, reply] = yield* join(serve, talk());
 *   console.log(reply); // hello
 * });
 * ```
 * @category TCP
 */
export function toDuplex(stream: TcpStream, options: { highWaterMark?: number } = {}): Duplex {
  if (!(stream instanceof TcpStream)) {
    throw invalidArgument('toDuplex', 'stream', 'a TcpStream', stream, 'ERR_INVALID_ARG_TYPE');
  }
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('toDuplex', 'options', 'an object', options, 'ERR_INVALID_ARG_TYPE');
  }
  const hwm: unknown = options.highWaterMark;
  if (hwm !== undefined && (typeof hwm !== 'number' || !Number.isSafeInteger(hwm) || hwm < 0)) {
    throw invalidArgument('toDuplex', 'highWaterMark', 'a non-negative integer', hwm);
  }
  if (stream.closed) throw closedSocket('recv', stream.label);
  const fd = stream.fd;
  const driver = stream.driver;
  const label = stream.label;
  /** Ops in flight, and a wait for a pool buffer: destroying waits for them to end (the wait, it withdraws). */
  let inFlight = 0;
  let afterFlight: (() => void) | undefined;
  let reading = false;
  /** The receive in flight, or −1 (none, or still waiting for its buffer). */
  let readToken = -1;
  let destroyed = false;
  /** Withdraw the receive's and the write's waits for a pool buffer, while there are: both may wait at once. */
  const waits: { read: (() => void) | undefined; write: (() => void) | undefined } = {
    read: undefined,
    write: undefined,
  };

  const settled = () => {
    inFlight--;
    if (inFlight === 0 && afterFlight !== undefined) {
      const then = afterFlight;
      afterFlight = undefined;
      then();
    }
  };

  const closeSocket = (then: () => void) => driver.close(fd, { complete: () => then() });
  // The socket is the duplex's from here: the TcpStream is marked closed without closing it, and its multishot
  // receive (if any) is stopped. Bytes that receive, or a dropped read's, still delivers land in the gate's `kept`:
  // the duplex hands those out first, and submits receives of its own only once the gate is quiet.
  const gate = stream.gate;
  gate.receiver?.interrupt();
  stream.detach();

  /**
   * Runs `submit` with a pool buffer of `size` bytes for the `kind` side, now or once one comes back; `fail` when
   * none can be had or the submit throws (the buffer is then given back). The wait counts as an op in flight, and
   * destroying the duplex withdraws it.
   */
  const withBuffer = (
    kind: 'read' | 'write',
    size: number,
    submit: (buf: IoBuf) => void,
    fail: (error: Error) => void,
  ): void => {
    inFlight++;
    const withdraw = acquireOrWait(
      driver.pool,
      size,
      (buf) => {
        waits[kind] = undefined;
        inFlight--;
        try {
          submit(buf);
        } catch (error) {
          driver.pool.release(buf);
          fail(error as Error);
        }
      },
      (error) => {
        waits[kind] = undefined;
        settled();
        if (!destroyed) fail(error);
      },
    );
    if (withdraw !== undefined) waits[kind] = withdraw; // still waiting (a callback that ran has cleared it)
  };

  /** One receive of the duplex's own, into a pool buffer. */
  const receive = (): void => {
    reading = true;
    withBuffer(
      'read',
      MAX_BUFFER_BYTES,
      (buf) => {
        readToken = driver.recv(
          fd,
          buf,
          {
            complete: (res) => {
              reading = false;
              readToken = -1;
              const chunk = res > 0 ? Buffer.from(buf.bytes.subarray(0, res)) : undefined;
              driver.pool.release(buf);
              const gone = afterFlight !== undefined;
              settled();
              if (gone) return;
              if (res < 0) duplex.destroy(IoError.fromResult(res, 'recv', label));
              else duplex.push(chunk ?? null);
            },
          },
          { length: MAX_BUFFER_BYTES },
        );
        inFlight++;
      },
      (error) => {
        reading = false;
        duplex.destroy(error);
      },
    );
  };

  const pull = (): void => {
    if (reading) return;
    const first = gate.shiftKept();
    if (first !== undefined) {
      duplex.push(first);
      return;
    }
    if (!gate.quiet) {
      reading = true;
      gate.wait({
        wake: () => {
          reading = false;
          if (!destroyed) pull();
        },
      });
      return;
    }
    receive();
  };

  const duplex: Duplex = new Duplex({
    highWaterMark: options.highWaterMark ?? MAX_BUFFER_BYTES,
    read() {
      pull();
    },
    write(chunk: Buffer, _encoding, callback) {
      const send = (offset: number) => {
        if (offset >= chunk.length) return callback();
        const length = Math.min(MAX_BUFFER_BYTES, chunk.length - offset);
        withBuffer(
          'write',
          length,
          (buf) => {
            buf.bytes.set(chunk.subarray(offset, offset + length));
            driver.send(
              fd,
              buf,
              {
                complete: (res) => {
                  driver.pool.release(buf);
                  const gone = afterFlight !== undefined;
                  settled();
                  if (gone) return;
                  if (res < 0) callback(IoError.fromResult(res, 'send', label));
                  else send(offset + res);
                },
              },
              { length },
            );
            inFlight++;
          },
          (error) => callback(error),
        );
      };
      send(0);
    },
    final(callback) {
      inFlight++;
      driver.shutdownSocket(fd, 1, {
        complete: (res) => {
          settled();
          callback(res < 0 ? IoError.fromResult(res, 'shutdown', label) : null);
        },
      });
    },
    destroy(error, callback) {
      destroyed = true;
      for (const kind of ['read', 'write'] as const) {
        const leave = waits[kind];
        if (leave === undefined) continue;
        waits[kind] = undefined;
        leave(); // waiting for a pool buffer: no op will follow
        inFlight--;
      }
      const finish = () => closeSocket(() => callback(error));
      if (inFlight === 0) return finish();
      afterFlight = finish;
      // A receive may wait for data forever (an idle peer): stop it; it completes with ECANCELED.
      if (readToken >= 0) driver.cancel(readToken);
    },
  });
  return duplex;
}
