/**
 * The work-stealing pool with real worker threads: jobs, fork-join, errors, cancellation and crashes crossing
 * threads, transfers, the backlog, shutdown. Jobs are in `fixtures/pool-jobs.ts`.
 */
import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fn, ZokioError, type Future } from '@zokio/future';
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
