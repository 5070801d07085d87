import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { drop, fn, toPromise, ZokioError, type Future } from '@zokio/future';
import { BlockingPool, LocalScheduler, type BlockingPoolOptions } from '@zokio/scheduler';
import { MAX_RUNNING, ORDER, RUNNING, STARTED } from './fixtures/blocking-jobs.js';

const jobs = new URL('./fixtures/blocking-jobs.ts', import.meta.url);

const pools: BlockingPool[] = [];
function pool(options: Partial<BlockingPoolOptions> = {}): BlockingPool {
  const created = new BlockingPool({ maxThreads: 2, ...options });
  pools.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close(1_000)));
});

/** An error from a job: a ZokioError, or one with the properties the fixtures give it. */
type Thrown = ZokioError & { readonly detail?: unknown; readonly line?: number };

/** What `future` throws, driven outside any runtime. */
async function failure(future: Future<unknown>): Promise<Thrown> {
  return toPromise(future).then(
    (value) => {
      throw new Error(`Expected a failure, got ${String(value)}`);
    },
    (error: Thrown) => error,
  );
}

/** A gate a `waitGate` job blocks on: `[open, started]`. */
function gate() {
  const buffer = new SharedArrayBuffer(8);
  const cells = new Int32Array(buffer);
  return {
    buffer,
    /** Resolves once `n` gated jobs started. */
    async started(n = 1) {
      await until(() => Atomics.load(cells, 1) >= n);
    },
    open() {
      Atomics.store(cells, 0, 1);
      Atomics.notify(cells, 0);
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('BlockingPool', () => {
  it('runs an export on a thread and returns its value to a task', async () => {
    const p = pool();
    const handle = new LocalScheduler().spawn(
      fn(function* () {
        const sum = yield* p.run<number>(jobs, 'add', [2, 40]);
        const later = yield* p.run<string>(jobs.href, 'later', ['done']);
        return { sum, later };
      })(),
    );
    expect(await handle).toEqual({ sum: 42, later: 'done later' });
    expect(p.metrics()).toMatchObject({ threads: 1, idle: 1, queued: 0, running: 0, completed: 2 });
  });

  it('accepts an absolute path as well as a URL', async () => {
    expect(await toPromise(pool().run(fileURLToPath(jobs), 'add', [1, 1]))).toBe(2);
  });

  it("rethrows a job's error with its name, message, stack, cause and own properties", async () => {
    const p = pool();
    const range = await failure(p.run(jobs, 'fail', ['range']));
    expect(range).toBeInstanceOf(RangeError);
    expect(range.message).toBe('out of range');
    expect(range.code).toBe('E_RANGE');
    expect(range.detail).toEqual({ n: 1 });
    expect(range).not.toHaveProperty('fn'); // a function cannot cross: left out, not the whole error
    expect(range.stack).toMatch(/blocking-jobs\.ts/);

    const custom = await failure(p.run(jobs, 'fail', ['custom']));
    expect(custom.name).toBe('ParseError');
    expect(custom.line).toBe(7);
    expect(String(custom)).toBe('ParseError: unexpected token');

    const zokio = await failure(p.run(jobs, 'fail', ['zokio']));
    expect(zokio).toBeInstanceOf(ZokioError);
    expect(zokio.code).toBe('ERR_ZOKIO_EXAMPLE');

    const withCause = await failure(p.run(jobs, 'fail', ['cause']));
    expect(withCause.cause).toBeInstanceOf(TypeError);
    expect((withCause.cause as ZokioError).code).toBe('E_INNER');

    expect(await failure(p.run(jobs, 'fail', ['value']))).toEqual({ reason: 'plain object' });
    expect(p.metrics().completed).toBe(5);
  });

  it('a call throwing an error whose fields cannot be read fails with that error, minus them; its thread lives on', async () => {
    const p = pool({ maxThreads: 1 });
    const thread = await toPromise(p.run<number>(jobs, 'whoAmI'));
    const error = await failure(p.run(jobs, 'throwUnreadable'));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('weird');
    expect(error).not.toHaveProperty('code');
    expect(error.cause).toBeUndefined();
    expect(await toPromise(p.run<number>(jobs, 'whoAmI'))).toBe(thread); // the same thread: it did not die
  });

  it('fails with ERR_ZOKIO_JOB_EXPORT when the export or the module is missing', async () => {
    const p = pool();
    const missing = await failure(p.run(jobs, 'nope'));
    expect(missing.code).toBe('ERR_ZOKIO_JOB_EXPORT');
    expect(missing.message).toMatch(/Expected module .*blocking-jobs\.ts to export a function named "nope", got no/);
    const notFn = await failure(p.run(jobs, 'notAFunction'));
    expect(notFn.message).toMatch(/named "notAFunction", got number 42/);
    const noModule = await failure(p.run(new URL('./fixtures/blocking-none.ts', import.meta.url), 'add'));
    expect(noModule.code).toBe('ERR_ZOKIO_JOB_EXPORT');
    expect(noModule.message).toMatch(/Expected module .*blocking-none\.ts to load, got/);
    expect(await toPromise(p.run(jobs, 'add', [1, 2]))).toBe(3); // the thread is fine
  });

  it('fails with ERR_ZOKIO_JOB_RESULT when the result cannot be cloned', async () => {
    const error = await failure(pool().run(jobs, 'returnsFunction'));
    expect(error.code).toBe('ERR_ZOKIO_JOB_RESULT');
    expect(error.message).toMatch(/Expected a structured-clone-able result, got a function/);
  });

  it('throws ERR_ZOKIO_JOB_ARGS from run() itself when the arguments cannot be cloned, running or queued', async () => {
    const p = pool({ maxThreads: 1 });
    const kept = new ArrayBuffer(8);
    const attempt = () => p.run(jobs, 'add', [kept, () => 1], { transfer: [kept] });
    expect(attempt).toThrow(ZokioError);
    expect(attempt).toThrow(/^BlockingPool\.run: Expected structured-clone-able job arguments, got an array/);
    expect(kept.byteLength).toBe(8); // nothing was transferred
    const g = gate();
    const busy = p.run(jobs, 'waitGate', [g.buffer, 'ok']);
    await g.started();
    try {
      attempt();
      expect.unreachable();
    } catch (error) {
      expect((error as ZokioError).code).toBe('ERR_ZOKIO_JOB_ARGS');
    }
    expect(p.metrics().queued).toBe(0);
    g.open();
    expect(await toPromise(busy)).toBe('ok');
    expect(() => p.run(jobs, 'add', {} as unknown[])).toThrow(/Expected args to be an array, got an object/);
    expect(() => p.run('fixtures/blocking-jobs.ts', 'add')).toThrow(/Expected moduleUrl to be a URL/);
  });

  it('transfers an ArrayBuffer: detached here once run() returns, intact there (sent now or queued)', async () => {
    const p = pool({ maxThreads: 1 });
    const bytes = () => Uint8Array.from({ length: 1024 }, (_, i) => i % 256);
    const now = bytes();
    const direct = p.run(jobs, 'sumBytes', [now], { transfer: [now.buffer] });
    expect(now.buffer.byteLength).toBe(0);
    const g = gate();
    const busy = p.run(jobs, 'waitGate', [g.buffer, 'ok']);
    const waiting = bytes();
    const queued = p.run(jobs, 'sumBytes', [waiting], { transfer: [waiting.buffer] });
    expect(waiting.buffer.byteLength).toBe(0);
    expect(p.metrics()).toMatchObject({ threads: 1, running: 1, queued: 2 });
    g.open();
    const expected = { sum: 4 * 32_640, length: 1024 };
    expect(await toPromise(direct)).toEqual(expected);
    expect(await toPromise(busy)).toBe('ok');
    expect(await toPromise(queued)).toEqual(expected);
  });

  it('never runs more than maxThreads calls at once', async () => {
    const p = pool({ maxThreads: 2 });
    const probe = new SharedArrayBuffer(4 * (ORDER + 6));
    const calls = Array.from({ length: 6 }, (_, id) => p.run<number>(jobs, 'track', [probe, id, 40]));
    expect(p.metrics()).toMatchObject({ threads: 2, queued: 4 });
    expect(await Promise.all(calls.map((c) => toPromise(c)))).toEqual([0, 1, 2, 3, 4, 5]);
    const cells = new Int32Array(probe);
    expect(Atomics.load(cells, STARTED)).toBe(6);
    expect(Atomics.load(cells, RUNNING)).toBe(0);
    expect(Atomics.load(cells, MAX_RUNNING)).toBeGreaterThanOrEqual(1);
    expect(Atomics.load(cells, MAX_RUNNING)).toBeLessThanOrEqual(2);
    expect(p.metrics()).toMatchObject({ threads: 2, idle: 2, queued: 0, running: 0, completed: 6 });
  });

  it('starts queued calls in FIFO order', async () => {
    const p = pool({ maxThreads: 1 });
    const probe = new SharedArrayBuffer(4 * (ORDER + 5));
    const calls = Array.from({ length: 5 }, (_, id) => p.run<number>(jobs, 'track', [probe, id, 1]));
    await Promise.all(calls.map((c) => toPromise(c)));
    expect(Array.from(new Int32Array(probe).subarray(ORDER))).toEqual([0, 1, 2, 3, 4]);
  });

  it('an idle thread exits after keepAliveMs; a busy one does not', async () => {
    const p = pool({ maxThreads: 2, keepAliveMs: 150 });
    const g = gate();
    const busy = p.run(jobs, 'waitGate', [g.buffer, 'ok']);
    await toPromise(p.run(jobs, 'add', [1, 2]));
    expect(p.metrics()).toMatchObject({ threads: 2, idle: 1, running: 1 });
    await until(() => p.metrics().threads === 1);
    expect(p.metrics()).toMatchObject({ idle: 0, running: 1 });
    g.open();
    expect(await toPromise(busy)).toBe('ok');
    await until(() => p.metrics().threads === 0);
    expect(await toPromise(p.run(jobs, 'add', [2, 2]))).toBe(4); // a new thread, on demand
  });

  it('an idle pool does not keep the process alive', async () => {
    const script = fileURLToPath(new URL('./fixtures/blocking-exit.ts', import.meta.url));
    const started = Date.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@zokio/source', '--import', 'tsx', script],
      { cwd: fileURLToPath(new URL('../../..', import.meta.url)), timeout: 15_000 },
    );
    expect(stdout.trim()).toBe('sum=3 threads=1');
    expect(Date.now() - started).toBeLessThan(15_000); // keepAliveMs is 60 s: the thread was not waited for
  });

  it.each([
    ['process.exit() in the job', 'exitThread', /exited with code 3/],
    ['an uncaught error from a timer', 'crashLater', /died of an uncaught Error: boom in a timer/],
  ])(
    'a thread that dies (%s) fails its call with ERR_ZOKIO_WORKER_CRASHED and is replaced',
    async (_, job, message) => {
      const p = pool({ maxThreads: 1 });
      const first = await toPromise(p.run<number>(jobs, 'whoAmI'));
      const crash = p.run(jobs, job);
      const queued = p.run<number>(jobs, 'whoAmI');
      const error = await failure(crash);
      expect(error.code).toBe('ERR_ZOKIO_WORKER_CRASHED');
      expect(error.message).toMatch(message);
      const replacement = await toPromise(queued); // waited in the queue through the crash
      expect(replacement).not.toBe(first);
      expect(p.metrics()).toMatchObject({ threads: 1, running: 0 });
    },
  );

  it('cancelling a queued call removes it: it never runs', async () => {
    const p = pool({ maxThreads: 1 });
    const flags = new SharedArrayBuffer(4 * 3);
    const g = gate();
    const busy = p.run(jobs, 'waitGate', [g.buffer, 'ok']);
    const cancelled = p.run(jobs, 'mark', [flags, 0]);
    const kept = p.run(jobs, 'mark', [flags, 1]);
    expect(p.metrics().queued).toBe(2);
    expect(cancelled.cancel()).toBeUndefined();
    expect(p.metrics().queued).toBe(1);
    g.open();
    await toPromise(busy);
    await toPromise(kept);
    await toPromise(p.run(jobs, 'mark', [flags, 2]));
    expect(Array.from(new Int32Array(flags))).toEqual([0, 1, 1]);
  });

  it('cancelling a running call drops its result; the thread goes back to the pool', async () => {
    const p = pool({ maxThreads: 1 });
    const g = gate();
    const running = p.run(jobs, 'waitGate', [g.buffer, 'dropped']);
    await g.started();
    const task = new LocalScheduler().spawn(
      fn(function* () {
        return yield* running;
      })(),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    task.abortHandle().abort(); // cancels the task's `yield* running`
    await expect(task).rejects.toMatchObject({ code: 'ERR_ZOKIO_TASK_CANCELLED' });
    expect(p.metrics().running).toBe(1); // synchronous code cannot be stopped
    g.open();
    await until(() => p.metrics().idle === 1);
    expect(p.metrics()).toMatchObject({ threads: 1, running: 0, completed: 1 });
    expect(await toPromise(p.run(jobs, 'add', [1, 1]))).toBe(2);
  });

  it('close() fails queued and later calls, lets running ones finish, and resolves when every thread exited', async () => {
    const p = pool({ maxThreads: 1 });
    const g = gate();
    const running = p.run(jobs, 'waitGate', [g.buffer, 'finished']);
    const queued = p.run(jobs, 'add', [1, 2]);
    await g.started();
    let closed = false;
    const closing = p.close().then(() => (closed = true));
    expect(p.close()).toBe(p.close());
    expect((await failure(queued)).code).toBe('ERR_ZOKIO_POOL_CLOSED');
    const later = await failure(p.run(jobs, 'add', [1, 2]));
    expect(later.code).toBe('ERR_ZOKIO_POOL_CLOSED');
    expect(closed).toBe(false);
    g.open();
    expect(await toPromise(running)).toBe('finished');
    await closing;
    expect(p.metrics()).toMatchObject({ threads: 0, idle: 0, queued: 0, running: 0 });
  });

  it('close(timeoutMs) terminates a call that does not finish in time', async () => {
    const p = pool({ maxThreads: 2 });
    await toPromise(p.run(jobs, 'add', [1, 2])); // an idle thread too
    const stuck = p.run(jobs, 'spin');
    await until(() => p.metrics().running === 1);
    const started = Date.now();
    await p.close(100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    const error = await failure(stuck);
    expect(error.code).toBe('ERR_ZOKIO_POOL_CLOSED');
    expect(p.metrics().threads).toBe(0);
  });

  it('drop() of a finished future does nothing; polling it again is a caller bug', async () => {
    const p = pool();
    const call = p.run<number>(jobs, 'add', [1, 2]);
    expect(await toPromise(call)).toBe(3);
    drop(call);
    await expect(toPromise(call)).rejects.toMatchObject({ code: 'ERR_ZOKIO_POLL_AFTER_COMPLETION' });
  });

  it('refuses bad options', () => {
    expect(() => new BlockingPool({ maxThreads: 0 })).toThrow(/Expected maxThreads to be an integer ≥ 1, got number 0/);
    expect(() => new BlockingPool({ maxThreads: 1, keepAliveMs: -1 })).toThrow(/Expected keepAliveMs/);
  });
});
