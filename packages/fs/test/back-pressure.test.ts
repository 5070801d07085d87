/**
 * Back-pressure of the driver's buffer pool: at its cap an op waits for a buffer of its size to come back instead of
 * failing with `PoolExhaustedError` (`OpFuture`, `BufferPool.waitForBuffer`). Here many 64 KiB reads at once through
 * a pool capped at 1 MiB — room for 15 such buffers next to the page of path buffers — on every driver.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise } from '@zokio/future';
import { File } from '@zokio/fs';
import { PoolExhaustedError, type IoBuf } from '@zokio/memory';
import { Runtime } from '@zokio/runtime';
import { spawn, type JoinHandle } from '@zokio/scheduler';
import { drivers, tempDir } from '@zokio/runtime/testing';

const CHUNK = 65536;
const CAP = 1 << 20;

describe.each(drivers)('the buffer pool at its cap (%s)', (driver) => {
  /** A file of `chunks` random 64 KiB chunks, and a runtime on `driver` whose pool is capped at 1 MiB. */
  const setUp = (chunks: number) => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'data.bin');
    const data = randomBytes(chunks * CHUNK);
    writeFileSync(path, data);
    const rt = Runtime.create({ io: driver, bufferArenaBytes: CAP, bufferPoolMaxBytes: CAP });
    return { path, data, rt, cleanup };
  };

  it('256 concurrent 64 KiB reads through a 1 MiB pool all complete with the right bytes, never past the cap', async () => {
    const { path, data, rt, cleanup } = setUp(64);
    const chunks = await rt.blockOn(
      fn(function* () {
        const file = yield* File.open(path);
        const reads = Array.from({ length: 256 }, (_, i) => spawn(file.readAt((i % 64) * CHUNK, CHUNK)));
        const out: Buffer[] = [];
        for (const read of reads) out.push(yield* read);
        yield* file.close();
        return out;
      })(),
    );
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.equals(data.subarray((i % 64) * CHUNK, (i % 64) * CHUNK + CHUNK)), `read ${i}`).toBe(true);
    }
    const stats = rt.io!.pool.stats();
    expect(stats.reservedBytes).toBe(CAP); // it waited rather than grow
    expect(stats.classes.at(-1)!.highWater).toBeLessThanOrEqual(CAP / CHUNK);
    expect(stats.inUseBytes).toBe(0);
    await rt.shutdown();
    cleanup();
  });

  it('reads dropped while waiting leave the line: the others still get every buffer and complete', async () => {
    const { path, data, rt, cleanup } = setUp(16);
    const kept = await rt.blockOn(
      fn(function* () {
        const file = yield* File.open(path);
        const reads: JoinHandle<Buffer>[] = Array.from({ length: 128 }, (_, i) =>
          spawn(file.readAt((i % 16) * CHUNK, CHUNK)),
        );
        yield* reads[0]!; // by now each of the others was polled: 15 or so submitted, the rest waiting in line
        // Drop every other one still out (waiting or in flight): their places and buffers go to the rest.
        for (let i = 1; i < reads.length; i += 2) reads[i]!.abort();
        const out: Buffer[] = [];
        for (let i = 2; i < reads.length; i += 2) out.push(yield* reads[i]!);
        yield* file.close();
        return out;
      })(),
    );
    for (const [j, chunk] of kept.entries()) {
      const i = 2 + 2 * j;
      expect(chunk.equals(data.subarray((i % 16) * CHUNK, (i % 16) * CHUNK + CHUNK)), `read ${i}`).toBe(true);
    }
    await rt.shutdown({ timeout: 5_000 });
    expect(rt.io!.pool.stats().inUseBytes).toBe(0); // the dropped reads' buffers came back too
    cleanup();
  });

  it('an op waits for a buffer a caller holds, gets it once released, and fails after maxWaitMs (2 s) if never', async () => {
    const { path, data, rt, cleanup } = setUp(1);
    const waited = await rt.blockOn(
      fn(function* () {
        const file = yield* File.open(path);
        const pool = file.bufferPool;
        const held: IoBuf[] = [];
        const takeAll = () => {
          for (;;) {
            try {
              held.push(pool.acquire(CHUNK));
            } catch {
              return;
            }
          }
        };
        takeAll();
        const read = spawn(file.readAt(0, CHUNK));
        yield* fromPromise(() => new Promise((resolve) => setTimeout(resolve, 50)));
        expect(read.isFinished()).toBe(false); // waiting in line
        pool.release(held.pop()!);
        expect((yield* read).equals(data)).toBe(true);
        takeAll(); // the read gave its buffer back: take it too, and never give one back
        const started = performance.now();
        let error: unknown;
        try {
          yield* file.readAt(0, CHUNK);
        } catch (e) {
          error = e;
        }
        const ms = performance.now() - started;
        for (const buf of held) pool.release(buf);
        yield* file.close();
        expect(error).toBeInstanceOf(PoolExhaustedError);
        return ms;
      })(),
    );
    expect(waited).toBeGreaterThanOrEqual(1_900);
    expect(waited).toBeLessThan(4_000);
    await rt.shutdown();
    cleanup();
  }, 20_000);
});
