/**
 * Task state: one small integer of bit flags, after Tokio's `runtime/task/state.rs`.
 *
 * | bit            | set by                          | cleared by                 | meaning                                   |
 * |----------------|---------------------------------|----------------------------|-------------------------------------------|
 * | RUNNING        | scheduler, before `poll`        | scheduler, after `poll`    | the future is being polled now            |
 * | COMPLETE       | scheduler, on the last poll     | never                      | output is stored; the future is gone      |
 * | NOTIFIED       | `wake()`                        | scheduler, before `poll`   | queued, or to be re-queued after this poll |
 * | JOIN_INTEREST  | spawn                           | `JoinHandle.detach()`      | someone may still want the output         |
 * | OBSERVED       | awaiting/polling the JoinHandle | never                      | an error will reach a handler             |
 * | CANCELLED      | `abort()`                       | never                      | the next poll cancels the future          |
 * | CANCELLING     | scheduler                       | never                      | driving the future's async clean-up       |
 * | ABANDON        | a second `abort()`              | never                      | drop the clean-up at the next poll        |
 * | FAILED         | scheduler                       | never                      | the stored output is a `JoinError`        |
 * | DELIVERED      | output handed to an awaiter, or | never                      | a failure reached someone: not reported   |
 * |                | the failure reported            |                            | (again)                                   |
 *
 * Reporting a failure (a clean cancellation need not be reported): it must reach someone exactly once. OBSERVED
 * (someone polls the handle, so will see it) defers the end-of-macrotask report; DELIVERED (it was handed over, or
 * reported) ends the matter. A handle dropped before delivery (`detach()`, or a cancelled `yield* handle`) reports a
 * finished, undelivered failure then; a failure after the handle is gone is reported at once.
 *
 * Invariants: a task is in at most one run queue, exactly when NOTIFIED is set and RUNNING is not (a wake during
 * the task's own poll sets NOTIFIED and the scheduler re-queues it after the poll); so N wakes before a poll cause
 * one poll. Nothing is scheduled once COMPLETE is set. Only the scheduler that owns the task reads or writes these
 * bits: JavaScript runs one thing at a time per isolate, so no atomics are needed.
 *
 * @module
 */
export const RUNNING = 1 << 0;
export const COMPLETE = 1 << 1;
export const NOTIFIED = 1 << 2;
export const JOIN_INTEREST = 1 << 3;
export const OBSERVED = 1 << 4;
export const CANCELLED = 1 << 5;
export const CANCELLING = 1 << 6;
export const ABANDON = 1 << 7;
export const FAILED = 1 << 8;
export const DELIVERED = 1 << 9;

/** A task's state for dumps and tests. */
export type TaskStatus = 'scheduled' | 'running' | 'idle' | 'cancelling' | 'complete';

export function statusOf(state: number): TaskStatus {
  if (state & COMPLETE) return 'complete';
  if (state & RUNNING) return 'running';
  if (state & CANCELLING) return 'cancelling';
  if (state & NOTIFIED) return 'scheduled';
  return 'idle';
}
