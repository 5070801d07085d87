/**
 * Back-pressure of the driver's buffer pool: at its cap an op waits for a buffer of its size to come back instead of
 * failing with `PoolExhaustedError` (`OpFuture`, `BufferPool.waitForBuffer`). Here many 64 KiB reads at once through
 * a pool capped at 1 MiB — room for 15 such buffers next to the page of path buffers — on every driver.
 */
import { randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise } from '@zokio/future';
import { File, toReadable, toWritable } from '@zokio/fs';
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

describe.each(drivers)('stream adapters at the pool cap (%s)', (driver) => {
  /** A runtime whose pool has three 64 KiB pages: one for paths, two for 64 KiB chunks. */
  const setUp = () => {
    const { dir, cleanup } = tempDir();
    const rt = Runtime.create({ io: driver, bufferArenaBytes: 3 * CHUNK, bufferPoolMaxBytes: 3 * CHUNK });
    const waiting = () => rt.io!.pool.stats().classes.reduce((n, c) => n + c.waiting, 0);
    return { dir, rt, cleanup, waiting };
  };
  const sleep = (ms: number) => fromPromise(() => new Promise((resolve) => setTimeout(resolve, ms)));

  it('a stream destroyed while waiting for a buffer leaves the line at once; its write never happens', async () => {
    const { dir, rt, cleanup, waiting } = setUp();
    await rt.blockOn(
      fn(function* () {
        const out = toWritable(yield* File.create(join(dir, 'w')));
        const input = toReadable(yield* File.open(join(dir, 'w')));
        const pool = rt.io!.pool;
        const held = [pool.acquire(CHUNK), pool.acquire(CHUNK)]; // every chunk out, no page left
        let called = false;
        out.write(Buffer.alloc(CHUNK, 1), () => (called = true));
        input.resume();
        yield* sleep(10);
        expect(waiting()).toBe(2);
        const closed = Promise.all([out, input].map((s) => new Promise((resolve) => s.on('close', resolve))));
        const started = performance.now();
        out.destroy();
        input.destroy();
        yield* fromPromise(() => closed);
        expect(performance.now() - started).toBeLessThan(1_000); // not the pool's maxWaitMs (2 s)
        expect(waiting()).toBe(0);
        held.forEach((buf) => pool.release(buf));
        yield* sleep(20);
        expect(statSync(join(dir, 'w')).size).toBe(0); // the destroyed stream's write never ran
        expect(called).toBe(false);
      })(),
    );
    await rt.shutdown();
    expect(rt.io!.pool.stats().inUseBytes).toBe(0);
    cleanup();
  });

  it('a chunk transferred away while its write waits fails that write, typed; the release that woke it is unharmed', async () => {
    const { dir, rt, cleanup, waiting } = setUp();
    await rt.blockOn(
      fn(function* () {
        const a = toWritable(yield* File.create(join(dir, 'a')));
        const b = toWritable(yield* File.create(join(dir, 'b')));
        const pool = rt.io!.pool;
        const held = pool.acquire(CHUNK); // one 64 KiB chunk left: A's
        b.on('error', () => {});
        const chunk = Buffer.from(new ArrayBuffer(CHUNK));
        const wroteA = new Promise<unknown>((resolve) => a.write(Buffer.alloc(CHUNK, 1), resolve));
        const wroteB = new Promise<unknown>((resolve) => b.write(chunk, resolve)); // waits: A took the last chunk
        expect(waiting()).toBe(1);
        structuredClone(chunk.buffer, { transfer: [chunk.buffer] });
        // A's completion releases its buffer, which wakes B: B fails on its own, not inside A's release.
        expect(yield* fromPromise(() => wroteA)).toBeFalsy();
        expect(yield* fromPromise(() => wroteB)).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
        pool.release(held);
        a.destroy();
      })(),
    );
    await rt.shutdown();
    expect(rt.io!.pool.stats().inUseBytes).toBe(0);
    cleanup();
  });

  it('a read waiting for a buffer when its file closes fails with EBADF, never reading the file that reuses the fd', async () => {
    const { dir, rt, cleanup } = setUp();
    writeFileSync(join(dir, 'a'), 'a'.repeat(CHUNK));
    writeFileSync(join(dir, 'b'), 'b'.repeat(CHUNK));
    let reused = false;
    const outcome = await rt.blockOn(
      fn(function* () {
        const file = yield* File.open(join(dir, 'a'));
        const pool = rt.io!.pool;
        const held: IoBuf[] = [];
        for (;;) {
          try {
            held.push(pool.acquire(CHUNK)); // every 64 KiB chunk there is room for: the read's class is out
          } catch {
            break;
          }
        }
        const oldFd = file.fd;
        const read = spawn(file.readAt(0, CHUNK)); // waits in the pool's line for a 64 KiB chunk
        yield* fromPromise(() => new Promise((resolve) => setTimeout(resolve, 10)));
        yield* file.close();
        const other = yield* File.open(join(dir, 'b')); // most likely on the number `file` had (`reused`)
        reused = other.fd === oldFd;
        held.forEach((buf) => pool.release(buf));
        let result: unknown;
        try {
          result = (yield* read).toString();
        } catch (error) {
          result = (error as Error).cause;
        }
        yield* other.close();
        return result;
      })(),
    );
    await rt.shutdown();
    cleanup();
    expect(outcome, `the fd number ${reused ? 'was' : 'was not'} reused`).toMatchObject({ code: 'EBADF' });
  });
});
