import { describe, expect, it } from 'vitest';
import {
  failed,
  fn,
  join,
  joinAll,
  pending,
  PENDING,
  race,
  ready,
  select,
  SMALL_JOIN,
  toPromise,
  tryJoin,
  yieldNow,
  Context,
  pollFn,
  pollProceed,
  randomSeed,
  seedRandom,
} from '@zokio/future';
import { context, Manual } from './helpers.js';

/** A value that owns something (a lock guard, a permit): counts its disposals. */
class Owned implements Disposable {
  disposals = 0;
  constructor(readonly name: string) {}
  [Symbol.dispose](): void {
    this.disposals++;
  }
}

describe('join', () => {
  it('returns every value in order', async () => {
    expect(await toPromise(join(ready(1), ready('a'), ready(true)))).toEqual([1, 'a', true]);
  });

  it('lets the others finish when one fails, then throws that error', () => {
    const a = new Manual<number>();
    const f = join(failed(new Error('x')), a);
    const { cx } = context();
    expect(f.poll(cx)).toBe(PENDING);
    expect(a.cancels).toBe(0);
    a.resolve(1);
    expect(() => f.poll(cx)).toThrow('x');
  });

  it('throws an AggregateError when several fail', () => {
    const f = join(failed(new Error('a')), failed(new Error('b')));
    expect(() => f.poll(context().cx)).toThrow(AggregateError);
  });

  it('cancelling the join cancels every unfinished child once', () => {
    const a = new Manual<number>();
    const b = new Manual<number>();
    const f = join(a, b, ready(3));
    f.poll(context().cx);
    f.cancel();
    f.cancel();
    expect([a.cancels, b.cancels]).toEqual([1, 1]);
  });
});

describe('values a combinator will never return (unclaimed)', () => {
  it('a join that fails disposes the Disposable values it had received, once; others are left alone', () => {
    const owned = new Owned('guard');
    const slow = new Manual<number>();
    const f = join(ready(owned), ready(42), slow, failed(new Error('x')));
    const { cx } = context();
    expect(f.poll(cx)).toBe(PENDING);
    expect(owned.disposals).toBe(0); // still on its way to being returned
    slow.resolve(1);
    expect(() => f.poll(cx)).toThrow('x');
    expect(owned.disposals).toBe(1);
  });

  it('a tryJoin that fails, and a join that is cancelled, dispose what they received', () => {
    const a = new Owned('a');
    const { cx } = context();
    expect(() => tryJoin(ready(a), failed(new Error('y'))).poll(cx)).toThrow('y');
    expect(a.disposals).toBe(1);
    const b = new Owned('b');
    const rest = new Manual<Owned>();
    const f = join(ready(b), rest);
    expect(f.poll(cx)).toBe(PENDING);
    expect(f.cancel()).toBeUndefined();
    expect([b.disposals, rest.cancels]).toEqual([1, 1]);
    expect(f.cancel()).toBeUndefined(); // once
    expect(b.disposals).toBe(1);
  });

  it('a select cancelled while its losers clean up disposes the winner it will never return', () => {
    const gate = new Manual<void>();
    const loser = fn(function* () {
      try {
        yield* new Manual<void>();
      } finally {
        yield* gate; // asynchronous clean-up
      }
    });
    const guard = new Owned('guard');
    const f = select([loser(), ready(guard)], { biased: true });
    const { cx } = context();
    expect(f.poll(cx)).toBe(PENDING); // the winner is in; the loser is cleaning up
    expect(guard.disposals).toBe(0);
    const cleanup = f.cancel();
    expect(guard.disposals).toBe(1);
    expect(cleanup).toBeDefined(); // the loser's clean-up is still the caller's to finish
    gate.resolve();
    expect(cleanup!.poll(cx)).toBeUndefined();
  });

  it('a select returns the winner untouched, and a failed dispose is reported, not swallowed', () => {
    const winner = new Owned('w');
    const { cx } = context();
    expect(select([new Manual<Owned>(), ready(winner)], { biased: true }).poll(cx)).toEqual({
      index: 1,
      value: winner,
    });
    expect(winner.disposals).toBe(0);
    const throwing = {
      [Symbol.dispose]: () => {
        throw new Error('dispose failed');
      },
    };
    expect(() => join(ready(throwing), failed(new Error('z'))).poll(cx)).toThrow(
      expect.objectContaining({
        errors: [expect.objectContaining({ message: 'z' }), expect.objectContaining({ message: 'dispose failed' })],
      }),
    );
  });
});

describe('tryJoin', () => {
  it('cancels the siblings of the first failure, waits for their clean-up, and throws', () => {
    const log: string[] = [];
    const gate = new Manual<void>();
    const sibling = fn(function* () {
      try {
        yield* new Manual<void>();
      } finally {
        yield* gate;
        log.push('sibling cleaned');
      }
    });
    const bad = new Manual<number>();
    const f = tryJoin(sibling(), bad);
    const { cx } = context();
    expect(f.poll(cx)).toBe(PENDING);
    bad.reject(new Error('bad'));
    expect(f.poll(cx)).toBe(PENDING); // waiting for the sibling's clean-up
    expect(log).toEqual([]);
    gate.resolve();
    expect(() => f.poll(cx)).toThrow('bad');
    expect(log).toEqual(['sibling cleaned']);
  });
});

describe('joinAll', () => {
  it('joins many futures, polling only the ones that woke above SMALL_JOIN', () => {
    const n = SMALL_JOIN * 10;
    const leaves = Array.from({ length: n }, () => new Manual<number>());
    const f = joinAll(leaves);
    const { cx, waker } = context();
    expect(f.poll(cx)).toBe(PENDING);
    leaves[7]!.resolve(7);
    expect(waker.wakes).toBe(1);
    expect(f.poll(cx)).toBe(PENDING);
    expect(leaves[8]!.polls).toBe(1); // not re-polled: it did not wake
    expect(leaves[7]!.polls).toBe(2);
    leaves.forEach((l, i) => l.resolve(i));
    expect(f.poll(cx)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('rejects a non-iterable with "Expected … got …"', () => {
    expect(() => joinAll(5 as never)).toThrow(/joinAll: Expected an iterable of futures, got number 5/);
  });
});

describe('select and race', () => {
  it('returns the index and value of the first ready branch', async () => {
    expect(await toPromise(select([pending(), ready('b')]))).toEqual({ index: 1, value: 'b' });
    expect(await toPromise(race([pending(), ready(7)]))).toBe(7);
  });

  it('cancels the loser exactly once', () => {
    const loser = new Manual<number>();
    const winner = new Manual<string>();
    const f = select([loser, winner]);
    const { cx } = context();
    expect(f.poll(cx)).toBe(PENDING);
    winner.resolve('w');
    expect(f.poll(cx)).toEqual({ index: 1, value: 'w' });
    expect(loser.cancels).toBe(1);
    expect(winner.cancels).toBe(0);
    f.cancel();
    expect(loser.cancels).toBe(1);
  });

  it('waits for the loser clean-up before returning the winner', () => {
    const log: string[] = [];
    const gate = new Manual<void>();
    const loser = fn(function* () {
      try {
        yield* new Manual<void>();
      } finally {
        yield* gate;
        log.push('loser cleaned');
      }
    });
    const winner = new Manual<number>();
    const f = race([loser(), winner]);
    const { cx } = context();
    expect(f.poll(cx)).toBe(PENDING);
    winner.resolve(1);
    expect(f.poll(cx)).toBe(PENDING);
    gate.resolve();
    expect(f.poll(cx)).toBe(1);
    expect(log).toEqual(['loser cleaned']);
  });

  it('throws the error of a branch that fails first, after cancelling the others', () => {
    const other = new Manual<number>();
    const f = select([other, failed(new Error('first'))], { biased: true });
    expect(() => f.poll(context().cx)).toThrow('first');
    expect(other.cancels).toBe(1);
  });

  it('biased polls in order; unbiased starts at a random branch', () => {
    for (let i = 0; i < 20; i++)
      expect(select([ready(0), ready(1)], { biased: true }).poll(context().cx)).toEqual({ index: 0, value: 0 });
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++)
      seen.add((select([ready(0), ready(1)]).poll(context().cx) as { index: number }).index);
    expect(seen).toEqual(new Set([0, 1]));
  });

  it('rejects an empty list', () => {
    expect(() => select([])).toThrow(/Expected at least one future/);
  });

  it('replays its random choices from a seed (seedRandom), so a failing interleaving can be repeated', () => {
    const winners = () =>
      Array.from(
        { length: 64 },
        () => (select([ready(0), ready(1), ready(2), ready(3)]).poll(context().cx) as { index: number }).index,
      );
    const before = randomSeed();
    expect(seedRandom(12_345)).toBe(12_345);
    expect(randomSeed()).toBe(12_345);
    const a = winners();
    seedRandom(12_345);
    expect(winners()).toEqual(a);
    seedRandom(54_321);
    expect(winners()).not.toEqual(a);
    expect(new Set(a)).toEqual(new Set([0, 1, 2, 3]));
    expect(() => seedRandom(0)).toThrow(/Expected a seed: an integer from 1 to 2\^32 - 1, got number 0/);
    expect(() => seedRandom(1.5)).toThrow(/Expected a seed/);
    seedRandom(before);
  });
});

describe('yieldNow', () => {
  it('is pending once, after waking its task', () => {
    const f = yieldNow();
    const { cx, waker } = context();
    expect(f.poll(cx)).toBe(PENDING);
    expect(waker.wakes).toBe(1);
    expect(f.poll(cx)).toBeUndefined();
  });
});

describe('joinAll and the coop budget', () => {
  it('polls no child once the budget is spent, so 10,000 ready children are each polled exactly once', () => {
    const n = 10_000;
    const polls = new Array<number>(n).fill(0);
    const children = polls.map((_, i) =>
      pollFn((cx) => {
        polls[i]!++;
        return pollProceed(cx) ? i : PENDING;
      }),
    );
    let wakes = 0;
    const executor = { budget: 128, budgetExhausted() {}, service: () => undefined };
    const cx = new Context({ wake: () => wakes++ }, executor);
    const f = joinAll(children);
    let result: number[] | typeof PENDING = PENDING;
    let taskPolls = 0;
    while (result === PENDING) {
      executor.budget = 128; // the scheduler's reset before each task poll
      result = f.poll(cx);
      taskPolls++;
    }
    expect(result).toEqual(polls.map((_, i) => i));
    expect(polls.every((p) => p === 1)).toBe(true);
    expect(taskPolls).toBe(Math.ceil(n / 128));
    expect(wakes).toBe(taskPolls - 1);
  });
});
