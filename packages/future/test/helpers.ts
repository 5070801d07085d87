import { Context, FutureBase, PENDING, type Cleanup, type Poll, type Waker } from '@zokio/future';

/** A waker that counts its wakes. */
export class CountingWaker implements Waker {
  wakes = 0;
  wake(): void {
    this.wakes++;
  }
}

export function context(): { cx: Context; waker: CountingWaker } {
  const waker = new CountingWaker();
  return { cx: Context.detached(waker), waker };
}

/** A leaf future completed by hand: `resolve`/`reject` wake whoever polled it. Records polls and cancels. */
export class Manual<T> extends FutureBase<T> {
  polls = 0;
  cancels = 0;
  #waker: Waker | undefined;
  #outcome: { ok: boolean; value: unknown } | undefined;
  constructor(readonly label = '') {
    super();
  }
  poll(cx: Context): Poll<T> {
    this.polls++;
    if (this.#outcome) {
      if (this.#outcome.ok) return this.#outcome.value as T;
      throw this.#outcome.value;
    }
    this.#waker = cx.waker;
    return PENDING;
  }
  override cancel(): Cleanup {
    this.cancels++;
    this.#waker = undefined;
    return undefined;
  }
  resolve(value: T): void {
    this.#outcome = { ok: true, value };
    this.#waker?.wake();
  }
  reject(error: unknown): void {
    this.#outcome = { ok: false, value: error };
    this.#waker?.wake();
  }
}
