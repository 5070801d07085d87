/**
 * {@link Semaphore}: a fair, FIFO counting semaphore (Tokio's `batch_semaphore`), and the engine of `Mutex` and
 * `RwLock`.
 *
 * ## Waiter protocol
 * Each acquire future owns one {@link AcquireWaiter} node for its whole life.
 * ```
 *   first poll ─► closed? throw ─► take min(available, n) ─► got n? ready
 *                                                         └► else queue the node (remaining = n − taken); PENDING
 *   release(k) ─► hand k to the queue from the head: a node whose `remaining` reaches 0 is unlinked, then woken
 *                 once (it now owns its n permits); what no waiter needs goes to `available`
 *   close()    ─► unlink and wake every node; its next poll gives back what it was assigned and throws
 *   cancel     ─► unlink the node if queued, then release(n − remaining): permits assigned to it, partly or
 *                 fully, go to the next waiters as if released by a holder
 * ```
 *
 * ## Invariants
 * 1. Waiters queued ⇒ `available` is 0. Permits are never idle while someone waits, so a newcomer cannot barge
 *    past the queue, and a large request at the head blocks smaller ones behind it until it is served.
 * 2. Only the head can hold a partial assignment (release fills the head before moving on; a newcomer takes from
 *    `available` only when the queue is empty).
 * 3. Every permit is in exactly one place: `available`, assigned to a node, held by a live
 *    {@link SemaphorePermit}, or forgotten (gone).
 * 4. A node is woken at most once per queueing: only a linked node is woken, and it is unlinked first.
 *
 * Wakers only schedule a poll (they never poll inline), so waking inside `release` cannot re-enter it.
 *
 * @module
 */
import { expected, FutureBase, PENDING, pollProceed, type Context, type Future, type Poll } from '@zokio/future';
import { WaiterList, WaiterNode } from '../util/waiter-list.js';
import { GuardReleasedError, polledAfterCompletion, SemaphoreClosedError } from './errors.js';

/** The largest count a double holds exactly: permits are counted in plain numbers. */
const MAX_PERMITS = Number.MAX_SAFE_INTEGER;

/** Throws the "Expected …, got …" TypeError unless `n` is a whole number of permits. @internal */
export function checkPermits(n: number, where: string): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_PERMITS) {
    expected(`a whole number of permits from 0 to ${MAX_PERMITS}`, n, where);
  }
}

/** A queued acquire: how many permits it still waits for. */
class AcquireWaiter extends WaiterNode {
  remaining = 0;
}

/** What {@link Acquire} and {@link SemaphorePermit} may do with a semaphore's private state (a "friend"). */
interface Internals {
  /** First poll: take what is available; true if fully served, else the node is queued. Throws if closed. */
  begin(semaphore: Semaphore, node: AcquireWaiter, n: number): boolean;
  /** Gives `n` permits back: to the waiters first, in order, then to `available`. */
  release(semaphore: Semaphore, n: number): void;
}
let internals!: Internals;

/**
 * A counting semaphore with a FIFO queue: `acquire(n)` waits until `n` permits are free, in the order of first poll.
 *
 * Permits are owned objects ({@link SemaphorePermit}): they can be handed to another task, returned with
 * `release()` (or `using`), or destroyed with `forget()`.
 *
 * @example
 * ```ts
 * import { Semaphore } from '@zokio/sync';
 * import { fn } from '@zokio/future';
 * const limit = new Semaphore(2); // at most two downloads at once
 * const download = fn(function* (url: string) {
 *   using _permit = yield* limit.acquire();
 *   // … fetch url …
 * });
 * ```
 * @category Locks
 */
export class Semaphore {
  /** The most permits a semaphore can hold: `Number.MAX_SAFE_INTEGER`. */
  static readonly MAX_PERMITS = MAX_PERMITS;

  #available: number;
  #closed = false;
  /** FIFO of acquires waiting for permits (see the module doc). */
  readonly #waiters = new WaiterList<AcquireWaiter>();

  /** @param permits - permits available at first, a whole number up to {@link Semaphore.MAX_PERMITS}. */
  constructor(permits: number) {
    checkPermits(permits, 'new Semaphore');
    this.#available = permits;
  }

  /** Permits free right now (0 while anyone waits). */
  get availablePermits(): number {
    return this.#available;
  }

  /** True once {@link Semaphore.close} was called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Waits for `n` permits (default 1), in FIFO order of first poll, and returns them as one {@link SemaphorePermit}.
   * Fails with {@link SemaphoreClosedError} if the semaphore is closed before the permits are granted.
   *
   * Cancel-safe: dropping the future loses its place in the queue and nothing else; permits already assigned to
   * it (partly, or fully but not yet polled) go to the next waiters.
   *
   * @throws TypeError (at the call) unless `n` is a whole number from 0 to {@link Semaphore.MAX_PERMITS}.
   * @example
   * ```ts
   * import { Semaphore } from '@zokio/sync';
   * import { toPromise } from '@zokio/future';
   * const s = new Semaphore(3);
   * const permit = await toPromise(s.acquire(2));
   * s.availablePermits; // 1
   * permit.release();
   * ```
   */
  acquire(n = 1): Future<SemaphorePermit> {
    checkPermits(n, 'Semaphore.acquire');
    return new Acquire(this, n, (permit) => permit);
  }

  /**
   * Takes `n` permits (default 1) now if they are free and nobody is queued; otherwise returns `undefined`.
   *
   * @throws SemaphoreClosedError if the semaphore is closed; TypeError for a bad `n`.
   * @example
   * ```ts
   * import { Semaphore } from '@zokio/sync';
   * const s = new Semaphore(1);
   * const p = s.tryAcquire(); // a permit
   * s.tryAcquire(); // undefined
   * p?.release();
   * ```
   */
  tryAcquire(n = 1): SemaphorePermit | undefined {
    checkPermits(n, 'Semaphore.tryAcquire');
    if (this.#closed) throw new SemaphoreClosedError();
    // Invariant 1: when anyone waits `available` is 0, so this never barges (except for n = 0, which takes nothing).
    if (this.#available < n) return undefined;
    this.#available -= n;
    return new SemaphorePermit(this, n);
  }

  /**
   * Adds `n` new permits: waiters at the head of the queue are served first. Works on a closed semaphore too.
   *
   * @throws TypeError unless `n` is a whole number and the total stays within {@link Semaphore.MAX_PERMITS}.
   * @example
   * ```ts
   * import { Semaphore } from '@zokio/sync';
   * const s = new Semaphore(0);
   * s.addPermits(2);
   * s.availablePermits; // 2
   * ```
   */
  addPermits(n: number): void {
    checkPermits(n, 'Semaphore.addPermits');
    if (n > MAX_PERMITS - this.#available) {
      expected(`at most ${MAX_PERMITS - this.#available} more permits (MAX_PERMITS in all)`, n, 'Semaphore.addPermits');
    }
    this.#release(n);
  }

  /**
   * Removes up to `n` free permits for good and returns how many it removed. Waiters are not affected.
   *
   * @example
   * ```ts
   * import { Semaphore } from '@zokio/sync';
   * const s = new Semaphore(3);
   * s.forgetPermits(5); // 3
   * ```
   */
  forgetPermits(n: number): number {
    checkPermits(n, 'Semaphore.forgetPermits');
    const forgotten = Math.min(n, this.#available);
    this.#available -= forgotten;
    return forgotten;
  }

  /**
   * Closes the semaphore: every queued acquire fails with {@link SemaphoreClosedError} when next polled, and so
   * does every later `acquire`/`tryAcquire`. Permits already granted stay valid and may still be released.
   *
   * @example
   * ```ts
   * import { Semaphore } from '@zokio/sync';
   * const s = new Semaphore(0);
   * s.close();
   * s.isClosed; // true
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Unlinked nodes with `remaining > 0` read as "closed out" to their future (see Acquire.poll).
    for (let node = this.#waiters.shift(); node !== undefined; node = this.#waiters.shift()) node.wake();
  }

  #begin(node: AcquireWaiter, n: number): boolean {
    if (this.#closed) throw new SemaphoreClosedError();
    // Invariant 1 again: if anyone waits, `available` is 0 and the node goes behind them with nothing taken.
    const taken = Math.min(this.#available, n);
    this.#available -= taken;
    node.remaining = n - taken;
    if (node.remaining === 0) return true;
    this.#waiters.push(node);
    return false;
  }

  #release(n: number): void {
    const waiters = this.#waiters;
    for (let node = waiters.peek(); n > 0 && node !== undefined; node = waiters.peek()) {
      const given = Math.min(n, node.remaining);
      node.remaining -= given;
      n -= given;
      if (node.remaining > 0) break; // the head is still partly served: it keeps what it got (invariant 2)
      waiters.remove(node);
      node.wake();
    }
    this.#available += n;
  }

  static {
    internals = {
      begin: (semaphore, node, n) => semaphore.#begin(node, n),
      release: (semaphore, n) => semaphore.#release(n),
    };
  }
}

/**
 * Permits taken from a {@link Semaphore}. An owned value: hand it to another task freely. Give the permits back
 * with {@link SemaphorePermit.release} (or `using`), or destroy them with {@link SemaphorePermit.forget}.
 *
 * @example
 * ```ts
 * import { Semaphore } from '@zokio/sync';
 * const s = new Semaphore(2);
 * {
 *   using permit = s.tryAcquire(2)!;
 *   permit.permits; // 2
 * } // released here
 * s.availablePermits; // 2
 * ```
 * @category Locks
 */
export class SemaphorePermit implements Disposable {
  readonly #semaphore: Semaphore;
  #permits: number;

  /** @internal Permits are made by `Semaphore.acquire`/`tryAcquire`. */
  constructor(semaphore: Semaphore, permits: number) {
    this.#semaphore = semaphore;
    this.#permits = permits;
  }

  /** How many permits this holds (0 once released or forgotten). */
  get permits(): number {
    return this.#permits;
  }

  /** The semaphore the permits came from. */
  get semaphore(): Semaphore {
    return this.#semaphore;
  }

  /**
   * Gives the permits back to the semaphore, serving its queue first. Releasing twice does nothing.
   * @example
   * ```ts
   * import { Semaphore } from '@zokio/sync';
   * const s = new Semaphore(1);
   * s.tryAcquire()!.release();
   * s.availablePermits; // 1
   * ```
   */
  release(): void {
    const n = this.#permits;
    this.#permits = 0;
    if (n > 0) internals.release(this.#semaphore, n);
  }

  /**
   * Destroys the permits: the semaphore ends up with that many fewer (Tokio's `forget`).
   * @example
   * ```ts
   * import { Semaphore } from '@zokio/sync';
   * const s = new Semaphore(2);
   * s.tryAcquire()!.forget();
   * s.availablePermits; // 1, for good
   * ```
   */
  forget(): void {
    this.#permits = 0;
  }

  /**
   * Moves `n` of these permits into a new permit (Tokio's `split`).
   * @throws TypeError unless `n` is a whole number no larger than {@link SemaphorePermit.permits}.
   * @example
   * ```ts
   * import { Semaphore } from '@zokio/sync';
   * const p = new Semaphore(3).tryAcquire(3)!;
   * const q = p.split(1);
   * [p.permits, q.permits]; // [2, 1]
   * ```
   */
  split(n: number): SemaphorePermit {
    checkPermits(n, 'SemaphorePermit.split');
    if (n > this.#permits) {
      if (this.#permits === 0) throw new GuardReleasedError('semaphore permit');
      expected(`at most ${this.#permits} permits (what this permit holds)`, n, 'SemaphorePermit.split');
    }
    this.#permits -= n;
    return new SemaphorePermit(this.#semaphore, n);
  }

  /** `using permit = …` releases at the end of the scope. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * The future of `acquire(n)`, shared by `Mutex` and `RwLock`, which pass `wrap` to turn the permit into a guard.
 * Follows the waiter protocol in the module doc. @internal
 */
export class Acquire<R> extends FutureBase<R> {
  /** `undefined` once the future returned, threw or was cancelled. */
  #semaphore: Semaphore | undefined;
  readonly #n: number;
  readonly #wrap: (permit: SemaphorePermit) => R;
  readonly #node = new AcquireWaiter();
  #started = false;

  constructor(semaphore: Semaphore, n: number, wrap: (permit: SemaphorePermit) => R) {
    super();
    this.#semaphore = semaphore;
    this.#n = n;
    this.#wrap = wrap;
  }

  poll(cx: Context): Poll<R> {
    const semaphore = this.#semaphore;
    if (semaphore === undefined) throw polledAfterCompletion('semaphore acquire');
    const node = this.#node;
    if (!this.#started) {
      // The first poll may be ready at once, so it spends coop budget; later polls follow a wake.
      if (!pollProceed(cx)) return PENDING;
      this.#started = true;
      node.waker = cx.waker;
      let ready: boolean;
      try {
        ready = internals.begin(semaphore, node, this.#n);
      } catch (error) {
        this.#semaphore = undefined;
        throw error;
      }
      if (!ready) return PENDING;
    } else if (node.queued) {
      node.waker = cx.waker;
      return PENDING;
    } else if (node.remaining > 0) {
      // Unlinked but not fully served: close() took us out of the queue. Give back what we were assigned.
      this.#finish(semaphore);
      throw new SemaphoreClosedError();
    }
    this.#semaphore = undefined;
    node.waker = undefined;
    return this.#wrap(new SemaphorePermit(semaphore, this.#n));
  }

  /** Drop: leave the queue and give back whatever was assigned, so the next waiters get it. */
  override cancel(): undefined {
    const semaphore = this.#semaphore;
    if (semaphore !== undefined && this.#started) this.#finish(semaphore);
    this.#semaphore = undefined;
    return undefined;
  }

  #finish(semaphore: Semaphore): void {
    const node = this.#node;
    this.#semaphore = undefined;
    node.waker = undefined;
    // Unlink before releasing, or the permits would flow straight back to this node.
    node.list?.remove(node);
    const assigned = this.#n - node.remaining;
    if (assigned > 0) internals.release(semaphore, assigned);
  }
}
