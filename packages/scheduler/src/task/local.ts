/**
 * {@link TaskLocal}: a value scoped to a future, visible to the code it runs, as Tokio's `task_local!`.
 *
 * `local.scope(value, future)` sets the value while `future` is polled (and while it is cancelled, so `finally`
 * blocks see it too) and restores the previous value after, so scopes nest and tasks interleave without seeing each
 * other's values. It is read synchronously with `get()` from anywhere inside that poll: generator bodies, leaf
 * futures, helpers.
 *
 * @module
 */
import {
  expected,
  FutureBase,
  isFuture,
  ZokioError,
  type Cleanup,
  type Context,
  type Future,
  type Poll,
} from '@zokio/future';

const UNSET: unique symbol = Symbol('unset');

/**
 * A task-local value.
 *
 * @example
 * ```ts
 * import { TaskLocal } from '@zokio/scheduler';
 * import { fn, toPromise } from '@zokio/future';
 * const REQUEST_ID = new TaskLocal<string>('requestId');
 * const handler = fn(function* () {
 *   return `handling ${REQUEST_ID.get()}`;
 * });
 * await toPromise(REQUEST_ID.scope('req-1', handler())); // 'handling req-1'
 * ```
 * @category Tasks
 */
export class TaskLocal<T> {
  #value: T | typeof UNSET = UNSET;

  constructor(readonly name: string) {
    if (typeof name !== 'string') expected('a name string', name, 'new TaskLocal');
  }

  /** The value of the innermost enclosing scope. Throws `ERR_ZOKIO_TASK_LOCAL_UNSET` outside any scope. */
  get(): T {
    const value = this.#value;
    if (value === UNSET) {
      throw new ZokioError(
        'ERR_ZOKIO_TASK_LOCAL_UNSET',
        `Expected task-local "${this.name}" to be set by an enclosing scope(), got a read outside any scope`,
      );
    }
    return value;
  }

  /** The value of the innermost enclosing scope, or `undefined`. */
  tryGet(): T | undefined {
    const value = this.#value;
    return value === UNSET ? undefined : value;
  }

  /** A future that runs `future` with this local set to `value`. Cancel-safe exactly when `future` is. */
  scope<R>(value: T, future: Future<R>): Future<R> {
    if (!isFuture(future)) expected('a Future', future, 'TaskLocal.scope');
    return new Scoped(this, value, future);
  }

  /** Runs `body` synchronously with this local set to `value`. */
  sync<R>(value: T, body: () => R): R {
    if (typeof body !== 'function') expected('a function', body, 'TaskLocal.sync');
    const saved = this.#value;
    this.#value = value;
    try {
      return body();
    } finally {
      this.#value = saved;
    }
  }
}

class Scoped<T, R> extends FutureBase<R> {
  constructor(
    readonly local: TaskLocal<T>,
    readonly value: T,
    readonly inner: Future<R>,
  ) {
    super();
  }
  poll(cx: Context): Poll<R> {
    return this.local.sync(this.value, () => this.inner.poll(cx));
  }
  override cancel(): Cleanup {
    const cleanup = this.local.sync(this.value, () => this.inner.cancel());
    return cleanup === undefined ? undefined : new Scoped(this.local, this.value, cleanup);
  }
}
