/**
 * {@link SocketTable}: the `js` backend's sockets, each behind a **virtual fd**.
 *
 * Node gives no access to a socket's real descriptor, so `SOCKET` (and `ACCEPT`) return numbers of their own,
 * counted up from {@link VIRTUAL_FD_BASE} (2³⁰). A process never has that many descriptors open (`RLIMIT_NOFILE`
 * caps real fds far below), so a virtual fd can never be mistaken for a real one, and the backend routes by value:
 * an fd at or above the base is looked up here (unknown → `-EBADF`); a socket op on an fd below it is
 * `-ENOTSOCK`. Numbers are not reused while in use; after 2³¹ − 1 the counter wraps to the base, skipping live ones.
 * `CLOSE` on a virtual fd destroys its socket or server at once and completes 0 (it unlinks nothing itself; but
 * libuv removes a Unix socket's path when its listening server closes).
 *
 * Each op is decoded here (addresses, buffers: `-EFAULT`/`-EINVAL` for a bad record) and handed to the socket:
 * {@link StreamSocket} for `SOCK_STREAM`, {@link DatagramSocket} for `SOCK_DGRAM`. `READ`/`WRITE` on a socket are
 * `RECV`/`SEND` without flags, as `read(2)`/`write(2)` are.
 *
 * @module
 */
import * as fs from 'node:fs';
import { MODE_MULTISHOT, Op } from '../../contract.js';
import { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM } from '../../sockaddr.js';
import { readAddress, writeAddress } from './addresses.js';
import type { Arenas } from './arenas.js';
import type { BufferGroups } from './buffer-groups.js';
import type { Connection } from './connection.js';
import { DatagramSocket } from './datagram-socket.js';
import { E, errnoOf } from './errno.js';
import type { OpRecord, PendingOp } from './op.js';
import { POLLIN, POLLOUT } from './poll.js';
import { parseReceive } from './receive.js';
import { StreamSocket } from './stream-socket.js';

/** The first virtual fd. */
export const VIRTUAL_FD_BASE = 0x4000_0000;
const VIRTUAL_FD_LAST = 0x7fff_ffff;
/** `SOCK_NONBLOCK` and `SOCK_CLOEXEC`, which may be or-ed into a socket type: every virtual fd is both. */
const SOCK_TYPE_MASK = 0xf;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** Whether `fd` is in the virtual range. */
export function isVirtualFd(fd: number): boolean {
  return fd >= VIRTUAL_FD_BASE;
}

/** Opcodes that only make sense on a socket. */
const SOCKET_OPS: ReadonlySet<number> = new Set([
  Op.SOCKET,
  Op.BIND,
  Op.LISTEN,
  Op.ACCEPT,
  Op.CONNECT,
  Op.RECV,
  Op.SEND,
  Op.RECVMSG,
  Op.SENDMSG,
  Op.SHUTDOWN,
  Op.POLL_ADD,
]);

/** Fd ops that, on a virtual fd, are the socket's business. */
const FD_OPS: ReadonlySet<number> = new Set([Op.READ, Op.WRITE, Op.READV, Op.WRITEV, Op.CLOSE, Op.FSYNC]);

/** Whether this table handles op `opcode` on `fd` (else it is a file op). */
export function isSocketOp(opcode: number, fd: number): boolean {
  return SOCKET_OPS.has(opcode) || (isVirtualFd(fd) && FD_OPS.has(opcode));
}

type VirtualSocket = StreamSocket | DatagramSocket;

export class SocketTable {
  readonly #sockets = new Map<number, VirtualSocket>();
  readonly #arenas: Arenas;
  readonly #groups: BufferGroups;
  #next = VIRTUAL_FD_BASE;
  readonly #adopt = (connection: Connection, domain: number): number =>
    this.#register(new StreamSocket(domain, this.#groups, this.#adopt, connection));

  constructor(arenas: Arenas, groups: BufferGroups) {
    this.#arenas = arenas;
    this.#groups = groups;
  }

  /** Sockets open now. */
  get size(): number {
    return this.#sockets.size;
  }

  #register(socket: VirtualSocket): number {
    while (this.#sockets.has(this.#next)) this.#advance();
    const fd = this.#next;
    this.#advance();
    this.#sockets.set(fd, socket);
    return fd;
  }

  #advance(): void {
    this.#next = this.#next === VIRTUAL_FD_LAST ? VIRTUAL_FD_BASE : this.#next + 1;
  }

  /** Starts a socket op, or a file op on a virtual fd ({@link isSocketOp}). */
  start(op: PendingOp, rec: OpRecord): void {
    const opcode = rec.opcode;
    if (opcode === Op.SOCKET) return op.complete(this.#socket(rec.arg, rec.mode & SOCK_TYPE_MASK, rec.fd2));
    const fd = rec.fd;
    if (!isVirtualFd(fd)) {
      if (opcode === Op.POLL_ADD) return pollFile(op, fd, rec.arg);
      return op.complete(notASocket(fd));
    }
    const socket = this.#sockets.get(fd);
    if (socket === undefined) return op.complete(-E.EBADF);
    const stream = socket instanceof StreamSocket ? socket : undefined;
    const multishot = (rec.mode & MODE_MULTISHOT) !== 0;
    switch (opcode) {
      case Op.CLOSE:
        this.#sockets.delete(fd);
        socket.close();
        return op.complete(0);
      case Op.BIND:
      case Op.CONNECT: {
        const address = readAddress(rec, this.#arenas, socket.domain);
        if (typeof address === 'number') return op.complete(address);
        return opcode === Op.BIND ? socket.bind(op, address) : socket.connect(op, address);
      }
      case Op.LISTEN:
        return stream === undefined ? op.complete(-E.EOPNOTSUPP) : stream.listen(op);
      case Op.ACCEPT: {
        if (stream === undefined) return op.complete(-E.EOPNOTSUPP);
        let addr: Uint8Array | undefined;
        if (!multishot && rec.addrLength > 0) {
          addr = this.#arenas.bytes(rec.addrArena, rec.addrOffset, rec.addrLength);
          if (addr === undefined) return op.complete(-E.EFAULT);
        }
        return stream.accept(op, addr, multishot);
      }
      case Op.RECV:
      case Op.READ:
      case Op.RECVMSG: {
        const r = parseReceive(op, rec, this.#arenas, opcode === Op.RECVMSG);
        if (typeof r === 'number') return op.complete(r);
        return socket.receive(r);
      }
      case Op.SEND:
      case Op.WRITE:
      case Op.SENDMSG: {
        const bytes = this.#arenas.bytes(rec.bufArena, rec.bufOffset, rec.bufLength);
        if (bytes === undefined) return op.complete(-E.EFAULT);
        if (stream !== undefined) return stream.send(op, bytes); // a stream ignores a destination, as TCP does
        if (opcode !== Op.SENDMSG || rec.addrLength === 0) return socket.send(op, bytes, undefined);
        const to = readAddress(rec, this.#arenas, socket.domain);
        if (typeof to === 'number') return op.complete(to);
        return socket.send(op, bytes, to);
      }
      case Op.SHUTDOWN:
        return op.complete(rec.arg > 2 ? -E.EINVAL : socket.shutdown(rec.arg));
      case Op.POLL_ADD:
        return socket.poll(op, rec.arg, multishot);
      case Op.FSYNC:
        return op.complete(-E.EINVAL);
    }
    // READV/WRITEV and anything else on a socket: not implemented over Node's socket API.
    op.complete(-E.EOPNOTSUPP);
  }

  #socket(domain: number, type: number, protocol: number): number {
    if (domain !== AF_INET && domain !== AF_INET6 && domain !== AF_UNIX) return -E.EAFNOSUPPORT;
    if (type === SOCK_STREAM) {
      if (protocol !== 0 && !(domain !== AF_UNIX && protocol === IPPROTO_TCP)) return -E.EPROTONOSUPPORT;
      return this.#register(new StreamSocket(domain, this.#groups, this.#adopt));
    }
    if (type === SOCK_DGRAM) {
      // Node's dgram has no Unix datagram sockets.
      if (domain === AF_UNIX) return -E.EAFNOSUPPORT;
      if (protocol !== 0 && protocol !== IPPROTO_UDP) return -E.EPROTONOSUPPORT;
      return this.#register(new DatagramSocket(domain, this.#groups));
    }
    return -E.EPROTONOSUPPORT;
  }

  /** See `Backend.socketAddress`. */
  socketAddress(fd: number, peer: boolean, out: Uint8Array): number {
    if (!isVirtualFd(fd)) return notASocket(fd);
    const socket = this.#sockets.get(fd);
    if (socket === undefined) return -E.EBADF;
    const address = peer ? socket.peerAddress() : socket.localAddress();
    if (typeof address === 'number') return address;
    return writeAddress(address, out);
  }

  /** See `Backend.setSocketOption`. */
  setSocketOption(fd: number, option: number, value: number): number {
    if (!isVirtualFd(fd)) return notASocket(fd);
    const socket = this.#sockets.get(fd);
    if (socket === undefined) return -E.EBADF;
    if (!Number.isInteger(value)) return -E.EINVAL;
    return socket.setOption(option, value);
  }

  /** See `Backend.setMembership`. */
  setMembership(fd: number, join: boolean, group: number, iface: number): number {
    if (!isVirtualFd(fd)) return notASocket(fd);
    const socket = this.#sockets.get(fd);
    if (socket === undefined) return -E.EBADF;
    if (!(socket instanceof DatagramSocket)) return -E.ENOPROTOOPT;
    return socket.setMembership(join, group, iface);
  }

  /** Destroys every socket (the backend is closing). */
  closeAll(): void {
    for (const socket of this.#sockets.values()) socket.close();
    this.#sockets.clear();
  }
}

/** The error for a socket op on real fd `fd`: `-EBADF` when it is not open, else `-ENOTSOCK`. */
function notASocket(fd: number): number {
  if (fd < 0) return -E.EBADF;
  try {
    fs.fstatSync(fd);
    return -E.ENOTSOCK;
  } catch (error) {
    return errnoOf(error);
  }
}

/**
 * `POLL_ADD` on a real fd: regular files and directories are always ready, as `poll(2)` says; anything else
 * (pipes, terminals) cannot be watched through Node's API (`-EOPNOTSUPP`).
 */
function pollFile(op: PendingOp, fd: number, mask: number): void {
  fs.fstat(fd, (error, stats) => {
    if (error) return op.complete(errnoOf(error));
    if (stats.isFile() || stats.isDirectory()) return op.complete(mask & (POLLIN | POLLOUT));
    op.complete(-E.EOPNOTSUPP);
  });
}
