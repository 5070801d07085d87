import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { drop } from '@zokio/future';
import { AT_FDCWD, IO, IoDriver, IoError, LendingOpFuture, OpFuture } from '@zokio/io-driver';
import { BufferPool, PoolExhaustedError, type IoBuf } from '@zokio/memory';
import { LocalScheduler } from '@zokio/scheduler';
import { backends } from './backends.js';

const dir = mkdtempSync(join(tmpdir(), 'zokio-opf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A read as a future: the bytes, or an IoError; a dropped read gives its buffer back to the pool. */
class ReadFuture extends OpFuture<string> {
  buf: IoBuf | undefined;
  orphanedWith: number[] = [];
  constructor(
    readonly fd: number,
    readonly length: number,
  ) {
    super();
  }
  protected submit(driver: IoDriver): number {
    this.buf = driver.pool.acquire(this.length);
    return driver.read(this.fd, this.buf, 0, this);
  }
  protected settle(res: number): string {
    const buf = this.buf!;
    this.buf = undefined;
    try {
      if (res < 0) throw IoError.fromResult(res, 'read');
      return Buffer.from(buf.bytes.subarray(0, res)).toString();
    } finally {
      this.driver!.pool.release(buf);
    }
  }
  protected override orphaned(res: number): void {
    this.orphanedWith.push(res);
    this.driver!.pool.release(this.buf!);
    this.buf = undefined;
  }
}

/** A stat that lends a path, then a 256-byte buffer the pool may not have: a submit that can throw half-way. */
class StatFuture extends LendingOpFuture<number> {
  constructor(readonly path: string) {
    super('statx', path);
  }
  protected submit(driver: IoDriver): number {
    const path = this.encodePath(driver, this.path);
    const out = this.lend(driver.pool.acquire(256));
    return driver.statx(AT_FDCWD, path, 0, 0x7ff, out, this);
  }
  protected value(res: number): number {
    return res;
  }
}

describe.each(backends)('OpFuture ($name)', ({ factory }) => {
  function runtime(pool?: BufferPool) {
    const driver = new IoDriver(factory, pool === undefined ? {} : { pool });
    const scheduler = new LocalScheduler();
    scheduler.provide(IO, driver);
    return { driver, scheduler };
  }

  it('is lazy, submits on first poll, and resolves with the settled result', async () => {
    const { driver, scheduler } = runtime();
    const path = join(dir, 'hello');
    writeFileSync(path, 'hello, driver');
    const fd = openSync(path, 'r');
    const future = new ReadFuture(fd, 64);
    expect(driver.metrics().submitted).toBe(0);
    expect(await scheduler.spawn(future)).toBe('hello, driver');
    expect(driver.metrics().submitted).toBe(1);
    await expect(scheduler.spawn(new ReadFuture(987_654, 8))).rejects.toMatchObject({ cause: { code: 'EBADF' } });
    closeSync(fd);
    expect(driver.pool.stats().inUseBytes).toBe(0);
    await driver.shutdown();
  });

  it('a submit that throws half-way (the pool out of room) gives back what it had already taken', async () => {
    // One arena, all of it carved for the path's size class: the path is encoded, the 256-byte statx buffer is not.
    const pool = new BufferPool({ arenaBytes: 65536, maxBytes: 65536 });
    const { driver, scheduler } = runtime(pool);
    const long = join(dir, 'a'.repeat(200), 'b'.repeat(100)); // 300-odd bytes: the 512-byte class
    pool.release(pool.acquire(Buffer.byteLength(long) + 1));
    await expect(scheduler.spawn(new StatFuture(long))).rejects.toMatchObject({
      cause: expect.any(PoolExhaustedError),
    });
    expect(pool.stats().inUseBytes).toBe(0); // the path it had encoded came back (it stayed lent before)
    await driver.shutdown();
  });

  it('dropped in flight, it requests cancel and hands the buffer back exactly once at the final completion', async () => {
    const { driver, scheduler } = runtime();
    // An empty FIFO (opened read-write, so never at EOF): the read waits, and the drop lands while it is in flight.
    const path = join(dir, `fifo-${Math.random()}`);
    execFileSync('mkfifo', [path]);
    const readEnd = openSync(path, 'r+');
    const future = new ReadFuture(readEnd, 16);
    const handle = scheduler.spawn(future);
    while (driver.inFlight === 0) await new Promise((r) => setImmediate(r));
    handle.abort();
    await expect(handle).rejects.toMatchObject({ name: 'JoinError' });
    // A read handed to a thread (js backend) cannot be stopped: a byte lets it finish, cancelled or not.
    writeFileSync(path, 'x');
    while (driver.inFlight > 0) await new Promise((r) => setImmediate(r));
    expect(future.orphanedWith).toHaveLength(1);
    expect(driver.pool.stats().inUseBytes).toBe(0);
    // Dropped before its first poll: nothing submitted, nothing owed.
    const before = driver.metrics().submitted;
    drop(new ReadFuture(readEnd, 16));
    expect(driver.metrics().submitted).toBe(before);
    closeSync(readEnd);
    await driver.shutdown();
  });
});
