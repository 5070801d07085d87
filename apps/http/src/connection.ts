/**
 * One client connection: the request loop — read a head, run the handler, send the response, again — with
 * keep-alive, pipelining, limits and timeouts.
 *
 * Protocol, per request:
 * 1. **Head.** Parse what is buffered; while incomplete, flush queued responses, then receive more, within
 *    `keepAliveTimeout` (nothing of the next request yet) or `headersTimeout` (counted from its first byte).
 *    Malformed → the error's `4xx`; then the connection closes.
 * 2. **Handler.** Runs with the {@link Request}; its body is read on demand from the same buffer. A thrown
 *    {@link HttpError} becomes its status, anything else `500` (and `onError`).
 * 3. **Rest of the body.** Unread body bytes are discarded if few (≤ 64 KiB) and they all arrive within one
 *    `bodyTimeout` — in total, not per read, so a body trickled a byte at a time cannot hold the connection — else
 *    the connection closes after the response: reading a large or slow unwanted upload is the client's cost.
 * 4. **Response.** Queued, not sent: responses to pipelined requests already buffered go out in one send. The queue
 *    is flushed before waiting for more input, past 64 KiB, and by a streamed body on each write (whose caller may
 *    reuse its buffer afterwards). A client that takes nothing for `sendTimeout` is dropped.
 * 5. Close after `Connection: close`, HTTP/1.0 without keep-alive, `maxRequestsPerConnection`, or server shutdown:
 *    half-close, then read and discard for up to a second (lingering close), so the client reads the last
 *    response instead of a reset.
 *
 * Shutdown: a connection waiting for a request with nothing received is *idle*; the server expires idle
 * connections' deadlines, so they close at once, and busy ones finish their request with `Connection: close`.
 *
 * @module
 */
import { fn, FutureBase, PENDING, ready, type Cleanup, type Context, type Future, type Poll } from '@zokio/future';
import { formatAddress, type TcpStream } from '@zokio/net';
import { Body, type BodySource } from './body.js';
import { Deadline, TIMED_OUT } from './deadline.js';
import { HttpError } from './errors.js';
import { parseHead, type RequestHead } from './head.js';
import type { Limits } from './options.js';
import { Request } from './request.js';
import { hasBody, REASONS, writeHead, type BodySink, type BodyWriter, type Response } from './response.js';

/** Answers one request. */
export type Handler = (request: Request) => Future<Response>;

/** What connections share with their server. @internal */
export interface ServerCore {
  readonly limits: Limits;
  readonly handler: Handler;
  /** Set once shutdown began. */
  readonly closing: boolean;
}

const EMPTY = Buffer.alloc(0);
const FLUSH_BYTES = 64 * 1024;
const DISCARD_BYTES = 64 * 1024;
const LINGER_MS = 1000;
const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/** A client connection. See the module doc. @internal */
export class Connection implements BodySource {
  readonly stream: TcpStream;
  readonly server: ServerCore;
  readonly deadline = new Deadline();
  pending: Buffer = EMPTY;
  /** Waiting for a request with nothing of it received: shutdown may close it. */
  idle = true;
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #continue: 'no' | 'expected' | 'sent' = 'no';
  #remote: string | undefined = undefined;
  /** Set when the response must be the last one (a body delimited by closing the connection). */
  closeAfter = false;
  /** Set while the unread rest of a body is discarded: `fill()` keeps the deadline armed once for all its reads. */
  fixedDeadline = false;
  /** The send in flight while the next request is read (write-behind), if any. */
  writing: Future<void> | undefined = undefined;
  readonly #alongside = new ReadAlongsideWrite(this);

  constructor(stream: TcpStream, server: ServerCore) {
    this.stream = stream;
    this.server = server;
  }

  get maxBodyBytes(): number {
    return this.server.limits.maxBodyBytes;
  }

  /** The client's address as text, looked up once. */
  get remote(): string {
    if (this.#remote === undefined) {
      try {
        this.#remote = formatAddress(this.stream.peerAddr());
      } catch {
        this.#remote = '-';
      }
    }
    return this.#remote;
  }

  /** The connection's life: the request loop of the module doc. */
  run(): Future<void> {
    return serveConnection(this);
  }

  fill(): Future<boolean> {
    return fillFrom(this);
  }

  sendContinue(): Future<void> {
    if (this.#continue !== 'expected') return ready(undefined);
    this.#continue = 'sent';
    this.queue(CONTINUE);
    return flushThrowing(this);
  }

  /** True if the client waits for `100 Continue` before sending its body, and was not sent one. */
  get awaitingContinue(): boolean {
    return this.#continue === 'expected';
  }

  expectContinue(head: RequestHead): void {
    // An HTTP/1.0 client gets no 1xx, and its Expect is ignored (RFC 9110 §10.1.1, §15.2).
    this.#continue =
      head.version === 'HTTP/1.1' &&
      head.framing.kind !== 'none' &&
      head.headers['expect']?.toLowerCase() === '100-continue'
        ? 'expected'
        : 'no';
  }

  queue(bytes: Uint8Array): void {
    this.#out.push(bytes);
    this.#outBytes += bytes.byteLength;
  }

  get queuedBytes(): number {
    return this.#outBytes;
  }

  /**
   * Takes the queued chunks, for one gathered write (`writev`: copied into the send buffers 64 KiB at a time). Not
   * concatenated first: a response's body is often a buffer shared by every response of the same file (a cache's),
   * and a copy per response in flight was most of the server's memory under load (10,000 connections: ~280 MiB).
   */
  takeQueued(): Uint8Array[] {
    const out = this.#out;
    this.#out = [];
    this.#outBytes = 0;
    return out;
  }

  /** Sends what is queued; false if the client is gone or took nothing for `sendTimeout`. */
  flush(): Future<boolean> {
    return flushQueued(this);
  }

  /** `read`, while the write in flight (if any) goes on: one future, reused. */
  alongside(read: Future<Buffer>): Future<Buffer> {
    return this.#alongside.start(read);
  }
}

/**
 * Write-behind: the response to one request is sent while the next request is read, so both ops reach the kernel
 * in one submission and their completions come back in one batch — one wake-up of the connection per request, not
 * two. The read decides when the future completes; a write that completes meanwhile is forgotten. A write that
 * fails ends the read with its error: the client waits for a response it will never get, and the socket may look
 * healthy to the read (a send failing with `ENOMEM`), which would otherwise hold the connection until its
 * keep-alive timeout.
 */
class ReadAlongsideWrite extends FutureBase<Buffer> {
  readonly #conn: Connection;
  #read: Future<Buffer> | undefined = undefined;

  constructor(conn: Connection) {
    super();
    this.#conn = conn;
  }

  start(read: Future<Buffer>): this {
    this.#read = read;
    return this;
  }

  poll(cx: Context): Poll<Buffer> {
    const conn = this.#conn;
    const writing = conn.writing;
    if (writing !== undefined) {
      try {
        if (writing.poll(cx) !== PENDING) conn.writing = undefined;
      } catch (error) {
        conn.writing = undefined;
        const read = this.#read;
        this.#read = undefined;
        read?.cancel(); // a dropped read loses no byte, and none will be wanted: the connection ends
        throw error;
      }
    }
    const value = this.#read!.poll(cx);
    if (value !== PENDING) this.#read = undefined;
    return value;
  }

  override cancel(): Cleanup {
    const read = this.#read;
    this.#read = undefined;
    return read?.cancel();
  }
}

const flushQueued = fn(function* (conn: Connection) {
  return conn.queuedBytes === 0 ? yield* settleWrite(conn) : yield* flushNow(conn);
});

const flushThrowing = fn(function* (conn: Connection) {
  if (!(yield* flushQueued(conn)))
    throw new HttpError(
      408,
      'ERR_HTTP_CLIENT_GONE',
      'Expected the client to take the response, got a closed or stalled connection',
    );
});

const fillFrom = fn(function* (conn: Connection) {
  if (!conn.fixedDeadline) conn.deadline.arm(conn.server.limits.bodyTimeout);
  let chunk;
  try {
    chunk = yield* conn.deadline.within(conn.stream.read());
  } catch {
    // ECONNRESET and the like: the client is gone, or the socket failed under us (ENOMEM). Either way the body is
    // lost, not malformed: the connection ends without a response — a `400` would blame a client that did nothing.
    throw new HttpError(408, 'ERR_HTTP_CLIENT_GONE', 'Expected the rest of the request body, got a failed read');
  }
  if (chunk === TIMED_OUT)
    throw new HttpError(
      408,
      'ERR_HTTP_BODY_TIMEOUT',
      `Expected more of the request body within ${conn.server.limits.bodyTimeout} ms, got none`,
    );
  if (chunk.length === 0) return false;
  conn.pending = conn.pending.length === 0 ? chunk : Buffer.concat([conn.pending, chunk]);
  return true;
});

/** Sends the response's bytes through the connection's queue; the streamed body's {@link BodySink}. */
class Sink implements BodySink {
  readonly #conn: Connection;
  readonly #chunked: boolean;
  readonly #limit: number;
  sent = 0;

  constructor(conn: Connection, chunked: boolean, limit: number) {
    this.#conn = conn;
    this.#chunked = chunked;
    this.#limit = limit;
  }

  write(chunk: Uint8Array | string): Future<void> {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (!(bytes instanceof Uint8Array))
      throw new HttpError(
        500,
        'ERR_INVALID_ARG_TYPE',
        `Expected a body chunk as a string or Uint8Array, got ${typeof chunk}`,
      );
    if (bytes.byteLength === 0) return ready(undefined);
    this.sent += bytes.byteLength;
    if (this.sent > this.#limit)
      throw new HttpError(500, 'ERR_HTTP_BODY_LENGTH', `Expected a body of ${this.#limit} bytes as declared, got more`);
    const conn = this.#conn;
    if (this.#chunked) conn.queue(Buffer.from(`${bytes.byteLength.toString(16)}\r\n`, 'latin1'));
    conn.queue(bytes);
    if (this.#chunked) conn.queue(CRLF);
    return flushThrowing(conn);
  }
}

function errorResponse(error: HttpError): Response {
  return {
    status: error.status,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: `${error.status} ${REASONS[error.status] ?? 'Error'}: ${error.message}\n`,
  };
}

function isWriter(body: Response['body']): body is BodyWriter {
  return typeof body === 'object' && !(body instanceof Uint8Array) && typeof body.write === 'function';
}

/** The `Connection` header a response carries: none for a kept-alive HTTP/1.1 connection. */
function connectionHeader(head: RequestHead, keepAlive: boolean): 'close' | 'keep-alive' | undefined {
  return keepAlive ? (head.version === 'HTTP/1.0' ? 'keep-alive' : undefined) : 'close';
}

/** Queues a response whose body is in memory (or absent); returns the body bytes it will send. */
function queueResponse(conn: Connection, head: RequestHead, response: Response, keepAlive: boolean): number {
  const status = response.status ?? 200;
  const body = response.body as string | Uint8Array | undefined;
  const withBody = hasBody(status, head.method);
  const noLength = status < 200 || status === 204 || (status === 304 && body === undefined);
  const connection = connectionHeader(head, keepAlive);
  if (typeof body === 'string') {
    const length = Buffer.byteLength(body);
    const text = writeHead(status, response.headers, length, noLength ? 'none' : 'length', connection);
    // The common case, one buffer: the head and a string body.
    const out = Buffer.allocUnsafe(text.length + (withBody ? length : 0));
    out.write(text, 0, 'latin1');
    if (withBody) out.write(body, text.length, 'utf8');
    conn.queue(out);
    return withBody ? length : 0;
  }
  const bytes = body ?? EMPTY;
  if (!(bytes instanceof Uint8Array))
    throw new HttpError(
      500,
      'ERR_INVALID_RETURN_VALUE',
      `Expected a response body as a string, Uint8Array or BodyWriter, got ${typeof body}`,
    );
  conn.queue(
    Buffer.from(
      writeHead(status, response.headers, bytes.byteLength, noLength ? 'none' : 'length', connection),
      'latin1',
    ),
  );
  if (withBody && bytes.byteLength > 0) conn.queue(bytes);
  return withBody ? bytes.byteLength : 0;
}

/**
 * Sends a response with a streamed body. Returns the body bytes sent, or −1 if the connection must close without
 * more: the client is gone, or the body failed after its head was sent.
 */
const streamResponse = fn(function* (conn: Connection, head: RequestHead, response: Response, keepAlive: boolean) {
  const status = response.status ?? 200;
  const body = response.body as BodyWriter;
  const withBody = hasBody(status, head.method);
  const noLength = status < 200 || status === 204;
  const connection = connectionHeader(head, keepAlive);
  const length = body.length;
  const framing = length !== undefined ? 'length' : head.version === 'HTTP/1.1' ? 'chunked' : 'close-delimited';
  const text = writeHead(
    status,
    response.headers,
    length,
    noLength ? 'none' : framing,
    framing === 'close-delimited' ? 'close' : connection,
  );
  conn.queue(Buffer.from(text, 'latin1'));
  // The head said `Connection: close` (HTTP/1.0, no length): the connection ends after this response, body or not.
  if (framing === 'close-delimited') conn.closeAfter = true;
  if (!withBody) return 0;
  const sink = new Sink(conn, framing === 'chunked', length ?? Infinity);
  try {
    yield* body.write(sink);
    if (length !== undefined && sink.sent !== length)
      throw new HttpError(
        500,
        'ERR_HTTP_BODY_LENGTH',
        `Expected a body of ${length} bytes as declared, got ${sink.sent}`,
      );
  } catch (error) {
    if (!(error instanceof HttpError && error.code === 'ERR_HTTP_CLIENT_GONE')) conn.server.limits.onError(error);
    return -1;
  }
  if (framing === 'chunked') conn.queue(LAST_CHUNK);
  if (framing === 'close-delimited') conn.closeAfter = true;
  return sink.sent;
});

/** Waits for the write in flight, if any; false if the client is gone or took nothing for `sendTimeout`. */
function* settleWrite(conn: Connection): Generator<Future<unknown>, boolean, unknown> {
  const writing = conn.writing;
  if (writing === undefined) return true;
  conn.deadline.arm(conn.server.limits.sendTimeout);
  try {
    return (yield* conn.deadline.within(writing)) !== TIMED_OUT;
  } catch {
    return false; // EPIPE, ECONNRESET: the client is gone
  } finally {
    conn.writing = undefined;
  }
}

/** Sends what is queued and waits for it (a plain generator, delegated to with `yield*`: no future per flush). */
function* flushNow(conn: Connection): Generator<Future<unknown>, boolean, unknown> {
  if (!(yield* settleWrite(conn))) return false;
  conn.writing = conn.stream.writev(conn.takeQueued());
  return yield* settleWrite(conn);
}

/**
 * Reads and drops the unread rest of a body if it is small and arrives within one `bodyTimeout` in all; false if
 * the connection should close instead. The deadline is armed once, not per read: a body trickled a byte just
 * inside `bodyTimeout` at a time would otherwise hold the connection for `DISCARD_BYTES × bodyTimeout`.
 */
const discardRest = fn(function* (conn: Connection, body: Body) {
  conn.deadline.arm(conn.server.limits.bodyTimeout);
  conn.fixedDeadline = true;
  try {
    let dropped = 0;
    while (dropped <= DISCARD_BYTES) {
      const chunk = yield* body.read();
      if (chunk.length === 0) return true;
      dropped += chunk.length;
    }
  } catch {
    // malformed, stalled or too slow: close
  } finally {
    conn.fixedDeadline = false;
  }
  return false;
});

/** Half-closes, then drains input for up to a second, so the client reads our last response rather than a reset. */
const lingeringClose = fn(function* (conn: Connection) {
  if (!(yield* conn.flush())) return;
  try {
    yield* conn.stream.shutdown('write');
    conn.deadline.arm(LINGER_MS);
    for (let total = 0; total < 1024 * 1024;) {
      const chunk = yield* conn.deadline.within(conn.stream.read());
      if (chunk === TIMED_OUT || chunk.length === 0) return;
      total += chunk.length;
    }
  } catch {
    // the client is gone already
  }
});

const refuse = fn(function* (conn: Connection, error: unknown, method: string) {
  if (!(error instanceof HttpError)) throw error;
  queueResponse(conn, { method, version: 'HTTP/1.1' } as RequestHead, errorResponse(error), false);
  yield* lingeringClose(conn);
});

const serveConnection = fn(function* (conn: Connection) {
  const { stream, server } = conn;
  const limits = server.limits;
  try {
    for (let served = 0; ;) {
      // 1. The head.
      let head: RequestHead | undefined;
      try {
        head = conn.pending.length > 0 ? parseHead(conn.pending, limits) : undefined;
      } catch (error) {
        return yield* refuse(conn, error, 'GET');
      }
      let started = conn.pending.length > 0;
      if (started && head === undefined) conn.deadline.arm(limits.headersTimeout);
      while (head === undefined) {
        if (conn.queuedBytes > 0) {
          if (!(yield* settleWrite(conn))) return;
          conn.writing = stream.writev(conn.takeQueued());
        }
        if (!started) {
          if (server.closing) {
            yield* settleWrite(conn); // the last response may still be on its way
            return;
          }
          conn.idle = true;
          conn.deadline.arm(served === 0 ? limits.headersTimeout : limits.keepAliveTimeout);
        }
        let chunk;
        try {
          chunk = yield* conn.deadline.within(conn.alongside(stream.read()));
        } catch {
          return; // ECONNRESET and the like: the client is gone
        }
        conn.idle = false;
        if (chunk === TIMED_OUT) {
          if (started)
            yield* refuse(
              conn,
              new HttpError(
                408,
                'ERR_HTTP_HEADERS_TIMEOUT',
                `Expected a complete request head within ${limits.headersTimeout} ms, got ${conn.pending.length} bytes`,
              ),
              'GET',
            );
          else yield* settleWrite(conn); // idle (or shut down): still deliver the last response
          return;
        }
        if (chunk.length === 0) {
          yield* settleWrite(conn); // the client closed its side: it may still read our last response
          return;
        }
        if (!started) {
          started = true;
          // A later request's head is timed from its first byte; the first request's from accept, already running
          // (re-arming here would give a slow client twice the time).
          if (served > 0) conn.deadline.arm(limits.headersTimeout);
          conn.pending = chunk;
        } else conn.pending = Buffer.concat([conn.pending, chunk]);
        try {
          head = parseHead(conn.pending, limits);
        } catch (error) {
          return yield* refuse(conn, error, 'GET');
        }
      }
      conn.pending = conn.pending.subarray(head.size);
      served++;

      // 2. The handler.
      const expect = head.version === 'HTTP/1.1' ? head.headers['expect'] : undefined;
      if (expect !== undefined && expect.toLowerCase() !== '100-continue')
        return yield* refuse(
          conn,
          new HttpError(
            417,
            'ERR_HTTP_EXPECTATION',
            `Expected "Expect: 100-continue" or none, got ${JSON.stringify(expect)}`,
          ),
          head.method,
        );
      conn.expectContinue(head);
      const body = new Body(conn, head.framing);
      const request = new Request(head, body, conn);
      const startedAt = limits.onResponse === undefined ? 0 : performance.now();
      let keepAlive = head.keepAlive && served < limits.maxRequestsPerConnection;
      let response: Response;
      try {
        response = yield* server.handler(request);
        if (typeof response !== 'object' || response === null)
          throw new HttpError(
            500,
            'ERR_INVALID_RETURN_VALUE',
            `Expected the handler to return a Response object, got ${typeof response}`,
          );
      } catch (error) {
        if (error instanceof HttpError && error.code === 'ERR_HTTP_CLIENT_GONE') return;
        if (!(error instanceof HttpError) || error.status >= 500) limits.onError(error);
        response = errorResponse(
          error instanceof HttpError
            ? error
            : new HttpError(500, 'ERR_HTTP_HANDLER', 'Expected the handler to return a response, got an error'),
        );
        if (!body.done) keepAlive = false; // the error may come from the body's framing
      }

      // 3. The rest of the body, 4. the response.
      const writer = isWriter(response.body);
      if (writer && !body.done && conn.awaitingContinue) {
        // A streamed response may read the request body as it writes (an echo, a transform): the client is told to
        // send it before the final head goes out — a 100 after it would land inside the response's body.
        try {
          yield* conn.sendContinue();
        } catch {
          return; // the client is gone
        }
      }
      // A client still waiting for `100 Continue` may never send the body: close rather than wait for it. A streamed
      // response's unread body is discarded after it (the writer may still read it).
      if (!writer && !body.done && keepAlive) keepAlive = !conn.awaitingContinue && (yield* discardRest(conn, body));
      if (server.closing) keepAlive = false;
      let sent: number;
      try {
        sent = writer
          ? yield* streamResponse(conn, head, response, keepAlive)
          : queueResponse(conn, head, response, keepAlive);
      } catch (error) {
        // A bad status or header (nothing of the response was queued): the handler's bug, the client gets a 500.
        limits.onError(error);
        const invalid = new HttpError(500, 'ERR_HTTP_HANDLER', 'Expected a valid response, got an invalid one');
        sent = queueResponse(conn, head, errorResponse(invalid), keepAlive);
      }
      if (writer && keepAlive && sent >= 0 && !body.done && !conn.closeAfter && !(yield* discardRest(conn, body)))
        conn.closeAfter = true;
      if (conn.queuedBytes >= FLUSH_BYTES && !(yield* flushNow(conn))) return;
      if (limits.onResponse !== undefined)
        limits.onResponse({
          remote: conn.remote,
          method: head.method,
          target: head.target,
          version: head.version,
          status: response.status ?? 200,
          bytes: Math.max(sent, 0),
          ms: performance.now() - startedAt,
          userAgent: head.headers['user-agent'] ?? '-',
        });
      if (sent < 0) return;
      if (!keepAlive || conn.closeAfter) return yield* lingeringClose(conn);
    }
  } finally {
    // A write-behind still in flight (the read ended first) is dropped, so its op gives back its pool buffer when
    // the kernel is done with it: a future neither finished nor dropped would hold it for ever.
    conn.writing?.cancel();
    conn.writing = undefined;
    conn.deadline.close();
    stream[Symbol.dispose]();
  }
});
