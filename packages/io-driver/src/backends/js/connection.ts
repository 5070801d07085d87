/**
 * {@link Connection}: one connected (or connecting) stream socket — a `net.Socket` from `CONNECT` or `ACCEPT` —
 * with the receive buffering that turns Node's push-style `'data'` events into pull-style `RECV`s.
 *
 * ## Receive buffering
 * Node delivers bytes when they arrive, whether or not a `RECV` is waiting; the kernel keeps them in the socket's
 * receive buffer instead. So a connection keeps every chunk Node hands it in its own FIFO ({@link HIGH_WATER} bytes
 * at most: past that it pauses the socket, which stops libuv reading, and TCP flow control pushes back on the
 * peer, as a full kernel buffer would). A receive copies bytes out of that FIFO synchronously when it completes,
 * so no byte is ever lost or delivered twice, cancelled receives included. EOF and errors are delivered after the
 * bytes that came before them; an error is reported to one receive (as `SO_ERROR` is), later receives see EOF.
 *
 * Accepted sockets start paused (`pauseOnConnect`) and read nothing until {@link Connection.start} — at `ACCEPT`.
 *
 * Why `'data'` and not `onread` into pooled buffers (which ARCHITECTURE.md §5 names): in Node 20 only sockets made
 * by `net.connect`/`new net.Socket` take `onread`; a `net.Server` has no such option, so accepted sockets — a
 * server's every connection — cannot use it. One path for both kinds keeps the buffering rules above in one place.
 * The cost is one Buffer per chunk libuv reads (Node's own allocation), then one copy into the caller's buffer.
 *
 * ## Writes
 * `SEND` hands a view of the caller's bytes to `socket.write` (no copy: the backend owns the buffer until the final
 * completion) and completes with the byte count when Node's write callback fires. A send therefore cannot be
 * cancelled (`-EALREADY`). A send after `SHUT_WR` or on a destroyed socket is `-EPIPE`, as with `MSG_NOSIGNAL`.
 *
 * ## Shutdown and close
 * `SHUT_WR` is `socket.end()` (a FIN after queued bytes). `SHUT_RD` cannot be expressed in Node: it is emulated —
 * buffered bytes are dropped, receives see EOF, bytes arriving later are read and discarded. Closing the fd
 * completes waiting receives, polls and a pending connect with `-ECANCELED`, then destroys the socket, or, when
 * writes are still queued, ends it and destroys it once they are flushed (the kernel, too, sends queued bytes).
 *
 * @module
 */
import type * as net from 'node:net';
import { COMPLETION_BUFFER } from '../../contract.js';
import type { SocketAddress } from '../../sockaddr.js';
import type { BufferGroups } from './buffer-groups.js';
import { E, errnoOf } from './errno.js';
import type { PendingOp } from './op.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, PollSet } from './poll.js';
import { MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, ReceiveQueue, type Receive } from './receive.js';

/** Bytes a connection buffers before it pauses its socket (about a default kernel receive buffer). */
export const HIGH_WATER = 256 * 1024;

export class Connection {
  readonly socket: net.Socket;
  /** The local and peer addresses Node cannot report for Unix sockets (set by whoever knows them). */
  unixLocal: SocketAddress | undefined = undefined;
  unixPeer: SocketAddress | undefined = undefined;
  readonly #groups: BufferGroups;
  readonly #receives = new ReceiveQueue();
  readonly #polls = new PollSet();
  /** Received bytes not yet taken: `#chunks[0]` from `#head` on, then the rest. */
  #chunks: Buffer[] = [];
  #head = 0;
  #buffered = 0;
  /** The peer's FIN was read (or the socket is gone): receives past the buffered bytes see 0. */
  #eof = false;
  /** A negated errno for the next receive, reported once. */
  #error = 0;
  /** `SHUT_RD`: bytes are dropped and receives see EOF. */
  #readShut = false;
  #paused = false;
  #closed = false;
  #connectOp: PendingOp | undefined;

  /** Wraps `socket`; `connectOp` completes when a socket from `net.connect` connects or fails. */
  constructor(socket: net.Socket, groups: BufferGroups, connectOp?: PendingOp) {
    this.socket = socket;
    this.#groups = groups;
    this.#connectOp = connectOp;
    // Every event is handled from the start, 'error' included: nothing a peer does may crash the process.
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEof(POLLIN | POLLRDHUP));
    socket.on('close', () => this.#onEof(POLLIN | POLLOUT | POLLHUP | POLLRDHUP));
    socket.on('error', (error: Error) => this.#onError(errnoOf(error)));
    socket.on('drain', () => this.#polls.notify(POLLOUT, this.ready()));
    socket.on('connect', () => {
      this.#connectOp?.complete(0);
      this.#connectOp = undefined;
      this.#polls.notify(POLLOUT, this.ready());
    });
  }

  /** Starts reading (an accepted socket is created paused). */
  start(): void {
    this.socket.resume();
  }

  /** The connect op still waiting, if any: a cancel aborts the connection attempt. */
  get connecting(): boolean {
    return this.#connectOp !== undefined;
  }

  /** Aborts a pending connect: the op is withdrawn (the caller completes it) and the socket destroyed. */
  abortConnect(): void {
    this.#connectOp = undefined;
    this.socket.destroy();
  }

  /** The readiness mask now (`POLLIN`, `POLLOUT`, `POLLERR`, `POLLHUP`, `POLLRDHUP`). */
  ready(): number {
    const s = this.socket;
    let mask = 0;
    if (this.#buffered > 0 || this.#eof || this.#readShut || this.#error !== 0) mask |= POLLIN;
    if (this.#eof) mask |= POLLRDHUP;
    if (!s.connecting && (s.destroyed || s.writableEnded || !s.writableNeedDrain)) mask |= POLLOUT;
    if (this.#error !== 0) mask |= POLLERR;
    if (s.destroyed || (this.#eof && s.writableEnded)) mask |= POLLHUP;
    return mask;
  }

  // ---- Events ---------------------------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#readShut || this.#closed) return; // SHUT_RD or closed: read and discard
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    if (this.#buffered >= HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
    this.#polls.notify(POLLIN, this.ready());
    this.#serve();
  }

  #onEof(changed: number): void {
    this.#eof = true;
    this.#polls.notify(changed, this.ready());
    this.#serve();
  }

  #onError(errno: number): void {
    if (this.#closed) return;
    if (this.#connectOp !== undefined) {
      this.#connectOp.complete(errno);
      this.#connectOp = undefined;
    }
    this.#error = errno;
    this.#polls.notify(POLLIN | POLLOUT | POLLERR, this.ready());
    this.#serve();
  }

  // ---- Receives -------------------------------------------------------------------------------------------------

  /** Starts a receive: completes it now if it can, else queues it (cancellable) behind earlier ones. */
  receive(r: Receive): void {
    if (r.buffer !== undefined && r.buffer.byteLength === 0) return r.op.complete(0);
    this.#receives.push(r);
    this.#serve();
    if (!r.op.done && (r.flags & MSG_DONTWAIT) !== 0 && r.filled === 0) {
      r.op.cancel?.();
      r.op.complete(-E.EAGAIN);
    }
  }

  /** Completes waiting receives, oldest first, while there is something to give them. */
  #serve(): void {
    for (let r = this.#receives.head(); r !== undefined; r = this.#receives.head()) {
      if (!this.#serveHead(r)) break;
    }
    // Consumption made room: let Node read again.
    if (this.#paused && this.#buffered < HIGH_WATER && !this.#closed) {
      this.#paused = false;
      this.socket.resume();
    }
  }

  /** Gives the head receive what there is; true when it completed finally. */
  #serveHead(r: Receive): boolean {
    const peek = (r.flags & MSG_PEEK) !== 0;
    for (;;) {
      if (this.#buffered > 0) {
        if (r.buffer === undefined) {
          const provided = this.#groups.take(r.group);
          if (provided === undefined) return this.#finish(-E.ENOBUFS);
          const n = this.#copyOut(provided.bytes, peek);
          if (!r.multishot) return this.#finish(n, COMPLETION_BUFFER, provided.id);
          r.op.more(n, COMPLETION_BUFFER, provided.id);
          continue;
        }
        r.filled += this.#copyOut(r.buffer.subarray(r.filled), peek);
        if ((r.flags & MSG_WAITALL) !== 0 && !peek && r.filled < r.buffer.byteLength) continue;
        return this.#finish(r.filled);
      }
      if (r.filled > 0 && (this.#error !== 0 || this.#eof || this.#readShut)) return this.#finish(r.filled);
      if (this.#error !== 0) {
        const error = this.#error;
        this.#error = 0;
        return this.#finish(error);
      }
      if (this.#eof || this.#readShut) return this.#finish(0);
      return false;
    }
  }

  #finish(res: number, flags = 0, aux = 0): true {
    this.#receives.finishHead(res, flags, aux);
    return true;
  }

  /** Copies buffered bytes into `dest`; consumes them unless `peek`. Returns the count. */
  #copyOut(dest: Uint8Array, peek: boolean): number {
    let copied = 0;
    let index = 0;
    let head = this.#head;
    while (copied < dest.byteLength && index < this.#chunks.length) {
      const chunk = this.#chunks[index]!;
      const n = Math.min(chunk.byteLength - head, dest.byteLength - copied);
      dest.set(chunk.subarray(head, head + n), copied);
      copied += n;
      head += n;
      if (head === chunk.byteLength) {
        index++;
        head = 0;
      }
    }
    if (!peek) {
      if (index > 0) this.#chunks.splice(0, index);
      this.#head = head;
      this.#buffered -= copied;
    }
    return copied;
  }

  // ---- Sends, shutdown, poll, close -----------------------------------------------------------------------------

  /** Writes `bytes` (a view the backend owns until the op completes); completes with the count. */
  send(op: PendingOp, bytes: Uint8Array): void {
    const s = this.socket;
    if (s.destroyed || s.writableEnded) return op.complete(-E.EPIPE);
    if (bytes.byteLength === 0) return op.complete(0);
    s.write(bytes, (error) => op.complete(error ? errnoOf(error) : bytes.byteLength));
  }

  /** `shutdown(2)`: see the module doc. Returns 0. */
  shutdown(how: number): number {
    const s = this.socket;
    if (how !== 0 && !s.writableEnded && !s.destroyed) s.end();
    if (how !== 1 && !this.#readShut) {
      this.#readShut = true;
      this.#chunks = [];
      this.#head = 0;
      this.#buffered = 0;
    }
    this.#polls.notify(POLLIN | POLLOUT | POLLHUP, this.ready());
    this.#serve();
    return 0;
  }

  poll(op: PendingOp, mask: number, multishot: boolean): void {
    this.#polls.arm(op, mask, multishot, this.ready());
  }

  /** The fd is closed: see the module doc. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connectOp?.complete(-E.ECANCELED);
    this.#connectOp = undefined;
    this.#receives.finishAll(-E.ECANCELED);
    this.#polls.finish(-E.ECANCELED);
    this.#chunks = [];
    this.#buffered = 0;
    const s = this.socket;
    if (s.destroyed) return;
    if (s.connecting || s.writableLength === 0) return void s.destroy();
    // Queued writes still go out (their sends complete then); bytes that arrive meanwhile are dropped.
    s.resume();
    s.destroySoon();
  }
}
