/**
 * The backend contract, byte for byte: how JavaScript hands operations to a backend (`io_uring`, `epoll`, `js`) and
 * gets their completions back. Every backend implements exactly this; the conformance suite checks it on each.
 *
 * ## Submission: 64-byte op records in a staging buffer
 * The driver encodes each op into the staging `ArrayBuffer` (registered with the backend once) and calls
 * `backend.flush(count)` once per tick: the backend takes records `[0, count)` in order, and owns what they
 * reference from then on. Little-endian layout:
 *
 * | byte | type | field                                                                                   |
 * | ---: | ---- | --------------------------------------------------------------------------------------- |
 * |    0 | u8   | opcode ({@link Op})                                                                     |
 * |    1 | u8   | reserved (0)                                                                            |
 * |    2 | u16  | reserved (0)                                                                            |
 * |    4 | u32  | token: the op's identity, echoed by its completions                                    |
 * |    8 | i32  | fd, or dirfd for `*at` ops (`AT_FDCWD` = −100)                                          |
 * |   12 | u32  | arg: open flags, statx mask, fsync flags (1 = datasync), cancel's target token, timeout |
 * |   16 | f64  | offset: file position; −1 = the fd's current position                                  |
 * |   24 | u32  | buffer: arena id                                                                        |
 * |   28 | u32  | buffer: byte offset in the arena                                                        |
 * |   32 | u32  | buffer: length in bytes                                                                 |
 * |   36 | u32  | mode (openat, mkdirat)                                                                  |
 * |   40 | u32  | path: arena id (a NUL-terminated path)                                                  |
 * |   44 | u32  | path: byte offset                                                                       |
 * |   48 | u32  | second path: arena id (renameat's new path)                                             |
 * |   52 | u32  | second path: byte offset                                                                |
 * |   56 | i32  | second dirfd (renameat's new dirfd)                                                     |
 * |   60 | u32  | reserved (0)                                                                            |
 *
 * Buffers and paths live in arenas of `@zokio/memory`, registered with the backend once (`registerArena`), so the
 * backend holds a reference to every byte it may touch until the op's final completion: V8 never frees memory
 * under the kernel's feet.
 *
 * ## Completion: 16-byte records
 * The backend writes completions into the completion `ArrayBuffer` and calls the driver's callback once per
 * wake-up with how many it wrote:
 *
 * | byte | type | field                                                                 |
 * | ---: | ---- | --------------------------------------------------------------------- |
 * |    0 | u32  | token                                                                 |
 * |    4 | i32  | res: ≥ 0 the result (bytes, fd, 0), < 0 a negated errno               |
 * |    8 | u32  | flags: {@link COMPLETION_MORE} when not the final completion          |
 * |   12 | u32  | aux: op-specific (provided-buffer id for multishot receives)          |
 *
 * Fields by op: `STATX` takes its `AT_*` flags in `mode` and a buffer of at least 256 bytes (`struct statx`); with
 * an empty path and `AT_EMPTY_PATH` (0x1000) it describes the fd itself (`fstat`), on every backend;
 * `UNLINKAT` and `RENAMEAT` take their flags in `arg`. An `offset` that is neither −1 nor a non-negative integer
 * completes with `-EINVAL`; a buffer or path outside its arena with `-EFAULT`; an unknown opcode with `-EINVAL`.
 * On a stream (a pipe, a socket, a character device) `READ`/`WRITE`/`READV`/`WRITEV` ignore the offset, as io_uring
 * does: a stream has no position (pread would say `ESPIPE`).
 *
 * ## Vectored and socket ops
 * | op                | fields                                                                                           |
 * | ----------------- | ------------------------------------------------------------------------------------------------ |
 * | `READV`, `WRITEV` | fd, offset; buffer = an **iovec table** of `count` 16-byte entries (u32 arena, u32 offset, u32 length, u32 0), `arg` = count (1 – 1024). The backend may rewrite the table in place (it owns it until the final completion) |
 * | `SOCKET`          | `arg` = domain (`AF_INET` 2, `AF_INET6` 10, `AF_UNIX` 1), `mode` = type (`SOCK_STREAM` 1, `SOCK_DGRAM` 2), `fd2` = protocol. Completes with the new fd, always close-on-exec (and non-blocking where the backend needs it) |
 * | `BIND`            | fd; address = a `struct sockaddr` (`addrArena`, `addrOffset`, `addrLength`)                       |
 * | `LISTEN`          | fd, `arg` = backlog                                                                              |
 * | `ACCEPT`          | fd; `mode` may hold {@link MODE_MULTISHOT}; address (single-shot only, optional: `addrLength` 0 = none) receives the peer's `sockaddr`, its length in the completion's `aux`. Each new fd is close-on-exec |
 * | `CONNECT`         | fd; address = the peer                                                                          |
 * | `RECV`, `SEND`    | fd, buffer, `arg` = `MSG_*` flags (`SEND` always adds `MSG_NOSIGNAL`). `RECV` may select a provided buffer instead: `mode` = {@link MODE_BUFFER_SELECT} ∣ group id, optionally ∣ {@link MODE_MULTISHOT}; the completion then has {@link COMPLETION_BUFFER} and the buffer id in `aux` |
 * | `RECVMSG`         | fd, buffer, `arg` = flags; address (optional) receives the source `sockaddr`, its length in `aux`  |
 * | `SENDMSG`         | fd, buffer, `arg` = flags; address (optional) = the destination                                   |
 * | `SHUTDOWN`        | fd, `arg` = how (`SHUT_RD` 0, `SHUT_WR` 1, `SHUT_RDWR` 2)                                        |
 * | `POLL_ADD`        | fd, `arg` = poll mask (`POLLIN` 1, `POLLOUT` 4, …), `mode` may hold {@link MODE_MULTISHOT}; completes with the ready mask |
 *
 * The address fields (bytes 40–51) are the same bytes as the path fields, which socket ops do not use.
 * `EADDRINUSE` may surface at `BIND` or at `LISTEN` (the `js` backend can only bind a listening socket).
 *
 * ## Provided buffers
 * A receive can let the backend pick the buffer when data arrives, so an idle connection holds no buffer. A **buffer
 * group** is created with {@link Backend.createBufferGroup} and stocked with {@link Backend.provideBuffer}; a `RECV`
 * with {@link MODE_BUFFER_SELECT} takes one buffer per completion, names it in `aux` with {@link COMPLETION_BUFFER}
 * set, and the buffer then belongs to the caller until it provides it again. A receive that finds the group empty
 * completes with `-ENOBUFS` (final, even when multishot); providing buffers and submitting again recovers. A
 * completion without data (`res` ≤ 0) consumes no buffer. Backends without provided buffers (old kernels) complete
 * such receives with `-EOPNOTSUPP`.
 *
 * ## Multishot
 * An op with {@link MODE_MULTISHOT} completes many times: every completion but the last carries
 * {@link COMPLETION_MORE}. It ends with an error, with `-ECANCELED` when cancelled, or whenever the backend decides
 * (a caller that still wants more submits again: this is normal for io_uring, e.g. when its completion queue fills).
 *
 * ## Rules
 * 1. Exactly one **final** completion per op, cancelled or not; a multishot op's earlier ones carry `COMPLETION_MORE`.
 *    Completions come in any order, not submission order.
 * 2. Buffers and paths belong to the backend from `flush` until the final completion.
 * 3. `OP_CANCEL` (arg = target token) is a request: the target still completes once, with `-ECANCELED` if the cancel
 *    won, with its result if it lost. The cancel op itself completes too: 0, `-ENOENT` (target done or unknown),
 *    `-EALREADY` (target already running and not interruptible) or `-EINVAL`.
 * 4. Results are raw syscall results; the driver above turns them into typed errors and closes the fd of an
 *    fd-producing op whose future was dropped before it completed.
 * 5. Tokens are unique among ops in flight (a cancel names its target by token). Arena ids are small dense integers
 *    (at most 65,535), and arena buffers are never resized or transferred while registered. A lent arena
 *    (`lendArena`) is registered until `releaseArena`, which the driver calls only when no op in flight names it.
 * 6. Completion records are valid only during the callback: the next delivery overwrites them. `onCompletions` is
 *    never called from inside `flush`; `flush` may be called from inside `onCompletions`.
 * 7. `close()` with ops in flight throws (code `EBUSY`); the backend's own resources (a ring fd) may be released
 *    within a loop turn after it.
 * 8. `OP_CLOSE` of a socket ends the receives, accepts and polls still waiting on it with `-ECANCELED` (io_uring:
 *    an `ASYNC_CANCEL` by fd submitted just before the close; epoll: the waiters of its watch; js: its queues).
 *    A send waiting for buffer space fails with `-ECANCELED` on io_uring and epoll; on js its bytes still go out.
 *    Without this an op could wait forever: an io_uring op holds its own reference to the file, and a closed fd
 *    silently leaves an epoll set.
 * 9. The driver never cancels an `OP_CLOSE` (a cancel that stopped a queued close would leak the fd its caller
 *    already let go of): a close always runs and completes with its own result, at shutdown too. Backends need not
 *    refuse such a cancel themselves.
 *
 * @module
 */

/** Bytes per op record in the staging buffer. */
export const OP_RECORD_BYTES = 64;
/** Bytes per completion record. */
export const COMPLETION_RECORD_BYTES = 16;

/** Field offsets in an op record. */
export const OpField = {
  opcode: 0,
  token: 4,
  fd: 8,
  arg: 12,
  offset: 16,
  bufArena: 24,
  bufOffset: 28,
  bufLength: 32,
  mode: 36,
  pathArena: 40,
  pathOffset: 44,
  path2Arena: 48,
  path2Offset: 52,
  fd2: 56,
  /** Socket ops: the `sockaddr`'s arena (the path field). */
  addrArena: 40,
  /** Socket ops: its byte offset. */
  addrOffset: 44,
  /** Socket ops: its length (or capacity, for an address the op writes); 0 = no address. */
  addrLength: 48,
} as const;

/** Field offsets in a completion record. */
export const CompletionField = { token: 0, res: 4, flags: 8, aux: 12 } as const;

/** Set on a completion that is not the op's last. */
export const COMPLETION_MORE = 1;
/** Set on a completion that consumed a provided buffer: `aux` is its id. */
export const COMPLETION_BUFFER = 2;

/** In `mode`: complete many times (accept, recv, poll-add); see the module doc. */
export const MODE_MULTISHOT = 1 << 17;
/** In `mode`: receive into a buffer of the group whose id (0 – 65,535) is in the low 16 bits. */
export const MODE_BUFFER_SELECT = 1 << 16;
/** Entries an iovec table may hold (Linux's `IOV_MAX`). */
export const IOV_MAX = 1024;
/** Bytes per iovec-table entry. */
export const IOVEC_ENTRY_BYTES = 16;
/** Buffers a buffer group may hold. */
export const MAX_GROUP_BUFFERS = 32768;

/** `AT_FDCWD`: a path relative to the current directory. */
export const AT_FDCWD = -100;

/** Opcodes. Values are the contract's own, not io_uring's: each backend maps them. */
export const Op = {
  NOP: 0,
  READ: 1,
  WRITE: 2,
  OPENAT: 3,
  CLOSE: 4,
  FSYNC: 5,
  STATX: 6,
  UNLINKAT: 7,
  RENAMEAT: 8,
  MKDIRAT: 9,
  TIMEOUT: 10,
  CANCEL: 11,
  READV: 12,
  WRITEV: 13,
  SOCKET: 14,
  BIND: 15,
  LISTEN: 16,
  ACCEPT: 17,
  CONNECT: 18,
  RECV: 19,
  SEND: 20,
  RECVMSG: 21,
  SENDMSG: 22,
  SHUTDOWN: 23,
  POLL_ADD: 24,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/**
 * Socket options a backend can set: the contract's own numbers. `KEEPALIVE`'s value is the idle time in seconds
 * before probes (0 turns keep-alive off); the others take 0 or 1, except `RCVBUF`/`SNDBUF` (bytes) and `TTL`.
 */
export const SocketOption = {
  NODELAY: 1,
  KEEPALIVE: 2,
  REUSEADDR: 3,
  REUSEPORT: 4,
  BROADCAST: 5,
  V6ONLY: 6,
  RCVBUF: 7,
  SNDBUF: 8,
  TTL: 9,
  MULTICAST_LOOP: 10,
  MULTICAST_TTL: 11,
  /** IPv4: the interface multicast leaves by, as its address packed in a number (`ipv4ToNumber`). */
  MULTICAST_IF: 12,
} as const;
export type SocketOption = (typeof SocketOption)[keyof typeof SocketOption];

/** What the driver needs from a backend. */
export interface Backend {
  /** `'io_uring'`, `'epoll'` or `'js'`. */
  readonly kind: string;
  /** Makes `arena` addressable by op records (by its id) for the backend's whole life. */
  registerArena(id: number, buffer: ArrayBuffer): void;
  /**
   * Makes `buffer` addressable as arena `id` until {@link Backend.releaseArena}: memory lent for a few ops (see
   * `lent-buffer.ts`). Unlike `registerArena` it is neither pinned as a fixed buffer nor marked untransferable: the
   * loan ends, and the buffer goes on as the caller's.
   */
  lendArena(id: number, buffer: ArrayBuffer): void;
  /**
   * Lets go of lent arena `id`; the id may be lent again. Called only when no op in flight names it (the driver
   * counts them). Throws for an id not lent.
   */
  releaseArena(id: number): void;
  /** Takes op records `[0, count)` from the staging buffer. */
  flush(count: number): void;
  /**
   * Creates provided-buffer group `group` (0 – 65,535, unused) able to hold `capacity` buffers (a power of two,
   * 1 – {@link MAX_GROUP_BUFFERS}). Throws (code `EEXIST`, `EINVAL`, or `EOPNOTSUPP` where the kernel has none).
   */
  createBufferGroup(group: number, capacity: number): void;
  /**
   * Makes a buffer available to receives selecting `group`: `length` bytes at `offset` in arena `arenaId`, named
   * `bufferId` (0 – capacity − 1) in completions. Called to stock the group and again to give a used buffer back.
   * Throws (code `EINVAL`) for an unknown group, a bad id, or a buffer outside its arena.
   */
  provideBuffer(group: number, bufferId: number, arenaId: number, offset: number, length: number): void;
  /**
   * Writes the local (`peer` false) or remote address of socket `fd` into `out` (at least 128 bytes) as a
   * `struct sockaddr`; returns its length, or a negated errno.
   */
  socketAddress(fd: number, peer: boolean, out: Uint8Array): number;
  /** Sets a {@link SocketOption} on socket `fd`; returns 0 or a negated errno. */
  setSocketOption(fd: number, option: SocketOption, value: number): number;
  /**
   * Joins (or leaves) IPv4 multicast `group` on the interface with address `iface` (both packed as by
   * `ipv4ToNumber`; `iface` 0: the kernel picks); returns 0 or a negated errno.
   */
  setMembership(fd: number, join: boolean, group: number, iface: number): number;
  /** Releases the backend. Only after every op has completed. */
  close(): void;
}

/** Creates a backend over a staging and a completion buffer, reporting completions through `onCompletions`. */
export type BackendFactory = (
  staging: ArrayBuffer,
  completions: ArrayBuffer,
  onCompletions: (count: number) => void,
) => Backend;
