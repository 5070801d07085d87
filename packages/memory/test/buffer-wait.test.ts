/**
 * Back-pressure at the pool's cap (`waitForBuffer`, `buffer-wait.ts`): a waiter is woken when a buffer of its class
 * comes back, oldest first; one that leaves is out of the line, and a turn it was given and did not use goes to the
 * next; no wait begins when none of the class is out; closing wakes everyone.
 */
import { describe, expect, it } from 'vitest';
import { BufferPool, PoolClosedError, PoolExhaustedError } from '@zokio/memory';

const PAGE = 65536;

/** A pool of one 64 KiB chunk of the 64 KiB class (arena = cap = one page), its chunk held. */
function fullPool() {
  const pool = new BufferPool({ arenaBytes: PAGE, maxBytes: PAGE });
  const held = pool.acquire(PAGE);
  expect(() => pool.acquire(PAGE)).toThrow(PoolExhaustedError);
  return { pool, held };
}

/** A waker that records its wake-ups. */
function waker(name: string, log: string[]) {
  return { wake: () => log.push(name) };
}

describe('BufferPool.waitForBuffer', () => {
  it('wakes the oldest waiter when a buffer of its class comes back, one per release', () => {
    const { pool, held } = fullPool();
    const log: string[] = [];
    const a = pool.waitForBuffer(PAGE, waker('a', log))!;
    const b = pool.waitForBuffer(PAGE, waker('b', log))!;
    expect([a.woken, b.woken]).toEqual([false, false]);
    pool.release(held);
    expect(log).toEqual(['a']);
    expect([a.woken, b.woken]).toEqual([true, false]);
    const got = pool.acquire(PAGE); // a's turn
    pool.release(got);
    expect(log).toEqual(['a', 'b']);
  });

  it('a waiter that leaves the line is never woken; a woken one that leaves passes its turn on', () => {
    const { pool, held } = fullPool();
    const log: string[] = [];
    const a = pool.waitForBuffer(PAGE, waker('a', log))!;
    const b = pool.waitForBuffer(PAGE, waker('b', log))!;
    const c = pool.waitForBuffer(PAGE, waker('c', log))!;
    b.leave();
    pool.release(held); // wakes a
    expect(log).toEqual(['a']);
    a.leave(); // dropped before it acquired: the free buffer's turn goes to c, not lost
    expect(log).toEqual(['a', 'c']);
    expect(c.woken).toBe(true);
    a.leave(); // idempotent
    expect(log).toEqual(['a', 'c']);
    pool.acquire(PAGE); // c's
  });

  it('waits for nothing when no buffer of the class is out (none could come back)', () => {
    const pool = new BufferPool({ arenaBytes: PAGE, maxBytes: PAGE });
    const small = pool.acquire(256); // the only page goes to the 256 B class
    expect(() => pool.acquire(PAGE)).toThrow(PoolExhaustedError);
    expect(pool.waitForBuffer(PAGE, { wake() {} })).toBeUndefined();
    pool.release(small);
  });

  it('close wakes every waiter, whose next acquire throws PoolClosedError', () => {
    const { pool } = fullPool();
    const log: string[] = [];
    pool.waitForBuffer(PAGE, waker('a', log));
    pool.waitForBuffer(PAGE, waker('b', log));
    pool.close();
    expect(log).toEqual(['a', 'b']);
    expect(() => pool.acquire(PAGE)).toThrow(PoolClosedError);
    expect(pool.waitForBuffer(PAGE, { wake() {} })).toBeUndefined();
  });

  it('refuses a bad size or waker with what was expected', () => {
    const { pool } = fullPool();
    expect(() => pool.waitForBuffer(0, { wake() {} })).toThrow(
      /Expected a buffer size that is an integer from 1 to 65536, got number 0/,
    );
    expect(() => pool.waitForBuffer(PAGE + 1, { wake() {} })).toThrow(TypeError);
    expect(() => pool.waitForBuffer(PAGE, null as never)).toThrow(
      /Expected a waker \(an object with a wake method\), got null/,
    );
  });

  it('refuses a deadline that is not undefined or a finite number, joining no line', () => {
    const { pool } = fullPool();
    for (const deadline of [NaN, Infinity, -Infinity, 'soon', null, 10n]) {
      expect(() => pool.waitForBuffer(PAGE, { wake() {} }, deadline as never)).toThrow(
        /^BufferPool\.waitForBuffer: Expected a deadline that is undefined or a finite number, got /,
      );
    }
    expect(pool.stats().classes.at(-1)!.waiting).toBe(0);
  });

  it('waits for nothing when the deadline has passed; a later one bounds the wait', () => {
    const { pool } = fullPool();
    const now = performance.now();
    expect(pool.waitForBuffer(PAGE, { wake() {} }, now - 1)).toBeUndefined();
    expect(pool.waitForBuffer(PAGE, { wake() {} }, 0)).toBeUndefined();
    expect(pool.stats().classes.at(-1)!.waiting).toBe(0);
    const wait = pool.waitForBuffer(PAGE, { wake() {} }, now + 1000)!;
    expect(wait.deadline).toBe(now + 1000);
    expect(pool.stats().classes.at(-1)!.waiting).toBe(1);
    wait.leave();
    pool.close();
  });
});

describe('BufferPool.waitForBuffer: a woken waiter that leaves', () => {
  it('before acquiring frees the buffer for anyone when nobody else waits', () => {
    const { pool, held } = fullPool();
    const log: string[] = [];
    const a = pool.waitForBuffer(PAGE, waker('a', log))!;
    pool.release(held);
    a.leave();
    expect(pool.acquire(PAGE).capacity).toBe(PAGE);
  });
});

describe('BufferPool.waitForBuffer: bounded', () => {
  it('a wait past maxWaitMs leaves the line expired and is woken (its op then fails)', async () => {
    const pool = new BufferPool({ arenaBytes: PAGE, maxBytes: PAGE, maxWaitMs: 20 });
    const held = pool.acquire(PAGE);
    const log: string[] = [];
    const a = pool.waitForBuffer(PAGE, waker('a', log))!;
    await new Promise((r) => setTimeout(r, 60));
    expect(log).toEqual(['a']);
    expect([a.expired, a.woken]).toEqual([true, false]);
    expect(pool.stats().classes.at(-1)!.waiting).toBe(0);
    pool.release(held); // nobody waits any more: the chunk is simply free
    expect(log).toEqual(['a']);
    expect(pool.acquire(PAGE).capacity).toBe(PAGE);
  });

  it('maxWaitMs 0 never waits; a bad maxWaitMs is refused with what was expected', () => {
    const pool = new BufferPool({ arenaBytes: PAGE, maxBytes: PAGE, maxWaitMs: 0 });
    pool.acquire(PAGE);
    expect(pool.waitForBuffer(PAGE, { wake() {} })).toBeUndefined();
    expect(() => new BufferPool({ maxWaitMs: -1 })).toThrow(/Expected maxWaitMs to be a number of milliseconds/);
  });
});

describe('BufferPool.acquireLongLived', () => {
  it('no op waits for a long-lived buffer: a class held only so fails at once', () => {
    const pool = new BufferPool({ arenaBytes: PAGE, maxBytes: PAGE });
    const kept = pool.acquireLongLived(PAGE);
    expect(() => pool.acquire(PAGE)).toThrow(PoolExhaustedError);
    expect(pool.waitForBuffer(PAGE, { wake() {} })).toBeUndefined();
    pool.release(kept); // released as any other; the class is free again
    const again = pool.acquire(PAGE);
    expect(pool.waitForBuffer(PAGE, { wake() {} })).toBeDefined(); // an ordinary buffer out: a wait may begin
    pool.release(again);
  });
});
