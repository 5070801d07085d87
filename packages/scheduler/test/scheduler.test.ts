import { createServer, connect, type AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import {
  consumeBudget,
  fn,
  FutureBase,
  fromPromise,
  pending,
  PENDING,
  pollFn,
  race,
  yieldNow,
  type Context,
  type Poll,
  type Waker,
} from '@zokio/future';
import { JoinError, JoinSet, spawn, spawnJob, TaskLocal, type JoinHandle } from '@zokio/scheduler';
import { closeFlavours, flavours } from './flavours.js';

afterAll(closeFlavours);
const jobs = new URL('./fixtures/pool-jobs.ts', import.meta.url);

/** A leaf future completed by hand from outside the scheduler; counts polls. */
class Gate<T = void> extends FutureBase<T> {
  polls = 0;
  waker: Waker | undefined;
  #value: { v: T } | undefined;
  poll(cx: Context): Poll<T> {
    this.polls++;
    if (this.#value) return this.#value.v;
    this.waker = cx.waker;
    return PENDING;
  }
  open(v: T): void {
    this.#value = { v };
    this.waker?.wake();
  }
}

describe.each(flavours)('scheduler ($name)', ({ create, hasPool }) => {
  it('spawnJob runs a job on a worker thread where the flavour has a pool, and says why not where it has none', async () => {
    const s = create();
    const h = s.spawn(
      fn(function* () {
        const handle = spawnJob<number>(jobs, 'inc', [41]);
        const own = yield* spawnJob<number>(jobs, 'whoAmI');
        return [yield* handle, own];
      })(),
    );
    if (hasPool) {
      const [value, thread] = await h;
      expect(value).toBe(42);
      expect(thread).toBeGreaterThan(0); // a worker's threadId; the main thread's is 0
    } else {
      await expect(h).rejects.toMatchObject({ cause: expect.objectContaining({ code: 'ERR_ZOKIO_NO_POOL' }) });
    }
  });

  it('runs a spawned task and returns its value through the handle', async () => {
    const s = create();
    const h = s.spawn(
      fn(function* () {
        yield* yieldNow();
        return 42;
      })(),
    );
    expect(await h).toBe(42);
    expect(h.isFinished()).toBe(true);
  });

  it('de-duplicates wakes: 1,000 wakes before a poll cause one poll', async () => {
    const s = create();
    const gate = new Gate();
    const h = s.spawn(gate);
    await delay(0);
    expect(gate.polls).toBe(1);
    for (let i = 0; i < 1000; i++) gate.waker!.wake();
    await delay(0);
    expect(gate.polls).toBe(2);
    expect(s.metrics().polls).toBe(2);
    gate.open();
    await h;
    expect(gate.polls).toBe(3);
  });

  it('abort() of a task blocked three yield* levels deep runs the three finally blocks innermost first, once', async () => {
    const s = create();
    const log: string[] = [];
    const level3 = fn(function* () {
      try {
        yield* pending();
      } finally {
        log.push('level3');
      }
    });
    const level2 = fn(function* () {
      try {
        yield* level3();
      } finally {
        log.push('level2');
      }
    });
    const level1 = fn(function* () {
      try {
        yield* level2();
      } finally {
        log.push('level1');
      }
    });
    const h = s.spawn(level1());
    await delay(0);
    h.abort();
    h.abort();
    const error = await Promise.resolve(h).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JoinError);
    expect((error as JoinError).isCancelled()).toBe(true);
    expect(log).toEqual(['level3', 'level2', 'level1']);
  });

  it('abort() before the first poll never runs the future', async () => {
    const s = create();
    let ran = false;
    const h = s.spawn(
      fn(function* () {
        ran = true;
      })(),
    );
    h.abort();
    await expect(Promise.resolve(h)).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    expect(ran).toBe(false);
  });

  it('waits for async clean-up after abort; a second abort abandons it but still runs finally blocks', async () => {
    const s = create();
    const log: string[] = [];
    const slowCleanup = fn(function* () {
      try {
        yield* pending();
      } finally {
        log.push('cleanup start');
        yield* fromPromise(() => delay(5));
        log.push('cleanup end');
      }
    });
    const h1 = s.spawn(slowCleanup());
    await delay(0);
    h1.abort();
    await Promise.resolve(h1).catch(() => {});
    expect(log).toEqual(['cleanup start', 'cleanup end']);

    log.length = 0;
    const stuck = fn(function* () {
      try {
        yield* pending();
      } finally {
        log.push('stuck start');
        yield* pending();
        log.push('never');
      }
    });
    const outer = fn(function* () {
      try {
        yield* stuck();
      } finally {
        log.push('outer finally');
      }
    });
    const h2 = s.spawn(outer());
    await delay(0);
    h2.abort();
    await delay(0);
    expect(h2.isFinished()).toBe(false);
    h2.abort();
    await expect(Promise.resolve(h2)).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    expect(log).toEqual(['stuck start', 'outer finally']);
  });

  it('a failing task rejects its handle with a JoinError whose cause is the error', async () => {
    const s = create();
    const boom = new Error('boom');
    const h = s.spawn(
      fn(function* () {
        yield* yieldNow();
        throw boom;
      })(),
      { name: 'worker' },
    );
    const error = (await Promise.resolve(h).catch((e: unknown) => e)) as JoinError;
    expect(error.isFailure()).toBe(true);
    expect(error.cause).toBe(boom);
    expect(error.code).toBe('ERR_ZOKIO_TASK_FAILED');
    expect(error.message).toMatch(/task \d+ \(worker\) failed: boom/);
  });

  it('sends the error of a detached task to the unhandledError policy', async () => {
    const seen: JoinError[] = [];
    const s = create({ unhandledError: (e) => seen.push(e) });
    const h = s.spawn(
      fn(function* () {
        yield* yieldNow();
        throw new Error('lost?');
      })(),
    );
    h.detach();
    await delay(5);
    expect(seen).toHaveLength(1);
    expect((seen[0]!.cause as Error).message).toBe('lost?');
  });

  it('reports a failure nobody awaited by the end of the macrotask, and not one that is awaited', async () => {
    const seen: JoinError[] = [];
    const s = create({ unhandledError: (e) => seen.push(e) });
    s.spawn(
      fn(function* () {
        throw new Error('forgotten');
      })(),
    );
    const awaited = s.spawn(
      fn(function* () {
        throw new Error('awaited');
      })(),
    );
    await expect(Promise.resolve(awaited)).rejects.toThrow('awaited');
    await delay(5);
    expect(seen.map((e) => (e.cause as Error).message)).toEqual(['forgotten']);
  });

  it('does not report a clean cancellation', async () => {
    const seen: JoinError[] = [];
    const s = create({ unhandledError: (e) => seen.push(e) });
    const h = s.spawn(pending());
    h.detach();
    h.abort();
    await delay(5);
    expect(seen).toEqual([]);
    expect(s.alive).toBe(0);
  });

  it('reports a failure once: detaching the handle after the end-of-macrotask report does not report it again', async () => {
    const seen: JoinError[] = [];
    const s = create({ unhandledError: (e) => seen.push(e) });
    const h = s.spawn(
      fn(function* () {
        throw new Error('once');
      })(),
    );
    await delay(5);
    expect(seen).toHaveLength(1);
    h.detach(); // as `using h = spawn(…)` does at the end of its scope
    await delay(5);
    expect(seen).toHaveLength(1);
  });

  it('reports a failure whose awaiter polled the handle while it ran and was cancelled before reading it', async () => {
    const seen: JoinError[] = [];
    const s = create({ unhandledError: (e) => seen.push(e) });
    const failing = new Gate();
    const child = s.spawn(
      fn(function* () {
        yield* failing;
        throw new Error('child failed');
      })(),
    );
    const other = new Gate<string>();
    const parent = s.spawn(
      fn(function* () {
        return yield* race([other, child], { biased: true });
      })(),
    );
    await delay(1); // the parent has polled the child's handle: it waits for it
    failing.open(); // the child fails …
    other.open('other won'); // … and the other branch wins on the same wake-up: the handle is dropped unread
    expect(await parent).toBe('other won');
    await delay(5);
    expect(seen.map((e) => (e.cause as Error).message)).toEqual(['child failed']);
  });

  it('a second abort() during the synchronous part of clean-up abandons the rest of it', async () => {
    const s = create();
    const log: string[] = [];
    const h: JoinHandle<void> = s.spawn(
      fn(function* () {
        try {
          yield* pending();
        } finally {
          log.push('finally');
          h.abort(); // before the first `yield*` of the clean-up: the scheduler is inside cancel()
          yield* pending(); // clean-up that would never end by itself
          log.push('never');
        }
      })(),
    );
    await delay(1);
    h.abort();
    await expect(Promise.resolve(h)).rejects.toMatchObject({ code: 'ERR_ZOKIO_TASK_CANCELLED' });
    expect(log).toEqual(['finally']);
    expect(s.alive).toBe(0);
  });

  it('a dropped JoinHandle detaches: the task keeps running', async () => {
    const s = create();
    const gate = new Gate<number>();
    const task = s.spawn(gate);
    const waiter = s.spawn(
      fn(function* () {
        return yield* race([task, fromPromise(() => delay(1, 'timeout'))]);
      })(),
    );
    expect(await waiter).toBe('timeout');
    expect(task.isFinished()).toBe(false);
    gate.open(7);
    await delay(0);
    expect(task.isFinished()).toBe(true);
  });

  it('spawn() inside a task runs on the same scheduler; outside a task it throws ERR_ZOKIO_NO_RUNTIME', async () => {
    const s = create();
    const value = await s.spawn(
      fn(function* () {
        const child = spawn(
          fn(function* () {
            yield* yieldNow();
            return 'child';
          })(),
        );
        return yield* child;
      })(),
    );
    expect(value).toBe('child');
    expect(s.metrics().spawned).toBe(2);
    expect(() => spawn(pending())).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_NO_RUNTIME' }));
  });

  it('rejects a non-future with "Expected … got …"', () => {
    const s = create();
    expect(() => s.spawn(Promise.resolve(1) as never)).toThrow(/spawn: Expected a Future to spawn .* got a Promise/);
  });

  it('polls the task woken by the running task next (LIFO slot), at most three in a row', async () => {
    const s = create();
    const order: string[] = [];
    const gates = [new Gate(), new Gate(), new Gate(), new Gate(), new Gate()];
    const handles: JoinHandle<void>[] = [];
    for (let i = 0; i < gates.length; i++) {
      handles.push(
        s.spawn(
          fn(function* () {
            yield* gates[i]!;
            order.push(`woken${i}`);
            if (i + 1 < gates.length) gates[i + 1]!.open();
          })(),
        ),
      );
    }
    const bystander = s.spawn(
      fn(function* () {
        yield* yieldNow();
        order.push('bystander');
      })(),
    );
    await delay(0);
    order.length = 0;
    s.spawn(
      fn(function* () {
        gates[0]!.open();
      })(),
    );
    await Promise.all([...handles, bystander]);
    // The chain runs LIFO (woken0..woken3 back to back: 3 LIFO polls after woken0), then the slot is flushed to the queue.
    expect(order.slice(0, 4)).toEqual(['woken0', 'woken1', 'woken2', 'woken3']);
    expect(s.metrics().lifoPolls).toBeGreaterThanOrEqual(3);
  });

  it('forces a task that never waits to yield once its budget of 128 is spent', async () => {
    const s = create();
    const trace: string[] = [];
    const busy = fn(function* (name: string) {
      for (let i = 0; i < 1000; i++) {
        yield* consumeBudget();
        trace.push(name);
      }
    });
    await s.spawn(
      fn(function* () {
        const a = spawn(busy('a'));
        const b = spawn(busy('b'));
        yield* a;
        yield* b;
      })(),
    );
    // Each runs at most 128 iterations before the other gets a turn.
    let longest = 0;
    for (let i = 0, run = 0; i < trace.length; i++) {
      run = i > 0 && trace[i] === trace[i - 1] ? run + 1 : 1;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThanOrEqual(128);
    expect(s.metrics().budgetForcedYields).toBeGreaterThanOrEqual(14);
  });

  it('does not starve Node: a task that self-wakes forever lets setTimeout(0) and socket callbacks run within a few ms', async () => {
    const s = create();
    const spinner = s.spawn(pollFn((cx) => (cx.waker.wake(), PENDING)));
    const t0 = performance.now();
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    const timerLatency = performance.now() - t0;

    const server = createServer((socket) => socket.end('pong'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const t1 = performance.now();
    const reply = await new Promise<string>((resolve, reject) => {
      const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
      let data = '';
      client.on('data', (chunk) => (data += chunk.toString()));
      client.on('end', () => resolve(data));
      client.on('error', reject);
    });
    const socketLatency = performance.now() - t1;
    server.close();
    spinner.abort();
    await Promise.resolve(spinner).catch(() => {});
    expect(reply).toBe('pong');
    expect(timerLatency).toBeLessThan(20);
    expect(socketLatency).toBeLessThan(50);
    expect(s.metrics().macrotaskTicks).toBeGreaterThan(1);
  });

  it('yields to libuv (a macrotask) every eventInterval polls: the interval sets how often', async () => {
    const ticks = async (eventInterval: number) => {
      const s = create({ eventInterval });
      const before = s.metrics().macrotaskTicks;
      await s.spawn(
        fn(function* () {
          for (let i = 0; i < 2_000; i++) yield* yieldNow();
        })(),
      );
      return s.metrics().macrotaskTicks - before;
    };
    const often = await ticks(10);
    const rarely = await ticks(1_000);
    expect(often).toBeGreaterThanOrEqual(150); // ~2,000 polls / 10
    expect(rarely).toBeLessThanOrEqual(10); // ~2,000 polls / 1,000
  });

  it('checks the remote queue every globalQueueInterval polls even when the local queue is never empty', async () => {
    const s = create({ globalQueueInterval: 4, eventInterval: 1000 });
    // Two tasks that yield forever keep the local queue busy.
    const spinners = [0, 1].map(() => s.spawn(pollFn((cx) => (cx.waker.wake(), PENDING))));
    await delay(0);
    const gate = new Gate<string>();
    const waiter = s.spawn(gate);
    await delay(0);
    gate.open('ran'); // a wake from outside: remote queue
    const before = s.metrics().polls;
    expect(await waiter).toBe('ran');
    expect(s.metrics().remotePolls).toBeGreaterThan(0);
    for (const h of spinners) h.abort();
    await Promise.allSettled(spinners.map((h) => Promise.resolve(h)));
    expect(before).toBeGreaterThan(0);
  });

  it('JoinSet returns outcomes in completion order and its dispose aborts every member', async () => {
    const s = create();
    const cleaned: number[] = [];
    const result = await s.spawn(
      fn(function* () {
        {
          using set = new JoinSet<number>();
          for (let i = 0; i < 5; i++) {
            set.spawn(
              fn(function* () {
                try {
                  yield* pending();
                } finally {
                  cleaned.push(i);
                }
                return i;
              })(),
            );
          }
          yield* yieldNow();
          expect(set.size).toBe(5);
        }
        yield* yieldNow();
        return cleaned.length;
      })(),
    );
    expect(result).toBe(5);
    expect(cleaned.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(s.alive).toBe(0);
  });

  it('JoinSet dispose lets go of its members: a failure nobody collected and a clean-up that threw are reported', async () => {
    const seen: JoinError[] = [];
    const s = create({ unhandledError: (e) => seen.push(e) });
    const size = await s.spawn(
      fn(function* () {
        const set = new JoinSet<number>();
        set.spawn(
          fn(function* () {
            throw new Error('member failed');
          })(),
        );
        set.spawn(
          fn(function* () {
            try {
              yield* pending();
            } finally {
              throw new Error('clean-up threw');
            }
          })(),
        );
        set.spawn(pending()); // a clean cancellation: not reported
        yield* yieldNow();
        yield* yieldNow();
        set[Symbol.dispose](); // what `using set` does at the end of its scope
        yield* yieldNow();
        return set.size;
      })(),
    );
    expect(size).toBe(0);
    await delay(5);
    expect(seen.map((e) => ((e.cause ?? e) as Error).message).sort()).toEqual(['clean-up threw', 'member failed']);
    expect(s.alive).toBe(0);
  });

  it('JoinSet: several tasks may wait in joinNext(); each outcome goes to one, and all learn the set is empty', async () => {
    const s = create();
    const set = new JoinSet<string>();
    const gate = new Gate<string>();
    set.spawn(gate, { scheduler: s });
    const waiter = fn(function* () {
      const r = yield* set.joinNext();
      return r?.ok ? r.value : 'empty';
    });
    const a = s.spawn(waiter());
    const b = s.spawn(waiter());
    await delay(1);
    gate.open('v');
    expect([await a, await b].sort()).toEqual(['empty', 'v']);
    expect(s.alive).toBe(0);
  });

  it('JoinSet.joinNext and joinAll collect values and errors; shutdown waits for every member', async () => {
    const s = create();
    const out = await s.spawn(
      fn(function* () {
        const set = new JoinSet<number>();
        const gates = [new Gate<number>(), new Gate<number>()];
        set.spawn(gates[0]!);
        set.spawn(gates[1]!);
        set.spawn(
          fn(function* () {
            throw new Error('bad');
          })(),
        );
        gates[1]!.open(1);
        gates[0]!.open(0);
        const results = [];
        for (let r = yield* set.joinNext(); r; r = yield* set.joinNext())
          results.push(r.ok ? r.value : (r.error.cause as Error).message);
        const all = new JoinSet<number>();
        for (let i = 0; i < 3; i++)
          all.spawn(
            fn(function* () {
              yield* yieldNow();
              return i;
            })(),
          );
        const values = yield* all.joinAll();
        const drained = new JoinSet<number>();
        drained.spawn(pending());
        yield* drained.shutdown();
        return { results, values: values.sort(), drained: drained.size };
      })(),
    );
    expect(out.results.sort()).toEqual([0, 1, 'bad'].sort());
    expect(out.values).toEqual([0, 1, 2]);
    expect(out.drained).toBe(0);
  });

  it('task-local values are scoped per task and visible in finally blocks', async () => {
    const s = create();
    const ID = new TaskLocal<string>('id');
    const seen: string[] = [];
    const work = fn(function* (tag: string) {
      try {
        yield* yieldNow();
        seen.push(ID.get() + ':' + tag);
        yield* pending();
      } finally {
        seen.push('finally ' + ID.get());
      }
    });
    const a = s.spawn(ID.scope('A', work('a')));
    const b = s.spawn(ID.scope('B', work('b')));
    await delay(1);
    a.abort();
    b.abort();
    await Promise.allSettled([Promise.resolve(a), Promise.resolve(b)]);
    expect(seen.sort()).toEqual(['A:a', 'B:b', 'finally A', 'finally B']);
    expect(() => ID.get()).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_TASK_LOCAL_UNSET' }));
  });

  it('after close(), spawn returns a handle that reports cancellation; abortAll + whenIdle drain every task', async () => {
    const s = create();
    const log: string[] = [];
    for (let i = 0; i < 3; i++) {
      s.spawn(
        fn(function* () {
          try {
            yield* pending();
          } finally {
            log.push(`t${i}`);
          }
        })(),
      );
    }
    await delay(0);
    s.close();
    const late = s.spawn(pending());
    await expect(Promise.resolve(late)).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    expect(s.abortAll()).toBe(3);
    await s.whenIdle();
    expect(log.sort()).toEqual(['t0', 't1', 't2']);
    expect(s.alive).toBe(0);
  });

  it('abortAll leaves a task already cancelling to finish its async clean-up (only abandonAll cuts it short)', async () => {
    const s = create();
    const log: string[] = [];
    const handle = s.spawn(
      fn(function* () {
        try {
          yield* pending();
        } finally {
          yield* fromPromise(() => delay(30)); // an async clean-up
          log.push('cleaned up');
        }
      })(),
    );
    await delay(0);
    handle.abort(); // the user's abort: the task is cancelling
    await delay(5);
    s.close();
    expect(s.abortAll()).toBe(0); // nothing new to abort: a second abort would abandon the clean-up
    await s.whenIdle();
    expect(log).toEqual(['cleaned up']);
  });

  it('validates options with "Expected … got …"', () => {
    expect(() => create({ eventInterval: 0 })).toThrow(
      /Expected eventInterval to be an integer from 1 to 2\^30, got number 0/,
    );
    expect(() => create({ unhandledError: 'ignore' as never })).toThrow(/Expected unhandledError/);
  });
});
