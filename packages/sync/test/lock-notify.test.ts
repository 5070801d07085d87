import { describe, expect, it } from 'vitest';
import { fn, PENDING, yieldNow } from '@zokio/future';
import { LocalScheduler, spawn } from '@zokio/scheduler';
import { Notify } from '@zokio/sync';
import { Driven, drive } from './hand.js';

/** `count` notified() futures, each polled once (so queued, in index order). */
function waiting(notify: Notify, count: number): Driven<void>[] {
  return Array.from({ length: count }, () => {
    const d = drive(notify.notified());
    expect(d.poll()).toBe(PENDING);
    return d;
  });
}

describe('Notify.notifyOne', () => {
  it('stores one permit when nobody waits, however many times it is called', () => {
    const n = new Notify();
    n.notifyOne();
    n.notifyOne();
    expect(drive(n.notified()).poll()).toBeUndefined();
    expect(drive(n.notified()).poll()).toBe(PENDING);
  });

  it('is lazy: a notified() future that was never polled neither waits nor takes the permit', () => {
    const n = new Notify();
    const unpolled = n.notified();
    n.notifyOne(); // nobody is queued: stored
    expect(drive(n.notified()).poll()).toBeUndefined();
    expect(drive(unpolled).poll()).toBe(PENDING);
  });

  it('wakes waiters one at a time in the order of first poll, each once', () => {
    const n = new Notify();
    const futures = [0, 1, 2].map(() => drive(n.notified()));
    for (const i of [2, 0, 1]) expect(futures[i]!.poll()).toBe(PENDING);
    const order: number[] = [];
    for (let round = 0; round < 3; round++) {
      n.notifyOne();
      const woken = futures.findIndex((f, i) => f.wakes > 0 && !order.includes(i));
      order.push(woken);
      expect(futures[woken]!.poll()).toBeUndefined();
    }
    expect(order).toEqual([2, 0, 1]);
    expect(futures.map((f) => f.wakes)).toEqual([1, 1, 1]);
    // Every notification was consumed by a waiter: none was stored.
    expect(drive(n.notified()).poll()).toBe(PENDING);
  });
});

describe('Notify.notifyWaiters', () => {
  it('wakes everyone waiting, once each, and stores no permit', () => {
    const n = new Notify();
    const ws = waiting(n, 3);
    n.notifyWaiters();
    expect(ws.map((w) => w.wakes)).toEqual([1, 1, 1]);
    expect(ws.map((w) => w.poll())).toEqual([undefined, undefined, undefined]);
    expect(drive(n.notified()).poll()).toBe(PENDING);
  });

  it('also completes futures created before the call but not yet polled, not those created after', () => {
    const n = new Notify();
    const before = drive(n.notified());
    n.notifyWaiters();
    const after = drive(n.notified());
    expect(before.poll()).toBeUndefined();
    expect(after.poll()).toBe(PENDING);
  });
});

describe('Notify cancellation', () => {
  it('a cancelled queued waiter leaves the queue: the next notifyOne goes to the waiter behind it', () => {
    const n = new Notify();
    const [a, b] = waiting(n, 2);
    a!.future.cancel();
    n.notifyOne();
    expect([a!.wakes, b!.wakes]).toEqual([0, 1]);
    expect(b!.poll()).toBeUndefined();
  });

  it('a waiter chosen by notifyOne and cancelled before its next poll passes the notification on', () => {
    const n = new Notify();
    const [a, b, c] = waiting(n, 3);
    n.notifyOne();
    expect([a!.wakes, b!.wakes, c!.wakes]).toEqual([1, 0, 0]);
    a!.future.cancel();
    expect([a!.wakes, b!.wakes, c!.wakes]).toEqual([1, 1, 0]);
    expect(b!.poll()).toBeUndefined();
    expect(c!.poll()).toBe(PENDING);
  });

  it('with nobody else waiting, a dropped notifyOne notification is stored as the permit', () => {
    const n = new Notify();
    const [a] = waiting(n, 1);
    n.notifyOne();
    a!.future.cancel();
    a!.future.cancel(); // idempotent: must not forward twice
    expect(drive(n.notified()).poll()).toBeUndefined();
    expect(drive(n.notified()).poll()).toBe(PENDING);
  });

  it('a dropped notifyWaiters notification is not passed on', () => {
    const n = new Notify();
    const [a] = waiting(n, 1);
    n.notifyWaiters();
    a!.future.cancel();
    const late = drive(n.notified());
    expect(late.poll()).toBe(PENDING);
  });

  it('a completed future is not cancelled into a second notification', () => {
    const n = new Notify();
    const [a, b] = waiting(n, 2);
    n.notifyOne();
    expect(a!.poll()).toBeUndefined();
    a!.future.cancel();
    expect(b!.wakes).toBe(0);
    expect(() => a!.poll()).toThrow(/already completed/);
  });
});

describe('Notify on a real scheduler', () => {
  it('every notifyOne completes exactly one task, even when a waiter is aborted around the notification', async () => {
    const scheduler = new LocalScheduler();
    const n = new Notify();
    const woke: number[] = [];
    let waiting = 0;
    await scheduler.spawn(
      fn(function* () {
        const handles = [0, 1, 2, 3].map((id) =>
          spawn(
            fn(function* () {
              waiting++;
              yield* n.notified();
              woke.push(id);
            })(),
          ),
        );
        // Let every waiter queue, then drop one and notify the remaining three.
        yield* yieldNow();
        expect(waiting).toBe(4);
        handles[1]!.abort();
        for (let i = 0; i < 3; i++) n.notifyOne();
        for (const id of [0, 2, 3]) yield* handles[id]!;
      })(),
    );
    expect(woke).toEqual([0, 2, 3]);
  });
});
