import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimerEntry } from '../src/wheel/entry.js';
import { MAX_SPAN, Wheel } from '../src/wheel/wheel.js';

/** The reference: a list of (deadline, id), fired in deadline order once `now` reaches the deadline. */
class Model {
  readonly pending = new Map<number, number>();
  now = 0;
  insert(id: number, deadline: number) {
    this.pending.set(id, deadline);
  }
  cancel(id: number) {
    this.pending.delete(id);
  }
  advance(now: number): { id: number; deadline: number }[] {
    this.now = now;
    const due = [...this.pending].filter(([, d]) => d <= now).map(([id, deadline]) => ({ id, deadline }));
    due.sort((a, b) => a.deadline - b.deadline);
    for (const { id } of due) this.pending.delete(id);
    return due;
  }
}

class Labelled extends TimerEntry {
  constructor(readonly id: number) {
    super();
  }
  poll(): void {}
}

describe('Wheel', () => {
  it('fires entries at their deadline, never early, across every level', () => {
    const wheel = new Wheel();
    const fired: [number, number][] = [];
    const deadlines = [1, 63, 64, 65, 4095, 4096, 262_143, 262_144, 16_777_216, 1_073_741_824, MAX_SPAN];
    deadlines.forEach((d, i) => wheel.insert(new Labelled(i), d));
    for (const d of deadlines) {
      wheel.advance(d - 1, (e) => fired.push([(e as Labelled).id, wheel.elapsed]));
      expect(fired.length).toBe(deadlines.indexOf(d));
      wheel.advance(d, (e) => fired.push([(e as Labelled).id, wheel.elapsed]));
      expect(fired.at(-1)).toEqual([deadlines.indexOf(d), d]);
    }
    expect(wheel.size).toBe(0);
  });

  it('matches a sorted-list model over random insert, cancel, reset and advance: same expirations, same order, never early', () => {
    const op = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('insert' as const),
          delay: fc.oneof(
            fc.integer({ min: 1, max: 70 }),
            fc.integer({ min: 1, max: 300_000 }),
            fc.integer({ min: 1, max: 2 ** 31 }),
            // The top level, and beyond the wheel's span (filed at its end, re-filed from there).
            fc.integer({ min: 2 ** 31, max: 2 ** 45 }),
          ),
        }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('reset' as const),
          pick: fc.nat(),
          delay: fc.integer({ min: 1, max: 100_000 }),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('advance' as const),
          by: fc.oneof(
            fc.integer({ min: 0, max: 70 }),
            fc.integer({ min: 0, max: 500_000 }),
            fc.integer({ min: 0, max: 2 ** 31 }),
          ),
        }),
      },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const wheel = new Wheel();
        const model = new Model();
        const live = new Map<number, Labelled>();
        let nextId = 0;
        let now = 0;
        const check = (to: number) => {
          const got: { id: number; deadline: number }[] = [];
          wheel.advance(to, (e) => {
            const entry = e as Labelled;
            expect(wheel.elapsed).toBeGreaterThanOrEqual(entry.trueDeadline); // never early
            got.push({ id: entry.id, deadline: entry.trueDeadline });
            live.delete(entry.id);
          });
          const want = model.advance(to);
          // Same set, and non-decreasing deadlines (ties in any order).
          expect(got.map((g) => g.deadline)).toEqual(want.map((w) => w.deadline));
          expect(new Set(got.map((g) => g.id))).toEqual(new Set(want.map((w) => w.id)));
        };
        for (const o of ops) {
          const ids = [...live.keys()];
          if (o.kind === 'insert') {
            const entry = new Labelled(nextId++);
            const deadline = now + o.delay;
            wheel.insert(entry, deadline);
            model.insert(entry.id, deadline);
            live.set(entry.id, entry);
          } else if (o.kind === 'cancel' && ids.length > 0) {
            const entry = live.get(ids[o.pick % ids.length]!)!;
            wheel.remove(entry);
            model.cancel(entry.id);
            live.delete(entry.id);
          } else if (o.kind === 'reset' && ids.length > 0) {
            const entry = live.get(ids[o.pick % ids.length]!)!;
            const deadline = now + o.delay;
            if (deadline >= entry.cachedDeadline) {
              entry.trueDeadline = deadline; // lazy: the wheel re-files it when the old deadline comes
            } else {
              wheel.remove(entry);
              entry.trueDeadline = deadline;
              wheel.insert(entry, deadline);
            }
            model.insert(entry.id, deadline);
          } else if (o.kind === 'advance') {
            now += o.by;
            check(now);
          }
        }
        check(now + 2 ** 46);
        expect(wheel.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('a far deadline clamped to the span does not hide a nearer one at the top level', () => {
    const DAY = 86_400_000;
    const wheel = new Wheel();
    wheel.advance(1, () => {}); // off the epoch's start: the clamped deadline lands in the top level's current slot
    wheel.insert(new Labelled(1), 1 + 1e13); // "forever"
    wheel.insert(new Labelled(2), 1 + 13 * DAY);
    expect(wheel.nextExpiration()!.deadline).toBeLessThanOrEqual(1 + 13 * DAY);
    const fired: number[] = [];
    wheel.advance(13 * DAY, (e) => fired.push((e as Labelled).id));
    expect(fired).toEqual([]);
    wheel.advance(1 + 13 * DAY, (e) => fired.push((e as Labelled).id));
    expect(fired).toEqual([2]);
    expect(wheel.size).toBe(1);
  });

  it('reports the next expiration at the start of the earliest non-empty slot', () => {
    const wheel = new Wheel();
    expect(wheel.nextExpiration()).toBeUndefined();
    wheel.insert(new Labelled(1), 100);
    expect(wheel.nextExpiration()).toEqual({ level: 1, slot: 1, deadline: 64 });
    wheel.insert(new Labelled(2), 10);
    expect(wheel.nextExpiration()).toEqual({ level: 0, slot: 10, deadline: 10 });
  });
});
