/**
 * # @zokio/future
 *
 * Lazy, poll-based futures for TypeScript, after Rust's `Future`:
 *
 * - {@link Future}: `poll(cx)` returns a value or {@link PENDING}; nothing runs until polled.
 * - {@link Context} and {@link Waker}: who to wake, and the executor's services and coop budget.
 * - {@link fn}: generator async functions, `fn(function* () { const v = yield* f; })`.
 * - Cancellation by drop: `cancel()` runs `finally` blocks innermost first, exactly once; asynchronous clean-up is
 *   a future the caller drives (see `future.ts`).
 * - Combinators: {@link join}, {@link tryJoin}, {@link joinAll}, {@link select}, {@link race}, {@link yieldNow}.
 * - Interop: {@link toPromise} and {@link fromPromise}.
 *
 * This package imports nothing of zokio's: it is the layer every other stands on.
 *
 * @example
 * ```ts
 * import { fn, fromPromise, race, toPromise } from '@zokio/future';
 * import { setTimeout as delay } from 'node:timers/promises';
 *
 * const slow = fn(function* () {
 *   try {
 *     return yield* fromPromise((signal) => delay(1000, 'slow', { signal }));
 *   } finally {
 *     console.log('slow was cancelled: its timer is cleared');
 *   }
 * });
 * const fast = fromPromise(() => delay(10, 'fast'));
 * console.log(await toPromise(race([slow(), fast]))); // 'fast'
 * ```
 *
 * @packageDocumentation
 */
export { PENDING, isPending, type Pending, type Poll } from './poll.js';
export { noopWaker, type Waker } from './waker.js';
export { Context, serviceKey, type Executor, type ServiceKey } from './context.js';
export { FutureBase, delegateNext, drop, isFuture, iterateOnce, type Cleanup, type Future } from './future.js';
export { fn, future, GeneratorFuture, type Operation } from './generator.js';
export { ready, failed, pending, pollFn } from './basic.js';
export { pollProceed, consumeBudget, unconstrained } from './coop.js';
export { cancelAll } from './cancel.js';
export { join, tryJoin, joinAll, SMALL_JOIN, type Output, type Outputs } from './combinators/join.js';
export { select, race, type Selected, type SelectOptions } from './combinators/select.js';
export { yieldNow } from './combinators/yield-now.js';
export { randomSeed, SeededRandom, seedRandom } from './random.js';
export { toPromise, type ToPromiseOptions } from './interop/to-promise.js';
export { fromPromise } from './interop/from-promise.js';
export { MAX_TIMER_MS } from './timer-limit.js';
export { ZokioError, CancelledError, describeValue, expected, polledAfterCompletion } from './errors.js';
