import { describe, expect, it } from 'vitest';
import { Context, failed, fn, FutureBase, PENDING, ready, toPromise, type Poll, type Waker } from '@zokio/future';
import { LocalScheduler, spawn } from '@zokio/scheduler';
import { OnceCell, OnceCellSetError } from '@zokio/sync';
import { drive } from './hand.js';

/** An initializer future completed by hand; counts cancels. */
class Gate<T> extends FutureBase<T> {
  cancels = 0;
  #waker: Waker | undefined;
  #done = false;
  #value: T | undefined;
  poll(cx: Context): Poll<T> {
    if (this.#done) return this.#value as T;
    this.#waker = cx.waker;
    return PENDING;
  }
  override cancel(): undefined {
    this.cancels++;
    return undefined;
  }
  open(value: T): void {
    this.#value = value;
    this.#done = true;
    this.#waker?.wake();
  }
}

describe('OnceCell', () => {
  it('set stores once; a second set fails with a typed error', () => {
    const cell = new OnceCell<number>();
    expect(cell.initialized).toBe(false);
    expect(cell.get()).toBeUndefined();
    cell.set(1);
    expect(cell.get()).toBe(1);
    expect(() => cell.set(2)).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_ONCE_CELL_INITIALIZED' }));
    expect(cell.get()).toBe(1);
  });

  it('getOrInit runs one initializer; the others wait and get its value', () => {
    const cell = new OnceCell<string>();
    const init = new Gate<string>();
    let inits = 0;
    const make = () => {
      inits++;
      return init;
    };
    const [a, b] = [drive(cell.getOrInit(make)), drive(cell.getOrInit(make))];
    expect(a.poll()).toBe(PENDING);
    expect(b.poll()).toBe(PENDING);
    expect(inits).toBe(1);
    expect(() => cell.set('x')).toThrow(OnceCellSetError);
    init.open('value');
    expect(a.poll()).toBe('value');
    expect(b.wakes).toBe(1);
    expect(b.poll()).toBe('value');
    expect(inits).toBe(1);
  });

  it('if the initializer throws, the caller gets the error and the next waiter initializes', () => {
    const cell = new OnceCell<number>();
    const failing = drive(cell.getOrInit(() => failed(new Error('boom'))));
    const second = new Gate<number>();
    const next = drive(cell.getOrInit(() => second));
    expect(() => failing.poll()).toThrow('boom');
    expect(next.poll()).toBe(PENDING);
    second.open(2);
    expect(next.poll()).toBe(2);
    expect(cell.get()).toBe(2);
  });

  it('if the running initializer is cancelled, it is dropped and the next waiter initializes', () => {
    const cell = new OnceCell<number>();
    const first = new Gate<number>();
    const a = drive(cell.getOrInit(() => first));
    const b = drive(cell.getOrInit(() => ready(7)));
    a.poll();
    b.poll();
    a.future.cancel();
    expect(first.cancels).toBe(1);
    expect(b.wakes).toBe(1);
    expect(b.poll()).toBe(7);
    expect(cell.get()).toBe(7);
  });

  it('a cancelled waiter does not take its turn from the others', () => {
    const cell = new OnceCell<number>();
    const first = new Gate<number>();
    const a = drive(cell.getOrInit(() => first));
    const quitter = drive(cell.getOrInit(() => ready(-1)));
    const c = drive(cell.getOrInit(() => ready(3)));
    a.poll();
    quitter.poll();
    c.poll();
    quitter.future.cancel();
    a.future.cancel();
    expect(c.poll()).toBe(3);
  });

  it('set is refused while an initializer runs, then getOrInit returns what set stored', async () => {
    const cell = new OnceCell<number>();
    cell.set(5);
    expect(await toPromise(cell.getOrInit(() => ready(6)))).toBe(5);
    expect(() => cell.getOrInit(42 as never)).toThrow(/Expected a function returning a Future, got number 42/);
  });

  it('initializes once across many tasks on a real scheduler', async () => {
    const scheduler = new LocalScheduler();
    const cell = new OnceCell<number>();
    let inits = 0;
    const values = await scheduler.spawn(
      fn(function* () {
        const init = fn(function* () {
          inits++;
          yield* ready(undefined);
          return 42;
        });
        const handles = Array.from({ length: 5 }, () => spawn(cell.getOrInit(() => init())));
        const out: number[] = [];
        for (const h of handles) out.push(yield* h);
        return out;
      })(),
    );
    expect(values).toEqual([42, 42, 42, 42, 42]);
    expect(inits).toBe(1);
  });
});
