/**
 * Model-based test of the BufferPool: random sequences of acquire(size) / release / stale release / foreign release
 * run against the real pool and against a model written for clarity: per size class, how many chunks were carved
 * and how many are free, plus the pages carved so far. After every step:
 * - the pool threw exactly when the model says it must (too large, exhausted, double or foreign release);
 * - every live buffer still holds the byte pattern written into its whole chunk when it was acquired (so no two live
 *   buffers overlap, and no pool operation wrote into one), and their ranges are disjoint;
 * - each buffer is at least the size asked for, in the smallest class that holds it, inside its arena;
 * - `stats()` equals the model, and reserved bytes never exceed `maxBytes`.
 * At the end everything is released and every chunk must be back on its free list.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BufferPool,
  BufferReleasedError,
  BufferTooLargeError,
  ForeignBufferError,
  type IoBuf,
  PoolExhaustedError,
} from '@zokio/memory';

const PAGE = 65536;
const CLASSES = 9;

type Op = { t: 'acquire'; size: number } | { t: 'release' | 'stale' | 'foreign'; i: number };

/** The smallest power of two ≥ max(size, 256), by counting: independent of the pool's `Math.clz32`. */
function modelClass(size: number): number {
  let c = 0;
  while (256 * 2 ** c < size) c++;
  return c;
}

class Model {
  pages = 0;
  arenas: number;
  chunks = new Array<number>(CLASSES).fill(0);
  free = new Array<number>(CLASSES).fill(0);
  highWater = new Array<number>(CLASSES).fill(0);
  inUseBytes = 0;
  highWaterBytes = 0;

  constructor(
    readonly pagesPerArena: number,
    readonly maxArenas: number,
    initialArenas: number,
  ) {
    this.arenas = initialArenas;
  }

  /** What acquire must do: 'ok', or the error it must throw. Updates the model on success. */
  acquire(size: number): 'ok' | 'tooLarge' | 'exhausted' {
    if (size > PAGE) return 'tooLarge';
    const c = modelClass(size);
    if (this.free[c] === 0) {
      if (this.pages + 1 > this.maxArenas * this.pagesPerArena) return 'exhausted';
      this.pages++;
      this.arenas = Math.max(this.arenas, Math.ceil(this.pages / this.pagesPerArena));
      const count = PAGE / (256 * 2 ** c);
      this.chunks[c]! += count;
      this.free[c] += count;
    }
    this.free[c]!--;
    this.highWater[c] = Math.max(this.highWater[c]!, this.chunks[c]! - this.free[c]!);
    this.inUseBytes += 256 * 2 ** c;
    this.highWaterBytes = Math.max(this.highWaterBytes, this.inUseBytes);
    return 'ok';
  }

  release(capacity: number): void {
    this.free[modelClass(capacity)]!++;
    this.inUseBytes -= capacity;
  }
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 2048 }) },
        { weight: 2, arbitrary: fc.integer({ min: 1, max: PAGE }) },
        { weight: 1, arbitrary: fc.constantFrom(1, 256, 257, 4096, 4097, 32769, PAGE, PAGE + 1, 1_000_000) },
      )
      .map((size) => ({ t: 'acquire' as const, size })),
  },
  { weight: 4, arbitrary: fc.nat().map((i) => ({ t: 'release' as const, i })) },
  { weight: 1, arbitrary: fc.nat().map((i) => ({ t: 'stale' as const, i })) },
  { weight: 1, arbitrary: fc.nat().map((i) => ({ t: 'foreign' as const, i })) },
);

const configArb = fc
  .record({ pagesPerArena: fc.integer({ min: 1, max: 3 }), maxArenas: fc.integer({ min: 1, max: 3 }) })
  .chain((c) => fc.integer({ min: 0, max: c.maxArenas }).map((initialArenas) => ({ ...c, initialArenas })));

interface Live {
  buf: IoBuf;
  size: number;
  pattern: number;
}

function catchCode(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

function run(config: { pagesPerArena: number; maxArenas: number; initialArenas: number }, ops: Op[]): void {
  const { pagesPerArena, maxArenas, initialArenas } = config;
  const pool = new BufferPool({
    arenaBytes: pagesPerArena * PAGE,
    maxBytes: maxArenas * pagesPerArena * PAGE,
    initialArenas,
  });
  const other = new BufferPool({ arenaBytes: PAGE, maxBytes: PAGE });
  const model = new Model(pagesPerArena, maxArenas, initialArenas);
  const live: Live[] = [];
  const released: IoBuf[] = [];
  let serial = 0;

  const check = () => {
    // Patterns intact: nothing overlapped or scribbled on a live chunk.
    for (const { buf, pattern } of live) {
      expect(Buffer.from(buf.bytes).equals(Buffer.alloc(buf.capacity, pattern))).toBe(true);
    }
    // Ranges disjoint.
    const ranges = live
      .map(({ buf }) => [buf.arenaId * pool.arenaBytes + buf.offset, buf.capacity] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let k = 1; k < ranges.length; k++)
      expect(ranges[k - 1]![0] + ranges[k - 1]![1]).toBeLessThanOrEqual(ranges[k]![0]);
    const s = pool.stats();
    expect(s.reservedBytes).toBeLessThanOrEqual(pool.maxBytes);
    expect(s).toEqual({
      arenas: model.arenas,
      arenaBytes: pagesPerArena * PAGE,
      reservedBytes: model.arenas * pagesPerArena * PAGE,
      maxBytes: maxArenas * pagesPerArena * PAGE,
      carvedBytes: model.pages * PAGE,
      inUseBytes: model.inUseBytes,
      highWaterBytes: model.highWaterBytes,
      classes: model.chunks.map((chunks, c) => ({
        size: 256 * 2 ** c,
        chunks,
        inUse: chunks - model.free[c]!,
        free: model.free[c],
        highWater: model.highWater[c],
        waiting: 0, // the model never waits (no op here waits for a buffer)
      })),
    });
  };

  for (const op of ops) {
    switch (op.t) {
      case 'acquire': {
        const want = model.acquire(op.size);
        if (want === 'ok') {
          const buf = pool.acquire(op.size);
          const c = modelClass(op.size);
          expect(buf.length).toBe(op.size);
          expect(buf.capacity).toBe(256 * 2 ** c);
          expect(buf.sizeClass).toBe(c);
          expect(buf.inUse).toBe(true);
          expect(buf.arena).toBe(pool.arenas[buf.arenaId]);
          expect(buf.bytes.buffer).toBe(buf.arena.buffer);
          expect(buf.bytes.byteOffset).toBe(buf.offset);
          expect(buf.bytes.length).toBe(buf.capacity);
          expect(buf.offset % buf.capacity).toBe(0);
          expect(buf.offset + buf.capacity).toBeLessThanOrEqual(pool.arenaBytes);
          expect(live.some((l) => l.buf === buf)).toBe(false);
          const r = released.indexOf(buf);
          if (r >= 0) released.splice(r, 1);
          const pattern = (serial++ % 255) + 1;
          buf.bytes.fill(pattern);
          live.push({ buf, size: op.size, pattern });
        } else {
          const error = catchCode(() => pool.acquire(op.size));
          expect(error).toBeInstanceOf(want === 'tooLarge' ? BufferTooLargeError : PoolExhaustedError);
        }
        break;
      }
      case 'release': {
        if (live.length === 0) break;
        const [entry] = live.splice(op.i % live.length, 1);
        pool.release(entry!.buf);
        model.release(entry!.buf.capacity);
        expect(entry!.buf.inUse).toBe(false);
        released.push(entry!.buf);
        break;
      }
      case 'stale': {
        if (released.length === 0) break;
        expect(catchCode(() => pool.release(released[op.i % released.length]!))).toBeInstanceOf(BufferReleasedError);
        break;
      }
      case 'foreign': {
        if (live.length === 0) break;
        expect(catchCode(() => other.release(live[op.i % live.length]!.buf))).toBeInstanceOf(ForeignBufferError);
        break;
      }
    }
    check();
  }

  for (const { buf } of live.splice(0)) {
    pool.release(buf);
    model.release(buf.capacity);
  }
  check();
  for (const c of pool.stats().classes) {
    expect(c.inUse).toBe(0);
    expect(c.free).toBe(c.chunks);
  }
}

describe('BufferPool against a model', () => {
  it('never overlaps live buffers, sizes and classes them right, and keeps stats and maxBytes', () => {
    fc.assert(
      fc.property(configArb, fc.array(opArb, { maxLength: 150 }), (config, ops) => run(config, ops)),
      { numRuns: 200 },
    );
  });
});
