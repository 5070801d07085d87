import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EMPTY, JobDeque, RETRY } from '../src/pool/deque.js';

describe('JobDeque on one thread', () => {
  it('behaves as a double-ended list: push/pop at the bottom, steal at the top, bounded', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4, 8, 16),
        fc.array(fc.oneof(fc.constant('pop' as const), fc.constant('steal' as const), fc.nat({ max: 1000 })), {
          maxLength: 300,
        }),
        (capacity, ops) => {
          const deque = new JobDeque(JobDeque.allocate(capacity));
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'pop') expect(deque.pop()).toBe(model.pop() ?? EMPTY);
            else if (op === 'steal') expect(deque.steal()).toBe(model.shift() ?? EMPTY);
            else {
              const fits = model.length < capacity;
              expect(deque.push(op)).toBe(fits);
              if (fits) model.push(op);
            }
            expect(deque.length).toBe(model.length);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps working across many wraps of its ring, and across the wrap of its 32-bit counters', () => {
    const deque = new JobDeque(JobDeque.allocate(4));
    for (let i = 0; i < 100_000; i++) {
      expect(deque.push(i)).toBe(true);
      expect(deque.push(i + 1)).toBe(true);
      expect(deque.steal()).toBe(i);
      expect(deque.pop()).toBe(i + 1);
    }
    expect(deque.length).toBe(0);
    // Counters just below 2^31: they wrap to -2^31 within the next few operations.
    const buffer = JobDeque.allocate(4);
    const cells = new Int32Array(buffer);
    cells[0] = cells[1] = 0x7ffffffe;
    const wrapped = new JobDeque(buffer);
    const model: number[] = [];
    for (let i = 0; i < 64; i++) {
      for (const job of [i, i + 100, i + 200]) {
        expect(wrapped.push(job)).toBe(true);
        model.push(job);
      }
      expect(wrapped.length).toBe(model.length);
      expect(wrapped.steal()).toBe(model.shift());
      expect(wrapped.pop()).toBe(model.pop());
      expect(wrapped.pop()).toBe(model.pop());
    }
    expect(cells[0]).toBeLessThan(0); // it did wrap
  });

  it('stealHalf moves half (rounded up), oldest first, as far as the thief has room', () => {
    const victim = new JobDeque(JobDeque.allocate(16));
    const thief = new JobDeque(JobDeque.allocate(4));
    for (let i = 0; i < 7; i++) victim.push(i);
    expect(victim.stealHalf(thief)).toBe(4);
    expect([thief.steal(), thief.steal(), thief.steal(), thief.steal()]).toEqual([0, 1, 2, 3]);
    thief.push(100);
    thief.push(101);
    expect(victim.stealHalf(thief)).toBe(2); // 3 left, want 2, room 2
    expect(victim.length).toBe(1);
  });

  it('refuses bad capacities and buffers with errors that say what was expected', () => {
    expect(() => JobDeque.allocate(3)).toThrow(/Expected a capacity that is a power of two from 2 to 2\^20, got 3/);
    expect(() => new JobDeque(new SharedArrayBuffer(12))).toThrow(/Expected a SharedArrayBuffer of 4 × \(2 \+ a power/);
    expect(RETRY).not.toBe(EMPTY);
  });
});

describe('JobDeque across threads', () => {
  it('8 threads pushing, popping and stealing run every job exactly once', async () => {
    const threads = 8;
    const roots = 100_000; // and as many children: 200,000 jobs
    const deques = Array.from({ length: threads }, () => JobDeque.allocate(256));
    const runs = new SharedArrayBuffer(4 * 2 * roots);
    const done = new SharedArrayBuffer(4);
    const workers = Array.from(
      { length: threads },
      (_, me) =>
        new Worker(new URL('./fixtures/ts-worker.mjs', import.meta.url), {
          workerData: {
            script: new URL('./fixtures/deque-worker.ts', import.meta.url).href,
            me,
            deques,
            runs,
            done,
            roots,
            threads,
            seed: 0x9e3779b9 + me,
          },
        }),
    );
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('error', reject);
            w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
          }),
      ),
    );
    const counts = new Int32Array(runs);
    const wrong = counts.findIndex((c) => c !== 1);
    expect(wrong === -1 ? 'every job once' : `job ${wrong} ran ${counts[wrong]} times`).toBe('every job once');
    expect(new Int32Array(done)[0]).toBe(2 * roots);
    for (const d of deques) expect(new JobDeque(d).length).toBe(0);
  }, 60_000);

  it('the last job, contended by the owner popping and a thief stealing, is taken exactly once (2,000,000 times)', async () => {
    const jobs = 2_000_000;
    const deque = JobDeque.allocate(4);
    const runs = new SharedArrayBuffer(4 * jobs);
    const done = new SharedArrayBuffer(4);
    await Promise.all(
      (['owner', 'thief'] as const).map((role) => {
        const w = new Worker(new URL('./fixtures/ts-worker.mjs', import.meta.url), {
          workerData: {
            script: new URL('./fixtures/deque-duel.ts', import.meta.url).href,
            role,
            deque,
            runs,
            done,
            jobs,
          },
        });
        return new Promise<void>((resolve, reject) => {
          w.once('error', reject);
          w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
        });
      }),
    );
    const counts = new Int32Array(runs);
    const wrong = counts.findIndex((c) => c !== 1);
    expect(wrong === -1 ? 'every job once' : `job ${wrong} taken ${counts[wrong]} times`).toBe('every job once');
  }, 60_000);
});
