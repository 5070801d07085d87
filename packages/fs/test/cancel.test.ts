/**
 * Cancel safety of `@zokio/fs`, on every driver: a future dropped at any point — before its first poll, while its
 * op is in flight, or after the op completed but before anyone looked — leaks no fd and no pool buffer, and never
 * writes into the caller's memory afterwards. Dropping is done three ways: `select`/`race` against a ready future,
 * `JoinHandle.abort()`, and a harness that drops after a chosen poll (driving the clean-up the future asks for, as
 * `select` does, or abandoning it with `drop()`, as `Symbol.dispose` does).
 *
 * Ops cancelled in flight complete later (a thread-pool call cannot be stopped; io_uring may lose the race), and
 * give their resources back then: so every check first waits, by a bounded number of driver round trips, for the
 * counts to come back.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { constants as osConstants } from 'node:os';
import {
  Context,
  drop,
  fn,
  FutureBase,
  pending,
  PENDING,
  race,
  ready,
  select,
  yieldNow,
  type Cleanup,
  type Executor,
  type Future,
  type Poll,
} from '@zokio/future';
import { File, readFile, stat, writeFile } from '@zokio/fs';
import { IO, IoError, type CompletionHandler } from '@zokio/io-driver';
import { BufferPool, type IoBuf } from '@zokio/memory';
import { drivers, fdCount, runtimeOn, tempDir } from '@zokio/runtime/testing';

/** How a {@link DropAfter} ended. */
interface Outcome<T> {
  /** True if the inner future was dropped; false if it finished first (then `value` is its value). */
  readonly dropped: boolean;
  readonly value: T | undefined;
  /** Polls of the inner future. */
  readonly polls: number;
  /** Whether the inner future had woken its task since its last poll when it was dropped (its op had completed). */
  readonly wokenAtDrop: boolean;
}

/** Where a {@link DropAfter} stands when it asks whether to drop. */
interface Progress {
  /** Polls of the inner future so far (at least 1). */
  readonly polls: number;
  /** Wakes the inner future gave so far: one per op completion it was waiting for. */
  readonly wakes: number;
  /** Whether it woke since its last poll: for one op, its completion is stored and not yet observed. */
  readonly woken: boolean;
}

/**
 * Polls `inner` until `when(progress)` says to drop it, then cancels it. The harness is polled again when `inner`
 * wakes it, and also at once after every pending poll with `spin` (so a drop can land before any completion). With
 * `abandon`, clean-up the inner future asks for is abandoned (`drop()`); otherwise it is driven to its end before the
 * harness returns, as `select` does.
 */
class DropAfter<T> extends FutureBase<Outcome<T>> {
  readonly #inner: Future<T>;
  readonly #when: (progress: Progress) => boolean;
  readonly #abandon: boolean;
  readonly #spin: boolean;
  readonly #onPolled: (() => void) | undefined;
  #polls = 0;
  #wakes = 0;
  #woken = false;
  #wokenAtDrop = false;
  #cleanup: Future<void> | undefined = undefined;

  constructor(
    inner: Future<T>,
    when: (progress: Progress) => boolean,
    options: { abandon?: boolean; spin?: boolean; onPolled?: () => void } = {},
  ) {
    super();
    this.#inner = inner;
    this.#when = when;
    this.#abandon = options.abandon ?? false;
    this.#spin = options.spin ?? false;
    this.#onPolled = options.onPolled;
  }

  poll(cx: Context): Poll<Outcome<T>> {
    if (this.#cleanup !== undefined) {
      if (this.#cleanup.poll(cx) === PENDING) return PENDING;
      this.#cleanup = undefined;
      return this.#dropped();
    }
    if (this.#polls > 0 && this.#when({ polls: this.#polls, wakes: this.#wakes, woken: this.#woken })) {
      this.#wokenAtDrop = this.#woken;
      if (this.#abandon) {
        drop(this.#inner);
        return this.#dropped();
      }
      const cleanup = this.#inner.cancel();
      if (cleanup === undefined) return this.#dropped();
      this.#cleanup = cleanup;
      return this.poll(cx);
    }
    this.#woken = false;
    this.#polls++;
    const value = this.#inner.poll(
      cx.withWaker({
        wake: () => {
          this.#woken = true;
          this.#wakes++;
          cx.waker.wake();
        },
      }),
    );
    this.#onPolled?.();
    if (value !== PENDING) return { dropped: false, value, polls: this.#polls, wokenAtDrop: false };
    if (this.#spin) cx.waker.wake();
    return PENDING;
  }

  #dropped(): Outcome<T> {
    return { dropped: true, value: undefined, polls: this.#polls, wokenAtDrop: this.#wokenAtDrop };
  }
}

/** Drop at the first poll after the one that submitted: with `spin`, before the op can have completed. */
const atOnce = () => true;
/** Drop as soon as the inner future woke: its op completed and nobody looked. */
const onWake = ({ woken }: Progress) => woken;
/** Drop at the `k`-th wake: after `k` completions. */
const afterWakes =
  (k: number) =>
  ({ wakes }: Progress) =>
    wakes >= k;

describe.each(drivers)('cancel safety on %s', (driver) => {
  const { rt, run } = runtimeOn(driver);
  let dir: string;
  let cleanup: () => void;
  let pool: BufferPool;
  /** The baseline each test must come back to: open fds, and pool bytes in use. */
  let fds: number;
  let inUse: number;
  let seq = 0;
  const fresh = (name: string) => join(dir, `${name}-${seq++}`);
  /** A 1 MiB file: readFile reads it in 16 spans, 8 in flight at a time. */
  let big: string;
  const bigData = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 31) & 0xff));

  /** Driver round trips until the fd count and the pool's bytes in use are back to the baseline (bounded). */
  const settle = async () => {
    const loans = () => rt.io!.metrics().loans;
    for (let i = 0; i < 200 && (fdCount() !== fds || pool.stats().inUseBytes !== inUse || loans() !== 0); i++) {
      await run(stat(dir));
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  const expectNothingLeaked = async () => {
    await settle();
    expect(fdCount(), 'open fds').toBe(fds);
    expect(pool.stats().inUseBytes, 'pool bytes in use').toBe(inUse);
    expect(rt.io!.metrics().loans, 'memory on loan to the driver').toBe(0);
  };
  const baseline = () => {
    fds = fdCount();
    inUse = pool.stats().inUseBytes;
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  /** A wait that lets libuv block in its poll phase (io_uring's completions can need that; see the report). */
  const sleep = () => new Promise((resolve) => setTimeout(resolve, 1));

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('zokio-fs-cancel-'));
    big = join(dir, 'big.bin');
    writeFileSync(big, bigData);
    // Warm up: the driver opens its own fds (a ring, an eventfd, epoll's) and arenas on first use.
    expect((await run(readFile(big))).equals(bigData)).toBe(true);
    pool = rt.io!.pool;
  });
  beforeEach(baseline);
  afterAll(async () => {
    await rt.shutdown();
    cleanup();
  });

  describe('File.open', () => {
    it('dropped by select while in flight: no fd leaks', async () => {
      for (let i = 0; i < 20; i++) {
        const winner = await run(select([File.open(fresh('select-open'), 'w'), ready('other')], { biased: true }));
        expect(winner).toEqual({ index: 1, value: 'other' });
      }
      await expectNothingLeaked();
    });

    it('dropped before its completion was seen: no fd leaks', async () => {
      const outcomes: Outcome<File>[] = [];
      for (let i = 0; i < 20; i++) {
        outcomes.push(await run(new DropAfter(File.open(fresh('early-open'), 'w'), atOnce, { spin: true })));
      }
      expect(outcomes.every((o) => o.dropped && o.polls === 1)).toBe(true);
      await expectNothingLeaked();
    });

    it('dropped after it completed, before its value was taken: the fd it produced is closed', async () => {
      const paths = Array.from({ length: 20 }, () => fresh('late-open'));
      for (const path of paths) {
        const out = await run(new DropAfter(File.open(path, 'w'), onWake));
        expect(out).toMatchObject({ dropped: true, wokenAtDrop: true });
      }
      // Every open ran to its end: each created its file, and produced an fd that the drop had to close.
      expect(paths.every((p) => existsSync(p))).toBe(true);
      await expectNothingLeaked();
    });

    it('in a task aborted at any moment: either the task got the File, or no fd leaks', async () => {
      const delays = [0, 0, 1, 1, 2, 3, 5, 8];
      let opened = 0;
      for (const delay of delays) {
        const handle = rt.spawn(File.open(fresh('abort-open'), 'w'));
        for (let i = 0; i < delay; i++) await tick();
        handle.abort();
        try {
          const file = await handle;
          opened++;
          await run(file.close());
        } catch (error) {
          expect((error as { isCancelled(): boolean }).isCancelled()).toBe(true);
        }
      }
      expect(opened).toBeLessThan(delays.length); // at least one abort landed before the open finished
      await expectNothingLeaked();
    });
  });

  describe('File.close', () => {
    it('dropped in flight (by select, or at once), it still closes the fd', async () => {
      for (let i = 0; i < 40; i++) {
        const file = await run(File.open(big));
        expect(fdCount()).toBe(fds + 1);
        // The close is submitted when called: the race is only over its result, which may already be in.
        if (i % 2 === 0) await run(select([file.close(), ready('other')], { biased: true }));
        else await run(new DropAfter(file.close(), atOnce, { spin: true }));
        expect(file.closed).toBe(true);
        await expectNothingLeaked();
      }
    });
  });

  describe('reads', () => {
    let file: File;
    beforeAll(async () => {
      file = await run(File.open(big));
    });
    afterAll(() => run(file.close()));

    const reads: [string, (target: Uint8Array) => Future<unknown>][] = [
      ['readAt, one op', () => file.readAt(1000, 4096)],
      ['readAt, several ops', () => file.readAt(0, 600_000)],
      ['read at the offset', () => file.read(4096)],
      ['readInto at a position, several ops', (t) => file.readInto(t, { position: 0 })],
      ['readInto at the offset', (t) => file.readInto(t.subarray(0, 1000))],
      ['readExact, several ops', () => file.readExact(300_000, 1)],
      ['readv', (t) => file.readv([t.subarray(0, 1000), t.subarray(1000, 5000)], 0)],
    ];

    it.each(reads)(
      '%s: dropped in flight or after completing, gives its pool buffers and loans back and writes nothing afterwards',
      async (_, make) => {
        for (const [when, spin] of [
          [atOnce, true],
          [onWake, false],
        ] as const) {
          let peak = 0;
          let lent = 0;
          const target = new Uint8Array(600_000);
          const out = await run(
            new DropAfter(make(target), when, {
              spin,
              onPolled: () => {
                peak = Math.max(peak, pool.stats().inUseBytes);
                lent = Math.max(lent, rt.io!.metrics().loans);
              },
            }),
          );
          expect(out.dropped).toBe(true);
          // The read held pool buffers when it was dropped — or, reading a result of its own past 64 KiB, a loan.
          expect(peak > inUse || lent > 0).toBe(true);
          await expectNothingLeaked();
          expect(target.every((b) => b === 0)).toBe(true);
        }
      },
    );

    it('a read dropped by race gives its buffer back once the op completes', async () => {
      const value = await run(race([file.readAt(0, 65536), ready('other')], { biased: true }));
      expect(value).toBe('other');
      await expectNothingLeaked();
    });

    it('readOwned dropped before its first poll gives the buffer back at once, once', () => {
      const buf = pool.acquire(4096);
      expect(pool.stats().inUseBytes).toBe(inUse + buf.capacity);
      const future = file.readOwned(buf, 0);
      future.cancel();
      expect(buf.inUse).toBe(false);
      expect(pool.stats().inUseBytes).toBe(inUse);
      future.cancel(); // a second cancel must not release it again (that would throw BufferReleasedError)
      drop(future);
      expect(pool.stats().inUseBytes).toBe(inUse);
    });

    it('writeOwned dropped before its first poll gives the buffer back too', async () => {
      const w = await run(File.open(fresh('owned'), 'w'));
      const buf = pool.acquire(100);
      drop(w.writeOwned(buf));
      expect(buf.inUse).toBe(false);
      await run(w.close());
      await expectNothingLeaked();
    });

    it('readOwned dropped in flight gives the buffer back when the op completes, and not before', async () => {
      for (const [when, spin] of [
        [atOnce, true],
        [onWake, false],
      ] as const) {
        const buf = pool.acquire(65536);
        let heldWhilePolled = true;
        const out = await run(
          new DropAfter(file.readOwned(buf, 0), when, { spin, onPolled: () => (heldWhilePolled &&= buf.inUse) }),
        );
        expect(out.dropped).toBe(true);
        expect(heldWhilePolled).toBe(true);
        await expectNothingLeaked();
        expect(buf.inUse).toBe(false);
      }
    });

    it('a readOwned that completes hands the buffer back to the caller, still in use', async () => {
      const buf = pool.acquire(16);
      const { n, buf: back } = await run(file.readOwned(buf, 0));
      expect(n).toBe(16);
      expect(back).toBe(buf);
      expect(Buffer.from(back.bytes.subarray(0, 16))).toEqual(bigData.subarray(0, 16));
      expect(buf.inUse).toBe(true);
      pool.release(buf);
      await expectNothingLeaked();
    });
  });

  describe('readFile', () => {
    /** Drops readFile after 1, 2, … completions until it finishes first; counts the drops made while it was open. */
    const dropAfterEachCompletion = async (abandon: boolean) => {
      let droppedWhileOpen = 0;
      for (let k = 1; k <= 40; k++) {
        let open = false;
        const out = await run(
          new DropAfter(readFile(big), afterWakes(k), { abandon, onPolled: () => (open ||= fdCount() > fds) }),
        );
        if (out.dropped && open) droppedWhileOpen++;
        await expectNothingLeaked();
        if (!out.dropped) {
          expect((out.value as Buffer).equals(bigData)).toBe(true);
          break;
        }
      }
      expect(droppedWhileOpen).toBeGreaterThan(0);
    };

    it('dropped after any number of completions, its clean-up driven: the file is closed, buffers are back', () =>
      dropAfterEachCompletion(false));

    it('dropped with its clean-up abandoned (drop(), as Symbol.dispose does): the file is still closed', () =>
      // readFile documents "dropping it cancels its ops and closes the file; nothing leaks", and drop() is how a
      // future is dropped where nothing can drive clean-up. Closing the fd must not depend on that.
      dropAfterEachCompletion(true));

    it('dropped at its first completion (the open or the statx, whichever came first): the file is closed', async () => {
      for (let i = 0; i < 20; i++) {
        const out = await run(new DropAfter(readFile(big), onWake));
        expect(out.dropped).toBe(true);
        await expectNothingLeaked();
      }
    });

    it('dropped by select after it started: the file is closed', async () => {
      let dropped = 0;
      for (let k = 0; k < 20; k++) {
        const later = fn(function* () {
          for (let i = 0; i < k * 10; i++) yield* yieldNow();
          return 'later';
        });
        const out = await run(select([readFile(big), later()], { biased: true }));
        if (out.index === 0) expect(out.value.equals(bigData)).toBe(true);
        else dropped++;
        await expectNothingLeaked();
      }
      expect(dropped).toBeGreaterThan(0);
    });

    it('in a task aborted at any moment: the file is closed', async () => {
      let cancelled = 0;
      for (const delay of [0, 1, 1, 2, 2, 3, 4, 6, 8, 12]) {
        const handle = rt.spawn(readFile(big));
        for (let i = 0; i < delay; i++) await tick();
        handle.abort();
        await Promise.resolve(handle).then(
          (data) => expect(data.equals(bigData)).toBe(true),
          (error: { isCancelled(): boolean }) => {
            expect(error.isCancelled()).toBe(true);
            cancelled++;
          },
        );
        await expectNothingLeaked();
      }
      expect(cancelled).toBeGreaterThan(0);
    });
  });

  describe('writeFile', () => {
    it('dropped after any number of completions: the file is closed and the buffers are back', async () => {
      const data = Buffer.alloc(700_000, 9);
      let dropped = 0;
      for (let k = 1; k <= 40; k++) {
        const out = await run(new DropAfter(writeFile(fresh('write'), data), afterWakes(k)));
        await expectNothingLeaked();
        if (!out.dropped) break;
        dropped++;
      }
      expect(dropped).toBeGreaterThan(1);
    });

    it('dropped with its clean-up abandoned (drop()): the file is still closed', async () => {
      const data = Buffer.alloc(700_000, 9);
      let droppedWhileOpen = 0;
      for (let k = 1; k <= 40; k++) {
        let open = false;
        const out = await run(
          new DropAfter(writeFile(fresh('write'), data), afterWakes(k), {
            abandon: true,
            onPolled: () => (open ||= fdCount() > fds),
          }),
        );
        if (out.dropped && open) droppedWhileOpen++;
        await expectNothingLeaked();
        if (!out.dropped) break;
      }
      expect(droppedWhileOpen).toBeGreaterThan(0);
    });
  });

  describe('using', () => {
    /** True while a generator below waits inside its `using` block. */
    let inside = false;
    const opened = fn(function* (path: string, after: 'return' | 'throw' | 'pend') {
      using file = yield* File.open(path, 'w');
      yield* file.writeAll('x');
      if (after === 'throw') throw new Error('boom');
      if (after === 'pend') {
        inside = true;
        try {
          yield* pending();
        } finally {
          inside = false;
        }
      }
      return file;
    });

    it('closes the file when the block returns', async () => {
      const file = await run(opened(fresh('using'), 'return'));
      expect(file.closed).toBe(true);
      await expectNothingLeaked();
    });

    it('closes the file when the block throws', async () => {
      await expect(run(opened(fresh('using'), 'throw'))).rejects.toThrow('boom');
      await expectNothingLeaked();
    });

    it('closes the file when the generator is dropped inside the block (clean-up driven or abandoned)', async () => {
      for (const abandon of [false, true]) {
        let during = 0;
        const out = await run(
          new DropAfter(opened(fresh('using'), 'pend'), () => inside, {
            abandon,
            spin: true,
            onPolled: () => (during = Math.max(during, fdCount())),
          }),
        );
        expect(out.dropped).toBe(true);
        expect(inside).toBe(false);
        expect(during).toBe(fds + 1); // the file was open inside the block
        await expectNothingLeaked();
      }
    });

    it('closes the file when the task running the block is aborted', async () => {
      const handle = rt.spawn(opened(fresh('using'), 'pend'));
      for (let i = 0; i < 200 && !inside; i++) await sleep();
      expect(inside).toBe(true);
      expect(fdCount()).toBe(fds + 1);
      handle.abort();
      const error = await Promise.resolve(handle).then(
        () => expect.fail('Expected the task to be cancelled'),
        (e: unknown) => e,
      );
      expect((error as { isCancelled(): boolean }).isCancelled()).toBe(true);
      expect(inside).toBe(false);
      await expectNothingLeaked();
    });
  });
});

// ---- Orderings no real driver can be made to produce on demand ---------------------------------------------------

const ECANCELED = -osConstants.errno.ECANCELED;

interface ScriptedOp {
  readonly token: number;
  readonly kind: 'open' | 'statx' | 'read' | 'write' | 'close';
  readonly fd: number;
  readonly handler: CompletionHandler;
  readonly buf: IoBuf | undefined;
}

/**
 * Just enough of an `IoDriver` for `readFile`, `writeFile` and `File`: it records each op, and the test
 * completes them in the order it chooses, with the results it chooses: the orderings a real kernel produces only
 * now and then (an open completing alone before its statx; a cancel stopping a queued close, as epoll's thread pool
 * does) happen every time.
 */
class ScriptedDriver {
  readonly pool = new BufferPool();
  readonly pending: ScriptedOp[] = [];
  readonly cancelled = new Set<number>();
  /** fds whose close completed successfully. */
  readonly closed: number[] = [];
  #next = 1;

  #push(kind: ScriptedOp['kind'], fd: number, handler: CompletionHandler, buf?: IoBuf): number {
    const token = this.#next++;
    this.pending.push({ token, kind, fd, handler, buf });
    return token;
  }
  encodePath(path: string): IoBuf {
    const bytes = Buffer.from(`${path}\0`);
    const buf = this.pool.acquire(bytes.length);
    buf.bytes.set(bytes);
    return buf;
  }
  openat(_dirfd: number, _path: IoBuf, _flags: number, _mode: number, handler: CompletionHandler): number {
    return this.#push('open', -1, handler);
  }
  statx(_dirfd: number, _path: IoBuf, _at: number, _mask: number, out: IoBuf, handler: CompletionHandler): number {
    return this.#push('statx', -1, handler, out);
  }
  read(fd: number, buf: IoBuf, _position: number, handler: CompletionHandler): number {
    return this.#push('read', fd, handler, buf);
  }
  write(fd: number, buf: IoBuf, _position: number, handler: CompletionHandler): number {
    return this.#push('write', fd, handler, buf);
  }
  close(fd: number, handler: CompletionHandler): number {
    return this.#push('close', fd, handler);
  }
  cancel(token: number): void {
    this.cancelled.add(token);
  }
  /** No memory is lent: a long read here goes through pool buffers, as on a driver with every loan out. */
  lend(): undefined {
    return undefined;
  }

  /** Completes the oldest pending op of `kind` with `res` (after `fill` wrote its output). */
  complete(kind: ScriptedOp['kind'], res: number, fill?: (op: ScriptedOp) => void): ScriptedOp {
    const at = this.pending.findIndex((op) => op.kind === kind);
    expect(at, `a pending ${kind}`).toBeGreaterThanOrEqual(0);
    const [op] = this.pending.splice(at, 1);
    fill?.(op!);
    if (kind === 'close' && res === 0) this.closed.push(op!.fd);
    op!.handler.complete(res, 0, 0);
    return op!;
  }
  /** Completes every pending op: a cancelled one with -ECANCELED, a close with 0, others with `res`. */
  completeAll(res = ECANCELED): void {
    while (this.pending.length > 0) {
      const op = this.pending[0]!;
      this.complete(op.kind, op.kind === 'close' ? 0 : this.cancelled.has(op.token) ? ECANCELED : res);
    }
  }
  get context(): Context {
    const executor: Executor = {
      budget: Infinity,
      budgetExhausted() {},
      service: <T>(key: unknown) => (key === IO ? (this as unknown as T) : undefined),
    };
    return new Context({ wake() {} }, executor);
  }
}

/** A regular file of `size` bytes, as `statx` writes it. */
const regularFile = (size: number) => (op: ScriptedOp) => {
  const v = new DataView(op.buf!.bytes.buffer, op.buf!.bytes.byteOffset, 256);
  v.setUint16(28, 0o100644, true);
  v.setBigUint64(40, BigInt(size), true);
};

/** Drives `cleanup` to its end, completing every op it submits. */
function finish(driver: ScriptedDriver, cleanup: Cleanup): void {
  const cx = driver.context;
  for (let i = 0; cleanup !== undefined && i < 100; i++) {
    if (cleanup.poll(cx) !== PENDING) return;
    driver.completeAll();
  }
  expect(cleanup).toBeUndefined();
}

describe('cancel safety against a scripted driver', () => {
  it('the scripted driver runs a small readFile: open, one read, a read that finds the end, then close', () => {
    const d = new ScriptedDriver();
    const f = readFile('/scripted/file');
    expect(f.poll(d.context)).toBe(PENDING);
    expect(d.pending.map((op) => op.kind)).toEqual(['open']);
    d.complete('open', 42);
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('read', 5, (op) => op.buf!.bytes.set(Buffer.from('hello')));
    expect(f.poll(d.context)).toBe(PENDING);
    expect(d.pending.map((op) => op.kind)).toEqual(['read']); // the probe for the end: no statx
    d.complete('read', 0);
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('close', 0);
    expect(f.poll(d.context)).toEqual(Buffer.from('hello'));
    expect(d.closed).toEqual([42]);
    expect(d.pool.stats().inUseBytes).toBe(0);
  });

  it('readFile dropped after its open completed (its first read in flight) closes the fd', () => {
    const d = new ScriptedDriver();
    const f = readFile('/scripted/file');
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('open', 42);
    expect(f.poll(d.context)).toBe(PENDING); // the open's fd is taken; the first read is in flight
    finish(d, f.cancel());
    d.completeAll();
    expect(d.closed).toEqual([42]);
    expect(d.pool.stats().inUseBytes).toBe(0);
  });

  it('readFile of a file over 64 KiB whose fstat fails after its open succeeded closes the fd', () => {
    const d = new ScriptedDriver();
    const f = readFile('/scripted/file');
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('open', 42);
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('read', 65_536); // a full first read: more may follow, so the size is asked for
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('statx', -osConstants.errno.EIO);
    let error: unknown;
    for (let i = 0; i < 10 && error === undefined; i++) {
      try {
        if (f.poll(d.context) !== PENDING) break;
      } catch (e) {
        error = e;
      }
      d.completeAll(0);
    }
    expect(error).toBeInstanceOf(IoError);
    expect(error).toMatchObject({ code: 'EIO', syscall: 'fstat', path: '/scripted/file' });
    expect(d.closed).toEqual([42]);
  });

  it('readFile dropped while reading, its clean-up abandoned (drop()), still closes the fd', () => {
    const d = new ScriptedDriver();
    const f = readFile('/scripted/file');
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('open', 42);
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('read', 65_536);
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('statx', 0, regularFile(1 << 20));
    expect(f.poll(d.context)).toBe(PENDING);
    expect(d.pending.filter((op) => op.kind === 'read').length).toBeGreaterThan(1); // spans in flight
    drop(f);
    d.completeAll();
    expect(d.closed).toEqual([42]);
    expect(d.pool.stats().inUseBytes).toBe(0);
  });

  it('writeFile dropped while writing, its clean-up abandoned (drop()), still closes the fd', () => {
    const d = new ScriptedDriver();
    const f = writeFile('/scripted/out', 'hello');
    expect(f.poll(d.context)).toBe(PENDING);
    d.complete('open', 43);
    expect(f.poll(d.context)).toBe(PENDING);
    expect(d.pending.map((op) => op.kind)).toEqual(['write']);
    drop(f);
    d.completeAll();
    expect(d.closed).toEqual([43]);
    expect(d.pool.stats().inUseBytes).toBe(0);
  });

  it('File.close closes when called: a close future never polled, or dropped, still closes the fd', () => {
    const d = new ScriptedDriver();
    const open = File.open('/scripted/file');
    expect(open.poll(d.context)).toBe(PENDING);
    d.complete('open', 44);
    const file = open.poll(d.context) as File;
    expect(file.fd).toBe(44);
    const close = file.close(); // never polled
    expect(file.closed).toBe(true);
    expect(d.pending.map((op) => op.kind)).toEqual(['close']); // submitted at the call
    close.cancel();
    expect(d.cancelled.size).toBe(0); // dropping the future does not cancel the close
    d.completeAll();
    expect(d.closed).toEqual([44]);
  });

  it('File.open dropped after it completed, before its value was taken, closes the fd', () => {
    const d = new ScriptedDriver();
    const open = File.open('/scripted/file');
    expect(open.poll(d.context)).toBe(PENDING);
    d.complete('open', 45);
    expect(open.cancel()).toBeUndefined();
    d.completeAll();
    expect(d.closed).toEqual([45]);
    expect(d.pool.stats().inUseBytes).toBe(0);
  });
});
