import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  fn,
  fromPromise,
  pending,
  toPromise,
  ZokioError,
  consumeBudget,
  unconstrained,
  Context,
  noopWaker,
  pollProceed,
  PENDING,
  yieldNow,
} from '@zokio/future';

describe('toPromise', () => {
  it('aborting the signal cancels the future, runs its clean-up, and rejects with the reason', async () => {
    const log: string[] = [];
    const f = fn(function* () {
      try {
        yield* pending();
      } finally {
        yield* fromPromise(() => delay(5));
        log.push('cleaned');
      }
    })();
    const controller = new AbortController();
    const p = toPromise(f, { signal: controller.signal });
    await delay(1);
    controller.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(log).toEqual(['cleaned']);
  });

  it('an abort from inside the future waits for its poll to return, then runs its clean-up', async () => {
    const log: string[] = [];
    const ac = new AbortController();
    const f = fn(function* () {
      try {
        log.push('body');
        ac.abort(new Error('stop')); // the generator is running: it cannot be cancelled before this poll returns
        yield* yieldNow();
        log.push('after the yield');
      } finally {
        log.push('finally');
      }
    })();
    await expect(toPromise(f, { signal: ac.signal })).rejects.toThrow('stop');
    expect(log).toEqual(['body', 'finally']);
  });

  it('rejects at once, without polling, on an already-aborted signal', async () => {
    let ran = false;
    const f = fn(function* () {
      ran = true;
    })();
    await expect(toPromise(f, { signal: AbortSignal.abort(new Error('early')) })).rejects.toThrow('early');
    expect(ran).toBe(false);
  });

  it('rejects bad arguments with TypeError', () => {
    expect(() => toPromise({} as never)).toThrow(/toPromise: Expected a Future, got an object/);
  });
});

describe('fromPromise', () => {
  it('calls the factory on the first poll, not before', async () => {
    let called = 0;
    const f = fromPromise(() => {
      called++;
      return Promise.resolve(1);
    });
    expect(called).toBe(0);
    expect(await toPromise(f)).toBe(1);
    expect(called).toBe(1);
  });

  it('creates a signal only for factories that take one, and aborts it on cancel', () => {
    let seen: AbortSignal | undefined;
    const noSignal = fromPromise((...args: unknown[]) => {
      seen = args[0] as AbortSignal | undefined;
      return new Promise<never>(() => {});
    });
    noSignal.poll(Context.detached(noopWaker));
    expect(seen).toBeUndefined();

    const f = fromPromise((signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    });
    expect(f.poll(Context.detached(noopWaker))).toBe(PENDING);
    expect(seen!.aborted).toBe(false);
    f.cancel();
    expect(seen!.aborted).toBe(true);
    expect(seen!.reason).toBeInstanceOf(CancelledError);
    expect(seen!.reason).toBeInstanceOf(ZokioError);
  });

  it('takes the outcome of a thenable that calls back synchronously, inside then', async () => {
    const settled = (ok: boolean, v: unknown): PromiseLike<number> => ({
      then(onValue, onError) {
        if (ok) onValue?.(v as number);
        else onError?.(v);
        return Promise.resolve() as never;
      },
    });
    expect(await toPromise(fromPromise(() => settled(true, 42)))).toBe(42);
    await expect(toPromise(fromPromise(() => settled(false, new Error('boom'))))).rejects.toThrow('boom');
  });

  it('rejects a factory that does not return a promise', async () => {
    await expect(toPromise(fromPromise(() => 5 as never))).rejects.toThrow(
      /fromPromise: Expected the factory to return a Promise, got number 5/,
    );
  });

  it('propagates rejections into the generator', async () => {
    const f = fn(function* () {
      try {
        yield* fromPromise(() => Promise.reject(new Error('nope')));
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(await toPromise(f())).toBe('nope');
  });
});

describe('coop budget', () => {
  it('pollProceed spends budget and forces a yield when it is spent', () => {
    let exhausted = 0;
    let woke = 0;
    const cx = new Context(
      { wake: () => woke++ },
      { budget: 2, budgetExhausted: () => exhausted++, service: () => undefined },
    );
    expect(pollProceed(cx)).toBe(true);
    expect(pollProceed(cx)).toBe(true);
    expect(pollProceed(cx)).toBe(false);
    expect([exhausted, woke]).toEqual([1, 1]);
    expect(consumeBudget().poll(cx)).toBe(PENDING);
    expect(unconstrained(consumeBudget()).poll(cx)).toBeUndefined();
    expect(cx.executor.budget).toBe(0);
  });
});

describe('ZokioError', () => {
  it('instanceof holds for any branded error, as from a duplicate install', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('zokio.error')]: true, code: 'ERR_X' });
    expect(foreign instanceof ZokioError).toBe(true);
    expect(new Error('plain') instanceof ZokioError).toBe(false);
    expect(new CancelledError().name).toBe('CancelledError');
  });
});
