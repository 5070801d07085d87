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
 * Fields by op: `STATX` takes its `AT_*` flags in `mode` and a buffer of at least 256 bytes (`struct statx`);
 * `UNLINKAT` and `RENAMEAT` take their flags in `arg`. An `offset` that is neither −1 nor a non-negative integer
 * completes with `-EINVAL`; a buffer or path outside its arena with `-EFAULT`; an unknown opcode with `-EINVAL`.
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
 *    (at most 65,535), and arena buffers are never resized or transferred while registered.
 * 6. Completion records are valid only during the callback: the next delivery overwrites them. `onCompletions` is
 *    never called from inside `flush`; `flush` may be called from inside `onCompletions`.
 * 7. `close()` with ops in flight throws (code `EBUSY`); the backend's own resources (a ring fd) may be released
 *    within a loop turn after it.
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
} as const;

/** Field offsets in a completion record. */
export const CompletionField = { token: 0, res: 4, flags: 8, aux: 12 } as const;

/** Set on a completion that is not the op's last. */
export const COMPLETION_MORE = 1;

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
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** What the driver needs from a backend. */
export interface Backend {
  /** `'io_uring'`, `'epoll'` or `'js'`. */
  readonly kind: string;
  /** Makes `arena` addressable by op records (by its id) for the backend's whole life. */
  registerArena(id: number, buffer: ArrayBuffer): void;
  /** Takes op records `[0, count)` from the staging buffer. */
  flush(count: number): void;
  /** Releases the backend. Only after every op has completed. */
  close(): void;
}

/** Creates a backend over a staging and a completion buffer, reporting completions through `onCompletions`. */
export type BackendFactory = (
  staging: ArrayBuffer,
  completions: ArrayBuffer,
  onCompletions: (count: number) => void,
) => Backend;
