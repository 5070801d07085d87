/**
 * {@link HttpServer}: accepts connections on a {@link TcpListener} and runs each as its own task, until shut down.
 *
 * Shutdown protocol (`shutdown(graceMs)`, callable from anywhere, a signal handler included):
 * 1. the accept loop stops and the listener closes: new connections are refused by the kernel;
 * 2. idle connections (waiting for a request, nothing received) close at once;
 * 3. connections inside a request finish it, answer with `Connection: close`, and close;
 * 4. whatever is still running after `graceMs` is aborted (its clean-up runs), and `serve()` returns a report
 *    saying how many finished and how many were abandoned.
 *
 * @module
 */
import { fn, select, type Future } from '@zokio/future';
import { TcpListener, type AddressLike, type BindOptions, type SocketAddress } from '@zokio/net';
import { spawn, type JoinHandle } from '@zokio/scheduler';
import { Notify } from '@zokio/sync';
import { sleep, timeout, TimeoutError } from '@zokio/time';
import { Connection, type Handler, type ServerCore } from './connection.js';
import { badOption } from './errors.js';
import { resolveOptions, type Limits, type ServerOptions } from './options.js';

/** What `serve()` reports once it returns. */
export interface ServeReport {
  /** Connections accepted over the server's life. */
  readonly accepted: number;
  /** Connections still open at the grace deadline, aborted. */
  readonly abandoned: number;
}

/**
 * An HTTP/1.1 server.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { main } from '@zokio/runtime';
 * import { HttpServer } from '@zokio/http';
 * await main(function* () {
 *   const server = yield* HttpServer.bind('127.0.0.1:8080', fn(function* () {
 *     return { headers: { 'content-type': 'text/plain' }, body: 'Hello, World!' };
 *   }));
 *   process.once('SIGINT', () => server.shutdown());
 *   yield* server.serve();
 * });
 * ```
 */
export class HttpServer implements ServerCore {
  readonly limits: Limits;
  readonly handler: Handler;
  readonly #listener: TcpListener;
  readonly #connections = new Map<Connection, JoinHandle<void>>();
  readonly #stop = new Notify();
  readonly #drained = new Notify();
  #closing = false;
  #graceMs = 10_000;
  #accepted = 0;

  /** @internal Use {@link HttpServer.bind}. */
  constructor(listener: TcpListener, handler: Handler, limits: Limits) {
    this.#listener = listener;
    this.handler = handler;
    this.limits = limits;
  }

  /**
   * Binds a listener on `address` (`'127.0.0.1:8080'`, port 0 for any) for `handler`. Bad options throw at once
   * (`ERR_INVALID_ARG_VALUE`); a bind failure (`EADDRINUSE`, …) fails the future.
   *
   * **Cancel-safe**: dropped, the socket is closed (also if the bind completed meanwhile), as `TcpListener.bind`.
   */
  static bind(address: AddressLike, handler: Handler, options?: ServerOptions & BindOptions): Future<HttpServer> {
    if (typeof handler !== 'function') throw badOption('handler', 'a function (request) => Future<Response>', handler);
    const { backlog, reuseAddress, ...rest } = options ?? {};
    const limits = resolveOptions(rest);
    const bind: BindOptions = {
      ...(backlog === undefined ? {} : { backlog }),
      ...(reuseAddress === undefined ? {} : { reuseAddress }),
    };
    return bindServer(address, handler, limits, bind);
  }

  /** The address the server listens on (its port, when bound to port 0). */
  get address(): SocketAddress {
    return this.#listener.localAddr();
  }

  /** Open connections. */
  get connections(): number {
    return this.#connections.size;
  }

  /** True once shutdown began. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Accepts and serves connections until {@link shutdown}, then drains them (see the module doc) and reports.
   * Dropping it aborts every connection's task.
   */
  serve(): Future<ServeReport> {
    return serveAll(this, this.#listener);
  }

  /** Begins a graceful shutdown: see the module doc. Idempotent; callable outside any task. */
  shutdown(graceMs = 10_000): void {
    if (typeof graceMs !== 'number' || !(graceMs >= 0))
      throw badOption('graceMs', 'a number of milliseconds ≥ 0', graceMs);
    if (this.#closing) return;
    this.#closing = true;
    this.#graceMs = graceMs;
    this.#stop.notifyOne();
  }

  /** @internal */
  get graceMs(): number {
    return this.#graceMs;
  }

  /** @internal */
  get stopped(): Notify {
    return this.#stop;
  }

  /** @internal */
  get drained(): Notify {
    return this.#drained;
  }

  /** @internal The open connections and their tasks. */
  get open(): Map<Connection, JoinHandle<void>> {
    return this.#connections;
  }

  /** @internal */
  countAccepted(): number {
    return ++this.#accepted;
  }

  /** @internal */
  get accepted(): number {
    return this.#accepted;
  }
}

const bindServer = fn(function* (address: AddressLike, handler: Handler, limits: Limits, bind: BindOptions) {
  const listener = yield* TcpListener.bind(address, bind);
  return new HttpServer(listener, handler, limits);
});

const runConnection = fn(function* (server: HttpServer, conn: Connection) {
  try {
    yield* conn.run();
  } finally {
    server.open.delete(conn);
    if (server.closing && server.open.size === 0) server.drained.notifyOne();
  }
});

/**
 * Accept failures that end one attempt, not the server: a connection reset or aborted before it was taken, an
 * interrupted or spurious wake-up (`EINTR`, `EAGAIN`) — accept again at once; out of fds or memory — back off
 * first, instead of spinning. Anything else (the listener itself is broken) ends `serve()`.
 */
const ACCEPT_AGAIN = new Set(['EAGAIN', 'EINTR', 'ECONNABORTED', 'ECONNRESET', 'EPROTO']);
const ACCEPT_LATER = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);

const serveAll = fn(function* (server: HttpServer, listener: TcpListener) {
  try {
    return yield* acceptThenDrain(server, listener);
  } finally {
    // Dropped (or failed): no connection outlives `serve()`.
    for (const task of server.open.values()) task.abort();
  }
});

const acceptThenDrain = fn(function* (server: HttpServer, listener: TcpListener) {
  try {
    while (!server.closing) {
      let next;
      try {
        // A fresh `notified()` each time: `select` cancels the loser. `shutdown()` leaves a permit, so none is missed.
        next = yield* select([listener.accept(), server.stopped.notified()]);
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        if (ACCEPT_AGAIN.has(code)) continue;
        if (ACCEPT_LATER.has(code)) {
          server.limits.onError(error);
          yield* sleep(50);
          continue;
        }
        throw error;
      }
      if (next.index === 1) break;
      const stream = next.value;
      server.countAccepted();
      const conn = new Connection(stream, server);
      server.open.set(conn, spawn(runConnection(server, conn)));
    }
  } finally {
    listener[Symbol.dispose]();
  }
  // Drain: wake idle connections, give busy ones the grace period, then abort the rest.
  for (const conn of server.open.keys()) if (conn.idle) conn.deadline.expire();
  let abandoned = 0;
  if (server.open.size > 0) {
    try {
      yield* timeout(server.graceMs, server.drained.notified());
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      abandoned = server.open.size;
      const tasks = [...server.open.values()];
      for (const task of tasks) task.abort();
      for (const task of tasks) {
        try {
          yield* task;
        } catch {
          // aborted: its clean-up ran
        }
      }
    }
  }
  return { accepted: server.accepted, abandoned };
});
