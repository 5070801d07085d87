/**
 * {@link StreamSocket}: the virtual fd of a `SOCK_STREAM` socket (TCP or Unix), a small state machine over Node's
 * objects:
 *
 * - **idle**: created by `SOCKET`, nothing in Node yet (options are remembered);
 * - **listener**: after `BIND` — a {@link Listener}, a `net.Server` already listening, since Node can bind no other
 *   way; `LISTEN` lets `ACCEPT` take its connections. `LISTEN` on an idle socket binds the wildcard first, as the
 *   kernel's autobind does. A `CONNECT` from a bound socket gives the server up and connects from its address
 *   (`localAddress`/`localPort`; Node cannot bind a Unix client, so a Unix client's own path is dropped);
 * - **connection**: after `CONNECT`, or for a socket `ACCEPT` created — a {@link Connection}.
 *
 * Ops that do not fit the state fail as the kernel's do: `RECV` on a socket that is not connected is `-ENOTCONN`,
 * `SEND` is `-EPIPE` (TCP) or `-ENOTCONN` (Unix), `ACCEPT` before `LISTEN` is `-EINVAL`, `CONNECT` on a connected
 * socket `-EISCONN`. A cancelled `CONNECT` destroys its `net.Socket`; the fd may connect again.
 *
 * @module
 */
import * as net from 'node:net';
import { SocketOption } from '../../contract.js';
import { AF_INET6, AF_UNIX, type SocketAddress } from '../../sockaddr.js';
import { ipAddress, unboundAddress } from './addresses.js';
import type { BufferGroups } from './buffer-groups.js';
import { Connection } from './connection.js';
import { E } from './errno.js';
import { applyStreamOptions, Listener, type StreamOptions } from './listener.js';
import type { PendingOp } from './op.js';
import { POLLHUP } from './poll.js';
import type { Receive } from './receive.js';

type State =
  | { readonly kind: 'idle' }
  | { readonly kind: 'listener'; readonly listener: Listener }
  | { readonly kind: 'connection'; readonly connection: Connection };

const IDLE: State = { kind: 'idle' };

export class StreamSocket {
  readonly domain: number;
  readonly #groups: BufferGroups;
  readonly #adopt: (connection: Connection) => number;
  readonly #options: StreamOptions = { noDelay: false, keepAlive: 0, v6Only: false };
  #state: State;

  /** A new socket (idle), or the fd of an accepted `connection`. `adopt` registers accepted connections as fds. */
  constructor(
    domain: number,
    groups: BufferGroups,
    adopt: (connection: Connection, domain: number) => number,
    connection?: Connection,
  ) {
    this.domain = domain;
    this.#groups = groups;
    this.#adopt = (c) => adopt(c, domain);
    this.#state = connection === undefined ? IDLE : { kind: 'connection', connection };
  }

  // ---- Setup ----------------------------------------------------------------------------------------------------

  bind(op: PendingOp, address: SocketAddress): void {
    if (this.#state.kind !== 'idle') return op.complete(-E.EINVAL);
    this.#startListener(address, (res) => op.complete(res));
  }

  #startListener(address: SocketAddress, done: (res: number, listener: Listener) => void): void {
    const listener: Listener = new Listener(this.domain, address, this.#groups, this.#options, this.#adopt, (res) => {
      // A failed bind leaves the socket unbound, as bind(2) does.
      if (res < 0 && this.#state.kind === 'listener' && this.#state.listener === listener) this.#state = IDLE;
      done(res, listener);
    });
    this.#state = { kind: 'listener', listener };
  }

  listen(op: PendingOp): void {
    const state = this.#state;
    if (state.kind === 'connection') return op.complete(-E.EINVAL);
    if (state.kind === 'listener') {
      return state.listener.whenBound((res) => op.complete(res < 0 ? res : state.listener.listen()));
    }
    // Autobind, as the kernel does for listen(2) on an unbound socket; Node cannot autobind a Unix socket.
    const wildcard = unboundAddress(this.domain);
    if (wildcard === undefined) return op.complete(-E.EINVAL);
    this.#startListener(wildcard, (res, listener) => op.complete(res < 0 ? res : listener.listen()));
  }

  accept(op: PendingOp, addr: Uint8Array | undefined, multishot: boolean): void {
    if (this.#state.kind !== 'listener') return op.complete(-E.EINVAL);
    this.#state.listener.accept(op, addr, multishot);
  }

  connect(op: PendingOp, address: SocketAddress): void {
    const state = this.#state;
    if (state.kind === 'connection') {
      if (state.connection.connecting) return op.complete(-E.EALREADY);
      if (!state.connection.socket.destroyed) return op.complete(-E.EISCONN);
    }
    if (state.kind === 'listener') {
      if (state.listener.accepting) return op.complete(-E.EISCONN);
      return state.listener.whenBound((res) => {
        if (res < 0) return op.complete(res);
        if (this.#state !== state) return op.complete(-E.EBADF); // closed meanwhile
        this.#connect(op, address, state.listener.release());
      });
    }
    this.#connect(op, address, undefined);
  }

  #connect(op: PendingOp, address: SocketAddress, local: SocketAddress | undefined): void {
    let socket: net.Socket;
    if (address.family === 'unix') {
      socket = net.connect({ path: address.path, allowHalfOpen: true });
    } else {
      const options: net.TcpNetConnectOpts = { host: address.address, port: address.port, allowHalfOpen: true };
      if (local !== undefined && local.family !== 'unix') {
        options.localAddress = local.address;
        options.localPort = local.port;
      }
      socket = net.connect(options);
    }
    applyStreamOptions(socket, this.#options);
    const connection = new Connection(socket, this.#groups, op);
    if (address.family === 'unix') connection.unixPeer = address;
    this.#state = { kind: 'connection', connection };
    op.cancel = () => connection.abortConnect();
  }

  // ---- Data -----------------------------------------------------------------------------------------------------

  receive(r: Receive): void {
    if (this.#state.kind !== 'connection') return r.op.complete(-E.ENOTCONN);
    this.#state.connection.receive(r);
  }

  send(op: PendingOp, bytes: Uint8Array): void {
    if (this.#state.kind !== 'connection') return op.complete(this.domain === AF_UNIX ? -E.ENOTCONN : -E.EPIPE);
    this.#state.connection.send(op, bytes);
  }

  shutdown(how: number): number {
    const state = this.#state;
    if (state.kind === 'connection') return state.connection.shutdown(how);
    if (state.kind === 'listener' && how !== 1) {
      state.listener.stop();
      return 0;
    }
    return -E.ENOTCONN;
  }

  poll(op: PendingOp, mask: number, multishot: boolean): void {
    const state = this.#state;
    // The final completion may come at once: a multishot poll may end whenever the backend decides.
    if (state.kind === 'connection') return state.connection.poll(op, mask, multishot);
    if (state.kind === 'listener') return state.listener.poll(op, mask, multishot);
    // An unconnected socket is hung up, as tcp_poll says of TCP_CLOSE; POLLHUP is reported whatever the mask.
    op.complete(POLLHUP);
  }

  close(): void {
    const state = this.#state;
    this.#state = IDLE;
    if (state.kind === 'connection') state.connection.close();
    else if (state.kind === 'listener') state.listener.close();
  }

  // ---- Addresses and options ------------------------------------------------------------------------------------

  /** The local address; undefined = an unnamed Unix socket. */
  localAddress(): SocketAddress | undefined {
    const state = this.#state;
    if (state.kind === 'listener') return state.listener.localAddress() ?? unboundAddress(this.domain);
    if (state.kind === 'connection') {
      if (this.domain === AF_UNIX) return state.connection.unixLocal;
      const s = state.connection.socket;
      return ipAddress(this.domain, s.localAddress, s.localPort) ?? unboundAddress(this.domain);
    }
    return unboundAddress(this.domain);
  }

  /** The peer's address (undefined = an unnamed Unix socket), or a negated errno. */
  peerAddress(): SocketAddress | undefined | number {
    const state = this.#state;
    if (state.kind !== 'connection') return -E.ENOTCONN;
    const s = state.connection.socket;
    if (state.connection.connecting || s.destroyed) return -E.ENOTCONN;
    if (this.domain === AF_UNIX) return state.connection.unixPeer;
    return ipAddress(this.domain, s.remoteAddress, s.remotePort) ?? -E.ENOTCONN;
  }

  setOption(option: number, value: number): number {
    const state = this.#state;
    const socket = state.kind === 'connection' ? state.connection.socket : undefined;
    switch (option) {
      case SocketOption.NODELAY:
        if (this.domain === AF_UNIX) return -E.EOPNOTSUPP;
        this.#options.noDelay = value !== 0;
        socket?.setNoDelay(value !== 0);
        return 0;
      case SocketOption.KEEPALIVE:
        if (value < 0) return -E.EINVAL;
        if (this.domain === AF_UNIX) return -E.EOPNOTSUPP;
        this.#options.keepAlive = value;
        socket?.setKeepAlive(value > 0, value * 1000);
        return 0;
      case SocketOption.REUSEADDR:
        // libuv sets SO_REUSEADDR on every TCP socket it binds; it cannot be turned off.
        return 0;
      case SocketOption.V6ONLY:
        if (this.domain !== AF_INET6) return -E.ENOPROTOOPT;
        if (state.kind !== 'idle') return -E.EINVAL;
        this.#options.v6Only = value !== 0;
        return 0;
      case SocketOption.REUSEPORT:
      case SocketOption.BROADCAST:
      case SocketOption.RCVBUF:
      case SocketOption.SNDBUF:
      case SocketOption.TTL:
      case SocketOption.MULTICAST_LOOP:
      case SocketOption.MULTICAST_TTL:
        return -E.ENOPROTOOPT;
      default:
        return -E.EINVAL;
    }
  }
}
