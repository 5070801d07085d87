/**
 * {@link BlockingFuture}: the blocking path. Operations the I/O driver has no op for (reading a directory, links,
 * permissions, `realpath`, `ftruncate`, copying) run as Node's callback `fs` functions on libuv's thread pool, so
 * they never block the JavaScript thread, and surface as futures like every other operation.
 *
 * Protocol: lazy (started by the first poll); the callback stores the outcome and wakes the task. **Dropping** the
 * future cannot stop a system call already running on a pool thread: it completes, and its result is discarded.
 * None of these operations produces a resource (no fd, no buffer), so nothing can leak; what a dropped call changed
 * on disk stays changed — each public function documents it.
 *
 * Errors are converted to {@link IoError}s with the path as the caller wrote it.
 *
 * @module
 */
import {
  FutureBase,
  PENDING,
  polledAfterCompletion,
  type Cleanup,
  type Context,
  type Poll,
  type Waker,
} from '@zokio/future';
import { IoError } from '@zokio/io-driver';

const IDLE = 0;
const RUNNING = 1;
const READY = 2;
const DONE = 3;

/** A Node callback: `(error, value)`. */
export type NodeCallback<T> = (error: NodeJS.ErrnoException | null, value?: T) => void;

/** The error Node's `fs` gave, as an {@link IoError} about `path` (the caller's spelling). @internal */
export function fromNodeError(
  error: NodeJS.ErrnoException,
  fallbackSyscall: string,
  path: string | undefined,
): unknown {
  if (typeof error.errno !== 'number') return error;
  return IoError.fromResult(error.errno, error.syscall ?? fallbackSyscall, path);
}

/** One Node `fs` call as a lazy future. @internal */
export class BlockingFuture<T> extends FutureBase<T> {
  readonly #start: (done: NodeCallback<T>) => void;
  readonly #syscall: string;
  readonly #path: string | undefined;
  #state = IDLE;
  #waker: Waker | undefined = undefined;
  #error: NodeJS.ErrnoException | null = null;
  #value: T | undefined = undefined;

  constructor(syscall: string, path: string | undefined, start: (done: NodeCallback<T>) => void) {
    super();
    this.#syscall = syscall;
    this.#path = path;
    this.#start = start;
  }

  poll(cx: Context): Poll<T> {
    switch (this.#state) {
      case IDLE:
        this.#state = RUNNING;
        this.#waker = cx.waker;
        this.#start((error, value) => {
          if (this.#state !== RUNNING) return; // dropped: the result is discarded
          this.#state = READY;
          this.#error = error;
          this.#value = value;
          const waker = this.#waker;
          this.#waker = undefined;
          waker?.wake();
        });
        return PENDING;
      case RUNNING:
        this.#waker = cx.waker;
        return PENDING;
      case READY: {
        this.#state = DONE;
        const error = this.#error;
        const value = this.#value as T;
        this.#error = null;
        this.#value = undefined;
        if (error !== null) throw fromNodeError(error, this.#syscall, this.#path);
        return value;
      }
      default:
        throw polledAfterCompletion(`${this.#syscall} future`);
    }
  }

  override cancel(): Cleanup {
    this.#state = DONE;
    this.#waker = undefined;
    this.#value = undefined;
    return undefined;
  }
}
