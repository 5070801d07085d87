/**
 * {@link DatagramSocket}: a UDP socket (`AF_INET`/`AF_INET6`, `SOCK_DGRAM`) on Node's `dgram`.
 *
 * The `dgram.Socket` is created lazily, at the first `BIND`, `CONNECT` or `SENDMSG`, because options such as
 * `REUSEADDR` and `V6ONLY` can only be given at creation; options that need a bound socket (`BROADCAST`, `TTL`,
 * buffer sizes, multicast) are kept and applied when it starts listening (explicitly, or implicitly at the first
 * send, which binds to the wildcard as the kernel does).
 *
 * Receive protocol: datagrams are queued as they arrive (at most {@link MAX_QUEUED} of them or
 * {@link MAX_QUEUED_BYTES} bytes; beyond that they are dropped, as a full kernel buffer drops them) until a receive
 * takes one — whole: a receive gets one datagram, truncated to its buffer (`res` is the bytes copied, or the
 * datagram's length with `MSG_TRUNC`), and `RECVMSG` writes the source address and reports its length in `aux`.
 * A cancelled receive takes nothing. Sends hand a view of the caller's bytes to `socket.send` and complete from its
 * callback, so they cannot be cancelled.
 *
 * @module
 */
import * as dgram from 'node:dgram';
import { COMPLETION_BUFFER, SocketOption } from '../../contract.js';
import { AF_INET, AF_INET6, numberToIpv4, type SocketAddress } from '../../sockaddr.js';
import { ipAddress, unboundAddress, writeAddress } from './addresses.js';
import type { BufferGroups } from './buffer-groups.js';
import { E, errnoOf } from './errno.js';
import type { PendingOp } from './op.js';
import { POLLERR, POLLIN, POLLOUT, PollSet } from './poll.js';
import { MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, ReceiveQueue, type Receive } from './receive.js';

/** Datagrams queued before new ones are dropped. */
export const MAX_QUEUED = 4096;
/** Bytes queued before new datagrams are dropped. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

interface Datagram {
  readonly data: Buffer;
  readonly from: SocketAddress | undefined;
}

/** Options that need a bound socket: kept until it is. */
const DEFERRED: ReadonlySet<number> = new Set([
  SocketOption.BROADCAST,
  SocketOption.TTL,
  SocketOption.RCVBUF,
  SocketOption.SNDBUF,
  SocketOption.MULTICAST_LOOP,
  SocketOption.MULTICAST_TTL,
  SocketOption.MULTICAST_IF,
]);

export class DatagramSocket {
  readonly domain: number;
  readonly #groups: BufferGroups;
  #socket: dgram.Socket | undefined;
  #reuseAddr = false;
  #v6Only = false;
  readonly #deferred = new Map<number, number>();
  #listening = false;
  #bindOp: PendingOp | undefined;
  #connected = false;
  #queue: Datagram[] = [];
  #queuedBytes = 0;
  readonly #receives = new ReceiveQueue();
  readonly #polls = new PollSet();
  /** A negated errno for the next receive, reported once. */
  #error = 0;
  #readShut = false;
  #writeShut = false;
  #closed = false;
  /** Connects and sends handed to dgram and not called back yet. */
  readonly #inDgram = new Set<PendingOp>();

  constructor(domain: number, groups: BufferGroups) {
    this.domain = domain;
    this.#groups = groups;
  }

  #ensure(): dgram.Socket {
    if (this.#socket !== undefined) return this.#socket;
    const socket = dgram.createSocket({
      type: this.domain === AF_INET6 ? 'udp6' : 'udp4',
      reuseAddr: this.#reuseAddr,
      ipv6Only: this.#v6Only,
    });
    this.#socket = socket;
    socket.on('message', (data: Buffer, rinfo: dgram.RemoteInfo) => this.#onMessage(data, rinfo));
    socket.on('listening', () => {
      this.#listening = true;
      for (const [option, value] of this.#deferred) this.#apply(option, value);
      this.#deferred.clear();
      this.#bindOp?.complete(0);
      this.#bindOp = undefined;
    });
    socket.on('error', (error: Error) => {
      const errno = errnoOf(error);
      // dgram reports a failed bind as an 'error' event, not through the bind callback.
      if (this.#bindOp !== undefined) {
        this.#bindOp.complete(errno);
        this.#bindOp = undefined;
        return;
      }
      if (this.#closed) return;
      this.#error = errno;
      this.#polls.notify(POLLIN | POLLERR, this.ready());
      this.#serve();
    });
    return socket;
  }

  ready(): number {
    let mask = this.#closed ? 0 : POLLOUT;
    if (this.#queue.length > 0 || this.#readShut || this.#error !== 0) mask |= POLLIN;
    if (this.#error !== 0) mask |= POLLERR;
    return mask;
  }

  // ---- Setup ----------------------------------------------------------------------------------------------------

  bind(op: PendingOp, address: SocketAddress): void {
    if (this.#listening || this.#bindOp !== undefined || address.family === 'unix') return op.complete(-E.EINVAL);
    const socket = this.#ensure();
    this.#bindOp = op;
    try {
      socket.bind({ port: address.port, address: address.address });
    } catch (error) {
      this.#bindOp = undefined;
      op.complete(errnoOf(error));
    }
  }

  connect(op: PendingOp, address: SocketAddress): void {
    if (address.family === 'unix') return op.complete(-E.EAFNOSUPPORT);
    const socket = this.#ensure();
    try {
      // A UDP socket may be connected again, to another peer, as with connect(2).
      if (this.#connected) socket.disconnect();
      this.#connected = false;
      this.#inDgram.add(op);
      socket.connect(address.port, address.address, (error?: Error) => {
        this.#inDgram.delete(op);
        if (error === undefined || error === null) this.#connected = true;
        op.complete(error ? errnoOf(error) : 0);
      });
    } catch (error) {
      this.#inDgram.delete(op);
      op.complete(errnoOf(error));
    }
  }

  // ---- Data -----------------------------------------------------------------------------------------------------

  /** Sends one datagram to `to`, or to the connected peer. */
  send(op: PendingOp, bytes: Uint8Array, to: SocketAddress | undefined): void {
    if (this.#closed || this.#writeShut) return op.complete(-E.EPIPE);
    if (to !== undefined && to.family === 'unix') return op.complete(-E.EAFNOSUPPORT);
    if (to !== undefined && this.#connected) return op.complete(-E.EISCONN);
    if (to === undefined && !this.#connected) return op.complete(-E.EDESTADDRREQ);
    const socket = this.#ensure();
    const done = (error: Error | null, sent: number) => {
      this.#inDgram.delete(op);
      op.complete(error ? errnoOf(error) : sent);
    };
    try {
      this.#inDgram.add(op);
      if (to === undefined) socket.send(bytes, done);
      else socket.send(bytes, to.port, to.address, done);
    } catch (error) {
      this.#inDgram.delete(op);
      op.complete(errnoOf(error));
    }
  }

  #onMessage(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed || this.#readShut) return;
    if (this.#queue.length >= MAX_QUEUED || this.#queuedBytes + data.byteLength > MAX_QUEUED_BYTES) return;
    this.#queue.push({ data, from: ipAddress(this.domain, rinfo.address, rinfo.port) });
    this.#queuedBytes += data.byteLength;
    this.#polls.notify(POLLIN, this.ready());
    this.#serve();
  }

  receive(r: Receive): void {
    this.#receives.push(r);
    this.#serve();
    if (!r.op.done && (r.flags & MSG_DONTWAIT) !== 0) {
      r.op.cancel?.();
      r.op.complete(-E.EAGAIN);
    }
  }

  #serve(): void {
    for (let r = this.#receives.head(); r !== undefined; r = this.#receives.head()) {
      if (this.#readShut) {
        this.#receives.finishHead(0);
        continue;
      }
      const datagram = this.#queue[0];
      if (datagram === undefined) {
        if (this.#error === 0) return;
        const error = this.#error;
        this.#error = 0;
        this.#receives.finishHead(error);
        continue;
      }
      const peek = (r.flags & MSG_PEEK) !== 0;
      const take = () => {
        if (peek) return;
        this.#queue.shift();
        this.#queuedBytes -= datagram.data.byteLength;
      };
      if (r.buffer === undefined) {
        const provided = this.#groups.take(r.group);
        if (provided === undefined) {
          this.#receives.finishHead(-E.ENOBUFS);
          continue;
        }
        const n = Math.min(provided.bytes.byteLength, datagram.data.byteLength);
        provided.bytes.set(datagram.data.subarray(0, n));
        take();
        if (r.multishot) r.op.more(n, COMPLETION_BUFFER, provided.id);
        else this.#receives.finishHead(n, COMPLETION_BUFFER, provided.id);
        continue;
      }
      const n = Math.min(r.buffer.byteLength, datagram.data.byteLength);
      r.buffer.set(datagram.data.subarray(0, n));
      const addrLength = r.addr === undefined ? 0 : writeAddress(datagram.from, r.addr);
      take();
      this.#receives.finishHead((r.flags & MSG_TRUNC) !== 0 ? datagram.data.byteLength : n, 0, addrLength);
    }
  }

  // ---- Shutdown, poll, close ------------------------------------------------------------------------------------

  shutdown(how: number): number {
    if (!this.#connected) return -E.ENOTCONN;
    if (how !== 1) {
      this.#readShut = true;
      this.#queue = [];
      this.#queuedBytes = 0;
    }
    if (how !== 0) this.#writeShut = true;
    this.#polls.notify(POLLIN, this.ready());
    this.#serve();
    return 0;
  }

  poll(op: PendingOp, mask: number, multishot: boolean): void {
    this.#polls.arm(op, mask, multishot, this.ready());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#bindOp?.complete(-E.ECANCELED);
    this.#bindOp = undefined;
    this.#receives.finishAll(-E.ECANCELED);
    this.#polls.finish(-E.ECANCELED);
    // dgram drops the callback of a connect or send still resolving its address once the socket closes: end them.
    for (const op of this.#inDgram) op.complete(-E.ECANCELED);
    this.#inDgram.clear();
    this.#queue = [];
    try {
      this.#socket?.close();
    } catch {
      // Not running yet (a bind still resolving): nothing to close.
    }
  }

  // ---- Addresses and options ------------------------------------------------------------------------------------

  localAddress(): SocketAddress | undefined {
    if (this.#socket === undefined || !this.#listening) return unboundAddress(this.domain);
    try {
      const info = this.#socket.address();
      return ipAddress(this.domain, info.address, info.port);
    } catch {
      return unboundAddress(this.domain);
    }
  }

  /** The connected peer, or a negated errno. */
  peerAddress(): SocketAddress | number {
    if (this.#socket === undefined || !this.#connected) return -E.ENOTCONN;
    try {
      const info = this.#socket.remoteAddress();
      return ipAddress(this.domain, info.address, info.port) ?? -E.ENOTCONN;
    } catch {
      return -E.ENOTCONN;
    }
  }

  setOption(option: number, value: number): number {
    switch (option) {
      case SocketOption.REUSEADDR:
      case SocketOption.V6ONLY:
        if (option === SocketOption.V6ONLY && this.domain !== AF_INET6) return -E.ENOPROTOOPT;
        // dgram takes these only at creation.
        if (this.#socket !== undefined) return -E.EINVAL;
        if (option === SocketOption.REUSEADDR) this.#reuseAddr = value !== 0;
        else this.#v6Only = value !== 0;
        return 0;
      case SocketOption.TTL:
        if (value < 1 || value > 255) return -E.EINVAL;
        break;
      case SocketOption.MULTICAST_TTL:
        if (value < 0 || value > 255) return -E.EINVAL;
        break;
      case SocketOption.RCVBUF:
      case SocketOption.SNDBUF:
        if (value <= 0) return -E.EINVAL;
        break;
      case SocketOption.BROADCAST:
      case SocketOption.MULTICAST_LOOP:
        break;
      case SocketOption.MULTICAST_IF:
        if (this.domain !== AF_INET) return -E.ENOPROTOOPT;
        break;
      case SocketOption.NODELAY:
      case SocketOption.KEEPALIVE:
      case SocketOption.REUSEPORT:
        return -E.ENOPROTOOPT;
      default:
        return -E.EINVAL;
    }
    if (DEFERRED.has(option) && !this.#listening) {
      this.#deferred.set(option, value);
      return 0;
    }
    return this.#apply(option, value);
  }

  /** `addMembership`/`dropMembership` (IPv4; addresses packed as by `ipv4ToNumber`). */
  setMembership(join: boolean, group: number, iface: number): number {
    if (this.domain !== AF_INET) return -E.ENOPROTOOPT;
    const s = this.#socket;
    if (s === undefined || !this.#listening) return -E.EINVAL; // dgram joins only once bound
    try {
      const on = iface === 0 ? undefined : numberToIpv4(iface);
      if (join) s.addMembership(numberToIpv4(group), on);
      else s.dropMembership(numberToIpv4(group), on);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  #apply(option: number, value: number): number {
    const s = this.#socket;
    if (s === undefined) return -E.EBADF;
    try {
      switch (option) {
        case SocketOption.BROADCAST:
          s.setBroadcast(value !== 0);
          break;
        case SocketOption.TTL:
          s.setTTL(value);
          break;
        case SocketOption.RCVBUF:
          s.setRecvBufferSize(value);
          break;
        case SocketOption.SNDBUF:
          s.setSendBufferSize(value);
          break;
        case SocketOption.MULTICAST_LOOP:
          s.setMulticastLoopback(value !== 0);
          break;
        case SocketOption.MULTICAST_TTL:
          s.setMulticastTTL(value);
          break;
        case SocketOption.MULTICAST_IF:
          s.setMulticastInterface(numberToIpv4(value >>> 0));
          break;
      }
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }
}
