/**
 * {@link Listener}: a bound stream socket — a `net.Server` listening on the address of `BIND` — and its accept
 * queue.
 *
 * Node can only bind a TCP or Unix stream socket by listening, so `BIND` listens at once (an `EADDRINUSE` surfaces
 * at `BIND`, which the contract allows) and `LISTEN` only marks the socket as accepting; connections that arrive in
 * between wait in the queue, as they would in the kernel's backlog. Node's own backlog (511) is used: `LISTEN`'s
 * comes too late to matter.
 *
 * Accept protocol: connections are queued in arrival order, paused (`pauseOnConnect`: nothing is read from a
 * connection before it is accepted) with their `'error'` handled. An `ACCEPT` takes the oldest connection, or waits
 * in a FIFO of accepts; a connection is handed out only when an accept completes with it, synchronously, so a
 * cancelled accept never takes one — it stays queued for the next `ACCEPT`. A multishot accept takes every
 * connection as it comes, completing with `COMPLETION_MORE` each time.
 *
 * @module
 */
import * as net from 'node:net';
import type { SocketAddress } from '../../sockaddr.js';
import { ipAddress, writeAddress } from './addresses.js';
import type { BufferGroups } from './buffer-groups.js';
import { Connection } from './connection.js';
import { E, errnoOf } from './errno.js';
import type { PendingOp } from './op.js';
import { POLLERR, POLLHUP, POLLIN, PollSet } from './poll.js';

/** Options a stream socket carries to the connections it accepts or makes. */
export interface StreamOptions {
  noDelay: boolean;
  /** Keep-alive idle time in seconds; 0 = off. */
  keepAlive: number;
  v6Only: boolean;
}

/** Applies `options` to a connected socket. */
export function applyStreamOptions(socket: net.Socket, options: StreamOptions): void {
  if (options.noDelay) socket.setNoDelay(true);
  if (options.keepAlive > 0) socket.setKeepAlive(true, options.keepAlive * 1000);
}

interface AcceptWaiter {
  readonly op: PendingOp;
  readonly addr: Uint8Array | undefined;
  readonly multishot: boolean;
}

export class Listener {
  readonly #server: net.Server;
  readonly #domain: number;
  readonly #requested: SocketAddress;
  readonly #groups: BufferGroups;
  readonly #options: StreamOptions;
  /** Registers an accepted connection as a new virtual fd. */
  readonly #adopt: (connection: Connection) => number;
  /** 0 while binding, 1 once listening, a negated errno when binding failed. */
  #bindState = 0;
  #whenBound: ((res: number) => void)[] = [];
  /** `LISTEN` was called: accepts are allowed. */
  #accepting = false;
  /** Stopped by `SHUT_RD` or closed: accepts fail with `-EINVAL`. */
  #stopped = false;
  #error = 0;
  readonly #queue: Connection[] = [];
  #accepts: AcceptWaiter[] = [];
  readonly #polls = new PollSet();

  /** Binds (listens on) `address`; `done` gets 0 or a negated errno. */
  constructor(
    domain: number,
    address: SocketAddress,
    groups: BufferGroups,
    options: StreamOptions,
    adopt: (connection: Connection) => number,
    done: (res: number) => void,
  ) {
    this.#domain = domain;
    this.#requested = address;
    this.#groups = groups;
    this.#options = options;
    this.#adopt = adopt;
    this.#whenBound.push(done);
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    this.#server = server;
    server.on('connection', (socket: net.Socket) => this.#onConnection(socket));
    server.on('listening', () => {
      // Closed while Node was still resolving the address: the server started listening after all; stop it.
      if (this.#stopped) server.close();
      this.#bound(1);
    });
    server.on('error', (error: Error) => {
      if (this.#bindState === 0) return this.#bound(errnoOf(error));
      this.#error = errnoOf(error);
      this.#polls.notify(POLLERR, this.ready());
      this.#pump();
    });
    if (address.family === 'unix') server.listen({ path: address.path });
    else server.listen({ host: address.address, port: address.port, ipv6Only: options.v6Only });
  }

  #bound(state: number): void {
    this.#bindState = state;
    const waiting = this.#whenBound;
    this.#whenBound = [];
    for (const cb of waiting) cb(state < 0 ? state : 0);
  }

  /** Calls `cb` with 0 once bound, or with the bind's negated errno. */
  whenBound(cb: (res: number) => void): void {
    if (this.#bindState === 0) this.#whenBound.push(cb);
    else cb(this.#bindState < 0 ? this.#bindState : 0);
  }

  /** Whether `LISTEN` was called. */
  get accepting(): boolean {
    return this.#accepting;
  }

  /** `LISTEN`: from now on `ACCEPT` takes connections. */
  listen(): number {
    if (this.#stopped) return -E.EINVAL;
    this.#accepting = true;
    return 0;
  }

  /** The bound address (the port Node picked for port 0), once bound. */
  localAddress(): SocketAddress | undefined {
    if (this.#requested.family === 'unix') return this.#requested;
    const info = this.#server.address();
    if (info === null || typeof info === 'string') return undefined;
    return ipAddress(this.#domain, info.address, info.port);
  }

  ready(): number {
    let mask = 0;
    if (this.#queue.length > 0) mask |= POLLIN;
    if (this.#error !== 0) mask |= POLLERR;
    if (this.#stopped) mask |= POLLHUP;
    return mask;
  }

  #onConnection(socket: net.Socket): void {
    const connection = new Connection(socket, this.#groups);
    if (this.#requested.family === 'unix') connection.unixLocal = this.#requested;
    if (this.#stopped) return connection.close();
    applyStreamOptions(socket, this.#options);
    this.#queue.push(connection);
    this.#polls.notify(POLLIN, this.ready());
    this.#pump();
  }

  /** `ACCEPT`: see the module doc. `addr` receives the peer's address (single-shot only). */
  accept(op: PendingOp, addr: Uint8Array | undefined, multishot: boolean): void {
    if (!this.#accepting || this.#stopped) return op.complete(-E.EINVAL);
    const waiter: AcceptWaiter = { op, addr: multishot ? undefined : addr, multishot };
    this.#accepts.push(waiter);
    op.cancel = () => {
      this.#accepts = this.#accepts.filter((w) => w !== waiter);
    };
    this.#pump();
  }

  #pump(): void {
    while (this.#accepts.length > 0) {
      const waiter = this.#accepts[0]!;
      if (this.#error !== 0) {
        this.#accepts.shift();
        waiter.op.complete(this.#error);
        continue;
      }
      const connection = this.#queue.shift();
      if (connection === undefined) return;
      const fd = this.#adopt(connection);
      connection.start();
      if (waiter.multishot) {
        waiter.op.more(fd);
        continue;
      }
      this.#accepts.shift();
      let length = 0;
      if (waiter.addr !== undefined) {
        const s = connection.socket;
        const peer =
          this.#requested.family === 'unix' ? undefined : ipAddress(this.#domain, s.remoteAddress, s.remotePort);
        length = writeAddress(peer, waiter.addr);
      }
      waiter.op.complete(fd, 0, length);
    }
  }

  poll(op: PendingOp, mask: number, multishot: boolean): void {
    this.#polls.arm(op, mask, multishot, this.ready());
  }

  /** `SHUT_RD` on a listening socket: stops listening; waiting and later accepts fail with `-EINVAL`. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#server.close();
    // Closed before it started listening: Node emits only 'close' then, never 'listening' or 'error', so the bind
    // (and what waits for it) is ended here — every op gets its final completion.
    if (this.#bindState === 0) this.#bound(-E.ECANCELED);
    for (const connection of this.#queue.splice(0)) connection.close();
    const accepts = this.#accepts;
    this.#accepts = [];
    for (const w of accepts) w.op.complete(-E.EINVAL);
    this.#polls.notify(POLLHUP, this.ready());
  }

  /**
   * Gives the bound address up, for a `CONNECT` from it: stops listening and returns the address (its port
   * resolved), so the connection can use it as its local address.
   */
  release(): SocketAddress | undefined {
    const local = this.localAddress();
    this.stop();
    return local;
  }

  /** The fd is closed: queued connections are dropped; waiting ops complete with `-ECANCELED`. */
  close(): void {
    const accepts = this.#accepts;
    this.#accepts = [];
    for (const w of accepts) w.op.complete(-E.ECANCELED);
    this.#polls.finish(-E.ECANCELED);
    this.stop();
  }
}
