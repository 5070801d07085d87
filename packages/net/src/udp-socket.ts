/**
 * {@link UdpSocket}: a datagram socket on the runtime's I/O driver.
 *
 * Receiving is cancel-safe through a {@link ReadGate}: a datagram that a dropped `recvFrom`/`recv` received anyway
 * is kept, in order, for the next receive. Sending is not: a dropped send may have sent its datagram.
 *
 * @module
 */
import { fn, ready, type Future } from '@zokio/future';
import {
  closeNow,
  decodeSockaddr,
  domainOf,
  BoundOp,
  FdGuard,
  IoError,
  ipv4ToNumber,
  LendingOpFuture,
  SOCK_DGRAM,
  SOCKADDR_MAX_BYTES,
  SocketOption,
  submitClose,
  type IoDriver,
  type SocketAddress,
} from '@zokio/io-driver';
import { MAX_BUFFER_BYTES, type IoBuf } from '@zokio/memory';
import { formatAddress, toSocketAddress, type AddressLike } from './address.js';
import { closedSocket, detachedArgument, invalidArgument, isDetached } from './errors.js';
import { GatedRead, ReadGate, type ReadSource } from './read-gate.js';
import { bindSocket, connectSocket, openSocket, setReuseAddress } from './socket-ops.js';
import { addressOf, toBytes } from './tcp-stream.js';

/** A received datagram and who sent it. @category UDP */
export interface Datagram {
  readonly data: Buffer;
  readonly from: SocketAddress;
}

/** `recvmsg` of one datagram into a pool buffer of its own, with its source address. */
class RecvFromFuture extends LendingOpFuture<Datagram> {
  readonly #fd: number;
  readonly #length: number;
  readonly #gate: ReadGate<Datagram>;
  #buf: IoBuf | undefined = undefined;
  #from: IoBuf | undefined = undefined;

  constructor(fd: number, length: number, label: string, gate: ReadGate<Datagram>) {
    super('recvmsg', label);
    this.#fd = fd;
    this.#length = length;
    this.#gate = gate;
  }

  protected submit(driver: IoDriver): number {
    const buf = (this.#buf = this.lend(driver.pool.acquire(this.#length)));
    const from = (this.#from = this.lend(driver.pool.acquire(SOCKADDR_MAX_BYTES)));
    return driver.recvmsg(this.#fd, buf, from, this, { length: this.#length });
  }

  protected value(res: number, aux: number): Datagram {
    return {
      data: Buffer.from(this.#buf!.bytes.subarray(0, Math.min(res, this.#length))),
      from: decodeSockaddr(this.#from!.bytes, aux),
    };
  }

  protected override dropped(res: number, aux: number): void {
    this.#gate.settleOrphan(res >= 0 ? this.value(res, aux) : undefined);
  }
}

/** `sendmsg` of one datagram, to `to` or the connected peer. */
class SendToFuture extends LendingOpFuture<number> {
  readonly #fd: number;
  readonly #data: Uint8Array;
  readonly #to: SocketAddress | undefined;

  constructor(fd: number, data: Uint8Array, to: SocketAddress | undefined, label: string) {
    super('sendmsg', label);
    this.#fd = fd;
    this.#data = data;
    this.#to = to;
  }

  protected submit(driver: IoDriver): number {
    const data = this.#data;
    if (isDetached(data)) throw detachedArgument('UdpSocket.send', 'data', data);
    const buf = this.lend(driver.pool.acquire(Math.max(1, data.byteLength)));
    buf.bytes.set(data);
    if (this.#to === undefined) return driver.sendmsg(this.#fd, buf, undefined, 0, this, { length: data.byteLength });
    const to = driver.encodeAddress(this.#to);
    this.lend(to.buf);
    return driver.sendmsg(this.#fd, buf, to.buf, to.length, this, { length: data.byteLength });
  }

  protected value(res: number): number {
    return res;
  }
}

/** Options of {@link UdpSocket.bind}. @category UDP */
export interface UdpBindOptions {
  /**
   * `SO_REUSEADDR`: several sockets, each bound with it, may share one address and port — the way several
   * receivers of one multicast group listen on the group's port (Node's `dgram` `reuseAddr`).
   * @default false
   */
  readonly reuseAddress?: boolean;
}

const bindUdp = fn(function* (address: SocketAddress, label: string, reuseAddress: boolean) {
  const guard = new FdGuard();
  try {
    const fd = yield* openSocket(domainOf(address), SOCK_DGRAM, label, guard);
    if (reuseAddress) setReuseAddress(guard.driver, fd, label);
    yield* bindSocket(fd, address, label);
    return new UdpSocket(guard.take(), guard.driver, address);
  } finally {
    guard.release();
  }
});

function checkLength(value: unknown, where: string): number {
  if (typeof value !== 'number') throw invalidArgument(where, 'maxLength', 'an integer', value, 'ERR_INVALID_ARG_TYPE');
  if (!Number.isInteger(value) || value < 1 || value > MAX_BUFFER_BYTES) {
    throw invalidArgument(where, 'maxLength', `an integer from 1 to ${MAX_BUFFER_BYTES}`, value);
  }
  return value;
}

/**
 * A UDP socket, IPv4 or IPv6.
 *
 * @example
 * ```ts
 * import { UdpSocket } from '@zokio/net';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   using server = yield* UdpSocket.bind('127.0.0.1:0');
 *   using client = yield* UdpSocket.bind('127.0.0.1:0');
 *   yield* client.sendTo('ping', server.localAddr());
 *   const { data, from } = yield* server.recvFrom();
 *   yield* server.sendTo(data, from); // echo it back
 *   console.log((yield* client.recvFrom()).data.toString()); // ping
 * });
 * ```
 * @category UDP
 */
export class UdpSocket implements Disposable, ReadSource<Datagram> {
  readonly #driver: IoDriver;
  readonly #label: string;
  readonly #gate = new ReadGate<Datagram>();
  /** IPv6: the driver has no `IPV6_MULTICAST_*` options (see {@link setMulticastTTL}). */
  readonly #v6: boolean;
  #fd: number;

  /** @internal Made by {@link UdpSocket.bind}. */
  constructor(fd: number, driver: IoDriver, address: SocketAddress) {
    this.#fd = fd;
    this.#driver = driver;
    this.#label = formatAddress(address);
    this.#v6 = address.family === 'ipv6';
  }

  /**
   * Binds a UDP socket to `address` (port 0: the kernel picks one; read it with {@link localAddr}). With
   * `reuseAddress`, other sockets bound with it may share the address (see {@link UdpBindOptions}).
   *
   * **Cancel-safe**: dropped, the socket is closed.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using socket = yield* UdpSocket.bind('[::1]:0');
   *   console.log('bound to', socket.localAddr()); // { family: 'ipv6', address: '::1', port: <a free port>, … }
   *   // Two receivers on one port (as multicast listeners do): both must ask for it.
   *   using a = yield* UdpSocket.bind('127.0.0.1:0', { reuseAddress: true });
   *   using b = yield* UdpSocket.bind(a.localAddr(), { reuseAddress: true });
   *   console.log(b.localAddr(), a.localAddr()); // the same address and port, twice
   * });
   * ```
   */
  static bind(address: AddressLike, options: UdpBindOptions = {}): Future<UdpSocket> {
    const a = toSocketAddress(address, 'UdpSocket.bind');
    if (a.family === 'unix') throw invalidArgument('UdpSocket.bind', 'address', 'an IPv4 or IPv6 address', address);
    if (typeof options !== 'object' || options === null) {
      throw invalidArgument('UdpSocket.bind', 'options', 'an object', options, 'ERR_INVALID_ARG_TYPE');
    }
    const reuse = options.reuseAddress ?? false;
    if (typeof reuse !== 'boolean') {
      throw invalidArgument('UdpSocket.bind', 'reuseAddress', 'a boolean', reuse, 'ERR_INVALID_ARG_TYPE');
    }
    return bindUdp(a, formatAddress(a), reuse);
  }

  /** The socket's fd; −1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  #open(syscall: string): number {
    if (this.#fd < 0) throw closedSocket(syscall, this.#label);
    return this.#fd;
  }

  /**
   * Sends `data` as one datagram to `address`; returns the bytes sent.
   *
   * **Not cancel-safe**: a dropped send may have sent the datagram.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using server = yield* UdpSocket.bind('127.0.0.1:0');
   *   using socket = yield* UdpSocket.bind('127.0.0.1:0');
   *   console.log(yield* socket.sendTo('ping', server.localAddr())); // 4
   *   console.log((yield* server.recvFrom()).data.toString()); // ping
   * });
   * ```
   */
  sendTo(data: Uint8Array | string, address: AddressLike): Future<number> {
    this.#open('sendmsg');
    const bytes = toBytes(data, 'UdpSocket.sendTo');
    if (bytes.byteLength > MAX_BUFFER_BYTES) {
      throw invalidArgument('UdpSocket.sendTo', 'data', `at most ${MAX_BUFFER_BYTES} bytes`, bytes.byteLength);
    }
    const to = toSocketAddress(address, 'UdpSocket.sendTo');
    return new BoundOp(this, 'sendmsg', (now) => new SendToFuture(now, bytes, to, this.#label));
  }

  /**
   * Receives one datagram (up to `maxLength` bytes; the rest of a longer one is discarded) and its sender.
   *
   * **Cancel-safe**: a datagram a dropped receive got anyway is returned by the next one — as that receive got it:
   * cut to its `maxLength` (the kernel discards the rest of a longer datagram at the receive).
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using socket = yield* UdpSocket.bind('127.0.0.1:0');
   *   using client = yield* UdpSocket.bind('127.0.0.1:0');
   *   yield* client.sendTo('ping', socket.localAddr());
   *   const { data, from } = yield* socket.recvFrom();
   *   console.log(data.toString(), from); // ping, the client's address: client.localAddr()
   * });
   * ```
   */
  recvFrom(maxLength: number = MAX_BUFFER_BYTES): Future<Datagram> {
    this.#open('recvmsg');
    const max = checkLength(maxLength, 'UdpSocket.recvFrom');
    return new GatedRead(this.#gate, this, max);
  }

  /** @internal {@link ReadSource}: one receive, on the fd as it is now. */
  startReceive(max: number): Future<Datagram> {
    return new RecvFromFuture(this.#open('recvmsg'), max, this.#label, this.#gate);
  }

  /** @internal {@link FdSource}: the fd an op starting now uses; `EBADF` once closed. */
  fdFor(syscall: string): number {
    return this.#open(syscall);
  }

  /** @internal {@link ReadSource}: the oldest kept datagram. */
  takeKept(max: number): Datagram {
    const kept = this.#gate.shiftKept()!;
    // As the kernel would have: the rest of a longer datagram is discarded.
    return kept.data.length <= max ? kept : { data: kept.data.subarray(0, max), from: kept.from };
  }

  /**
   * Sets the default peer: {@link send} and {@link recv} then talk to it only.
   *
   * **Cancel-safe**: dropped, the peer may or may not be set.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using server = yield* UdpSocket.bind('127.0.0.1:0');
   *   using socket = yield* UdpSocket.bind('127.0.0.1:0');
   *   yield* socket.connect(server.localAddr()); // send() and recv() now talk to the server only
   *   yield* socket.send('ping');
   *   const { from } = yield* server.recvFrom();
   *   yield* server.sendTo('pong', from);
   *   console.log((yield* socket.recv()).toString()); // pong
   * });
   * ```
   */
  connect(address: AddressLike): Future<void> {
    this.#open('connect');
    const to = toSocketAddress(address, 'UdpSocket.connect');
    return new BoundOp(this, 'connect', (fd) => connectSocket(fd, to, this.#label));
  }

  /**
   * Sends one datagram to the connected peer.
   *
   * **Not cancel-safe**, as {@link sendTo}.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using server = yield* UdpSocket.bind('127.0.0.1:0');
   *   using socket = yield* UdpSocket.bind('127.0.0.1:0');
   *   yield* socket.connect(server.localAddr());
   *   yield* socket.send('ping');
   *   console.log((yield* server.recvFrom()).data.toString()); // ping
   * });
   * ```
   */
  send(data: Uint8Array | string): Future<number> {
    this.#open('sendmsg');
    const bytes = toBytes(data, 'UdpSocket.send');
    if (bytes.byteLength > MAX_BUFFER_BYTES) {
      throw invalidArgument('UdpSocket.send', 'data', `at most ${MAX_BUFFER_BYTES} bytes`, bytes.byteLength);
    }
    return new BoundOp(this, 'sendmsg', (now) => new SendToFuture(now, bytes, undefined, this.#label));
  }

  /**
   * Receives one datagram from the connected peer.
   *
   * **Cancel-safe**, as {@link recvFrom}.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using server = yield* UdpSocket.bind('127.0.0.1:0');
   *   using socket = yield* UdpSocket.bind('127.0.0.1:0');
   *   yield* socket.connect(server.localAddr());
   *   yield* socket.send('ping');
   *   const { from } = yield* server.recvFrom();
   *   yield* server.sendTo('pong', from);
   *   const reply = yield* socket.recv();
   *   console.log(reply.toString()); // pong
   * });
   * ```
   */
  recv(maxLength: number = MAX_BUFFER_BYTES): Future<Buffer> {
    return recvData(this.recvFrom(maxLength));
  }

  /**
   * Allows (or forbids) sending to broadcast addresses (`SO_BROADCAST`): without it, a send to one fails with
   * `EACCES`.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using socket = yield* UdpSocket.bind('0.0.0.0:0');
   *   socket.setBroadcast(true);
   *   yield* socket.sendTo('hello, everyone', '255.255.255.255:9999');
   * });
   * ```
   */
  setBroadcast(on = true): void {
    if (typeof on !== 'boolean')
      throw invalidArgument('UdpSocket.setBroadcast', 'on', 'a boolean', on, 'ERR_INVALID_ARG_TYPE');
    this.#option(SocketOption.BROADCAST, on ? 1 : 0);
  }

  /**
   * How many hops the multicast datagrams sent from this socket may travel (`IP_MULTICAST_TTL`, 0 – 255; the
   * kernel's default is 1: this network only). IPv4 sockets only: on an IPv6 socket it fails with `ENOPROTOOPT`,
   * since the I/O driver sets no `IPV6_MULTICAST_HOPS`.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using socket = yield* UdpSocket.bind('0.0.0.0:0');
   *   socket.setMulticastTTL(8); // 8 hops (the default, 1: this network only)
   *   yield* socket.sendTo('hello, group', '239.1.2.3:9999');
   * });
   * ```
   */
  setMulticastTTL(ttl: number): void {
    const where = 'UdpSocket.setMulticastTTL';
    if (typeof ttl !== 'number')
      throw invalidArgument(where, 'ttl', 'an integer from 0 to 255', ttl, 'ERR_INVALID_ARG_TYPE');
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255)
      throw invalidArgument(where, 'ttl', 'an integer from 0 to 255', ttl);
    this.#multicastOption(SocketOption.MULTICAST_TTL, ttl);
  }

  /**
   * Whether multicast datagrams sent from this socket are also delivered to this host's own members of the group
   * (`IP_MULTICAST_LOOP`; the kernel's default is on). IPv4 sockets only, as {@link setMulticastTTL}.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using socket = yield* UdpSocket.bind('0.0.0.0:0');
   *   socket.setMulticastLoopback(false); // this host's own members of the group do not get it
   *   yield* socket.sendTo('hello, group', '239.1.2.3:9999');
   * });
   * ```
   */
  setMulticastLoopback(on = true): void {
    if (typeof on !== 'boolean')
      throw invalidArgument('UdpSocket.setMulticastLoopback', 'on', 'a boolean', on, 'ERR_INVALID_ARG_TYPE');
    this.#multicastOption(SocketOption.MULTICAST_LOOP, on ? 1 : 0);
  }

  /**
   * The interface multicast datagrams from this socket leave by, named by its IPv4 address (`IP_MULTICAST_IF`):
   * `'127.0.0.1'` keeps them on this host. IPv4 sockets only, as {@link setMulticastTTL}.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using socket = yield* UdpSocket.bind('127.0.0.1:0');
   *   socket.setMulticastInterface('127.0.0.1');
   *   yield* socket.sendTo('hello, group', '239.1.2.3:9999'); // to the group's members on this host only
   * });
   * ```
   */
  setMulticastInterface(iface: string): void {
    this.#multicastOption(SocketOption.MULTICAST_IF, ipv4Of(iface, 'UdpSocket.setMulticastInterface', 'iface') | 0);
  }

  /**
   * Joins multicast `group` (an IPv4 address from 224.0.0.0 to 239.255.255.255) on the interface with address
   * `iface` (`'0.0.0.0'`, the default: the one the kernel routes the group to), so that datagrams sent to the group
   * reach this socket if it is bound to the group's port. IPv4 sockets only, as {@link setMulticastTTL}.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using member = yield* UdpSocket.bind('0.0.0.0:0');
   *   member.joinMulticast('239.1.2.3', '127.0.0.1');
   *   const local = member.localAddr();
   *   if (local.family === 'unix') throw new Error('not a UDP address');
   *   using sender = yield* UdpSocket.bind('127.0.0.1:0');
   *   sender.setMulticastInterface('127.0.0.1');
   *   yield* sender.sendTo('hello, group', { host: '239.1.2.3', port: local.port });
   *   console.log((yield* member.recvFrom()).data.toString()); // hello, group
   * });
   * ```
   */
  joinMulticast(group: string, iface = '0.0.0.0'): void {
    this.#membership(true, group, iface, 'UdpSocket.joinMulticast');
  }

  /** Leaves multicast `group` joined with {@link joinMulticast} (with the same `iface`). */
  leaveMulticast(group: string, iface = '0.0.0.0'): void {
    this.#membership(false, group, iface, 'UdpSocket.leaveMulticast');
  }

  #membership(join: boolean, group: string, iface: string, where: string): void {
    const g = ipv4Of(group, where, 'group');
    if (g < 0xe0000000 || g > 0xefffffff)
      throw invalidArgument(where, 'group', 'a multicast address (224.0.0.0 – 239.255.255.255)', group);
    const i = ipv4Of(iface, where, 'iface');
    const fd = this.#open('setsockopt');
    if (this.#v6) throw IoError.fromResult(ENOPROTOOPT, 'setsockopt', this.#label);
    const res = this.#driver.setMembership(fd, join, g, i);
    if (res < 0) throw IoError.fromResult(res, 'setsockopt', this.#label);
  }

  /**
   * A multicast option, IPv4 only. The native drivers set the `IPPROTO_IP` option, which on an IPv6 socket
   * silently concerns only IPv4-mapped traffic, while the `js` driver sets the IPv6 one: rather than differ by
   * driver, IPv6 sockets fail with `ENOPROTOOPT` (as the kernel answers an option a socket does not have).
   */
  #multicastOption(option: SocketOption, value: number): void {
    const fd = this.#open('setsockopt');
    if (this.#v6) throw IoError.fromResult(ENOPROTOOPT, 'setsockopt', this.#label);
    this.#set(fd, option, value);
  }

  #option(option: SocketOption, value: number): void {
    this.#set(this.#open('setsockopt'), option, value);
  }

  #set(fd: number, option: SocketOption, value: number): void {
    const res = this.#driver.setSocketOption(fd, option, value);
    if (res < 0) throw IoError.fromResult(res, 'setsockopt', this.#label);
  }

  /** The local address. */
  localAddr(): SocketAddress {
    return addressOf(this.#driver, this.#open('getsockname'), false, 'getsockname', this.#label);
  }

  /** The connected peer's address. */
  peerAddr(): SocketAddress {
    return addressOf(this.#driver, this.#open('getpeername'), true, 'getpeername', this.#label);
  }

  /**
   * Closes the socket, submitting the close at the call (a receive in flight fails with `ECANCELED`). Idempotent;
   * other methods fail with `EBADF` afterwards.
   *
   * @example
   * ```ts
   * import { UdpSocket } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   const socket = yield* UdpSocket.bind('127.0.0.1:0');
   *   console.log('bound to', socket.localAddr());
   *   yield* socket.close(); // later calls fail with EBADF
   * });
   * ```
   */
  close(): Future<void> {
    const fd = this.#shut();
    return fd < 0 ? ready(undefined) : closeNow(this.#driver, fd, this.#label);
  }

  /** Closes the socket, for `using`: the close is submitted at once. */
  [Symbol.dispose](): void {
    const fd = this.#shut();
    if (fd >= 0) submitClose(this.#driver, fd);
  }

  /** Marks the socket closed and interrupts a receive in flight (it fails with `ECANCELED`); returns the fd or −1. */
  #shut(): number {
    const fd = this.#fd;
    if (fd < 0) return -1;
    this.#fd = -1;
    this.#gate.current?.interrupt();
    return fd;
  }
}

const ENOPROTOOPT = -92;

/** `address` as a packed IPv4 address, or a typed error naming `argument`. */
function ipv4Of(address: unknown, where: string, argument: string): number {
  if (typeof address !== 'string')
    throw invalidArgument(where, argument, 'an IPv4 address such as "127.0.0.1"', address, 'ERR_INVALID_ARG_TYPE');
  const n = ipv4ToNumber(address);
  if (n === undefined) throw invalidArgument(where, argument, 'an IPv4 address such as "127.0.0.1"', address);
  return n;
}

const recvData = fn(function* (datagram: Future<Datagram>) {
  return (yield* datagram).data;
});
