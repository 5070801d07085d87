/**
 * Interop with Node streams and web streams: {@link toReadable}, {@link toWritable}, {@link toReadableStream}.
 *
 * The adapters submit to the file's driver directly, with one op in flight at a time: a stream asks for data when
 * its buffer is below its high-water mark (`read`/`pull`) and takes the next chunk only when the last one was
 * accepted (`write`), so backpressure is the streams' own. They need no task: the driver flushes on a microtask and
 * completes from libuv's loop, like any Node I/O.
 *
 * Each op reads into a pool buffer that is copied into a fresh `Buffer` chunk (a stream's consumer keeps chunks for
 * as long as it likes; a pool buffer must go back). At the pool's cap an op waits for a buffer as every op future
 * does (`acquireOrWait`). Destroying a stream with an op in flight waits for that op's completion before closing the
 * fd (`autoClose`), so the kernel never reads into or from a recycled fd; one still waiting for a buffer leaves the
 * pool's line at once, and its op never happens.
 *
 * @module
 */
import { Readable, Writable } from 'node:stream';
import { acquireOrWait, IoError } from '@zokio/io-driver';
import { MAX_BUFFER_BYTES } from '@zokio/memory';
import { closedFile, detachedArgument, invalidArgument, isDetached } from './errors.js';
import { File } from './file.js';

/** Options of {@link toReadable} and {@link toReadableStream}. @category Streams */
export interface ReadStreamOptions {
  /** Byte position to start at; omitted, reading starts at the file's offset and advances it. */
  readonly start?: number;
  /** Byte position to stop at, inclusive (Node's `createReadStream` convention). @default end of file */
  readonly end?: number;
  /** Bytes buffered before the stream stops reading ahead. @default 65536 */
  readonly highWaterMark?: number;
  /** Close the file when the stream ends, fails or is destroyed. @default true */
  readonly autoClose?: boolean;
}

/** Options of {@link toWritable}. @category Streams */
export interface WriteStreamOptions {
  /** Byte position to start writing at; omitted, writes go to the file's offset (or its end with `append`). */
  readonly start?: number;
  /** Bytes buffered before `write()` returns `false`. @default 65536 */
  readonly highWaterMark?: number;
  /** Close the file when the stream finishes, fails or is destroyed. @default true */
  readonly autoClose?: boolean;
}

function checkOffset(value: unknown, where: string, argument: string, path: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(where, argument, 'a non-negative integer', value, path);
  }
  return value;
}

/** The file and options of a stream adapter: a `File`, and an options object with sound `highWaterMark`/`autoClose`. */
function checkStreamArgs(file: unknown, options: unknown, where: string): void {
  if (!(file instanceof File)) throw invalidArgument(where, 'file', 'a File', file, undefined, 'ERR_INVALID_ARG_TYPE');
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument(where, 'options', 'an object', options, file.path, 'ERR_INVALID_ARG_TYPE');
  }
  const { highWaterMark, autoClose } = options as { highWaterMark?: unknown; autoClose?: unknown };
  if (
    highWaterMark !== undefined &&
    (typeof highWaterMark !== 'number' || !Number.isSafeInteger(highWaterMark) || highWaterMark < 0)
  ) {
    throw invalidArgument(where, 'highWaterMark', 'a non-negative integer', highWaterMark, file.path);
  }
  if (autoClose !== undefined && typeof autoClose !== 'boolean') {
    throw invalidArgument(where, 'autoClose', 'a boolean', autoClose, file.path, 'ERR_INVALID_ARG_TYPE');
  }
}

/** One chunk at a time from `file`: the engine of both readable adapters. */
class ChunkReader {
  readonly #file: File;
  #position: number;
  #remaining: number;
  #inFlight = false;
  #afterFlight: (() => void) | undefined = undefined;
  /** Withdraws the wait for a pool buffer (the pool at its cap), while there is one. */
  #withdraw: (() => void) | undefined = undefined;

  constructor(file: File, options: ReadStreamOptions, where: string) {
    checkStreamArgs(file, options, where);
    if (file.closed) throw closedFile('read', file.path);
    const start = checkOffset(options.start, where, 'start', file.path);
    const end = checkOffset(options.end, where, 'end', file.path);
    if (start !== undefined && end !== undefined && end < start) {
      throw invalidArgument(where, 'end', `at least start (${start})`, end, file.path);
    }
    this.#file = file;
    this.#position = start ?? -1;
    this.#remaining = end === undefined ? Infinity : end - (start ?? 0) + 1;
  }

  /** Reads the next chunk (empty at the end) and calls `done` with it, or with an error. */
  next(size: number, done: (error: Error | null, chunk: Buffer) => void): void {
    const want = Math.min(size, MAX_BUFFER_BYTES, this.#remaining);
    if (want <= 0) return done(null, Buffer.alloc(0));
    const file = this.#file;
    const driver = file.driver;
    this.#inFlight = true;
    const failed = (error: Error) => {
      this.#inFlight = false;
      const after = this.#afterFlight;
      if (after !== undefined) return after();
      done(error, Buffer.alloc(0));
    };
    const withdraw = acquireOrWait(
      driver.pool,
      want,
      (buf) => {
        this.#withdraw = undefined;
        try {
          // The file's fd now, not when the stream was made: closed meanwhile, this fails with EBADF rather than
          // read whatever file reuses the number.
          driver.read(
            file.fdFor('read'),
            buf,
            this.#position,
            {
              complete: (res) => {
                this.#inFlight = false;
                const chunk = res > 0 ? Buffer.from(buf.bytes.subarray(0, res)) : Buffer.alloc(0);
                driver.pool.release(buf);
                const after = this.#afterFlight;
                if (after !== undefined) return after(); // destroyed meanwhile: the chunk is dropped
                if (res < 0) return done(IoError.fromResult(res, 'read', file.path), chunk);
                if (this.#position >= 0) this.#position += res;
                this.#remaining -= res;
                done(null, chunk);
              },
            },
            want,
          );
        } catch (error) {
          driver.pool.release(buf);
          failed(error as Error);
        }
      },
      (error) => {
        this.#withdraw = undefined;
        failed(error);
      },
    );
    if (withdraw !== undefined) this.#withdraw = withdraw; // still waiting (a callback that ran has cleared it)
  }

  /**
   * Runs `then` once no op is in flight: at once (a wait for a pool buffer is withdrawn: no op will follow), or at
   * the in-flight op's completion.
   */
  settle(then: () => void): void {
    const withdraw = this.#withdraw;
    if (withdraw !== undefined) {
      this.#withdraw = undefined;
      this.#inFlight = false;
      withdraw();
    }
    if (this.#inFlight) this.#afterFlight = then;
    else then();
  }
}

function closeThen(file: File, autoClose: boolean, then: () => void): void {
  if (!autoClose || file.closed) return then();
  file[Symbol.asyncDispose]().then(then, then);
}

/**
 * A Node `Readable` of `file`'s bytes, from `start` (or the file's offset) to `end` (inclusive) or the end.
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * import { createGzip } from 'node:zlib';
 * import { fromPromise } from '@zokio/future';
 * import { File, toReadable, writeFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* writeFile('big.log', 'a line\n'.repeat(10_000)); // something to compress
 *   const file = yield* File.open('big.log'); // the stream closes it (autoClose)
 *   yield* fromPromise((signal) => pipeline(toReadable(file), createGzip(), process.stdout, { signal }));
 * });
 * ```
 * @category Streams
 */
export function toReadable(file: File, options: ReadStreamOptions = {}): Readable {
  const reader = new ChunkReader(file, options, 'toReadable');
  const autoClose = options.autoClose ?? true;
  let reading = false;
  return new Readable({
    highWaterMark: options.highWaterMark ?? MAX_BUFFER_BYTES,
    read(size) {
      if (reading) return;
      reading = true;
      reader.next(Math.max(size, 1), (error, chunk) => {
        reading = false;
        if (error !== null) return this.destroy(error);
        this.push(chunk.length === 0 ? null : chunk);
      });
    },
    destroy(error, callback) {
      reader.settle(() => closeThen(file, autoClose, () => callback(error)));
    },
  });
}

/**
 * A web `ReadableStream` of `file`'s bytes (as `Uint8Array` chunks), with the options of {@link toReadable}.
 *
 * @example
 * ```ts
 * import { fromPromise } from '@zokio/future';
 * import { File, toReadableStream, writeFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* writeFile('index.html', '<h1>hello</h1>\n'); // something to serve
 *   const response = new Response(toReadableStream(yield* File.open('index.html')));
 *   console.log(yield* fromPromise(() => response.text()));
 * });
 * ```
 * @category Streams
 */
export function toReadableStream(file: File, options: ReadStreamOptions = {}): ReadableStream<Uint8Array> {
  const reader = new ChunkReader(file, options, 'toReadableStream');
  const autoClose = options.autoClose ?? true;
  const highWaterMark = options.highWaterMark ?? MAX_BUFFER_BYTES;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          reader.next(Math.max(controller.desiredSize ?? highWaterMark, 1), (error, chunk) => {
            if (error !== null) {
              controller.error(error);
              closeThen(file, autoClose, resolve);
            } else if (chunk.length === 0) {
              controller.close();
              closeThen(file, autoClose, resolve);
            } else {
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
              resolve();
            }
          });
        });
      },
      cancel() {
        return new Promise<void>((resolve) => reader.settle(() => closeThen(file, autoClose, resolve)));
      },
    },
    { highWaterMark, size: (chunk) => chunk.byteLength },
  );
}

/**
 * A Node `Writable` that writes to `file` in order, from `start` (or the file's offset).
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * import { fromPromise } from '@zokio/future';
 * import { File, toWritable } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   const out = yield* File.create('copy.bin'); // the stream closes it (autoClose)
 *   yield* fromPromise((signal) => pipeline(process.stdin, toWritable(out), { signal }));
 * });
 * ```
 * @category Streams
 */
export function toWritable(file: File, options: WriteStreamOptions = {}): Writable {
  checkStreamArgs(file, options, 'toWritable');
  if (file.closed) throw closedFile('write', file.path);
  let position = checkOffset(options.start, 'toWritable', 'start', file.path) ?? -1;
  const autoClose = options.autoClose ?? true;
  let inFlight = false;
  let afterFlight: (() => void) | undefined;
  /** Withdraws the wait for a pool buffer (the pool at its cap), while there is one. */
  let withdraw: (() => void) | undefined;

  function writeFrom(bytes: Uint8Array, offset: number, callback: (error?: Error | null) => void): void {
    if (offset >= bytes.byteLength) return callback();
    const driver = file.driver;
    const length = Math.min(MAX_BUFFER_BYTES, bytes.byteLength - offset);
    inFlight = true;
    const failed = (error: Error) => {
      inFlight = false;
      if (afterFlight !== undefined) return afterFlight();
      callback(error);
    };
    const leave = acquireOrWait(
      driver.pool,
      length,
      (buf) => {
        withdraw = undefined;
        try {
          // Waited for the buffer: the chunk may have been transferred away meanwhile.
          if (isDetached(bytes)) throw detachedArgument('toWritable', 'chunk', bytes, file.path);
          buf.bytes.set(bytes.subarray(offset, offset + length));
          // The file's fd now (see ChunkReader.next).
          driver.write(
            file.fdFor('write'),
            buf,
            position,
            {
              complete: (res) => {
                inFlight = false;
                driver.pool.release(buf);
                if (afterFlight !== undefined) return afterFlight();
                if (res < 0) return callback(IoError.fromResult(res, 'write', file.path));
                if (position >= 0) position += res;
                writeFrom(bytes, offset + res, callback);
              },
            },
            length,
          );
        } catch (error) {
          driver.pool.release(buf);
          failed(error as Error);
        }
      },
      (error) => {
        withdraw = undefined;
        failed(error);
      },
    );
    if (leave !== undefined) withdraw = leave; // still waiting (a callback that ran has cleared it)
  }

  return new Writable({
    highWaterMark: options.highWaterMark ?? MAX_BUFFER_BYTES,
    write(chunk: Buffer, _encoding, callback) {
      writeFrom(chunk, 0, callback);
    },
    final(callback) {
      closeThen(file, autoClose, () => callback());
    },
    destroy(error, callback) {
      const finish = () => closeThen(file, autoClose, () => callback(error));
      if (withdraw !== undefined) {
        withdraw(); // waiting for a pool buffer: its write never happens
        withdraw = undefined;
        inFlight = false;
      }
      if (inFlight) afterFlight = finish;
      else finish();
    },
  });
}
