/**
 * The runtime's observability options, each shown to change behaviour: task hooks, the slow-poll detector (config,
 * builder and environment), the poll-time histogram, and `rt.dump()` on a task that blocks.
 */
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, yieldNow } from '@zokio/future';
import { spawn, type SlowPoll } from '@zokio/scheduler';
import { sleep } from '@zokio/time';
import { Runtime, resolveConfig } from '@zokio/runtime';

const block = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('runtime observability', () => {
  it('onTaskSpawn and onTaskTerminate count N spawned tasks as N', async () => {
    let spawned = 0;
    let ended = 0;
    const rt = Runtime.create({ onTaskSpawn: () => void spawned++, onTaskTerminate: () => void ended++ });
    await rt.blockOn(
      fn(function* () {
        const handles = Array.from({ length: 500 }, () => spawn(yieldNow()));
        for (const handle of handles) yield* handle;
      })(),
    );
    expect(spawned).toBe(501); // the 500 and blockOn's own task
    expect(ended).toBe(501);
    expect(rt.describe()).toMatch(/watching task hooks/);
    await rt.shutdown();
  });

  it('slowPollThreshold reports a task that blocks, naming it; without it nothing is timed', async () => {
    const slow: SlowPoll[] = [];
    const rt = Runtime.builder()
      .slowPollThreshold(10_000, (poll) => slow.push(poll))
      .build();
    const blocker = fn(function* blocker() {
      block(30);
      yield* sleep(1);
    });
    await rt.spawn(blocker(), { name: 'the-blocker' });
    expect(slow).toEqual([
      expect.objectContaining({
        task: expect.objectContaining({ name: 'the-blocker' }),
        fn: 'blocker',
        awaiting: 'Sleep (via blocker)',
      }),
    ]);
    expect(rt.metrics().slowPolls).toBe(1);
    expect(rt.describe()).toMatch(/slow polls over 10000 µs \(config\)/);
    await rt.shutdown();
    const quiet = Runtime.create();
    await quiet.spawn(blocker());
    expect(quiet.metrics().slowPolls).toBe(0);
    await quiet.shutdown();
  });

  it('ZOKIO_SLOW_POLL_THRESHOLD_US and ZOKIO_POLL_TIME_HISTOGRAM override the config', () => {
    const config = resolveConfig(
      { slowPollThreshold: 5 },
      { ZOKIO_SLOW_POLL_THRESHOLD_US: '250', ZOKIO_POLL_TIME_HISTOGRAM: '1' },
    );
    expect(config.slowPollThreshold).toEqual({ value: 250, source: 'env ZOKIO_SLOW_POLL_THRESHOLD_US' });
    expect(config.pollTimeHistogram).toEqual({ value: true, source: 'env ZOKIO_POLL_TIME_HISTOGRAM' });
    expect(() => resolveConfig({ onTaskSpawn: 'x' as never })).toThrow(
      /Expected onTaskSpawn to be a function, got the string "x"/,
    );
  });

  it('pollTimeHistogram counts every poll', async () => {
    const rt = Runtime.create({ pollTimeHistogram: true });
    await rt.blockOn(
      fn(function* () {
        for (let i = 0; i < 20; i++) yield* yieldNow();
      })(),
    );
    const { polls, pollTimeHistogram } = rt.metrics();
    expect(pollTimeHistogram!.counts.reduce((a, b) => a + b, 0)).toBe(polls);
    await rt.shutdown();
  });

  it('rt.dump() shows a task stuck on a promise, with its age, while another blocks on it', async () => {
    const rt = Runtime.create();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stuck = fn(function* stuckOnGate() {
      yield* fromPromise(() => gate);
    });
    const handle = rt.spawn(stuck(), { name: 'stuck' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(rt.dump()).toEqual([
      expect.objectContaining({
        name: 'stuck',
        fn: 'stuckOnGate',
        status: 'idle',
        awaiting: 'PromiseFuture (via stuckOnGate)',
      }),
    ]);
    expect(rt.dump()[0]!.ageMs).toBeGreaterThanOrEqual(15);
    release();
    await handle;
    expect(rt.dump()).toEqual([]);
    await rt.shutdown();
  });
});

describe('metrics and the Prometheus exporter', () => {
  it('counts known workloads: N spawns, N timers, I/O ops by kind; renders them as Prometheus text', async () => {
    const { toPrometheus } = await import('@zokio/runtime');
    const { IO } = await import('@zokio/io-driver');
    const { currentScheduler } = await import('@zokio/scheduler');
    const rt = Runtime.create({ pollTimeHistogram: true, io: 'js' });
    await rt.blockOn(
      fn(function* () {
        const handles = Array.from({ length: 100 }, () => spawn(sleep(50))); // long enough that each registers
        for (const handle of handles) yield* handle;
        const driver = currentScheduler().service(IO)!;
        yield* fromPromise(() => new Promise<void>((resolve) => driver.nop({ complete: () => resolve() })));
      })(),
    );
    const m = rt.metrics();
    expect(m.spawned).toBe(101);
    expect(m.timers).toMatchObject({ registered: 100, fired: 100, pending: 0 });
    expect(m.io?.byKind).toEqual({ nop: { submitted: 1, completed: 1 } });
    expect(m.workers).toEqual([]);
    const text = toPrometheus(m);
    expect(text).toContain('# TYPE zokio_tasks_spawned_total counter\nzokio_tasks_spawned_total 101\n');
    expect(text).toContain('zokio_timers_fired_total 100\n');
    expect(text).toContain('zokio_io_ops_submitted_total{op="nop"} 1\n');
    expect(text).toMatch(
      /zokio_poll_duration_seconds_bucket\{le="\+Inf"\} (\d+)\nzokio_poll_duration_seconds_sum [\d.e-]+\nzokio_poll_duration_seconds_count \1\n/,
    );
    for (const line of text.trim().split('\n'))
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+|\w+\{[^}]*\} \+Inf)$/);
    await rt.shutdown();
  });

  it('a multi_thread runtime adds a series per worker', async () => {
    const { toPrometheus } = await import('@zokio/runtime');
    const rt = Runtime.create({ flavor: 'multi_thread', workerThreads: 2 });
    await rt.spawnJob(new URL('./fixtures/jobs.ts', import.meta.url), 'sum', [[1, 2]]);
    const text = toPrometheus(rt.metrics(), 'app');
    expect(text).toContain('app_workers 2\n');
    expect(text).toMatch(/app_worker_jobs_total\{worker="1"\} \d+\napp_worker_jobs_total\{worker="2"\} \d+\n/);
    expect(rt.metrics().workers.reduce((sum, w) => sum + w.jobs, 0)).toBe(1);
    await rt.shutdown();
  });
});

describe('buffer pool sizes', () => {
  it("bufferArenaBytes and bufferPoolMaxBytes size the I/O driver's pool; the environment overrides; bad sizes refused", async () => {
    const { IO } = await import('@zokio/io-driver');
    const { currentScheduler } = await import('@zokio/scheduler');
    const rt = Runtime.builder()
      .bufferPool(1 << 20, 2 << 20)
      .build();
    const stats = await rt.blockOn(
      fn(function* () {
        yield* yieldNow();
        return currentScheduler().service(IO)!.pool.stats();
      })(),
    );
    expect(stats).toMatchObject({ arenaBytes: 1 << 20, maxBytes: 2 << 20 });
    expect(rt.describe()).toMatch(/buffers in 1024 KiB arenas up to 2 MiB/);
    await rt.shutdown();
    expect(resolveConfig({}, { ZOKIO_BUFFER_POOL_MAX_BYTES: String(8 << 20) }).bufferPoolMaxBytes).toEqual({
      value: 8 << 20,
      source: 'env ZOKIO_BUFFER_POOL_MAX_BYTES',
    });
    expect(() => resolveConfig({ bufferArenaBytes: 100_000 })).toThrow(
      /Expected bufferArenaBytes to be a multiple of 65536 \(64 KiB\), got number 100000/,
    );
    expect(() => resolveConfig({ bufferArenaBytes: 4 << 20, bufferPoolMaxBytes: 1 << 20 })).toThrow(
      /Expected bufferPoolMaxBytes \(config\) to be at least bufferArenaBytes \(4194304\), got 1048576/,
    );
  });

  it('bufferPoolMaxWaitMs bounds how long an op waits for a buffer at the cap: 0 fails at once, 150 after ~150 ms', async () => {
    const { IO, LendingOpFuture } = await import('@zokio/io-driver');
    const { PoolExhaustedError } = await import('@zokio/memory');
    const { currentScheduler } = await import('@zokio/scheduler');
    const AT_FDCWD = -100;
    /** A statx of `/` into a pool buffer of its own: an op that must wait for a buffer when the pool is full. */
    class StatRoot extends LendingOpFuture<number> {
      constructor() {
        super('statx', '/');
      }
      protected submit(driver: import('@zokio/io-driver').IoDriver): number {
        const out = this.lend(driver.pool.acquire(256));
        return driver.statx(AT_FDCWD, this.encodePath(driver, '/'), 0, 0x7ff, out, this);
      }
      protected value(res: number): number {
        return res;
      }
    }
    const waitWithPoolFull = (maxWaitMs: number) => {
      const rt = Runtime.builder()
        .bufferPool(1 << 16, 1 << 16, maxWaitMs)
        .build();
      const outcome = rt.blockOn(
        fn(function* () {
          yield* new StatRoot(); // the driver exists, and works with room in the pool
          const pool = currentScheduler().service(IO)!.pool;
          const held = [];
          for (;;) {
            try {
              held.push(pool.acquire(256));
            } catch {
              break;
            }
          }
          const started = performance.now();
          let error: unknown;
          try {
            yield* new StatRoot();
          } catch (e) {
            error = e;
          }
          for (const buf of held) pool.release(buf);
          return { error, ms: performance.now() - started };
        })(),
      );
      return outcome.finally(() => rt.shutdown());
    };
    const never = await waitWithPoolFull(0);
    expect(never.error).toBeInstanceOf(PoolExhaustedError);
    expect(never.ms).toBeLessThan(100);
    const bounded = await waitWithPoolFull(150);
    expect(bounded.error).toBeInstanceOf(PoolExhaustedError);
    expect(bounded.ms).toBeGreaterThanOrEqual(140);
    expect(bounded.ms).toBeLessThan(1_500);
    const described = Runtime.create({ bufferPoolMaxWaitMs: 150 });
    expect(described.describe()).toMatch(/waiting up to 150 ms for one at the cap/);
    await described.shutdown();
    expect(resolveConfig({}, { ZOKIO_BUFFER_POOL_MAX_WAIT_MS: '0' }).bufferPoolMaxWaitMs).toEqual({
      value: 0,
      source: 'env ZOKIO_BUFFER_POOL_MAX_WAIT_MS',
    });
    expect(resolveConfig({}).bufferPoolMaxWaitMs).toEqual({ value: 2000, source: 'default' });
    expect(() => resolveConfig({ bufferPoolMaxWaitMs: -1 })).toThrow(
      /Expected bufferPoolMaxWaitMs to be an integer from 0 to 3600000, got number -1/,
    );
  });
});
