/**
 * {@link toDuplex}: a {@link TcpStream} as a Node `Duplex`, for libraries that take Node streams (`pipeline`, HTTP
 * parsers, TLS).
 *
 * The adapter submits to the stream's driver directly, one receive and one send in flight at most, so backpressure
 * is the Node stream's own: it receives only when its readable buffer is below the high-water mark, and sends the
 * next chunk only when the last one went out. It first hands out what dropped reads of the `TcpStream` kept. Ending
 * the writable side shuts down the socket's sending side (the peer reads the end); destroying the duplex closes the
 * socket after any op in flight completes (so the kernel never touches a recycled fd).
 *
 * The socket belongs to the duplex from the call on: the `TcpStream` reads as closed (its methods fail with
 * `EBADF`). Call it with no read of the stream in flight (a dropped read still in flight keeps its bytes in the
 * stream, not the duplex).
 *
 * @module
 */
import { Duplex } from 'node:stream';
import { IoError } from '@zokio/io-driver';
import { MAX_BUFFER_BYTES } from '@zokio/memory';
import { closedSocket } from './errors.js';
import type { TcpStream } from './tcp-stream.js';

/**
 * A Node `Duplex` over `stream`.
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * const stream = yield* TcpStream.connect('127.0.0.1:8080');
 * yield* fromPromise(() => pipeline(process.stdin, toDuplex(stream), process.stdout));
 * ```
 * @category TCP
 */
export function toDuplex(stream: TcpStream, options: { highWaterMark?: number } = {}): Duplex {
  if (stream.closed) throw closedSocket('recv', stream.label);
  const fd = stream.fd;
  const driver = stream.driver;
  const label = stream.label;
  let inFlight = 0;
  let afterFlight: (() => void) | undefined;
  let reading = false;
  let readToken = -1;

  const settled = () => {
    inFlight--;
    if (inFlight === 0 && afterFlight !== undefined) {
      const then = afterFlight;
      afterFlight = undefined;
      then();
    }
  };

  const closeSocket = (then: () => void) => driver.close(fd, { complete: () => then() });
  const kept = stream.gate.kept.splice(0);
  // The socket is the duplex's from here: the TcpStream is marked closed without closing it.
  stream.detach();

  const duplex: Duplex = new Duplex({
    highWaterMark: options.highWaterMark ?? MAX_BUFFER_BYTES,
    read() {
      if (reading) return;
      const first = kept.shift();
      if (first !== undefined) {
        this.push(first);
        return;
      }
      reading = true;
      const buf = driver.pool.acquire(MAX_BUFFER_BYTES);
      inFlight++;
      readToken = driver.recv(
        fd,
        buf,
        {
          complete: (res) => {
            reading = false;
            const chunk = res > 0 ? Buffer.from(buf.bytes.subarray(0, res)) : undefined;
            driver.pool.release(buf);
            const destroyed = afterFlight !== undefined;
            settled();
            if (destroyed) return;
            if (res < 0) duplex.destroy(IoError.fromResult(res, 'recv', label));
            else duplex.push(chunk ?? null);
          },
        },
        { length: MAX_BUFFER_BYTES },
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      const send = (offset: number) => {
        if (offset >= chunk.length) return callback();
        const length = Math.min(MAX_BUFFER_BYTES, chunk.length - offset);
        const buf = driver.pool.acquire(length);
        buf.bytes.set(chunk.subarray(offset, offset + length));
        inFlight++;
        driver.send(
          fd,
          buf,
          {
            complete: (res) => {
              driver.pool.release(buf);
              const destroyed = afterFlight !== undefined;
              settled();
              if (destroyed) return;
              if (res < 0) callback(IoError.fromResult(res, 'send', label));
              else send(offset + res);
            },
          },
          { length },
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
      const finish = () => closeSocket(() => callback(error));
      if (inFlight === 0) return finish();
      afterFlight = finish;
      // A receive may wait for data forever (an idle peer): stop it; it completes with ECANCELED.
      if (reading) driver.cancel(readToken);
    },
  });
  return duplex;
}
