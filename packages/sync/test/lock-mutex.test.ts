import { describe, expect, it } from 'vitest';
import { drop, fn, pending, PENDING, select, yieldNow } from '@zokio/future';
import { LocalScheduler, spawn } from '@zokio/scheduler';
import { GuardReleasedError, Mutex, type MutexGuard } from '@zokio/sync';
import { drive } from './hand.js';

describe('Mutex', () => {
  it('gives exclusive access to the value through the guard', () => {
    const m = new Mutex({ n: 1 });
    const g = drive(m.lock()).value();
    expect(m.isLocked).toBe(true);
    expect(m.tryLock()).toBeUndefined();
    g.value.n++;
    g.value = { n: g.value.n * 10 };
    g.release();
    expect(m.isLocked).toBe(false);
    expect(m.tryLock()!.value).toEqual({ n: 20 });
  });

  it('refuses access through a released guard', () => {
    const m = new Mutex(1);
    const g = m.tryLock()!;
    g.release();
    g.release(); // no-op: must not unlock someone else's hold
    const next = m.tryLock()!;
    expect(() => g.value).toThrow(GuardReleasedError);
    expect(() => (g.value = 2)).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_GUARD_RELEASED' }));
    expect(m.tryLock()).toBeUndefined();
    next.release();
  });

  it('using unlocks at the end of the scope', () => {
    const m = new Mutex(0);
    {
      using g = m.tryLock()!;
      g.value = 1;
    }
    expect(m.isLocked).toBe(false);
  });

  it('hands the lock over in the order of first poll, waking each waiter once', () => {
    const m = new Mutex('x');
    const holder = m.tryLock()!;
    const waiters = [0, 1, 2].map(() => drive(m.lock()));
    for (const i of [1, 2, 0]) expect(waiters[i]!.poll()).toBe(PENDING);
    const order: number[] = [];
    let guard: MutexGuard<string> = holder;
    for (let round = 0; round < 3; round++) {
      guard.release();
      const next = waiters.findIndex((w, i) => w.wakes > 0 && !order.includes(i));
      order.push(next);
      guard = waiters[next]!.value();
    }
    expect(order).toEqual([1, 2, 0]);
    expect(waiters.map((w) => w.wakes)).toEqual([1, 1, 1]);
  });

  it('a waiter cancelled while queued is skipped; nobody else is woken early or twice', () => {
    const m = new Mutex(0);
    const holder = m.tryLock()!;
    const [a, b, c] = [drive(m.lock()), drive(m.lock()), drive(m.lock())];
    a.poll();
    b.poll();
    c.poll();
    a.future.cancel();
    expect([a.wakes, b.wakes, c.wakes]).toEqual([0, 0, 0]);
    holder.release();
    expect([a.wakes, b.wakes, c.wakes]).toEqual([0, 1, 0]);
    b.value().release();
    expect([a.wakes, b.wakes, c.wakes]).toEqual([0, 1, 1]);
    c.value().release();
    expect(m.isLocked).toBe(false);
  });

  it('a waiter granted the lock but cancelled before its next poll passes the lock on', () => {
    const m = new Mutex(0);
    const holder = m.tryLock()!;
    const [a, b] = [drive(m.lock()), drive(m.lock())];
    a.poll();
    b.poll();
    holder.release(); // a is granted and woken
    expect([a.wakes, b.wakes]).toEqual([1, 0]);
    a.future.cancel();
    expect(b.wakes).toBe(1);
    const g = b.value();
    expect(m.isLocked).toBe(true);
    g.release();
    expect(m.isLocked).toBe(false);
  });

  it('a lock won in a select that is cancelled while the other branch cleans up is released', () => {
    const m = new Mutex(0);
    const slowToCancel = fn(function* () {
      try {
        yield* pending();
      } finally {
        yield* yieldNow(); // asynchronous clean-up: the select is still waiting for it when it is dropped
      }
    });
    const s = drive(select([slowToCancel(), m.lock()], { biased: true }));
    expect(s.poll()).toBe(PENDING);
    expect(m.isLocked).toBe(true); // won, held by the select until it returns
    const cleanup = s.future.cancel();
    if (cleanup !== undefined) drop(cleanup);
    expect(m.isLocked).toBe(false);
    expect(m.tryLock()).toBeDefined();
  });

  it('keeps critical sections exclusive and FIFO across suspension points on a real scheduler', async () => {
    const scheduler = new LocalScheduler();
    const m = new Mutex({ inside: 0, total: 0 });
    const requests: number[] = [];
    const order: number[] = [];
    let maxInside = 0;
    let contended = 0;
    const worker = fn(function* (id: number) {
      for (let round = 0; round < 3; round++) {
        if (m.isLocked) contended++;
        requests.push(id); // the lock future is polled for the first time right after this
        using g = yield* m.lock();
        order.push(id);
        g.value.inside++;
        maxInside = Math.max(maxInside, g.value.inside);
        yield* yieldNow(); // other tasks run and queue up while we hold the lock
        g.value.inside--;
        g.value.total++;
      }
    });
    await scheduler.spawn(
      fn(function* () {
        const handles = [0, 1, 2, 3].map((id) => spawn(worker(id)));
        for (const handle of handles) yield* handle;
      })(),
    );
    expect(maxInside).toBe(1);
    expect(m.tryLock()!.value.total).toBe(12);
    // Acquisition order is request order, whatever order the scheduler ran the tasks in.
    expect(order).toEqual(requests);
    expect(contended).toBeGreaterThan(0); // the tasks really did wait for each other
  });

  it('aborting the task that holds the guard releases the lock through `using`', async () => {
    const scheduler = new LocalScheduler();
    const m = new Mutex(0);
    const holder = scheduler.spawn(
      fn(function* () {
        using _g = yield* m.lock();
        for (;;) yield* yieldNow();
      })(),
    );
    await scheduler.spawn(fn(function* () {})());
    expect(m.isLocked).toBe(true);
    holder.abort();
    await expect(holder).rejects.toThrow();
    expect(m.isLocked).toBe(false);
  });
});
