/**
 * The work-stealing pool with real worker threads: jobs, fork-join, errors, cancellation and crashes crossing
 * threads, transfers, the backlog, shutdown. Jobs are in `fixtures/pool-jobs.ts`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fn, ZokioError, type Future } from '@zokio/future';
import { decodeThrown, encodeThrown } from '../src/pool/thrown.js';
import {
  JOB_SPAWNER,
  JoinError,
  LocalScheduler,
  spawnJob,
  WorkerPool,
  type SpawnJobOptions,
  type WorkerPoolOptions,
} from '@zokio/scheduler';

const jobs = new URL('./fixtures/pool-jobs.ts', import.meta.url);
const pools: WorkerPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close(5_000)));
});

/** A main-thread scheduler with a pool attached, as a `multi_thread` runtime has. */
function setup(options: WorkerPoolOptions = {}): { pool: WorkerPool; scheduler: LocalScheduler } {
  const pool = new WorkerPool({ workers: 2, ...options });
  pools.push(pool);
  const scheduler = new LocalScheduler();
  scheduler.provide(JOB_SPAWNER, pool.client);
  return { pool, scheduler };
}

function run<T>(scheduler: LocalScheduler, body: () => Generator<Future<unknown>, T, unknown>): Promise<T> {
  return Promise.resolve(scheduler.spawn(fn(body)()));
}

/** What a job handle failed with: the JoinError's cause (the job's own error). */
async function failure(promise: PromiseLike<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    let cause = error;
    while (cause instanceof JoinError && cause.cause !== undefined) cause = cause.cause;
    return cause as Error & Record<string, unknown>;
  }
  throw new Error('expected the job to fail');
}

const counter = (cells = 4) => new SharedArrayBuffer(4 * cells);
const read = (buffer: SharedArrayBuffer, index: number) => Atomics.load(new Int32Array(buffer), index);

describe('WorkerPool', () => {
  it('runs jobs returning a value, a Promise and a future, with arguments of every kind', async () => {
    const { scheduler } = setup();
    const args = [1.5, 'zokio', true, null, undefined, { a: [1, 2], m: new Map([[1, 'x']]) }, 10n];
    const out = await run(scheduler, function* () {
      const plain = yield* spawnJob<number>(jobs, 'inc', [41]);
      const promised = yield* spawnJob<number>(jobs, 'later', [21, 5]);
      const future = yield* spawnJob<number>(jobs, 'fib', [15]);
      const echoed = yield* spawnJob<unknown[]>(jobs, 'echo', args);
      return { plain, promised, future, echoed };
    });
    expect(out).toEqual({ plain: 42, promised: 42, future: 610, echoed: args });
  });

  it('copies arguments at the call: changing them afterwards does not reach the job', async () => {
    const { scheduler } = setup();
    const out = await run(scheduler, function* () {
      const list = [1, 2, 3];
      const handle = spawnJob<unknown[]>(jobs, 'echo', [list]);
      list.push(4);
      return yield* handle;
    });
    expect(out).toEqual([[1, 2, 3]]);
  });

  it('nested fork-join: jobs spawning jobs on their own worker, stolen by the other', async () => {
    const { pool, scheduler } = setup();
    await pool.ready(); // both threads up, so the second can steal from the first
    expect(await scheduler.spawn(spawnJobOf('fib', [24]))).toBe(46368);
    const workers = pool.metrics().workers;
    // fib(24) with a cut-off at 12: 753 jobs, the root included; both workers ran some.
    expect(workers.reduce((sum, w) => sum + w.jobs, 0)).toBe(753);
    expect(workers.every((w) => w.jobs > 0)).toBe(true);
    expect(workers.reduce((sum, w) => sum + w.steals, 0)).toBeGreaterThan(0);
  });

  it('fork-join needing more slots than there are: children run where they were spawned, nothing deadlocks', async () => {
    // 8 slots, and every parent holds one while it waits: without the fallback, children would wait for ever.
    const { pool, scheduler } = setup({ slots: 8 });
    const results = await Promise.all(Array.from({ length: 6 }, () => scheduler.spawn(spawnJobOf('fib', [20]))));
    expect(results).toEqual(Array.from({ length: 6 }, () => 6765));
    expect(pool.metrics()).toMatchObject({ inFlight: 0, backlog: 0 });
  });

  it('20,000 jobs through 16 slots: the backlog waits for slots, every result arrives once', async () => {
    const { pool, scheduler } = setup({ slots: 16 });
    const results = await run(scheduler, function* () {
      const handles = Array.from({ length: 20_000 }, (_, i) => spawnJob<number>(jobs, 'inc', [i]));
      const out: number[] = [];
      for (const handle of handles) out.push(yield* handle);
      return out;
    });
    expect(results).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    expect(pool.metrics()).toMatchObject({ inFlight: 0, backlog: 0, injectQueueDepth: 0 });
  });

  it('errors cross threads with their class name, message, code and own fields', async () => {
    const { scheduler } = setup();
    const zokio = await failure(scheduler.spawn(spawnJobOf('fail', ['boom'])));
    expect(zokio).toMatchObject({ name: 'ZokioError', message: 'boom', code: 'ERR_TEST_JOB', detail: { n: 7 } });
    expect(zokio.stack).toContain('pool-jobs.ts');
    const range = await failure(scheduler.spawn(spawnJobOf('failRange')));
    expect(range).toMatchObject({ name: 'RangeError', message: 'out of range' });
  });

  it('bad calls: typed errors at the call, or from the job for what only the worker can know', async () => {
    const { pool, scheduler } = setup();
    expect(() => pool.spawn('relative/path.js', 'inc')).toThrow(
      expect.objectContaining({
        code: 'ERR_ZOKIO_JOB_MODULE',
        message: expect.stringMatching(/Expected the module as a URL/),
      }),
    );
    expect(() => pool.spawn(jobs, '')).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_JOB_EXPORT' }));
    expect(() => pool.spawn(jobs, 'inc', 5 as unknown as unknown[])).toThrow(
      expect.objectContaining({ code: 'ERR_ZOKIO_JOB_ARGS', message: expect.stringMatching(/got number 5/) }),
    );
    expect(() => pool.spawn(jobs, 'inc', [() => 1])).toThrow(
      expect.objectContaining({ code: 'ERR_ZOKIO_JOB_ARGS', message: expect.stringMatching(/structured-clone-able/) }),
    );
    const missing = await failure(scheduler.spawn(spawnJobOf('nope')));
    expect(missing).toMatchObject({
      code: 'ERR_ZOKIO_JOB_EXPORT',
      message: expect.stringMatching(/export a function named "nope", got undefined/),
    });
    const unloadable = await failure(
      run(scheduler, function* () {
        return yield* spawnJob(new URL('./fixtures/no-such-module.ts', import.meta.url), 'x');
      }),
    );
    expect(unloadable.message).toMatch(/no-such-module/);
    const result = await failure(scheduler.spawn(spawnJobOf('notCloneable')));
    expect(result).toMatchObject({
      code: 'ERR_ZOKIO_JOB_RESULT',
      message: expect.stringMatching(/structured-clone-able job result/),
    });
  });

  it('calls and results too big for a slot travel by message', async () => {
    const { scheduler } = setup({ slotBytes: 128 });
    const long = 'y'.repeat(10_000);
    const out = await run(scheduler, function* () {
      const big = yield* spawnJob<string>(jobs, 'big', [50_000]);
      const echoed = yield* spawnJob<unknown[]>(jobs, 'echo', [long]);
      const nested = yield* spawnJob<number>(jobs, 'fib', [16]); // children's calls fit; fine either way
      return { big: big.length, echoed: (echoed[0] as string).length, nested };
    });
    expect(out).toEqual({ big: 50_000, echoed: 10_000, nested: 987 });
  });

  it('transfer: the ArrayBuffer moves to the job (detached here), intact there', async () => {
    const { scheduler } = setup();
    const buffer = new ArrayBuffer(1 << 20);
    const view = new Uint8Array(buffer);
    view[0] = 9;
    const handle = scheduler.spawn(spawnJobOf('byteLength', [buffer, view], { transfer: [buffer] }));
    await delay(0); // the task has run: the call was made
    expect(buffer.byteLength).toBe(0); // detached at the call
    expect(await handle).toEqual([1 << 20, 1 << 20, 9]);
  });

  it('abort of a queued job: it never runs', async () => {
    const { pool, scheduler } = setup();
    const marks = counter();
    const busy = [scheduler.spawn(spawnJobOf('busy', [150])), scheduler.spawn(spawnJobOf('busy', [150]))];
    await delay(30); // both workers are inside busy()
    const queued = scheduler.spawn(pool.spawn(jobs, 'mark', [marks, 0])); // the job's own task, as rt.spawnJob
    await delay(10);
    queued.abort();
    await expect(queued).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    await Promise.all(busy);
    await delay(50);
    expect(read(marks, 0)).toBe(0);
    // The pool still works and the slot came back.
    expect(await scheduler.spawn(spawnJobOf('mark', [marks, 1]))).toBe(0);
    expect(read(marks, 1)).toBe(1);
  });

  it('a job aborted before its task was first polled still settles as cancelled, and its slot comes back', async () => {
    const { pool, scheduler } = setup({ workers: 1 });
    await pool.ready();
    expect(await scheduler.spawn(spawnJobOf('inc', [1]))).toBe(2); // the module is loaded: the next call starts at once
    const handle = scheduler.spawn(pool.spawn(jobs, 'slowStart', [300]));
    await delay(100); // the worker is inside the job's synchronous prefix
    handle.abort();
    const outcome = await Promise.race([
      Promise.resolve(handle).then(
        () => 'resolved',
        (e: JoinError) => (e.isCancelled() ? 'cancelled' : 'failed'),
      ),
      delay(5_000, 'still pending'),
    ]);
    expect(outcome).toBe('cancelled');
    expect(pool.metrics().inFlight).toBe(0);
    expect(await scheduler.spawn(spawnJobOf('inc', [1]))).toBe(2);
  });

  it('an outcome this thread cannot deserialize fails the job, typed; shared memory and lone surrogates cross threads intact', async () => {
    const { scheduler } = setup();
    const error = await failure(scheduler.spawn(spawnJobOf('wasmModule', [])));
    expect(error).toBeInstanceOf(ZokioError);
    expect(error['code']).toBe('ERR_ZOKIO_JOB_RESULT');
    expect(await scheduler.spawn(spawnJobOf('sharedResult', []))).toBeInstanceOf(SharedArrayBuffer);
    const thrown = await failure(scheduler.spawn(spawnJobOf('sharedThrow', [])));
    expect([thrown['code'], thrown.message]).toEqual(['ERR_MY_CODE', 'my message']); // not replaced by ERR_ZOKIO_JOB_RESULT
    const lone = 'a\ud800b';
    expect(await scheduler.spawn(spawnJobOf('echo', [lone]))).toEqual([lone]);
  });

  it('abort of a running job: cancelled at its next await on its worker, clean-up run once, thread kept', async () => {
    const { pool, scheduler } = setup();
    const cells = counter();
    const handle = scheduler.spawn(pool.spawn(jobs, 'spin', [cells, 0]));
    while (read(cells, 0) < 5) await delay(2);
    handle.abort();
    await expect(handle).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    expect(read(cells, 1)).toBe(1); // its finally ran before the handle resolved
    const turns = read(cells, 0);
    await delay(30);
    expect(read(cells, 0)).toBe(turns); // it stopped
    expect(pool.metrics().crashes).toBe(0);
    expect(await scheduler.spawn(spawnJobOf('inc', [1]))).toBe(2);
  });

  it('cancellation crosses threads from a worker too: a job aborts its child, whose clean-up runs', async () => {
    const { scheduler } = setup();
    const cells = counter();
    expect(await scheduler.spawn(spawnJobOf('abortChild', [cells]))).toBe('cancelled');
    expect(read(cells, 1)).toBe(1);
  });

  it('a pool whose workers cannot start closes, failing its jobs, instead of restarting them forever', async () => {
    const setupUrl = new URL('./fixtures/pool-broken-setup.ts', import.meta.url).href;
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const { pool, scheduler } = setup({ workers: 1, setup: { url: setupUrl, name: 'setup' } });
      const error = await failure(scheduler.spawn(pool.spawn(jobs, 'inc', [1])));
      expect(error).toMatchObject({ code: 'ERR_ZOKIO_WORKER_CRASHED' });
      expect(pool.metrics().crashes).toBe(0);
      expect(warnings.join('\n')).toMatch(/failed to start, closing the pool: .*no driver here/);
      const later = await failure(scheduler.spawn(pool.spawn(jobs, 'inc', [1])));
      expect(later).toMatchObject({ code: 'ERR_ZOKIO_WORKER_CRASHED' });
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('an idle pool that never ran a job does not keep the process alive', async () => {
    const script = fileURLToPath(new URL('./fixtures/pool-idle-exit.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@zokio/source', '--import', 'tsx', script],
      { cwd: fileURLToPath(new URL('../../..', import.meta.url)), timeout: 15_000 },
    );
    expect(stdout.trim()).toBe('ready'); // and it exited: a pool holding the process fails on the timeout
  });

  it('a worker that exits or throws an uncaught error fails its job and is replaced', async () => {
    const { pool, scheduler } = setup();
    const exited = await failure(scheduler.spawn(spawnJobOf('crash')));
    expect(exited).toMatchObject({ code: 'ERR_ZOKIO_WORKER_CRASHED' });
    const threw = await failure(scheduler.spawn(spawnJobOf('crashLater')));
    expect(threw).toMatchObject({ code: 'ERR_ZOKIO_WORKER_CRASHED' });
    expect(pool.metrics().crashes).toBe(2);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => scheduler.spawn(spawnJobOf('inc', [i]))));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('close with jobs queued and running: queued ones never run, running ones are cancelled, threads exit', async () => {
    const { pool, scheduler } = setup();
    const cells = counter(8);
    const running = [scheduler.spawn(spawnJobOf('spin', [cells, 0])), scheduler.spawn(spawnJobOf('spin', [cells, 2]))];
    while (read(cells, 0) < 2 || read(cells, 2) < 2) await delay(2);
    const queued = Array.from({ length: 100 }, () => scheduler.spawn(spawnJobOf('mark', [cells, 4])));
    const report = await pool.close(5_000);
    expect(report).toEqual({ terminated: 0 });
    for (const handle of [...running, ...queued]) {
      const error = await failure(handle);
      expect(error).toMatchObject({ code: 'ERR_ZOKIO_JOB_CANCELLED' });
    }
    expect(read(cells, 1) + read(cells, 3)).toBe(2); // both clean-ups ran
    expect(read(cells, 4)).toBe(0);
    // After close, new jobs settle at once as cancelled.
    expect(await failure(scheduler.spawn(spawnJobOf('inc', [1])))).toMatchObject({ code: 'ERR_ZOKIO_JOB_CANCELLED' });
  });

  it('close terminates a worker stuck in synchronous code once the timeout passes', async () => {
    const { pool, scheduler } = setup({ workers: 1 });
    const stuck = scheduler.spawn(spawnJobOf('busy', [3_000]));
    await delay(50);
    const started = performance.now();
    expect(await pool.close(100)).toEqual({ terminated: 1 });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await failure(stuck)).toMatchObject({ code: 'ERR_ZOKIO_JOB_CANCELLED' });
  });
});

/** A job future, spawned from the main thread's scheduler (the `JOB_SPAWNER` of the running task's scheduler). */
function spawnJobOf<T>(name: string, args: unknown[] = [], options?: SpawnJobOptions): Future<T> {
  return fn(function* () {
    return yield* spawnJob<T>(jobs, name, args, options);
  })();
}

describe('WorkerPool: cancellation, odd outcomes and shutdown edges', () => {
  it('a second cancel request on a worker does not abandon the clean-up the first one started', async () => {
    const { pool, scheduler } = setup({ workers: 1 });
    const cells = counter();
    const a = scheduler.spawn(pool.spawn(jobs, 'slowCleanup', [cells, 0]));
    const b = scheduler.spawn(pool.spawn(jobs, 'slowCleanup', [cells, 2]));
    while (read(cells, 0) < 1 || read(cells, 2) < 1) await delay(5); // both run on the one worker
    a.abort();
    let cleanedWhenSettled = -1;
    const aSettled = Promise.resolve(a).catch(() => (cleanedWhenSettled = read(cells, 1)));
    await delay(20); // A's 100 ms clean-up is running
    b.abort(); // bumps the worker's cancel counter again: A must not be aborted a second time
    await Promise.race([aSettled, delay(5_000)]);
    await Promise.race([Promise.resolve(b).catch(() => undefined), delay(5_000)]);
    expect(cleanedWhenSettled).toBe(1); // A's handle settled once its clean-up had finished
    expect(read(cells, 3)).toBe(1);
  });

  it("close waits for the clean-up of a job another job left running, though its owner's cancel comes after", async () => {
    const { pool, scheduler } = setup({ workers: 1 });
    const cells = counter();
    expect(await scheduler.spawn(spawnJobOf('detachSlowCleanup', [cells, 0]))).toBe('spawned');
    while (read(cells, 0) < 1) await delay(5);
    // Shutdown aborts the child's task, and its owner's task, whose cancel then reaches the same worker.
    expect(await pool.close(5_000)).toEqual({ terminated: 0 });
    expect(read(cells, 1)).toBe(1);
  });

  it('a job throwing an error with a field that cannot be read fails with that error, minus the field', async () => {
    const { pool, scheduler } = setup({ workers: 1 });
    expect(await scheduler.spawn(spawnJobOf('inc', [1]))).toBe(2); // the module is loaded: calls run at once
    const innocent = scheduler.spawn(spawnJobOf<number>('later', [1, 300])); // on the same worker
    const sync = await Promise.race([failure(scheduler.spawn(spawnJobOf('throwUnreadable'))), delay(5_000)]);
    expect(sync).toMatchObject({ name: 'Error', message: 'weird' });
    expect(sync).not.toHaveProperty('code');
    const async = await Promise.race([failure(scheduler.spawn(spawnJobOf('rejectUnreadable'))), delay(5_000)]);
    expect(async).toMatchObject({ name: 'Error', message: 'weird' }); // settled, not left pending for ever
    expect(await innocent).toBe(2);
    expect(pool.metrics()).toMatchObject({ crashes: 0, inFlight: 0 });
  });

  it('a job returning an object whose `then` getter throws fails with that error; its worker lives on', async () => {
    const { pool, scheduler } = setup({ workers: 1 });
    expect(await scheduler.spawn(spawnJobOf('inc', [1]))).toBe(2); // the module is loaded: calls run at once
    const innocent = scheduler.spawn(spawnJobOf<number>('later', [1, 300]));
    const error = await failure(scheduler.spawn(spawnJobOf('badThenable')));
    expect(error.message).toBe('then getter boom');
    expect(await innocent).toBe(2);
    expect(pool.metrics().crashes).toBe(0);
  });

  it("a child run on its spawner's thread (no slot free) whose `then` getter throws fails its handle", async () => {
    const { pool, scheduler } = setup({ workers: 1, slots: 2 });
    const holder = scheduler.spawn(spawnJobOf<number>('later', [1, 300])); // holds one slot, the parent the other
    expect(await scheduler.spawn(spawnJobOf('childOutcome', ['badThenable']))).toBe('failed: then getter boom');
    expect(await holder).toBe(2);
    expect(pool.metrics().crashes).toBe(0);
  });

  it('encodeThrown never throws: unreadable fields are left out, an unreadable value becomes a typed error', () => {
    const boom = () => {
      throw new Error('boom');
    };
    const roundTrip = (thrown: unknown) => decodeThrown(structuredClone(encodeThrown(thrown))) as Error;
    const fields = Object.defineProperties(new RangeError('weird'), {
      code: { enumerable: true, get: boom },
      detail: { enumerable: true, value: 7 },
      cause: { get: boom },
    });
    const decoded = roundTrip(fields);
    expect(decoded).toBeInstanceOf(RangeError);
    expect(decoded).toMatchObject({ message: 'weird', detail: 7 });
    expect(decoded).not.toHaveProperty('code');
    expect(decoded.cause).toBeUndefined();
    const named = Object.defineProperty(new Error('x'), 'name', { get: boom });
    expect(roundTrip(named)).toMatchObject({ name: 'Error', message: 'x' });
    const message = Object.assign(new Error(), { message: { toString: boom } });
    expect(roundTrip(message).message).toBe('');
    expect(
      roundTrip({
        get then() {
          return boom();
        },
      }),
    ).toBe('a value that cannot be read');
    const proxy = new Proxy({}, { getPrototypeOf: boom });
    expect(roundTrip(proxy)).toMatchObject({ name: 'ZokioError', code: 'ERR_ZOKIO_JOB_RESULT' });
  });

  it("close takes a timeout past setTimeout's limit, or Infinity, as no deadline; refuses a bad one", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      for (const timeout of [2 ** 32, Infinity]) {
        const { pool, scheduler } = setup({ workers: 1 });
        const cells = counter();
        const job = scheduler.spawn(pool.spawn(jobs, 'busyMark', [cells, 300]));
        while (read(cells, 0) < 1) await delay(5);
        expect(await pool.close(timeout)).toEqual({ terminated: 0 });
        expect(await job).toBeGreaterThan(0); // it ran to its end: its worker was not terminated
      }
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
    const { pool } = setup({ workers: 1 });
    for (const bad of [Number.NaN, -1, '100', null]) expect(() => pool.close(bad as number)).toThrow(TypeError);
    expect(() => pool.close(Number.NaN)).toThrow(/WorkerPool.close: Expected timeoutMs to be a number ≥ 0/);
  });

  it('slots of outcomes relayed to a worker that died before reading them come back', async () => {
    // 4 slots: the parent holds one, its 3 children (results too big for a slot: they come by message) the rest.
    const { pool, scheduler } = setup({ workers: 2, slots: 4 });
    await pool.ready();
    const dir = mkdtempSync(join(tmpdir(), 'zokio-pool-'));
    const marks = join(dir, 'marks');
    try {
      const parent = await failure(scheduler.spawn(spawnJobOf('spawnBigThenDie', [marks, 3])));
      expect(parent).toMatchObject({ code: 'ERR_ZOKIO_WORKER_CRASHED' });
      expect(readFileSync(marks, 'utf8')).toBe('xxx'); // the children ran, on the other worker
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Once the replacement thread started, 4 jobs in flight at once fit the 4 slots: no backlog.
    let backlog = -1;
    for (const deadline = performance.now() + 5_000; backlog !== 0 && performance.now() < deadline;) {
      const handles = Array.from({ length: 4 }, () => scheduler.spawn(spawnJobOf<number>('later', [1, 20])));
      await delay(0); // the tasks ran: the jobs were spawned
      backlog = pool.metrics().backlog;
      await Promise.all(handles);
      if (backlog !== 0) await delay(50);
    }
    expect(backlog).toBe(0);
  });

  it('ready() rejects, typed, with the failure as its cause, when the pool cannot start', async () => {
    const setupUrl = new URL('./fixtures/pool-broken-setup.ts', import.meta.url).href;
    const onWarning = () => undefined;
    process.on('warning', onWarning);
    try {
      const { pool } = setup({ workers: 1, setup: { url: setupUrl, name: 'setup' } });
      const outcome = await Promise.race([
        pool.ready().then(
          () => 'resolved',
          (error: unknown) => error,
        ),
        delay(5_000, 'still pending'),
      ]);
      expect(outcome).toBeInstanceOf(ZokioError);
      expect(outcome).toMatchObject({
        code: 'ERR_ZOKIO_WORKER_CRASHED',
        message: expect.stringMatching(/Expected every worker to start, got worker 1 failing to start/),
        cause: expect.objectContaining({ message: 'no driver here' }),
      });
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('close past its timeout does not settle a job cancelled while queued a second time', async () => {
    const { pool, scheduler } = setup({ workers: 1 });
    const cells = counter();
    const stuck = scheduler.spawn(pool.spawn(jobs, 'busyMark', [cells, 3_000]));
    while (read(cells, 0) < 1) await delay(5);
    const buffer = new ArrayBuffer(8);
    // A transfer list pins the call to a worker: queued behind the stuck job, its slot held until it is taken.
    const pinned = scheduler.spawn(
      pool.spawn(jobs, 'byteLength', [buffer, new Uint8Array(buffer)], { transfer: [buffer] }),
    );
    await delay(0);
    pinned.abort();
    await expect(pinned).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    expect(pool.metrics().inFlight).toBe(1); // the stuck job
    expect(await pool.close(100)).toEqual({ terminated: 1 });
    expect(pool.metrics().inFlight).toBe(0);
    expect(await failure(stuck)).toMatchObject({ code: 'ERR_ZOKIO_JOB_CANCELLED' });
  });
});
