/**
 * {@link ObjectPool}: a free list of reusable objects, for the driver's op records (libxev's caller-owned
 * completions): one record per op in flight, taken at submit and given back at the final completion.
 *
 * ```
 *   acquire() ─► free stack empty? create() ─► else pop (no allocation)
 *   release(o) ─► reset(o) threw? drop o, rethrow ─► free stack full (max)? drop o for the GC ─► else push
 * ```
 *
 * ## Invariants
 * 1. Objects on the free stack have been reset: `reset` runs at release, so a pooled record holds no reference to
 *    the buffers, futures or wakers of its last op (they are not kept alive by the pool).
 * 2. At most `max` objects wait on the free stack; `max` bounds idle memory, not objects in use: `acquire` never
 *    fails, it creates when the stack is empty.
 * 3. `acquire` with a free object and `release` below `max` allocate nothing: the stack is an array with its own top
 *    index, never shrunk.
 *
 * The pool does not detect a double release: that would cost a set lookup on every release of every op. Release an
 * object exactly once, as the driver does on an op's one final completion; a second release would let two
 * `acquire`s share it.
 *
 * @module
 */
import { expected } from '@zokio/future';

/** Default `max`: 1024 idle objects. Picked out of thin air: a ring's worth of op records (256 to 4096 entries). */
const DEFAULT_MAX = 1024;

/**
 * Options of an {@link ObjectPool}.
 *
 * @category Memory
 */
export interface ObjectPoolOptions {
  /**
   * The most released objects kept for reuse; more are left to the GC. A non-negative integer, or `Infinity`.
   * @default 1024
   */
  max?: number;
}

/**
 * Counters of an {@link ObjectPool}, from {@link ObjectPool.stats}.
 *
 * @category Memory
 */
export interface ObjectPoolStats {
  /** Objects made by `create` so far. */
  created: number;
  /** Objects acquired and not yet released. */
  inUse: number;
  /** Objects waiting on the free stack. */
  free: number;
  /** Released objects left to the GC: the stack held `max`, or `reset` threw. */
  dropped: number;
  /** The pool's `max`. */
  max: number;
}

/**
 * A generic free list: `acquire()` reuses a released object when there is one and calls `create()` otherwise;
 * `release(obj)` calls `reset(obj)` and keeps the object for the next `acquire`, up to `max` of them.
 *
 * @example
 * ```ts
 * import { ObjectPool } from '@zokio/memory';
 * interface Op { token: number; fd: number }
 * const ops = new ObjectPool<Op>(
 *   () => ({ token: 0, fd: -1 }),
 *   (op) => { op.token = 0; op.fd = -1; },
 *   { max: 256 },
 * );
 * const op = ops.acquire();
 * op.fd = 3;
 * ops.release(op);
 * ops.acquire() === op; // true, and op.fd is -1 again
 * ```
 * @category Memory
 */
export class ObjectPool<T> {
  /** The bound on idle objects kept. */
  readonly max: number;
  readonly #create: () => T;
  readonly #reset: (obj: T) => void;
  /** `#free[0 … top)` are the idle objects; slots above `top` are cleared so they hold nothing. */
  readonly #free: (T | undefined)[] = [];
  #top = 0;
  #created = 0;
  #inUse = 0;
  #dropped = 0;

  constructor(create: () => T, reset: (obj: T) => void, options: ObjectPoolOptions = {}) {
    if (typeof create !== 'function') expected('a create function', create, 'new ObjectPool');
    if (typeof reset !== 'function') expected('a reset function', reset, 'new ObjectPool');
    if (typeof options !== 'object' || options === null) expected('an options object', options, 'new ObjectPool');
    const { max = DEFAULT_MAX } = options;
    if (!(Number.isInteger(max) || max === Infinity) || max < 0) {
      expected('max to be a non-negative integer or Infinity', max, 'new ObjectPool');
    }
    this.#create = create;
    this.#reset = reset;
    this.max = max;
  }

  /**
   * A released object if one is free (no allocation), else a new one from `create()`.
   *
   * @example
   * ```ts
   * import { ObjectPool } from '@zokio/memory';
   * const pool = new ObjectPool(() => ({ n: 0 }), (o) => void (o.n = 0));
   * pool.acquire().n; // 0
   * ```
   */
  acquire(): T {
    let obj: T;
    if (this.#top > 0) {
      obj = this.#free[--this.#top] as T;
      this.#free[this.#top] = undefined;
    } else {
      obj = this.#create();
      this.#created++;
    }
    this.#inUse++;
    return obj;
  }

  /**
   * Resets `obj` and keeps it for the next `acquire`, or leaves it to the GC if `max` objects are already kept.
   * Release each object once (see the module notes). If `reset` throws, its error comes out of `release` and the
   * object is dropped, not pooled (a half-reset object could still hold its last op's references): it counts as
   * released and `dropped`, never as in use.
   *
   * @example
   * ```ts
   * import { ObjectPool } from '@zokio/memory';
   * const pool = new ObjectPool(() => ({ n: 0 }), (o) => void (o.n = 0), { max: 1 });
   * const a = pool.acquire();
   * pool.release(a);
   * pool.stats().free; // 1
   * ```
   */
  release(obj: T): void {
    try {
      this.#reset(obj);
    } catch (error) {
      // Not reset, so not pooled (invariant 1): it is dropped, and no longer counted in use.
      this.#inUse--;
      this.#dropped++;
      throw error;
    }
    this.#inUse--;
    if (this.#top < this.max) this.#free[this.#top++] = obj;
    else this.#dropped++;
  }

  /**
   * A snapshot of the counters.
   *
   * @example
   * ```ts
   * import { ObjectPool } from '@zokio/memory';
   * const pool = new ObjectPool(() => ({}), () => {});
   * pool.acquire();
   * pool.stats(); // { created: 1, inUse: 1, free: 0, dropped: 0, max: 1024 }
   * ```
   */
  stats(): ObjectPoolStats {
    return { created: this.#created, inUse: this.#inUse, free: this.#top, dropped: this.#dropped, max: this.max };
  }
}
