/**
 * {@link BufferPool}: pooled I/O buffers in size classes, carved from arenas the driver registers once.
 *
 * ## Protocol
 * ```
 *   acquire(size) ─► check size ─► slab of sizeClassOf(size) ─► free chunk? hand out its IoBuf (no allocation)
 *                                                            └► else carve the next page of the current arena
 *                                                               into that class; arena full? a new arena, told to
 *                                                               every onArena callback before any of its chunks
 *                                                               is handed out; past maxBytes? PoolExhaustedError
 *   release(buf)  ─► foreign? ForeignBufferError ─► already free? BufferReleasedError ─► back on its free stack
 *                    ─► anyone waiting for its class? wake the oldest (`waitForBuffer`, `buffer-wait.ts`)
 * ```
 *
 * ## Invariants
 * 1. Reserved bytes (`arenas × arenaBytes`) never exceed `maxBytes`; arenas are created whole, and only when a
 *    class has no free chunk and the current arena no uncarved page.
 * 2. No two chunks handed out overlap: pages are carved once, left to right, each to one class, and each chunk index
 *    is either on its class's free stack or handed out, never both (see `slab.ts`).
 * 3. Steady state allocates nothing: once a class has carved enough chunks for its peak, `acquire` and `release` only
 *    move integers between typed arrays and return the chunk's one `IoBuf`.
 * 4. Every arena is reported to every `onArena` callback exactly once, in id order, before a buffer in it is handed
 *    out; arenas are never freed while the pool lives (see `arena.ts` for why the kernel needs this). Nothing is
 *    handed out while a callback runs (`acquire` from one throws `PoolReentrantError`), so a callback cannot take a
 *    buffer in an arena that the callbacks after it have not been told about, nor grow the pool mid-report.
 *
 * ## Closing
 * `close()` (or `[Symbol.dispose]`) stops new work: `acquire` and `onArena` then throw `PoolClosedError`, the
 * callbacks are dropped, and waiters are woken to find it so. A callback may close the pool: the callbacks after it
 * are not told, and the `acquire` or `onArena` that made the call throws `PoolClosedError`. It frees nothing and
 * invalidates nothing: buffers still out stay valid memory (each holds its arena), an op in flight completes into
 * them, and `release` still takes them back and keeps the stats true. JS cannot free an `ArrayBuffer` on demand; the
 * memory goes when the pool and all of its buffers are unreachable, which is what a driver must wait for (every final
 * completion) before it unregisters the arenas.
 *
 * @module
 */
import { expected, type Waker } from '@zokio/future';
import { Arena, MAX_ARENA_BYTES } from './arena.js';
import { BufferWait, type BufferLine } from './buffer-wait.js';
import {
  BufferTooLargeError,
  ForeignBufferError,
  PoolClosedError,
  PoolExhaustedError,
  PoolReentrantError,
} from './errors.js';
import { ioBufInternals, IoBuf } from './io-buf.js';
import { classOf, MAX_BUFFER_BYTES, SIZE_CLASS_COUNT, sizeClassBytes } from './size-class.js';
import { PAGE_BYTES, Slab } from './slab.js';

/** Default arena size: 4 MiB, 64 pages. Picked out of thin air as "large next to one op, small next to a heap". */
const DEFAULT_ARENA_BYTES = 4 * 1024 * 1024;
/**
 * Default `maxBytes`: 64 MiB, 16 default arenas, room for a thousand 64 KiB reads in flight. Also picked out of thin
 * air; servers with many connections should raise it (and the driver's memlock limit for fixed buffers with it).
 */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Default `maxWaitMs`: 2 s — long next to a burst draining, short next to a client's patience. Picked, not measured. */
const DEFAULT_MAX_WAIT_MS = 2000;

/**
 * Options of a {@link BufferPool}.
 *
 * @category Memory
 */
export interface BufferPoolOptions {
  /**
   * Size of each arena in bytes: a multiple of {@link MAX_BUFFER_BYTES} (64 KiB), at most 1 GiB.
   * @default 4194304 (4 MiB)
   */
  arenaBytes?: number;
  /**
   * The most bytes the pool reserves in arenas, at least `arenaBytes`; the pool holds at most
   * `⌊maxBytes / arenaBytes⌋` arenas. `Infinity` lifts the bound.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
  /**
   * Arenas to allocate up front, so a driver can register them all at start-up in one call.
   * @default 1
   */
  initialArenas?: number;
  /**
   * The longest an op waits in line for a buffer at the cap (`waitForBuffer`), in milliseconds: past it the wait
   * ends and the op fails with {@link PoolExhaustedError}, as it would without waiting. Buffers held for long (a
   * provided-buffer group's, a connection's owned ones) may never come back to a line; the bound turns that into
   * an error instead of a hang. `0` never waits.
   * @default 2000
   */
  maxWaitMs?: number;
}

/**
 * Counters of one size class, from {@link BufferPool.stats}.
 *
 * @category Memory
 */
export interface SizeClassStats {
  /** Chunk size in bytes. */
  size: number;
  /** Chunks carved for this class so far (`inUse + free`). */
  chunks: number;
  /** Chunks handed out now. */
  inUse: number;
  /** Chunks on the free list. */
  free: number;
  /** The most chunks of this class that were handed out at once. */
  highWater: number;
  /** Ops waiting in line for a chunk of this class (the pool is at its cap). */
  waiting: number;
}

/**
 * A snapshot of a {@link BufferPool}'s counters.
 *
 * @category Memory
 */
export interface BufferPoolStats {
  /** Arenas allocated. */
  arenas: number;
  /** Size of each arena. */
  arenaBytes: number;
  /** Bytes allocated in arenas: `arenas × arenaBytes`, never above `maxBytes`. */
  reservedBytes: number;
  /** The pool's bound on `reservedBytes`. */
  maxBytes: number;
  /** Bytes of arena given to size classes so far (whole 64 KiB pages). */
  carvedBytes: number;
  /** Bytes of the chunks handed out now (chunk sizes, not the sizes asked for). */
  inUseBytes: number;
  /** The most `inUseBytes` seen. */
  highWaterBytes: number;
  /** Per size class, indexed by class (see `sizeClassOf`). */
  classes: SizeClassStats[];
}

/**
 * A pool of I/O buffers in power-of-two size classes from 256 B to 64 KiB, carved from large arenas that the
 * driver registers once. `acquire` and `release` allocate nothing once the pool has grown to its working set.
 *
 * @example
 * ```ts
 * import { BufferPool } from '@zokio/memory';
 * const pool = new BufferPool({ arenaBytes: 1 << 20, maxBytes: 16 << 20 });
 * pool.onArena((arena) => console.log(`register arena ${arena.id}: ${arena.byteLength} bytes`)); // arena 0 now
 * const buf = pool.acquire(1500);
 * buf.bytes.set(new TextEncoder().encode('hello'));
 * // a driver submits (buf.arenaId, buf.offset, buf.length), keeps `buf` until the final completion, then:
 * pool.release(buf);
 * pool.acquire(1500) === buf; // true: the same chunk, the same object
 * ```
 * @category Memory
 */
export class BufferPool implements Disposable {
  /** Size of each arena. */
  readonly arenaBytes: number;
  /** The bound on bytes reserved in arenas. */
  readonly maxBytes: number;
  /** See {@link BufferPoolOptions.maxWaitMs}. */
  readonly maxWaitMs: number;
  /** Ends waits older than `maxWaitMs`; armed while anyone waits. */
  #expiry: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Every arena, by id; only grows. */
  readonly #arenas: Arena[] = [];
  /** One slab per size class. */
  readonly #slabs: Slab[] = [];
  /** `⌊maxBytes / arenaBytes⌋`. */
  readonly #maxArenas: number;
  /** Id of the arena pages are carved from now: arenas before it are fully carved, arenas after it untouched. */
  #carving: number;
  /** Byte offset of the next uncarved page in that arena; `arenaBytes` when it is full (or there is none). */
  #nextPage: number;
  #carvedBytes = 0;
  #inUseBytes = 0;
  #highWaterBytes = 0;
  #listeners: ((arena: Arena) => void)[] = [];
  /** `onArena` callbacks running now (nested, if one calls `onArena`): `acquire` refuses while it is above 0. */
  #reporting = 0;
  #closed = false;
  /** Per size class, the waiters for a buffer of it, oldest first (made on the first wait). */
  readonly #lines: (Set<BufferWait> | undefined)[] = [];
  /** Waiters in all lines: `release` looks at the lines only when some wait. */
  #waiting = 0;
  /** Buffers acquired with `acquireLongLived` and not released, and their count per class: no line waits on them. */
  readonly #longLived = new Set<IoBuf>();
  readonly #longLivedCount = new Int32Array(SIZE_CLASS_COUNT);
  readonly #line: BufferLine = {
    remove: (wait) => {
      if (!this.#lines[wait.sizeClass]?.delete(wait)) return false;
      this.#waiting--;
      this.#idle();
      return true;
    },
    passOn: (sizeClass) => this.#wakeNext(sizeClass),
  };

  constructor(options: BufferPoolOptions = {}) {
    if (typeof options !== 'object' || options === null) expected('an options object', options, 'new BufferPool');
    const {
      arenaBytes = DEFAULT_ARENA_BYTES,
      maxBytes = DEFAULT_MAX_BYTES,
      initialArenas = 1,
      maxWaitMs = DEFAULT_MAX_WAIT_MS,
    } = options;
    if (typeof maxWaitMs !== 'number' || !(maxWaitMs >= 0 && maxWaitMs <= 3_600_000))
      expected('maxWaitMs to be a number of milliseconds from 0 to 3600000', maxWaitMs, 'new BufferPool');
    this.maxWaitMs = maxWaitMs;
    if (
      !Number.isInteger(arenaBytes) ||
      arenaBytes < PAGE_BYTES ||
      arenaBytes > MAX_ARENA_BYTES ||
      arenaBytes % PAGE_BYTES !== 0
    ) {
      expected(`arenaBytes to be a multiple of ${PAGE_BYTES} up to ${MAX_ARENA_BYTES}`, arenaBytes, 'new BufferPool');
    }
    if (!(Number.isInteger(maxBytes) || maxBytes === Infinity) || maxBytes < arenaBytes) {
      expected(
        `maxBytes to be an integer of at least arenaBytes (${arenaBytes}), or Infinity`,
        maxBytes,
        'new BufferPool',
      );
    }
    this.arenaBytes = arenaBytes;
    this.maxBytes = maxBytes;
    this.#maxArenas = Math.floor(maxBytes / arenaBytes);
    if (!Number.isInteger(initialArenas) || initialArenas < 0 || initialArenas > this.#maxArenas) {
      expected(`initialArenas to be an integer from 0 to ${this.#maxArenas}`, initialArenas, 'new BufferPool');
    }
    for (let c = 0; c < SIZE_CLASS_COUNT; c++) this.#slabs.push(new Slab(this, c));
    for (let i = 0; i < initialArenas; i++) this.#arenas.push(new Arena(i, arenaBytes));
    this.#carving = initialArenas > 0 ? 0 : -1;
    this.#nextPage = initialArenas > 0 ? 0 : arenaBytes;
  }

  /**
   * Every arena so far, by id. Read-only; the pool appends to it as it grows.
   *
   * @example
   * ```ts
   * import { BufferPool } from '@zokio/memory';
   * new BufferPool({ initialArenas: 2 }).arenas.map((a) => a.id); // [0, 1]
   * ```
   */
  get arenas(): readonly Arena[] {
    return this.#arenas;
  }

  /**
   * True once `close()` was called.
   *
   * @example
   * ```ts
   * import { BufferPool } from '@zokio/memory';
   * const pool = new BufferPool();
   * pool.close();
   * pool.closed; // true
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A buffer of at least `size` bytes (its `length` is `size`; its `capacity` the size class). Allocates nothing
   * when the class has a free chunk; otherwise carves a page, allocating a new arena if the last one is full.
   *
   * @throws TypeError unless `size` is an integer ≥ 1.
   * @throws {@link BufferTooLargeError} if `size` exceeds {@link MAX_BUFFER_BYTES}.
   * @throws {@link PoolExhaustedError} if the class has no free chunk and a new arena would pass `maxBytes`.
   * @throws {@link PoolClosedError} after `close()` (also one by an `onArena` callback this call made).
   * @throws {@link PoolReentrantError} from inside an `onArena` callback.
   * @throws whatever an `onArena` callback threw, when this call created an arena (see {@link onArena}).
   *
   * @example
   * ```ts
   * import { BufferPool } from '@zokio/memory';
   * const pool = new BufferPool();
   * const buf = pool.acquire(3000);
   * [buf.length, buf.capacity, buf.bytes.length]; // [3000, 4096, 4096]
   * ```
   */
  acquire(size: number): IoBuf {
    if (!Number.isInteger(size) || size < 1)
      expected('a buffer size that is an integer ≥ 1', size, 'BufferPool.acquire');
    if (size > MAX_BUFFER_BYTES) throw new BufferTooLargeError(size, MAX_BUFFER_BYTES);
    if (this.#closed) throw new PoolClosedError();
    if (this.#reporting > 0) throw new PoolReentrantError();
    const slab = this.#slabs[classOf(size)]!;
    let buf = slab.pop(size);
    if (buf === undefined) {
      this.#grow(slab, size);
      buf = slab.pop(size)!;
    }
    this.#inUseBytes += buf.capacity;
    if (this.#inUseBytes > this.#highWaterBytes) this.#highWaterBytes = this.#inUseBytes;
    return buf;
  }

  /**
   * Gives `buf` back to its size class's free list. Allowed after `close()`, so in-flight ops can still return
   * their buffers. Drop `buf` afterwards: the next `acquire` of its class may hand out the same object.
   *
   * @throws TypeError if `buf` is not an {@link IoBuf}.
   * @throws {@link ForeignBufferError} if `buf` came from another pool.
   * @throws {@link BufferReleasedError} if `buf` is already released.
   *
   * @example
   * ```ts
   * import { BufferPool } from '@zokio/memory';
   * const pool = new BufferPool();
   * const buf = pool.acquire(10);
   * pool.release(buf);
   * buf.inUse; // false
   * ```
   */
  release(buf: IoBuf): void {
    if (!ioBufInternals.is(buf)) expected('an IoBuf', buf, 'BufferPool.release');
    const slab = ioBufInternals.owner(buf) as Slab;
    if (slab.pool !== this) throw new ForeignBufferError();
    slab.push(buf);
    this.#inUseBytes -= buf.capacity;
    if (this.#longLived.size > 0 && this.#longLived.delete(buf)) this.#longLivedCount[slab.sizeClass]!--;
    if (this.#waiting > 0) this.#wakeNext(slab.sizeClass);
  }

  /**
   * {@link acquire} for a buffer held for the life of a structure (a provided-buffer group's): it is not counted as
   * one that may come back soon, so no op waits in line for it ({@link waitForBuffer}) — a class all of whose chunks
   * are held so fails at once instead of waiting out `maxWaitMs`. Released as any other.
   *
   * @example
   * ```ts
   * import { BufferPool } from '@zokio/memory';
   * const pool = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
   * const kept = pool.acquireLongLived(65536);
   * pool.waitForBuffer(65536, { wake() {} }); // undefined: nothing of the class will come back soon
   * pool.release(kept);
   * ```
   */
  acquireLongLived(size: number): IoBuf {
    const buf = this.acquire(size);
    this.#longLived.add(buf);
    this.#longLivedCount[classOf(size)]!++;
    return buf;
  }

  /**
   * Back-pressure: after {@link acquire} threw {@link PoolExhaustedError} for `size`, waits in line for a buffer of
   * its size class to come back. `waker` is woken (the oldest waiter first) when one does: `acquire` again (a caller
   * that did not wait may have taken it first: then wait again). Returns `undefined`, waiting for nothing, when no buffer of the class is out
   * but long-lived ones ({@link acquireLongLived}): at the cap no page is re-carved for another class, so none could
   * come back. A wait lasts at most `maxWaitMs`, or until `deadline` (`performance.now()` milliseconds) if earlier:
   * a caller that waits again after losing the buffer to another passes its first wait's deadline. A `deadline`
   * already reached also returns `undefined`: the wait would be over before it began (the error stands).
   * The line is oldest first, so a waiter passing an earlier deadline may be expired a little late (at the next
   * expiry of the line). See
   * `buffer-wait.ts` for the protocol, and call {@link BufferWait.leave} when giving up.
   *
   * @throws TypeError unless `size` is an integer from 1 to {@link MAX_BUFFER_BYTES}, `waker` has a `wake` method,
   *   and `deadline` is `undefined` or a finite number.
   *
   * @example
   * ```ts
   * import { BufferPool, PoolExhaustedError } from '@zokio/memory';
   * const pool = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
   * const held = pool.acquire(65536); // the only chunk of its class
   * const wait = pool.waitForBuffer(65536, { wake: () => console.log('a 64 KiB buffer is back') })!;
   * pool.release(held); // logs; wait.woken === true
   * pool.acquire(65536); // succeeds now
   * ```
   */
  waitForBuffer(size: number, waker: Waker, deadline?: number): BufferWait | undefined {
    if (!Number.isInteger(size) || size < 1 || size > MAX_BUFFER_BYTES)
      expected(`a buffer size that is an integer from 1 to ${MAX_BUFFER_BYTES}`, size, 'BufferPool.waitForBuffer');
    if (typeof (waker as { wake?: unknown } | null)?.wake !== 'function')
      expected('a waker (an object with a wake method)', waker, 'BufferPool.waitForBuffer');
    if (deadline !== undefined && !Number.isFinite(deadline))
      expected('a deadline that is undefined or a finite number', deadline, 'BufferPool.waitForBuffer');
    const sizeClass = classOf(size);
    if (this.maxWaitMs === 0 || this.#closed) return undefined;
    // Something must come back: a chunk out, and not one held for good.
    const comingBack = this.#slabs[sizeClass]!.inUse - this.#longLivedCount[sizeClass]!;
    if (comingBack === 0) return undefined;
    const now = performance.now();
    // Past it, `#expire` would end the wait at once (it keeps only a deadline after now): do not begin it.
    if (deadline !== undefined && deadline <= now) return undefined;
    const latest = now + this.maxWaitMs;
    const wait = new BufferWait(this.#line, size, sizeClass, waker, Math.min(deadline ?? latest, latest));
    (this.#lines[sizeClass] ??= new Set()).add(wait);
    this.#waiting++;
    this.#armExpiry(wait.deadline);
    return wait;
  }

  /** Arms the expiry timer for `deadline` unless it is armed (for an earlier one: lines are oldest first). */
  #armExpiry(deadline: number): void {
    if (this.#expiry !== undefined) return;
    this.#expiry = setTimeout(() => this.#expire(), Math.max(0, deadline - performance.now()));
  }

  /** Ends the waits past their deadline (they find `expired` and fail), then re-arms for the oldest left. */
  #expire(): void {
    this.#expiry = undefined;
    const now = performance.now();
    let next = Infinity;
    for (const line of this.#lines) {
      if (line === undefined) continue;
      for (const wait of line) {
        if (wait.deadline > now) {
          next = Math.min(next, wait.deadline); // the line is oldest first: the rest are later
          break;
        }
        line.delete(wait);
        this.#waiting--;
        wait.expire();
      }
    }
    if (next !== Infinity) this.#armExpiry(next);
  }

  /** Takes the oldest waiter of `sizeClass` out of its line and wakes it. */
  #wakeNext(sizeClass: number): void {
    const line = this.#lines[sizeClass];
    if (line === undefined || line.size === 0) return;
    const next = line.values().next().value!;
    line.delete(next);
    this.#waiting--;
    next.wake();
    this.#idle();
  }

  /** Nobody waits any more: the expiry timer goes (it would keep the process alive for up to `maxWaitMs`). */
  #idle(): void {
    if (this.#waiting > 0 || this.#expiry === undefined) return;
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
  }

  /**
   * Calls `callback` with every arena: at once for those that exist, in id order, then with each new one as the pool
   * grows, before any buffer in it is handed out. This is where a driver registers arenas with the kernel, once
   * each. Returns a function that unsubscribes.
   *
   * A callback should not throw: a driver that cannot register an arena should note it and use unregistered ops for
   * that arena's buffers. If one throws anyway, the error comes out of the `onArena` or `acquire` that made the call;
   * an arena being created stays in the pool, and the other callbacks are still told about it.
   *
   * A callback must not `acquire` (it throws {@link PoolReentrantError}: callbacks after it have not been told about
   * the arena yet). It may `close()` the pool: the callbacks after it are then not told, and the call that made the
   * report throws {@link PoolClosedError} (an `onArena` so closed does not subscribe its callback).
   *
   * @throws {@link PoolClosedError} after `close()`.
   *
   * @example
   * ```ts
   * import { BufferPool } from '@zokio/memory';
   * const pool = new BufferPool({ arenaBytes: 65536, initialArenas: 1 });
   * const ids: number[] = [];
   * const off = pool.onArena((arena) => ids.push(arena.id)); // ids: [0]
   * pool.acquire(65536); // fills arena 0
   * pool.acquire(65536); // creates arena 1: ids: [0, 1]
   * off();
   * ```
   */
  onArena(callback: (arena: Arena) => void): () => void {
    if (typeof callback !== 'function') expected('a function', callback, 'BufferPool.onArena');
    if (this.#closed) throw new PoolClosedError();
    this.#reporting++;
    try {
      // No arena can be added meanwhile: `acquire`, the only thing that adds one, refuses while a callback runs.
      for (const arena of this.#arenas) {
        callback(arena);
        if (this.#closed) throw new PoolClosedError();
      }
    } finally {
      this.#reporting--;
    }
    this.#listeners.push(callback);
    return () => {
      const i = this.#listeners.indexOf(callback);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /**
   * A snapshot of the pool's counters (this allocates; it is not for the hot path).
   *
   * @example
   * ```ts
   * import { BufferPool } from '@zokio/memory';
   * const pool = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
   * pool.acquire(300);
   * const s = pool.stats();
   * [s.reservedBytes, s.inUseBytes, s.classes[1]!.inUse, s.classes[1]!.free]; // [65536, 512, 1, 127]
   * ```
   */
  stats(): BufferPoolStats {
    return {
      arenas: this.#arenas.length,
      arenaBytes: this.arenaBytes,
      reservedBytes: this.#arenas.length * this.arenaBytes,
      maxBytes: this.maxBytes,
      carvedBytes: this.#carvedBytes,
      inUseBytes: this.#inUseBytes,
      highWaterBytes: this.#highWaterBytes,
      classes: this.#slabs.map((slab) => ({
        size: sizeClassBytes(slab.sizeClass),
        chunks: slab.chunks.length,
        inUse: slab.inUse,
        free: slab.free,
        highWater: slab.highWater,
        waiting: this.#lines[slab.sizeClass]?.size ?? 0,
      })),
    };
  }

  /**
   * Stops the pool: later `acquire` and `onArena` calls throw {@link PoolClosedError} and the `onArena` callbacks
   * are dropped. Buffers still out stay valid and can still be released; nothing is freed or detached (see the
   * module notes). Idempotent.
   *
   * @example
   * ```ts
   * import { BufferPool } from '@zokio/memory';
   * const pool = new BufferPool();
   * const buf = pool.acquire(10);
   * pool.close();
   * pool.release(buf); // still fine
   * ```
   */
  close(): void {
    this.#closed = true;
    this.#listeners = [];
    // Waiters go on to find the pool closed (`PoolClosedError`) rather than wait for ever.
    for (let c = 0; c < this.#lines.length; c++) while ((this.#lines[c]?.size ?? 0) > 0) this.#wakeNext(c);
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
  }

  /** Same as {@link BufferPool.close}, for `using pool = new BufferPool()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Gives `slab` one more page: from the arena being carved, the next one allocated up front, or a new one. */
  #grow(slab: Slab, size: number): void {
    if (this.#nextPage === this.arenaBytes) {
      if (this.#carving + 1 < this.#arenas.length) {
        this.#carving++;
        this.#nextPage = 0;
      } else {
        if (this.#arenas.length >= this.#maxArenas) throw new PoolExhaustedError(size, this.maxBytes);
        const arena = new Arena(this.#arenas.length, this.arenaBytes);
        this.#arenas.push(arena);
        this.#carving = arena.id;
        this.#nextPage = 0;
        this.#announce(arena);
        if (this.#closed) throw new PoolClosedError(); // by a callback: hand nothing out of a closed pool
      }
    }
    slab.addPage(this.#arenas[this.#carving]!, this.#nextPage);
    this.#nextPage += PAGE_BYTES;
    this.#carvedBytes += PAGE_BYTES;
  }

  /**
   * Tells every callback about a new arena, with `acquire` refused meanwhile (invariant 4); stops if one closed the
   * pool (the rest were dropped). Rethrows the first error once all were told.
   */
  #announce(arena: Arena): void {
    let failed = false;
    let error: unknown;
    this.#reporting++;
    try {
      for (const callback of this.#listeners.slice()) {
        if (this.#closed) break;
        try {
          callback(arena);
        } catch (e) {
          if (!failed) error = e;
          failed = true;
        }
      }
    } finally {
      this.#reporting--;
    }
    if (failed) throw error;
  }
}
