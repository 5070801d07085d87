/**
 * The errors of the memory layer. Each has a stable `code`; match on it (or `instanceof`), never on the message.
 * Bad arguments are not here: they throw a `TypeError` from `expected` ("Expected …, got …").
 *
 * Every misuse of a pooled buffer that the pool can see is an error, never silent corruption: a chunk on a free
 * list handed out twice would let two operations (one of them possibly the kernel) write the same bytes.
 *
 * @module
 */
import { ZokioError } from '@zokio/future';

/**
 * Thrown by `BufferPool.acquire` when the request's size class has no free chunk and carving another page would
 * need a new arena past the pool's `maxBytes`. Code `ERR_ZOKIO_POOL_EXHAUSTED`.
 *
 * Pages stay with the size class that first carved them, so a pool can be exhausted for one class while another
 * still has free chunks; `stats()` shows where the memory is.
 *
 * @example
 * ```ts
 * import { BufferPool, PoolExhaustedError } from '@zokio/memory';
 * const pool = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
 * pool.acquire(65536);
 * try { pool.acquire(65536); } catch (e) { e instanceof PoolExhaustedError; } // true
 * ```
 * @category Errors
 */
export class PoolExhaustedError extends ZokioError {
  /** The size that was asked for, in bytes. */
  readonly requested: number;
  /** The pool's `maxBytes`. */
  readonly maxBytes: number;

  constructor(requested: number, maxBytes: number) {
    super(
      'ERR_ZOKIO_POOL_EXHAUSTED',
      `Expected a free buffer of ${requested} bytes, got none: the pool has reserved its maxBytes (${maxBytes}) in arenas and every chunk of this size class is in use`,
    );
    this.requested = requested;
    this.maxBytes = maxBytes;
  }
}

/**
 * Thrown by `BufferPool.release` when the buffer is already free: a double release, or a release through a stale
 * reference. Code `ERR_ZOKIO_BUFFER_RELEASED`.
 *
 * The check sees only a chunk that is free right now. Buffers are reused objects, so once a released buffer has been
 * acquired again, a stale reference to it is indistinguishable from its new owner's: drop a buffer when releasing it.
 *
 * @example
 * ```ts
 * import { BufferPool } from '@zokio/memory';
 * const pool = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
 * const buf = pool.acquire(100);
 * pool.release(buf);
 * try { pool.release(buf); } catch (e) { (e as { code: string }).code; } // 'ERR_ZOKIO_BUFFER_RELEASED'
 * ```
 * @category Errors
 */
export class BufferReleasedError extends ZokioError {
  constructor() {
    super(
      'ERR_ZOKIO_BUFFER_RELEASED',
      'Expected a buffer in use, got one that is already released (a double release, or a stale reference)',
    );
  }
}

/**
 * Thrown by `BufferPool.release` when the buffer was acquired from a different pool. Code
 * `ERR_ZOKIO_FOREIGN_BUFFER`.
 *
 * @example
 * ```ts
 * import { BufferPool, ForeignBufferError } from '@zokio/memory';
 * const a = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
 * const b = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
 * try { b.release(a.acquire(10)); } catch (e) { e instanceof ForeignBufferError; } // true
 * ```
 * @category Errors
 */
export class ForeignBufferError extends ZokioError {
  constructor() {
    super('ERR_ZOKIO_FOREIGN_BUFFER', 'Expected a buffer acquired from this pool, got one from another pool');
  }
}

/**
 * Thrown by `BufferPool.acquire` for a size above the largest size class ({@link MAX_BUFFER_BYTES}). Code
 * `ERR_ZOKIO_BUFFER_TOO_LARGE`. Split the operation (a read loop of at most `MAX_BUFFER_BYTES` per op), or use a
 * plain `Uint8Array` on the unregistered path.
 *
 * @example
 * ```ts
 * import { BufferPool, MAX_BUFFER_BYTES } from '@zokio/memory';
 * const pool = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
 * try { pool.acquire(MAX_BUFFER_BYTES + 1); } catch (e) { (e as { code: string }).code; } // 'ERR_ZOKIO_BUFFER_TOO_LARGE'
 * ```
 * @category Errors
 */
export class BufferTooLargeError extends ZokioError {
  /** The size that was asked for, in bytes. */
  readonly requested: number;

  constructor(requested: number, max: number) {
    super(
      'ERR_ZOKIO_BUFFER_TOO_LARGE',
      `Expected a buffer size of at most ${max} bytes (the largest size class), got ${requested}`,
    );
    this.requested = requested;
  }
}

/**
 * Thrown by `BufferPool.acquire` and `BufferPool.onArena` after `close()`. Code `ERR_ZOKIO_POOL_CLOSED`.
 *
 * @example
 * ```ts
 * import { BufferPool, PoolClosedError } from '@zokio/memory';
 * const pool = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
 * pool.close();
 * try { pool.acquire(1); } catch (e) { e instanceof PoolClosedError; } // true
 * ```
 * @category Errors
 */
export class PoolClosedError extends ZokioError {
  constructor() {
    super('ERR_ZOKIO_POOL_CLOSED', 'Expected an open BufferPool, got one that was closed');
  }
}

/**
 * Thrown by `BufferPool.acquire` (and `acquireLongLived`) called from inside an `onArena` callback. Code
 * `ERR_ZOKIO_POOL_REENTRANT`.
 *
 * While the callbacks are being told about an arena, some of them have not registered it yet; a buffer handed out
 * then could be in that arena (breaking "every arena is reported to every callback before a buffer in it is handed
 * out"), and an acquire that grew the pool mid-report would tear the arena's carving apart. So the pool hands out
 * nothing until every callback has returned: acquire after the callback, not in it.
 *
 * @example
 * ```ts
 * import { BufferPool, PoolReentrantError } from '@zokio/memory';
 * const pool = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
 * let error: unknown;
 * pool.onArena(() => {
 *   try { pool.acquire(1); } catch (e) { error = e; }
 * });
 * error instanceof PoolReentrantError; // true
 * ```
 * @category Errors
 */
export class PoolReentrantError extends ZokioError {
  constructor() {
    super(
      'ERR_ZOKIO_POOL_REENTRANT',
      'Expected BufferPool.acquire outside an onArena callback, got a call from inside one (acquire after the callback returns)',
    );
  }
}
