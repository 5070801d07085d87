/**
 * The scheduler whose tick is running now, for APIs called from inside a task's body (`spawn`, `JoinSet.spawn`).
 *
 * This is Tokio's thread-local runtime context, not a global: it is set only while a scheduler polls its tasks and
 * restored after, so each task sees the scheduler that polls it, and two runtimes in one process never see each
 * other. Leaf futures use `cx.executor` instead.
 *
 * @module
 */
import { ZokioError } from '@zokio/future';
import type { LocalScheduler } from './scheduler.js';

let current: LocalScheduler | undefined;

/** Makes `scheduler` current and returns the one it replaces. @internal */
export function enter(scheduler: LocalScheduler | undefined): LocalScheduler | undefined {
  const previous = current;
  current = scheduler;
  return previous;
}

/**
 * The scheduler polling the current task, or `undefined` outside any task.
 * @category Scheduler
 */
export function tryCurrentScheduler(): LocalScheduler | undefined {
  return current;
}

/**
 * The scheduler polling the current task. Throws `ERR_ZOKIO_NO_RUNTIME` outside a task.
 * @category Scheduler
 */
export function currentScheduler(what = 'this'): LocalScheduler {
  if (current === undefined) {
    throw new ZokioError(
      'ERR_ZOKIO_NO_RUNTIME',
      `Expected ${what} to be called inside a task running on a zokio runtime, got a call from outside any task ` +
        '(use rt.spawn / rt.blockOn from plain code)',
    );
  }
  return current;
}
