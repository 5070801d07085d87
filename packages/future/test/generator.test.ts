import { describe, expect, it } from 'vitest';
import { drop, fn, future, PENDING, ready, toPromise, type Future } from '@zokio/future';
import { context, Manual } from './helpers.js';

describe('fn (generator async functions)', () => {
  it('is lazy: the body does not run until the first poll', () => {
    let ran = false;
    const f = fn(function* () {
      ran = true;
      return 1;
    })();
    expect(ran).toBe(false);
    expect(f.poll(context().cx)).toBe(1);
    expect(ran).toBe(true);
  });

  it('returns the values of awaited futures through yield*', async () => {
    const add = fn(function* (a: number, b: number) {
      const x = yield* ready(a);
      const y = yield* ready(b);
      return x + y;
    });
    expect(await toPromise(add(2, 3))).toBe(5);
  });

  it('throws a failed future into the generator at the yield*', () => {
    const m = new Manual<number>();
    const f = future(function* () {
      try {
        return yield* m;
      } catch (e) {
        return `caught ${(e as Error).message}`;
      }
    });
    const { cx, waker } = context();
    expect(f.poll(cx)).toBe(PENDING);
    m.reject(new Error('boom'));
    expect(waker.wakes).toBe(1);
    expect(f.poll(cx)).toBe('caught boom');
  });

  it('passes `this` and arguments through', async () => {
    const obj = {
      base: 10,
      add: fn(function* (this: { base: number }, n: number) {
        return this.base + (yield* ready(n));
      }),
    };
    expect(await toPromise(obj.add(5))).toBe(15);
  });

  it('rejects a bare `yield` of a non-future with a TypeError naming the mistake', async () => {
    const f = future(function* (): Generator<Future<unknown>, void, unknown> {
      yield 42 as unknown as Future<unknown>;
    });
    await expect(toPromise(f)).rejects.toThrow(/Expected a Future from yield\* .* got number 42/);
  });

  it('rejects a bare `yield future` (without the star) instead of resuming with a placeholder', async () => {
    const f = future(function* () {
      const v = yield ready(1);
      return v;
    });
    await expect(toPromise(f)).rejects.toThrow(/Expected `yield\*` before a future .* got a bare `yield`/);
  });

  it('lets many generators yield* one shared future at once', async () => {
    const shared = ready(7);
    const a = future(function* () {
      return yield* shared;
    });
    const b = future(function* () {
      return yield* shared;
    });
    expect(await toPromise(a)).toBe(7);
    expect(await toPromise(b)).toBe(7);
  });

  it('rejects a polled-after-completion with a typed error', () => {
    const f = future(function* () {
      return 1;
    });
    const { cx } = context();
    f.poll(cx);
    expect(() => f.poll(cx)).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_POLL_AFTER_COMPLETION' }));
  });

  it('rejects a non-function with "Expected … got …"', () => {
    expect(() => fn(42 as never)).toThrow(/fn: Expected a generator function .* got number 42/);
  });
});

describe('cancellation by drop', () => {
  it('runs finally blocks innermost first, exactly once, three levels deep', () => {
    const log: string[] = [];
    const leaf = new Manual<void>();
    const level3 = fn(function* () {
      try {
        yield* leaf;
      } finally {
        log.push('level3');
      }
    });
    const level2 = fn(function* () {
      try {
        yield* level3();
      } finally {
        log.push('level2');
      }
    });
    const level1 = fn(function* () {
      try {
        yield* level2();
        log.push('after level2 (must not run)');
      } finally {
        log.push('level1');
      }
    });
    const f = level1();
    const { cx } = context();
    expect(f.poll(cx)).toBe(PENDING);
    expect(f.cancel()).toBeUndefined();
    expect(log).toEqual(['level3', 'level2', 'level1']);
    expect(leaf.cancels).toBe(1);
    // A second cancel is a no-op.
    expect(f.cancel()).toBeUndefined();
    expect(log).toEqual(['level3', 'level2', 'level1']);
  });

  it('cancelling a future that never started runs nothing', () => {
    let ran = false;
    const f = future(function* () {
      try {
        ran = true;
      } finally {
        ran = true;
      }
    });
    expect(f.cancel()).toBeUndefined();
    expect(ran).toBe(false);
  });

  it('a yield* inside finally during cancellation returns a clean-up future that is driven to the end', () => {
    const log: string[] = [];
    const cleanup1 = new Manual<void>('cleanup1');
    const cleanup2 = new Manual<void>('cleanup2');
    const inner = fn(function* () {
      try {
        yield* new Manual<void>();
      } finally {
        log.push('inner finally start');
        yield* cleanup1;
        log.push('inner finally middle');
        yield* cleanup2;
        log.push('inner finally end');
      }
    });
    const outer = fn(function* () {
      try {
        yield* inner();
        log.push('after inner (must not run: cancellation is not swallowed)');
      } finally {
        log.push('outer finally');
      }
    });
    const f = outer();
    const { cx } = context();
    expect(f.poll(cx)).toBe(PENDING);
    const cleanup = f.cancel();
    expect(cleanup).toBeDefined();
    expect(log).toEqual(['inner finally start']);
    expect(cleanup!.poll(cx)).toBe(PENDING);
    cleanup1.resolve();
    expect(cleanup!.poll(cx)).toBe(PENDING);
    expect(log).toEqual(['inner finally start', 'inner finally middle']);
    cleanup2.resolve();
    expect(cleanup!.poll(cx)).toBeUndefined();
    expect(log).toEqual(['inner finally start', 'inner finally middle', 'inner finally end', 'outer finally']);
  });

  it('a finally that returns a value during cancellation does not swallow it', () => {
    const c = new Manual<void>();
    const f = future(function* () {
      try {
        yield* new Manual<void>();
        return 'body';
      } finally {
        yield* c;

        return 'finally';
      }
    });
    const { cx } = context();
    f.poll(cx);
    const cleanup = f.cancel()!;
    c.resolve();
    expect(cleanup.poll(cx)).toBeUndefined();
  });

  it('clean-up errors are thrown by the clean-up future after every frame unwound', () => {
    const log: string[] = [];
    const c = new Manual<void>();
    const inner = fn(function* () {
      try {
        yield* new Manual<void>();
      } finally {
        yield* c;
        throw new Error('inner cleanup failed');
      }
    });
    const outer = fn(function* () {
      try {
        yield* inner();
      } finally {
        log.push('outer finally');
      }
    });
    const f = outer();
    const { cx } = context();
    f.poll(cx);
    const cleanup = f.cancel()!;
    c.resolve();
    expect(() => cleanup.poll(cx)).toThrow('inner cleanup failed');
    expect(log).toEqual(['outer finally']);
  });

  it('a synchronous throw in finally is thrown by cancel() after outer finally blocks ran', () => {
    const log: string[] = [];
    const inner = fn(function* () {
      try {
        yield* new Manual<void>();
      } finally {
        throw new Error('sync cleanup failed');
      }
    });
    const outer = fn(function* () {
      try {
        yield* inner();
      } finally {
        log.push('outer finally');
      }
    });
    const f = outer();
    f.poll(context().cx);
    expect(() => f.cancel()).toThrow('sync cleanup failed');
    expect(log).toEqual(['outer finally']);
  });

  it('drop() abandons asynchronous clean-up but still runs every finally', () => {
    const log: string[] = [];
    const never = new Manual<void>();
    const inner = fn(function* () {
      try {
        yield* new Manual<void>();
      } finally {
        log.push('inner start');
        yield* never;
        log.push('inner end (abandoned)');
      }
    });
    const outer = fn(function* () {
      try {
        yield* inner();
      } finally {
        log.push('outer finally');
      }
    });
    const f = outer();
    f.poll(context().cx);
    drop(f);
    expect(log).toEqual(['inner start', 'outer finally']);
    expect(never.cancels).toBe(1);
  });
});
