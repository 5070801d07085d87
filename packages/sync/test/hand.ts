/** Test helpers shared by the channel suites: futures polled by hand with a counting waker. */
import { Context, PENDING, type Future, type Waker } from '@zokio/future';

export class CountingWaker implements Waker {
  wakes = 0;
  wake(): void {
    this.wakes++;
  }
}

/** A future polled by hand with its own counting waker. */
export function hand<T>(future: Future<T>): {
  future: Future<T>;
  waker: CountingWaker;
  poll: () => T | typeof PENDING;
} {
  const waker = new CountingWaker();
  const cx = Context.detached(waker);
  return { future, waker, poll: () => future.poll(cx) };
}

/** What `f` throws; fails the test if it does not throw. */
export function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** A future polled by hand with its own counting waker, so each waiter's wakes are counted separately. */
export class Driven<T> {
  wakes = 0;
  readonly cx = Context.detached({ wake: () => void this.wakes++ });
  constructor(readonly future: Future<T>) {}
  poll(): T | typeof PENDING {
    return this.future.poll(this.cx);
  }
  /** Polls and expects a value. */
  value(): T {
    const result = this.poll();
    if (result === PENDING) throw new Error('expected the future to be ready');
    return result;
  }
}

export const drive = <T>(future: Future<T>): Driven<T> => new Driven(future);
