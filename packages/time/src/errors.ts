/**
 * The errors of `@zokio/time`.
 *
 * @module
 */
import { ZokioError } from '@zokio/future';

/**
 * Thrown by `timeout`/`timeoutAt` when the deadline passed before the future finished (the future was cancelled,
 * and its clean-up finished, before this is thrown).
 *
 * @example
 * ```ts
 * import { TimeoutError } from '@zokio/time';
 * new TimeoutError(100).code; // 'ERR_ZOKIO_TIMEOUT'
 * ```
 * @category Time
 */
export class TimeoutError extends ZokioError {
  /** The timeout, in milliseconds, that elapsed (or `undefined` for a deadline). */
  readonly ms: number | undefined;

  constructor(ms?: number) {
    super('ERR_ZOKIO_TIMEOUT', ms === undefined ? 'Deadline elapsed' : `Timed out after ${ms} ms`);
    this.ms = ms;
  }
}
