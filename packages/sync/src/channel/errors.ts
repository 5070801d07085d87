/**
 * The errors channels throw. Each has a stable `code` (match on it or on the class, never on the message) and, where
 * the operation was given a value, carries it back in `value` so the caller can retry or report it.
 *
 * | class            | code                                        | thrown by                                           |
 * | ---------------- | ------------------------------------------- | --------------------------------------------------- |
 * | {@link SendError}    | `ERR_ZOKIO_CHANNEL_CLOSED`              | `send` / `reserve` when the receiving side is gone  |
 * | {@link TrySendError} | `ERR_ZOKIO_CHANNEL_FULL` / `…_CLOSED`   | `trySend`                                           |
 * | {@link RecvError}    | `ERR_ZOKIO_CHANNEL_CLOSED`              | receiving when every sender is gone                 |
 * | {@link TryRecvError} | `ERR_ZOKIO_CHANNEL_EMPTY` / `…_CLOSED`  | `tryRecv`                                           |
 * | {@link LaggedError}  | `ERR_ZOKIO_CHANNEL_LAGGED`              | a broadcast receiver that fell behind               |
 *
 * @module
 */
import { ZokioError } from '@zokio/future';

const CLOSED = 'ERR_ZOKIO_CHANNEL_CLOSED';
const FULL = 'ERR_ZOKIO_CHANNEL_FULL';
const EMPTY = 'ERR_ZOKIO_CHANNEL_EMPTY';

/**
 * A send failed because the channel is closed (its receivers were dropped or closed); `value` is what was not sent.
 *
 * @example
 * ```ts
 * import { mpsc, SendError } from '@zokio/sync';
 * const [tx, rx] = mpsc.unboundedChannel<string>();
 * rx.drop();
 * try { tx.send('hello'); } catch (e) { (e as SendError<string>).value; } // 'hello'
 * ```
 * @category Errors
 */
export class SendError<T> extends ZokioError {
  /** The value that was not sent. */
  readonly value: T;

  constructor(value: T, message = 'Expected an open channel, got one whose receiving side was dropped or closed') {
    super(CLOSED, message);
    this.value = value;
  }
}

/**
 * `trySend` could not send now: the channel is full ({@link TrySendError.isFull}) or closed
 * ({@link TrySendError.isClosed}); `value` is what was not sent.
 *
 * @example
 * ```ts
 * import { mpsc, TrySendError } from '@zokio/sync';
 * const [tx] = mpsc.channel<number>(1);
 * tx.trySend(1);
 * try { tx.trySend(2); } catch (e) { (e as TrySendError<number>).isFull(); } // true
 * ```
 * @category Errors
 */
export class TrySendError<T> extends ZokioError {
  /** The value that was not sent. */
  readonly value: T;

  private constructor(code: string, message: string, value: T) {
    super(code, message);
    this.value = value;
  }

  /** The channel had no free slot. */
  static full<T>(value: T): TrySendError<T> {
    return new TrySendError(FULL, 'Expected a free slot in the channel, got a full channel', value);
  }

  /** The receiving side was dropped or closed. */
  static closed<T>(value: T): TrySendError<T> {
    return new TrySendError(
      CLOSED,
      'Expected an open channel, got one whose receiving side was dropped or closed',
      value,
    );
  }

  /** True if the channel was full (it may accept the value later). */
  isFull(): boolean {
    return this.code === FULL;
  }

  /** True if the channel was closed (it never will accept it). */
  isClosed(): boolean {
    return this.code === CLOSED;
  }
}

/**
 * A receive failed because every sender is gone and nothing is left to receive (a `oneshot` whose sender was
 * dropped without sending, a `broadcast` or `watch` whose senders were all dropped).
 *
 * @example
 * ```ts
 * import { toPromise } from '@zokio/future';
 * import { oneshot, RecvError } from '@zokio/sync';
 * const [tx, rx] = oneshot.channel<number>();
 * tx.close(); // dropped without sending
 * await toPromise(rx).catch((e) => e instanceof RecvError); // true
 * ```
 * @category Errors
 */
export class RecvError extends ZokioError {
  constructor(message = 'Expected a value or a live sender, got a channel whose senders were all dropped') {
    super(CLOSED, message);
  }
}

/**
 * `tryRecv` found nothing: the channel is empty for now ({@link TryRecvError.isEmpty}) or for good
 * ({@link TryRecvError.isClosed}).
 *
 * @example
 * ```ts
 * import { mpsc, TryRecvError } from '@zokio/sync';
 * const [tx, rx] = mpsc.channel<number>(4);
 * try { rx.tryRecv(); } catch (e) { (e as TryRecvError).isEmpty(); } // true
 * ```
 * @category Errors
 */
export class TryRecvError extends ZokioError {
  private constructor(code: string, message: string) {
    super(code, message);
  }

  /** Nothing is queued, but a sender may still send. */
  static empty(): TryRecvError {
    return new TryRecvError(EMPTY, 'Expected a queued message, got an empty channel');
  }

  /** Nothing is queued and nothing ever will be: every sender is gone (or the receiver was closed and drained). */
  static closed(): TryRecvError {
    return new TryRecvError(CLOSED, 'Expected a queued message, got a closed and drained channel');
  }

  /** True if the channel was empty but open. */
  isEmpty(): boolean {
    return this.code === EMPTY;
  }

  /** True if the channel was closed and drained. */
  isClosed(): boolean {
    return this.code === CLOSED;
  }
}

/**
 * A `broadcast` receiver fell behind: `missed` messages were overwritten before it read them. The receiver has
 * skipped to the oldest message still retained; receiving again continues from there.
 *
 * @example
 * ```ts
 * import { broadcast, LaggedError } from '@zokio/sync';
 * const [tx, rx] = broadcast.channel<number>(2);
 * tx.send(1); tx.send(2); tx.send(3);
 * try { rx.tryRecv(); } catch (e) { (e as LaggedError).missed; } // 1
 * rx.tryRecv(); // 2
 * ```
 * @category Errors
 */
export class LaggedError extends ZokioError {
  /** How many messages this receiver missed. */
  readonly missed: number;

  constructor(missed: number) {
    super(
      'ERR_ZOKIO_CHANNEL_LAGGED',
      `Expected the receiver to keep up, got ${missed} message${missed === 1 ? '' : 's'} overwritten before being read`,
    );
    this.missed = missed;
  }
}

/** The error a future throws when polled after it finished: the one `@zokio/future` defines. */
export { polledAfterCompletion } from '@zokio/future';

/** A handle used after it was closed (dropped): a bug in the caller. @internal */
export function closedHandle(what: string, where: string): TypeError {
  return new TypeError(`${where}: Expected an open ${what}, got one that was already closed (dropped)`);
}
