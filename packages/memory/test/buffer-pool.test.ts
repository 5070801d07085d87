import { describe, expect, it } from 'vitest';
import { ZokioError } from '@zokio/future';
import {
  type Arena,
  BufferPool,
  BufferReleasedError,
  BufferTooLargeError,
  ForeignBufferError,
  IoBuf,
  MAX_BUFFER_BYTES,
  PoolClosedError,
  PoolExhaustedError,
  PoolReentrantError,
  sizeClassOf,
} from '@zokio/memory';

const PAGE = 65536;

/** A pool of `arenas` arenas of `pages` pages each. */
const small = (pages = 2, arenas = 2, initialArenas = 1) =>
  new BufferPool({ arenaBytes: pages * PAGE, maxBytes: pages * PAGE * arenas, initialArenas });

describe('BufferPool.acquire', () => {
  it('hands out a view of `length` bytes in a chunk of the size class, inside an arena', () => {
    const pool = small();
    const buf = pool.acquire(1000);
    expect(buf).toBeInstanceOf(IoBuf);
    expect(buf.length).toBe(1000);
    expect(buf.capacity).toBe(1024);
    expect(buf.sizeClass).toBe(2);
    expect(buf.inUse).toBe(true);
    expect(buf.arena).toBe(pool.arenas[0]);
    expect(buf.arenaId).toBe(0);
    expect(buf.offset % buf.capacity).toBe(0);
    expect(buf.bytes.buffer).toBe(buf.arena.buffer);
    expect(buf.bytes.byteOffset).toBe(buf.offset);
    expect(buf.bytes.length).toBe(buf.capacity);
    buf.bytes.fill(7);
    expect(buf.arena.bytes[buf.offset]).toBe(7);
    expect(buf.arena.bytes[buf.offset + buf.capacity - 1]).toBe(7);
  });

  it('hands out chunks that do not overlap, in address order within a page', () => {
    const pool = small();
    const a = pool.acquire(256);
    const b = pool.acquire(200);
    const c = pool.acquire(4096);
    expect(b.offset).toBe(a.offset + 256);
    expect([a.sizeClass, b.sizeClass, c.sizeClass]).toEqual([0, 0, 4]);
    // Different classes live in different pages.
    expect(Math.floor(c.offset / PAGE)).not.toBe(Math.floor(a.offset / PAGE));
  });

  it('accepts every size from 1 to MAX_BUFFER_BYTES', () => {
    const pool = small(4, 1);
    for (const size of [1, 255, 256, 257, 65535, MAX_BUFFER_BYTES]) {
      const buf = pool.acquire(size);
      expect(buf.length).toBe(size);
      expect(buf.sizeClass).toBe(sizeClassOf(size));
      pool.release(buf);
    }
  });

  it('rejects sizes that are not integers ≥ 1 with an Expected … got … TypeError', () => {
    const pool = small();
    expect(() => pool.acquire(0)).toThrow(
      new TypeError('BufferPool.acquire: Expected a buffer size that is an integer ≥ 1, got number 0'),
    );
    for (const bad of [-1, 1.5, NaN, Infinity, '10', undefined]) {
      expect(() => pool.acquire(bad as number)).toThrow(TypeError);
    }
    expect(pool.stats().inUseBytes).toBe(0);
  });

  it('throws BufferTooLargeError above the largest class', () => {
    const pool = small();
    const error = (() => {
      try {
        pool.acquire(MAX_BUFFER_BYTES + 1);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(BufferTooLargeError);
    expect(error).toBeInstanceOf(ZokioError);
    expect(error).toMatchObject({ code: 'ERR_ZOKIO_BUFFER_TOO_LARGE', requested: MAX_BUFFER_BYTES + 1 });
  });

  it('grows by whole arenas and throws PoolExhaustedError rather than pass maxBytes', () => {
    const pool = small(2, 2);
    const bufs = [pool.acquire(PAGE), pool.acquire(PAGE)];
    expect(pool.arenas).toHaveLength(1);
    bufs.push(pool.acquire(PAGE));
    expect(pool.arenas).toHaveLength(2);
    expect(bufs[2]!.arenaId).toBe(1);
    bufs.push(pool.acquire(PAGE));
    expect(() => pool.acquire(PAGE)).toThrow(PoolExhaustedError);
    expect(() => pool.acquire(1)).toThrow(
      expect.objectContaining({ code: 'ERR_ZOKIO_POOL_EXHAUSTED', requested: 1, maxBytes: 4 * PAGE }),
    );
    expect(pool.stats().reservedBytes).toBe(4 * PAGE);
    pool.release(bufs[0]!);
    expect(pool.acquire(PAGE)).toBe(bufs[0]);
  });

  it('keeps a page with the class that carved it: one class can be exhausted while another has room', () => {
    const pool = small(1, 1);
    const small1 = pool.acquire(256); // carves the only page for class 0
    expect(() => pool.acquire(512)).toThrow(PoolExhaustedError);
    pool.release(small1);
    expect(() => pool.acquire(512)).toThrow(PoolExhaustedError);
    expect(pool.stats().classes[0]).toMatchObject({ chunks: 256, free: 256, inUse: 0 });
  });

  it('allocates the first arena lazily when initialArenas is 0', () => {
    const pool = small(1, 2, 0);
    expect(pool.arenas).toHaveLength(0);
    expect(pool.stats().reservedBytes).toBe(0);
    const buf = pool.acquire(10);
    expect(buf.arenaId).toBe(0);
    expect(pool.arenas).toHaveLength(1);
  });
});

describe('BufferPool reuse', () => {
  it('gives the released chunk back as the same IoBuf and the same view', () => {
    const pool = small();
    const a = pool.acquire(1000);
    const view = a.bytes;
    pool.release(a);
    const b = pool.acquire(700);
    expect(b).toBe(a);
    expect(b.bytes).toBe(view);
    expect(b.length).toBe(700);
  });

  it('creates no IoBuf, view, page or arena in steady state', () => {
    const pool = small(8, 1);
    const seen = new Set<IoBuf>();
    const views = new Set<Uint8Array>();
    const live: IoBuf[] = [];
    const sizes = [100, 300, 1000, 5000, 40000];
    // Warm-up: the working set is at most 3 buffers per class at once.
    for (let round = 0; round < 2; round++) {
      for (const size of sizes) for (let k = 0; k < 3; k++) live.push(pool.acquire(size));
      while (live.length > 0) pool.release(live.pop()!);
    }
    const before = pool.stats();
    for (let i = 0; i < 5000; i++) {
      const buf = pool.acquire(sizes[i % sizes.length]! - (i % 7));
      seen.add(buf);
      views.add(buf.bytes);
      live.push(buf);
      if (live.length === 3) pool.release(live.shift()!);
    }
    while (live.length > 0) pool.release(live.pop()!);
    const after = pool.stats();
    expect(after.carvedBytes).toBe(before.carvedBytes);
    expect(after.arenas).toBe(before.arenas);
    expect(after.classes.map((c) => c.chunks)).toEqual(before.classes.map((c) => c.chunks));
    expect(seen.size).toBeLessThanOrEqual(3 * sizes.length);
    expect(views.size).toBe(seen.size);
  });
});

describe('BufferPool.release', () => {
  it('returns the chunk to its free list', () => {
    const pool = small();
    const buf = pool.acquire(2000);
    expect(pool.stats().classes[3]).toMatchObject({ inUse: 1, free: 31 });
    pool.release(buf);
    expect(buf.inUse).toBe(false);
    expect(pool.stats().classes[3]).toMatchObject({ inUse: 0, free: 32 });
    expect(pool.stats().inUseBytes).toBe(0);
  });

  it('throws BufferReleasedError on a double release and leaves the pool intact', () => {
    const pool = small();
    const buf = pool.acquire(10);
    const other = pool.acquire(10);
    pool.release(buf);
    const before = pool.stats();
    expect(() => pool.release(buf)).toThrow(BufferReleasedError);
    expect(() => pool.release(buf)).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_BUFFER_RELEASED' }));
    expect(pool.stats()).toEqual(before);
    // The chunk is on the free list once, not twice: two acquires get two different chunks.
    const x = pool.acquire(10);
    const y = pool.acquire(10);
    expect(x).toBe(buf);
    expect(y).not.toBe(buf);
    expect(y).not.toBe(other);
  });

  it('throws ForeignBufferError for a buffer of another pool, which stays in use', () => {
    const a = small();
    const b = small();
    const buf = a.acquire(10);
    expect(() => b.release(buf)).toThrow(ForeignBufferError);
    expect(() => b.release(buf)).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_FOREIGN_BUFFER' }));
    expect(buf.inUse).toBe(true);
    expect(b.stats().inUseBytes).toBe(0);
    a.release(buf);
  });

  it('rejects what is not an IoBuf with an Expected … got … TypeError', () => {
    const pool = small();
    expect(() => pool.release(new Uint8Array(4) as unknown as IoBuf)).toThrow(
      new TypeError('BufferPool.release: Expected an IoBuf, got an instance of Uint8Array'),
    );
    expect(() => pool.release(undefined as unknown as IoBuf)).toThrow(TypeError);
  });

  it('rejects an object that merely inherits from IoBuf.prototype (passes instanceof) the same way', () => {
    const pool = small();
    const forged = Object.create(IoBuf.prototype) as IoBuf;
    expect(forged).toBeInstanceOf(IoBuf);
    expect(() => pool.release(forged)).toThrow(/^BufferPool\.release: Expected an IoBuf, got /);
    expect(() => pool.release({ __proto__: IoBuf.prototype } as unknown as IoBuf)).toThrow(
      /^BufferPool\.release: Expected an IoBuf, got /,
    );
    expect(pool.stats().inUseBytes).toBe(0);
  });
});

describe('BufferPool.stats', () => {
  it('counts arenas, reserved, carved, in-use and high-water bytes, per class', () => {
    const pool = small(2, 2);
    const a = pool.acquire(300);
    const b = pool.acquire(300);
    const c = pool.acquire(PAGE);
    pool.release(a);
    const s = pool.stats();
    expect(s).toMatchObject({
      arenas: 1,
      arenaBytes: 2 * PAGE,
      reservedBytes: 2 * PAGE,
      maxBytes: 4 * PAGE,
      carvedBytes: 2 * PAGE,
      inUseBytes: 512 + PAGE,
      highWaterBytes: 1024 + PAGE,
    });
    expect(s.classes).toHaveLength(9);
    expect(s.classes[1]).toEqual({
      size: 512,
      chunks: 128,
      inUse: 1,
      free: 127,
      highWater: 2,
      waiting: 0,
    });
    expect(s.classes[8]).toEqual({ size: PAGE, chunks: 1, inUse: 1, free: 0, highWater: 1, waiting: 0 });
    expect(s.classes[0]).toEqual({ size: 256, chunks: 0, inUse: 0, free: 0, highWater: 0, waiting: 0 });
    pool.release(b);
    pool.release(c);
    expect(pool.stats().highWaterBytes).toBe(1024 + PAGE);
  });
});

describe('BufferPool.onArena', () => {
  it('replays existing arenas, then reports each new one before a buffer in it is handed out', () => {
    const pool = small(1, 3, 2);
    const seen: number[] = [];
    const off = pool.onArena((arena) => {
      seen.push(arena.id);
      // Nothing has been carved from the new arena yet (the pre-allocated ones are replayed before any carving).
      expect(pool.stats().carvedBytes).toBe(arena.id < 2 ? 0 : 2 * PAGE);
    });
    expect(seen).toEqual([0, 1]);
    expect(pool.acquire(PAGE).arenaId).toBe(0);
    expect(pool.acquire(PAGE).arenaId).toBe(1); // the arena allocated up front, not a new one
    expect(seen).toEqual([0, 1]);
    const buf = pool.acquire(PAGE);
    expect(buf.arenaId).toBe(2);
    expect(seen).toEqual([0, 1, 2]);
    off();
    off();
  });

  it('stops calling a callback after unsubscribe', () => {
    const pool = small(1, 2);
    const seen: Arena[] = [];
    pool.onArena((arena) => seen.push(arena))();
    pool.acquire(PAGE);
    pool.acquire(PAGE);
    expect(seen.map((a) => a.id)).toEqual([0]);
  });

  it('propagates a callback error from acquire, still tells the other callbacks, and keeps the arena', () => {
    const pool = small(1, 2);
    const told: number[] = [];
    pool.onArena((arena) => {
      if (arena.id === 1) throw new Error('register failed');
    });
    pool.onArena((arena) => told.push(arena.id));
    pool.acquire(PAGE);
    expect(() => pool.acquire(PAGE)).toThrow('register failed');
    expect(told).toEqual([0, 1]);
    expect(pool.arenas).toHaveLength(2);
    expect(pool.acquire(PAGE).arenaId).toBe(1);
    expect(told).toEqual([0, 1]);
  });

  it('refuses acquire from inside a callback: the callbacks after it are told before a buffer in the arena is out', () => {
    const pool = small(1, 4);
    const log: string[] = [];
    const errors: unknown[] = [];
    pool.onArena(() => {
      try {
        log.push(`cb1 got a buffer in arena ${pool.acquire(256).arenaId}`);
      } catch (error) {
        errors.push(error);
      }
    });
    pool.onArena((arena) => log.push(`cb2 told of arena ${arena.id}`));
    pool.acquire(PAGE); // fills arena 0
    const buf = pool.acquire(PAGE); // creates arena 1: no RangeError, carved whole
    expect(buf.arenaId).toBe(1);
    expect(log).toEqual(['cb2 told of arena 0', 'cb2 told of arena 1']);
    expect(errors).toHaveLength(2); // the replay of arena 0, and the report of arena 1
    for (const error of errors) {
      expect(error).toBeInstanceOf(PoolReentrantError);
      expect(error).toBeInstanceOf(ZokioError);
      expect(error).toMatchObject({ code: 'ERR_ZOKIO_POOL_REENTRANT' });
    }
    expect(pool.stats()).toMatchObject({ arenas: 2, carvedBytes: 2 * PAGE, inUseBytes: 2 * PAGE });
    expect(pool.stats().classes[0]!.chunks).toBe(0);
    expect(pool.acquire(256).arenaId).toBe(2); // outside a callback, acquire works again
  });

  it("an uncaught PoolReentrantError comes out of the acquire that made the report, after every callback's turn", () => {
    const pool = small(1, 3);
    const told: number[] = [];
    pool.onArena((arena) => {
      if (arena.id === 1) pool.acquire(256);
    });
    pool.onArena((arena) => told.push(arena.id));
    pool.acquire(PAGE);
    expect(() => pool.acquire(PAGE)).toThrow(PoolReentrantError);
    expect(told).toEqual([0, 1]);
    expect(pool.acquire(PAGE).arenaId).toBe(1); // the arena stays, whole
  });

  it('a callback that closes the pool stops the report, and the acquire that made it hands nothing out', () => {
    const pool = small(1, 4);
    const told: number[] = [];
    const held = pool.acquire(PAGE);
    pool.onArena((arena) => {
      if (arena.id === 1) pool.close();
    });
    pool.onArena((arena) => told.push(arena.id));
    expect(() => pool.acquire(PAGE)).toThrow(PoolClosedError);
    expect(told).toEqual([0]); // dropped by close before its turn
    expect(pool.stats()).toMatchObject({ arenas: 2, inUseBytes: PAGE });
    pool.release(held);
    expect(() => pool.acquire(PAGE)).toThrow(PoolClosedError);
  });

  it('a callback that closes the pool during its replay stops it, and onArena throws PoolClosedError', () => {
    const pool = small(1, 2, 2);
    const seen: number[] = [];
    expect(() =>
      pool.onArena((arena) => {
        seen.push(arena.id);
        pool.close();
      }),
    ).toThrow(PoolClosedError);
    expect(seen).toEqual([0]);
  });

  it('rejects a non-function', () => {
    expect(() => small().onArena(42 as unknown as () => void)).toThrow(
      new TypeError('BufferPool.onArena: Expected a function, got number 42'),
    );
  });
});

describe('BufferPool.close', () => {
  it('refuses acquire and onArena, keeps buffers out valid and releasable', () => {
    const pool = small();
    const buf = pool.acquire(10);
    buf.bytes[0] = 42;
    pool.close();
    pool.close();
    expect(pool.closed).toBe(true);
    expect(() => pool.acquire(10)).toThrow(PoolClosedError);
    expect(() => pool.acquire(10)).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_POOL_CLOSED' }));
    expect(() => pool.onArena(() => {})).toThrow(PoolClosedError);
    expect(buf.bytes[0]).toBe(42);
    pool.release(buf);
    expect(pool.stats().inUseBytes).toBe(0);
    expect(() => pool.release(buf)).toThrow(BufferReleasedError);
  });

  it('is what `using` calls', () => {
    let outer: BufferPool;
    {
      using pool = small();
      outer = pool;
      expect(pool.closed).toBe(false);
    }
    expect(outer.closed).toBe(true);
  });
});

describe('new BufferPool', () => {
  it('rejects bad options with Expected … got … TypeErrors', () => {
    expect(() => new BufferPool({ arenaBytes: 1000 })).toThrow(
      new TypeError('new BufferPool: Expected arenaBytes to be a multiple of 65536 up to 1073741824, got number 1000'),
    );
    for (const options of [
      { arenaBytes: 0 },
      { arenaBytes: PAGE + 1 },
      { arenaBytes: 2 ** 31 },
      { arenaBytes: NaN },
      { arenaBytes: PAGE, maxBytes: PAGE - 1 },
      { arenaBytes: PAGE, maxBytes: NaN },
      { arenaBytes: PAGE, maxBytes: 1.5 * PAGE + 0.5 },
      { arenaBytes: PAGE, maxBytes: 2 * PAGE, initialArenas: 3 },
      { arenaBytes: PAGE, maxBytes: 2 * PAGE, initialArenas: -1 },
      null,
      7,
    ]) {
      expect(() => new BufferPool(options as never)).toThrow(TypeError);
    }
  });

  it('defaults to one 4 MiB arena and a 64 MiB bound, and accepts Infinity', () => {
    const pool = new BufferPool();
    expect(pool.stats()).toMatchObject({ arenas: 1, arenaBytes: 4 << 20, maxBytes: 64 << 20 });
    expect(new BufferPool({ arenaBytes: PAGE, maxBytes: Infinity, initialArenas: 0 }).maxBytes).toBe(Infinity);
  });
});
