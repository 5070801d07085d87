/**
 * {@link JoinError}: why a task produced no value.
 *
 * @module
 */
import { ZokioError } from '@zokio/future';

/**
 * The error a `JoinHandle` throws when its task failed or was cancelled. The task's own error, if any, is `cause`.
 *
 * @example
 * ```ts
 * import { JoinError } from '@zokio/scheduler';
 * const e = JoinError.cancelled(7);
 * e.isCancelled(); // true
 * e.code; // 'ERR_ZOKIO_TASK_CANCELLED'
 * ```
 * @category Tasks
 */
export class JoinError extends ZokioError {
  /** The id of the task. */
  readonly taskId: number;
  readonly #cancelled: boolean;

  private constructor(code: string, message: string, taskId: number, cancelled: boolean, cause: unknown) {
    super(code, message, cause === undefined ? undefined : { cause });
    this.taskId = taskId;
    this.#cancelled = cancelled;
  }

  /** The task was aborted. `cause`, if present, is an error its clean-up threw. */
  static cancelled(taskId: number, cause?: unknown, name?: string): JoinError {
    const suffix = cause === undefined ? '' : `; its clean-up threw: ${String((cause as Error)?.message ?? cause)}`;
    return new JoinError(
      'ERR_ZOKIO_TASK_CANCELLED',
      `${label(taskId, name)} was cancelled${suffix}`,
      taskId,
      true,
      cause,
    );
  }

  /** The task's future threw `cause`. */
  static failure(taskId: number, cause: unknown, name?: string): JoinError {
    const message = String((cause as Error)?.message ?? cause);
    return new JoinError('ERR_ZOKIO_TASK_FAILED', `${label(taskId, name)} failed: ${message}`, taskId, false, cause);
  }

  /** True if the task was aborted (or the runtime shut down) before it finished. */
  isCancelled(): boolean {
    return this.#cancelled;
  }

  /** True if the task's future threw. */
  isFailure(): boolean {
    return !this.#cancelled;
  }
}

function label(taskId: number, name: string | undefined): string {
  return name ? `task ${taskId} (${name})` : `task ${taskId}`;
}
