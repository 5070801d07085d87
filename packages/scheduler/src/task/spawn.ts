/**
 * `spawn()`: start a task on the scheduler running the current one.
 *
 * @module
 */
import type { Future } from '@zokio/future';
import { currentScheduler } from '../local/current.js';
import type { SpawnOptions } from '../local/scheduler.js';
import type { JoinHandle } from './join-handle.js';

/**
 * Spawns `future` as a new task on the scheduler that runs the calling task, and returns its {@link JoinHandle}.
 * The task starts running at once, concurrently; dropping the handle detaches it, `handle.abort()` cancels it.
 * Throws `ERR_ZOKIO_NO_RUNTIME` outside a task (use `rt.spawn` there).
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * import { spawn } from '@zokio/scheduler';
 * import { fn, ready } from '@zokio/future';
 * const rt = Runtime.create();
 * const sum = await rt.blockOn(fn(function* () {
 *   const a = spawn(ready(1));
 *   const b = spawn(ready(2));
 *   return (yield* a) + (yield* b);
 * })()); // 3
 * ```
 * @category Tasks
 */
export function spawn<T>(future: Future<T>, options?: SpawnOptions): JoinHandle<T> {
  return currentScheduler('spawn').spawn(future, options);
}
