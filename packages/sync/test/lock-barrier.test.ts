import { describe, expect, it } from 'vitest';
import { fn, PENDING } from '@zokio/future';
import { LocalScheduler, spawn } from '@zokio/scheduler';
import { Barrier, type BarrierWaitResult } from '@zokio/sync';
import { drive } from './hand.js';

describe('Barrier', () => {
  it('releases everyone when the n-th arrives; that one is the leader', () => {
    const b = new Barrier(3);
    const [x, y, z] = [drive(b.wait()), drive(b.wait()), drive(b.wait())];
    expect(x.poll()).toBe(PENDING);
    expect(y.poll()).toBe(PENDING);
    expect(z.poll()).toEqual({ isLeader: true });
    expect([x.wakes, y.wakes]).toEqual([1, 1]);
    expect([x.poll(), y.poll()]).toEqual([{ isLeader: false }, { isLeader: false }]);
  });

  it('resets for the next round', () => {
    const b = new Barrier(2);
    const first = drive(b.wait());
    first.poll();
    drive(b.wait()).poll();
    const second = drive(b.wait());
    expect(second.poll()).toBe(PENDING); // a new round: one arrival of two
    expect(drive(b.wait()).poll()).toEqual({ isLeader: true });
    expect(second.wakes).toBe(1);
  });

  it('a waiter cancelled before the trip is taken out of the count', () => {
    const b = new Barrier(2);
    const quitter = drive(b.wait());
    quitter.poll();
    quitter.future.cancel();
    const a = drive(b.wait());
    expect(a.poll()).toBe(PENDING); // had the quitter counted, this would trip
    expect(drive(b.wait()).poll()).toEqual({ isLeader: true });
    expect([quitter.wakes, a.wakes]).toEqual([0, 1]);
  });

  it('a waiter cancelled after the trip changes nothing for the next round', () => {
    const b = new Barrier(2);
    const late = drive(b.wait());
    late.poll();
    drive(b.wait()).poll(); // trips
    late.future.cancel();
    const next = drive(b.wait());
    expect(next.poll()).toBe(PENDING);
  });

  it('is lazy, treats 0 as 1, and checks its argument', () => {
    const b = new Barrier(2);
    b.wait(); // never polled: never arrives
    expect(drive(b.wait()).poll()).toBe(PENDING);
    expect(drive(new Barrier(0).wait()).poll()).toEqual({ isLeader: true });
    expect(() => new Barrier(-1)).toThrow(/new Barrier: Expected a whole number of tasks/);
  });

  it('exactly one task per round is the leader on a real scheduler', async () => {
    const scheduler = new LocalScheduler();
    const b = new Barrier(4);
    const results = await scheduler.spawn(
      fn(function* () {
        const handles = Array.from({ length: 8 }, () =>
          spawn(
            fn(function* () {
              return yield* b.wait();
            })(),
          ),
        );
        const out: BarrierWaitResult[] = [];
        for (const h of handles) out.push(yield* h);
        return out;
      })(),
    );
    expect(results.filter((r) => r.isLeader)).toHaveLength(2);
  });
});
