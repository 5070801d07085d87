import { execFile, execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, pending, PENDING, pollFn, ready, select, yieldNow } from '@zokio/future';
import { AT_FDCWD, IO, ioDriverOf } from '@zokio/io-driver';
import { JoinError, spawn } from '@zokio/scheduler';
import { main, resolveConfig, Runtime } from '@zokio/runtime';
import { Instant, sleep } from '@zokio/time';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

function runFixture(name: string): Promise<{ code: number | null; stdout: string; ms: number }> {
  const start = Date.now();
  const file = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@zokio/source', '--import', 'tsx', file],
      { cwd: repoRoot, timeout: 15_000 },
      (error, stdout) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, ms: Date.now() - start }),
    );
  });
}

describe('Runtime', () => {
  it('blockOn returns the value, and rejects with the future’s own error', async () => {
    const rt = Runtime.create();
    expect(
      await rt.blockOn(
        fn(function* () {
          yield* yieldNow();
          return 'ok';
        })(),
      ),
    ).toBe('ok');
    const boom = new Error('boom');
    await expect(
      rt.blockOn(
        fn(function* () {
          throw boom;
        })(),
      ),
    ).rejects.toBe(boom);
  });

  it('builder and config object build the same runtime; describe() says what was chosen and why', () => {
    const a = Runtime.builder().flavor('current_thread').eventInterval(32).build();
    const b = Runtime.create({ flavor: 'current_thread', eventInterval: 32 });
    expect(a.config.eventInterval).toEqual({ value: 32, source: 'config' });
    expect(b.config).toEqual(a.config);
    const text = a.describe();
    expect(text).toMatch(/flavor: +current_thread \(config\)/);
    expect(text).toMatch(/eventInterval: +32 \(config\)/);
    expect(text).toMatch(/globalQueueInterval: +31 \(default\)/);
    expect(text).toMatch(/memory: +~\d+ B of heap per suspended task; ~[\d.]+ KiB of RSS per idle TCP connection/);
  });

  it('a config value is typed: text is parsed only from the environment, and there only as decimal digits', () => {
    const empty = {};
    for (const config of [
      { eventInterval: '61' },
      { workerThreads: '0x4' },
      { enableTime: 'false' },
      { startPaused: '1' },
    ])
      expect(() => resolveConfig(config as never, empty), JSON.stringify(config)).toThrow(TypeError);
    for (const [name, value] of [
      ['ZOKIO_EVENT_INTERVAL', '0x3d'],
      ['ZOKIO_THREAD_KEEP_ALIVE', '1e4'],
      ['ZOKIO_MAX_BLOCKING_THREADS', '0b11'],
    ])
      expect(() => resolveConfig({}, { [name!]: value }), `${name}=${value}`).toThrow(TypeError);
    expect(resolveConfig({}, { ZOKIO_EVENT_INTERVAL: ' 61 ', ZOKIO_START_PAUSED: 'true' })).toMatchObject({
      eventInterval: { value: 61 },
      startPaused: { value: true },
    });
  });

  it('ZOKIO_* environment variables override the config and are validated', () => {
    const c = resolveConfig({ eventInterval: 10 }, { ZOKIO_EVENT_INTERVAL: '99' });
    expect(c.eventInterval).toEqual({ value: 99, source: 'env ZOKIO_EVENT_INTERVAL' });
    expect(() => resolveConfig({}, { ZOKIO_EVENT_INTERVAL: 'lots' })).toThrow(
      /Expected eventInterval \(from ZOKIO_EVENT_INTERVAL\) to be an integer from 1 to 2\^30, got the string "lots"/,
    );
  });

  it('rejects bad config with "Expected … got …"', () => {
    expect(() => Runtime.create({ eventInterval: -1 })).toThrow(
      /Expected eventInterval to be an integer .* got number -1/,
    );
    expect(() => Runtime.create({ flavour: 'x' } as never)).toThrow(/Expected a runtime config key .* got "flavour"/);
    expect(() => Runtime.create({ workerThreads: 0 })).toThrow(
      /Expected workerThreads to be an integer from 1 to 1024, got number 0/,
    );
    expect(() => resolveConfig({}, { ZOKIO_THREAD_KEEP_ALIVE: '-5' })).toThrow(
      /Expected threadKeepAlive \(from ZOKIO_THREAD_KEEP_ALIVE\) to be an integer from 0 to 2\^30, got the string "-5"/,
    );
    expect(() => Runtime.create({ flavor: 'fast' as never })).toThrow(
      /Expected flavor to be 'current_thread' or 'multi_thread', got the string "fast"/,
    );
    expect(() => Runtime.create().blockOn(42 as never)).toThrow(/blockOn: Expected a Future/);
  });

  it('enableTime (default) runs timers; startPaused makes them instant; describe() says which', async () => {
    const rt = Runtime.builder().startPaused().build();
    expect(rt.describe()).toMatch(
      /time: +timer wheel .* clock paused, auto-advancing when idle \(startPaused, config\)/,
    );
    const t0 = performance.now();
    const slept = await rt.blockOn(
      fn(function* () {
        const start = Instant.now();
        yield* sleep(3_600_000);
        return Instant.now().since(start);
      })(),
    );
    expect(slept).toBe(3_600_000);
    expect(performance.now() - t0).toBeLessThan(1000);
    await rt.shutdown();
    expect(rt.time?.metrics().pending).toBe(0);
  });

  it('with enableTime false a sleep fails with ERR_ZOKIO_TIME_DISABLED; startPaused needs enableTime', async () => {
    const rt = Runtime.create({ enableTime: false });
    expect(rt.describe()).toMatch(/time: +disabled/);
    await expect(rt.blockOn(sleep(1))).rejects.toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_TIME_DISABLED' }));
    expect(() => Runtime.create({ enableTime: false, startPaused: true })).toThrow(
      /Expected enableTime to be true when startPaused is true/,
    );
    expect(() => resolveConfig({}, { ZOKIO_START_PAUSED: 'maybe' })).toThrow(
      /Expected startPaused \(from ZOKIO_START_PAUSED\) to be true or false, got the string "maybe"/,
    );
  });

  it('io picks the I/O backend, says why, creates the driver on first use and drains it at shutdown', async () => {
    const rt = Runtime.create({ io: 'js' });
    expect(rt.describe()).toMatch(
      /io: +js \(io js, config; forced by config: Node's callback fs API\); created on first use/,
    );
    expect(rt.io).toBeUndefined();
    const res = await rt.blockOn(
      pollFn((cx) => {
        const driver = cx.executor.service(IO)!;
        return driver.kind;
      }),
    );
    expect(res).toBe('js');
    expect(rt.io?.kind).toBe('js');
    rt.io!.timeout(60_000, { complete() {} });
    await rt.shutdown();
    expect(rt.io?.inFlight).toBe(0);
    expect(() => Runtime.create({ io: 'kqueue' as never })).toThrow(
      /Expected io to be one of auto, io_uring, epoll, js/,
    );
    expect(Runtime.create().describe()).toMatch(/io: +(io_uring|js) \(auto: /);
  });

  it('ioFaults injects I/O faults from a seed (config, builder or ZOKIO_IO_FAULTS), says so, and counts them', async () => {
    const nops = (rt: Runtime) =>
      rt.blockOn(
        pollFn((cx) => {
          const driver = cx.executor.service(IO)!;
          let done = 0;
          for (let i = 0; i < 200; i++) driver.nop({ complete: () => done++ });
          return done;
        }),
      );
    const plain = Runtime.create({ io: 'js' });
    await nops(plain);
    expect(plain.metrics().ioFaults).toBeUndefined();
    expect(plain.describe()).not.toMatch(/FAULTS/);
    await plain.shutdown();

    const faulty = Runtime.builder()
      .io('js')
      .ioFaults({ seed: 3, rate: 1, faults: ['delay'], maxDelayMs: 1 })
      .build();
    expect(faulty.describe()).toMatch(/FAULTS INJECTED \(delay at rate 1, seed 3; config\)/);
    await nops(faulty);
    await faulty.shutdown(); // waits for the delayed completions: every op still completes once
    // Every nop's completion was held back, and so was that of each cancel shutdown sent to one still in flight.
    expect(faulty.metrics().ioFaults!.delayed).toBeGreaterThanOrEqual(200);
    expect(faulty.io!.inFlight).toBe(0);

    const resolved = resolveConfig({}, { ZOKIO_IO_FAULTS: 'seed=9,rate=0.5,faults=fail+short' });
    expect(resolved.ioFaults).toEqual({
      value: { seed: 9, rate: 0.5, faults: ['fail', 'short'] },
      source: 'env ZOKIO_IO_FAULTS',
    });
    expect(() => resolveConfig({}, { ZOKIO_IO_FAULTS: 'rate=7' })).toThrow(
      /Expected ioFaults \(from ZOKIO_IO_FAULTS\) to be fault options: .*Expected rate to be a number from 0 to 1, got number 7/,
    );
    expect(() => Runtime.create({ ioFaults: { faults: ['melt'] as never } })).toThrow(
      /Expected ioFaults to be fault options: .*Expected faults to be an array of fail, short, delay, reorder/,
    );
  });

  it('seed replays select’s random choices (config, builder or ZOKIO_SEED) and describe() prints it', async () => {
    const winners = (rt: Runtime) =>
      rt.blockOn(
        fn(function* () {
          const picked: number[] = [];
          for (let i = 0; i < 32; i++) picked.push((yield* select([ready(0), ready(1), ready(2)])).index);
          return picked;
        })(),
      );
    const a = Runtime.create({ seed: 77 });
    expect(a.describe()).toMatch(/seed: +77 \(config\)/);
    const first = await winners(a);
    const b = Runtime.builder().seed(77).build();
    expect(await winners(b)).toEqual(first);
    const c = Runtime.create({ seed: 78 });
    expect(await winners(c)).not.toEqual(first);
    expect(Runtime.create().describe()).toMatch(/seed: +\d+ \(the process’s; ZOKIO_SEED=\d+ replays it\)/);
    expect(resolveConfig({}, { ZOKIO_SEED: '5' }).seed).toEqual({ value: 5, source: 'env ZOKIO_SEED' });
    expect(() => Runtime.create({ seed: 0 })).toThrow(
      /Expected seed to be an integer from 1 to 2\^32 - 1, got number 0/,
    );
    await Promise.all([a.shutdown(), b.shutdown(), c.shutdown()]);
  });

  it('shutdown cancels every task, waits for clean-up, and reports nothing abandoned', async () => {
    const rt = Runtime.create();
    const log: string[] = [];
    const handles = [1, 2, 3].map((i) =>
      rt.spawn(
        fn(function* () {
          try {
            yield* pending();
          } finally {
            yield* fromPromise(() => delay(2));
            log.push(`clean ${i}`);
          }
        })(),
      ),
    );
    await delay(0);
    const report = await rt.shutdown({ timeout: 1000 });
    expect(report).toEqual({ cancelled: 3, abandoned: [], timedOut: false, terminatedThreads: 0 });
    expect(log.sort()).toEqual(['clean 1', 'clean 2', 'clean 3']);
    for (const h of handles) await expect(Promise.resolve(h)).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    expect(await rt.shutdown()).toBe(report);
    await expect(Promise.resolve(rt.spawn(pending()))).rejects.toSatisfy((e: JoinError) => e.isCancelled());
  });

  it('shutdown abandons clean-up that outlives the timeout and names the task', async () => {
    const rt = Runtime.create();
    const log: string[] = [];
    rt.spawn(
      fn(function* () {
        try {
          yield* pending();
        } finally {
          yield* pending(); // clean-up that never ends
          log.push('never');
        }
      })(),
      { name: 'stubborn' },
    );
    await delay(0);
    const report = await rt.shutdown({ timeout: 20 });
    expect(report.timedOut).toBe(true);
    expect(report.abandoned).toEqual([expect.objectContaining({ name: 'stubborn', status: 'cancelling' })]);
    expect(log).toEqual([]);
    expect(rt.metrics().alive).toBe(0);
  });

  it('a timeout past setTimeout’s limit waits for clean-up: it is no deadline, not an immediate one', async () => {
    const rt = Runtime.create();
    const log: string[] = [];
    rt.spawn(
      fn(function* () {
        try {
          yield* pending();
        } finally {
          yield* sleep(50);
          log.push('cleaned up');
        }
      })(),
    );
    await delay(0);
    const report = await rt.shutdown({ timeout: 2 ** 31 + 1 });
    expect(report).toMatchObject({ timedOut: false, abandoned: [] });
    expect(log).toEqual(['cleaned up']);
  });

  it('the deadline also bounds draining I/O that no backend can stop (an open of a FIFO nobody writes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zokio-fifo-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const rt = Runtime.create({ io: 'js' }); // a thread of libuv's pool blocks in open(2)
    let started = false;
    rt.spawn(
      pollFn((cx) => {
        if (!started) {
          started = true;
          const driver = ioDriverOf(cx);
          driver.openat(AT_FDCWD, driver.encodePath(fifo), constants.O_RDONLY, 0, { complete() {} });
        }
        return PENDING;
      }),
    );
    await delay(50);
    const shutdownAt = performance.now();
    const report = await rt.shutdown({ timeout: 200 });
    const took = performance.now() - shutdownAt;
    // Unblock the thread (and so the test process) by opening the writing end.
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    rmSync(dir, { recursive: true, force: true });
    expect(took).toBeLessThan(1_500);
    expect(report.timedOut).toBe(true);
  });

  it("unhandledError: 'shutdown' shuts the runtime down and blockOn rejects with the error", async () => {
    const rt = Runtime.create({ unhandledError: 'shutdown' });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const root = rt.blockOn(
        fn(function* () {
          spawn(
            fn(function* () {
              throw new Error('fatal');
            })(),
          ).detach();
          yield* pending();
        })(),
      );
      const error = (await root.catch((e: unknown) => e)) as JoinError;
      expect((error.cause as Error).message).toBe('fatal');
      expect(rt.isShutdown).toBe(true);
      expect(errors).toHaveLength(1);
    } finally {
      console.error = original;
    }
  });

  it('main() returns the body’s value and shuts down; a failure sets exitCode and resolves undefined', async () => {
    expect(
      await main(function* () {
        yield* yieldNow();
        return 5;
      }),
    ).toBe(5);
    const original = console.error;
    console.error = () => {};
    try {
      expect(
        await main(function* () {
          throw new Error('main failed');
        }),
      ).toBeUndefined();
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = 0;
      console.error = original;
    }
  });

  it('lets the process exit by itself when the runtime is idle', async () => {
    const { code, stdout, ms } = await runFixture('idle-exit.ts');
    expect(code).toBe(0);
    expect(stdout).toBe('spawned\n');
    expect(ms).toBeLessThan(10_000);
  });

  it('keeps the process up while a task sleeps on a Node timer', async () => {
    const { code, stdout } = await runFixture('sleep-keepalive.ts');
    expect(code).toBe(0);
    const woke = /woke after (\d+) ms/.exec(stdout);
    expect(woke).not.toBeNull();
    expect(Number(woke![1])).toBeGreaterThanOrEqual(290);
  });
});
