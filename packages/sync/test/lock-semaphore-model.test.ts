/**
 * Model-based test of the Semaphore: random interleavings of acquire(n) / poll / cancel / release / forget /
 * addPermits / tryAcquire / close run against the real semaphore and against a reference model written for
 * clarity, not speed: a count of free permits and an array of queued requests served strictly from the front.
 * After every step both must agree on what each call returned, on which waiters were woken and in what order, and
 * on the free permits; and the permits handed out may never exceed the permits that exist.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Context, PENDING, type Future } from '@zokio/future';
import { Semaphore, SemaphoreClosedError, type SemaphorePermit } from '@zokio/sync';

type Op =
  | { t: 'acquire'; n: number }
  | { t: 'poll' | 'cancel' | 'release' | 'forget'; i: number }
  | { t: 'add' | 'try'; n: number }
  | { t: 'close' };

type State = 'new' | 'queued' | 'granted' | 'closedOut' | 'done' | 'failed' | 'cancelled';

/** The reference: free permits (including any partly assigned to the head) and a plain FIFO of requests. */
class Model {
  free: number;
  total: number;
  closed = false;
  queue: number[] = [];
  futures: { n: number; state: State; held: number }[] = [];
  permits: { n: number; live: boolean }[] = [];
  woken: number[] = [];

  constructor(permits: number) {
    this.free = this.total = permits;
  }

  /** What `availablePermits` must read: the real semaphore parks free permits on the head waiter. */
  get available(): number {
    return this.queue.length > 0 ? 0 : this.free;
  }

  serve(): void {
    while (this.queue.length > 0 && this.futures[this.queue[0]!]!.n <= this.free) {
      const id = this.queue.shift()!;
      this.free -= this.futures[id]!.n;
      this.futures[id]!.state = 'granted';
      this.woken.push(id);
    }
  }

  grant(n: number): 'permit' {
    this.permits.push({ n, live: true });
    return 'permit';
  }

  /** Returns what the call should produce: 'permit', 'pending', 'closed', 'none' or 'skip'. */
  step(op: Op): string {
    switch (op.t) {
      case 'acquire':
        this.futures.push({ n: op.n, state: 'new', held: 0 });
        return 'skip';
      case 'poll': {
        const f = this.futures[op.i]!;
        if (f.state === 'new') {
          if (this.closed) return ((f.state = 'failed'), 'closed');
          if (f.n <= this.available) {
            this.free -= f.n;
            f.state = 'done';
            return this.grant(f.n);
          }
          this.queue.push(op.i);
          f.state = 'queued';
          return 'pending';
        }
        if (f.state === 'queued') return 'pending';
        if (f.state === 'granted') return ((f.state = 'done'), this.grant(f.n));
        if (f.state === 'closedOut') return ((this.free += f.held), (f.state = 'failed'), 'closed');
        return 'skip';
      }
      case 'cancel': {
        const f = this.futures[op.i]!;
        if (f.state === 'queued') this.queue.splice(this.queue.indexOf(op.i), 1);
        if (f.state === 'granted') this.free += f.n;
        if (f.state === 'closedOut') this.free += f.held;
        if (f.state !== 'done' && f.state !== 'failed') f.state = 'cancelled';
        this.serve();
        return 'none';
      }
      case 'release':
      case 'forget': {
        const p = this.permits[op.i]!;
        if (p.live) {
          p.live = false;
          if (op.t === 'release') this.free += p.n;
          else this.total -= p.n;
          this.serve();
        }
        return 'none';
      }
      case 'add':
        this.free += op.n;
        this.total += op.n;
        this.serve();
        return 'none';
      case 'try':
        if (this.closed) return 'closed';
        if (op.n > this.available) return 'none';
        this.free -= op.n;
        return this.grant(op.n);
      case 'close':
        if (this.closed) return 'none';
        this.closed = true;
        for (const id of this.queue) {
          const f = this.futures[id]!;
          f.state = 'closedOut';
          this.woken.push(id);
        }
        // The head keeps what it was partly assigned until it is polled or dropped.
        if (this.queue.length > 0) this.futures[this.queue[0]!]!.held = this.free;
        if (this.queue.length > 0) this.free = 0;
        this.queue = [];
        return 'none';
    }
  }
}

/** The real semaphore, driven by hand, recording wakes in one shared log. */
class Real {
  readonly semaphore: Semaphore;
  futures: { future: Future<SemaphorePermit>; cx: Context; wakes: number }[] = [];
  permits: SemaphorePermit[] = [];
  woken: number[] = [];

  constructor(permits: number) {
    this.semaphore = new Semaphore(permits);
  }

  /** Maps the outcome of a call to the model's vocabulary. */
  #run(call: () => SemaphorePermit | undefined | typeof PENDING): string {
    try {
      const result = call();
      if (result === PENDING) return 'pending';
      if (result === undefined) return 'none';
      this.permits.push(result);
      return 'permit';
    } catch (error) {
      if (error instanceof SemaphoreClosedError) return 'closed';
      throw error;
    }
  }

  step(op: Op, model: Model): string {
    const s = this.semaphore;
    switch (op.t) {
      case 'acquire': {
        const id = this.futures.length;
        const entry = {
          future: s.acquire(op.n),
          cx: Context.detached({
            wake: () => {
              entry.wakes++;
              this.woken.push(id);
            },
          }),
          wakes: 0,
        };
        this.futures.push(entry);
        return 'skip';
      }
      case 'poll': {
        // Never poll a future the model knows finished: that is a caller bug, tested elsewhere.
        const state = model.futures[op.i]!.state;
        if (state === 'done' || state === 'failed' || state === 'cancelled') return 'skip';
        const f = this.futures[op.i]!;
        return this.#run(() => f.future.poll(f.cx));
      }
      case 'cancel':
        this.futures[op.i]!.future.cancel();
        return 'none';
      case 'release':
        this.permits[op.i]!.release();
        return 'none';
      case 'forget':
        this.permits[op.i]!.forget();
        return 'none';
      case 'add':
        s.addPermits(op.n);
        return 'none';
      case 'try':
        return this.#run(() => s.tryAcquire(op.n));
      case 'close':
        s.close();
        return 'none';
    }
  }
}

const small = fc.integer({ min: 0, max: 4 });
const index = fc.nat({ max: 1000 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: small.map((n) => ({ t: 'acquire' as const, n })) },
  { weight: 8, arbitrary: index.map((i) => ({ t: 'poll' as const, i })) },
  { weight: 3, arbitrary: index.map((i) => ({ t: 'cancel' as const, i })) },
  { weight: 5, arbitrary: index.map((i) => ({ t: 'release' as const, i })) },
  { weight: 1, arbitrary: index.map((i) => ({ t: 'forget' as const, i })) },
  { weight: 3, arbitrary: small.map((n) => ({ t: 'add' as const, n })) },
  { weight: 2, arbitrary: small.map((n) => ({ t: 'try' as const, n })) },
  { weight: 1, arbitrary: fc.constant({ t: 'close' as const }) },
);

/** Points an op's index at an existing future or permit; undefined when there is none yet. */
function resolve(op: Op, model: Model): Op | undefined {
  if (op.t === 'poll' || op.t === 'cancel') {
    return model.futures.length === 0 ? undefined : { t: op.t, i: op.i % model.futures.length };
  }
  if (op.t === 'release' || op.t === 'forget') {
    return model.permits.length === 0 ? undefined : { t: op.t, i: op.i % model.permits.length };
  }
  return op;
}

describe('Semaphore against a reference model', () => {
  it('agrees on every result, every wake and its order, and never hands out more permits than exist', () => {
    fc.assert(
      fc.property(small, fc.array(opArb, { maxLength: 80 }), (initial, ops) => {
        const model = new Model(initial);
        const real = new Real(initial);
        for (const raw of ops) {
          const op = resolve(raw, model);
          if (op === undefined) continue;
          const actual = real.step(op, model);
          const expected = model.step(op);
          expect(actual, JSON.stringify(op)).toBe(expected);
          expect(real.woken).toEqual(model.woken);
          expect(real.semaphore.availablePermits).toBe(model.available);
          // Each future queues once, so the semaphore may wake it at most once.
          expect(real.futures.every((f) => f.wakes <= 1)).toBe(true);
          const out = real.permits.reduce((sum, p) => sum + p.permits, 0);
          expect(out + real.semaphore.availablePermits).toBeLessThanOrEqual(model.total);
        }
        // Conservation in the end: every permit is free, held, granted-but-unpolled or parked on a closed-out waiter.
        const pending = model.futures.reduce(
          (sum, f) => sum + (f.state === 'granted' ? f.n : f.state === 'closedOut' ? f.held : 0),
          0,
        );
        const out = real.permits.reduce((sum, p) => sum + p.permits, 0);
        expect(out + model.free + pending).toBe(model.total);
      }),
      { numRuns: 1000 },
    );
  });
});
