import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EMPTY, InjectQueue } from '../src/pool/inject-queue.js';

describe('InjectQueue on one thread', () => {
  it('is a bounded FIFO queue', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4, 8),
        fc.array(fc.oneof(fc.constant('pop' as const), fc.nat({ max: 1000 })), { maxLength: 300 }),
        (capacity, ops) => {
          const queue = new InjectQueue(InjectQueue.allocate(capacity));
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'pop') expect(queue.pop()).toBe(model.shift() ?? EMPTY);
            else {
              const fits = model.length < capacity;
              expect(queue.push(op)).toBe(fits);
              if (fits) model.push(op);
            }
            expect(queue.length).toBe(model.length);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('runs across the wrap of its 32-bit positions', () => {
    const buffer = InjectQueue.allocate(4);
    const cells = new Int32Array(buffer);
    // As if 2^31 − 2 jobs had gone through: positions and cell sequences just below the wrap.
    const start = 0x7ffffffe;
    cells[0] = cells[1] = start;
    for (let i = 0; i < 4; i++) {
      const p = start + ((i - (start & 3) + 4) & 3);
      cells[2 + 2 * (p & 3)] = p | 0;
    }
    const queue = new InjectQueue(buffer);
    for (let i = 0; i < 100; i++) {
      expect(queue.push(i)).toBe(true);
      expect(queue.push(i + 1000)).toBe(true);
      expect(queue.pop()).toBe(i);
      expect(queue.pop()).toBe(i + 1000);
    }
    expect(cells[0]).toBeLessThan(0);
  });

  it('refuses bad capacities and buffers with errors that say what was expected', () => {
    expect(() => InjectQueue.allocate(6)).toThrow(/Expected a capacity that is a power of two from 2 to 2\^20, got 6/);
    expect(() => new InjectQueue(new SharedArrayBuffer(16))).toThrow(/Expected a SharedArrayBuffer from/);
  });
});

describe('InjectQueue across threads', () => {
  it('4 producers and 4 consumers: every job taken exactly once, each producer’s in order', async () => {
    const producers = 4;
    const jobs = 400_000;
    const queue = InjectQueue.allocate(64);
    const runs = new SharedArrayBuffer(4 * jobs);
    const taken = new SharedArrayBuffer(4);
    const roles = [
      ...Array.from({ length: producers }, (_, first) => ({ role: 'producer', first })),
      ...Array.from({ length: 4 }, () => ({ role: 'consumer', first: 0 })),
    ];
    await Promise.all(
      roles.map(({ role, first }) => {
        const w = new Worker(new URL('./fixtures/ts-worker.mjs', import.meta.url), {
          workerData: {
            script: new URL('./fixtures/inject-worker.ts', import.meta.url).href,
            role,
            first,
            producers,
            queue,
            runs,
            taken,
            jobs,
          },
        });
        return new Promise<void>((resolve, reject) => {
          w.once('error', reject);
          w.once('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`${role} exited with ${code} (3: out of order)`)),
          );
        });
      }),
    );
    const counts = new Int32Array(runs);
    const wrong = counts.findIndex((c) => c !== 1);
    expect(wrong === -1 ? 'every job once' : `job ${wrong} taken ${counts[wrong]} times`).toBe('every job once');
    expect(new InjectQueue(queue).length).toBe(0);
  }, 60_000);
});
