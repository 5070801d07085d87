import { describe, expect, it } from 'vitest';
import { ObjectPool } from '@zokio/memory';

interface Op {
  id: number;
  token: number;
  buf: Uint8Array | undefined;
}

function opPool(max?: number) {
  let ids = 0;
  const resets: Op[] = [];
  const pool = new ObjectPool<Op>(
    () => ({ id: ids++, token: 0, buf: undefined }),
    (op) => {
      resets.push(op);
      op.token = 0;
      op.buf = undefined;
    },
    max === undefined ? {} : { max },
  );
  return { pool, resets };
}

describe('ObjectPool', () => {
  it('creates when empty and reuses a released object, reset, without creating', () => {
    const { pool, resets } = opPool();
    const a = pool.acquire();
    const b = pool.acquire();
    expect(a).not.toBe(b);
    a.token = 7;
    a.buf = new Uint8Array(1);
    pool.release(a);
    expect(resets).toEqual([a]);
    expect(a).toEqual({ id: 0, token: 0, buf: undefined });
    expect(pool.acquire()).toBe(a);
    expect(pool.stats()).toEqual({ created: 2, inUse: 2, free: 0, dropped: 0, max: 1024 });
  });

  it('hands released objects back last-in first-out and creates nothing in steady state', () => {
    const { pool } = opPool();
    const warm = [pool.acquire(), pool.acquire(), pool.acquire()];
    for (const op of warm) pool.release(op);
    const seen = new Set<Op>();
    for (let i = 0; i < 1000; i++) {
      const x = pool.acquire();
      const y = pool.acquire();
      seen.add(x).add(y);
      pool.release(y);
      pool.release(x);
    }
    expect(pool.stats().created).toBe(3);
    expect(seen.size).toBe(2);
    expect(pool.acquire()).toBe(warm[2]);
  });

  it('keeps at most `max` idle objects and leaves the rest to the GC', () => {
    const { pool } = opPool(2);
    const ops = [pool.acquire(), pool.acquire(), pool.acquire()];
    for (const op of ops) pool.release(op);
    expect(pool.stats()).toEqual({ created: 3, inUse: 0, free: 2, dropped: 1, max: 2 });
    const again = [pool.acquire(), pool.acquire(), pool.acquire()];
    expect(again[0]).toBe(ops[1]);
    expect(again[1]).toBe(ops[0]);
    expect(again.slice(2)).not.toContain(ops[2]);
    expect(pool.stats().created).toBe(4);
  });

  it('with max 0 keeps nothing', () => {
    const { pool } = opPool(0);
    const a = pool.acquire();
    pool.release(a);
    expect(pool.acquire()).not.toBe(a);
    expect(pool.stats()).toMatchObject({ created: 2, free: 0, dropped: 1 });
  });

  it('does not keep an object whose reset threw', () => {
    const pool = new ObjectPool(
      () => ({ bad: false }),
      (o) => {
        if (o.bad) throw new Error('reset failed');
      },
    );
    const a = pool.acquire();
    a.bad = true;
    expect(() => pool.release(a)).toThrow('reset failed');
    // Released all the same: dropped (not half-reset on the free stack), and no longer counted in use.
    expect(pool.stats()).toEqual({ created: 1, inUse: 0, free: 0, dropped: 1, max: 1024 });
    expect(pool.acquire()).not.toBe(a);
    expect(pool.stats()).toMatchObject({ created: 2, inUse: 1, free: 0, dropped: 1 });
  });

  it('rejects bad arguments with Expected … got … TypeErrors', () => {
    expect(() => new ObjectPool(undefined as never, () => {})).toThrow(
      new TypeError('new ObjectPool: Expected a create function, got undefined'),
    );
    expect(() => new ObjectPool(() => ({}), 1 as never)).toThrow(
      new TypeError('new ObjectPool: Expected a reset function, got number 1'),
    );
    for (const max of [-1, 1.5, NaN]) {
      expect(
        () =>
          new ObjectPool(
            () => ({}),
            () => {},
            { max },
          ),
      ).toThrow(TypeError);
    }
    expect(
      () =>
        new ObjectPool(
          () => ({}),
          () => {},
          null as never,
        ),
    ).toThrow(TypeError);
    expect(
      new ObjectPool(
        () => ({}),
        () => {},
        { max: Infinity },
      ).max,
    ).toBe(Infinity);
  });
});
