/**
 * Bad input, as #9 asks (item 3): every public API called with wrong types, out-of-range numbers, closed resources
 * and detached ArrayBuffers gets a typed error — thrown at the call, or from the future or promise it returns — and
 * never a crash, a hang or a native abort; and no file descriptor leaks.
 *
 * Typed means: a `TypeError`/`RangeError` whose message says "Expected …, got …", or an error with a string `code`
 * (zokio's `ERR_ZOKIO_…`, an errno such as `EBADF`, or a `ZokioError`'s own code). A validation error must say
 * "Expected" whatever its class. One row per API × input; I/O rows run on every driver.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, fdCount, fdCountBackTo, runtimeOn, tempDir } from '@zokio/runtime/testing';
import {
  appendFile,
  Arena,
  Barrier,
  BlockingPool,
  broadcast,
  BufferPool,
  cancelAll,
  canonicalize,
  Clock,
  closeNow,
  Context,
  copy,
  createDir,
  createDirAll,
  decodeSockaddr,
  describeValue,
  domainOf,
  drop,
  encodeSockaddr,
  exists,
  File,
  fn,
  formatAddress,
  fromPromise,
  future,
  hardLink,
  Instant,
  interval,
  IoDriver,
  ipv4ToNumber,
  isFuture,
  iterateOnce,
  join as joinFutures,
  joinAll,
  JoinSet,
  LocalScheduler,
  lookupHost,
  lstat,
  main,
  mpsc,
  Mutex,
  numberToIpv4,
  ObjectPool,
  OnceCell,
  oneshot,
  pause,
  pollFn,
  pollProceed,
  race,
  readDir,
  readFile,
  readLink,
  readToString,
  ready,
  remove,
  removeDir,
  removeDirAll,
  rename,
  resolveConfig,
  RingQueue,
  Runtime,
  RwLock,
  select,
  selectBackend,
  Semaphore,
  serviceKey,
  setPermissions,
  signal,
  sizeClassBytes,
  sizeClassOf,
  sleep,
  sleepUntil,
  spawn,
  spawnBlocking,
  spawnJob,
  stat,
  symlink,
  TaskLocal,
  TcpListener,
  TcpStream,
  TimeDriver,
  timeout,
  timeoutAt,
  toDuplex,
  toPromise,
  toPrometheus,
  toReadable,
  toReadableStream,
  toWritable,
  tryJoin,
  UdpSocket,
  unconstrained,
  UnixListener,
  UnixStream,
  watch,
  WorkerPool,
  writeFile,
  ZokioError,
  advance,
  type Future,
  type IoBackendName,
  type SocketAddress,
} from 'zokio';

// ---- Rows and the check ----------------------------------------------------------------------------------------

interface Row {
  /** `API × input`. */
  readonly label: string;
  /** The call. A future it returns is driven on the suite's runtime, a promise awaited. */
  readonly call: () => unknown;
  /** A validation error (the default): its message says "Expected". A closed resource's error need not. */
  readonly validation?: boolean;
}

type Input = readonly [name: string, value: unknown];

/** One row per input: `api × name`. */
function rows(api: string, inputs: readonly Input[], call: (value: never) => unknown, extra: Partial<Row> = {}): Row[] {
  return inputs.map(([name, value]) => ({ label: `${api} × ${name}`, call: () => call(value as never), ...extra }));
}

function row(label: string, call: () => unknown, extra: Partial<Row> = {}): Row {
  return { label, call, ...extra };
}

/** A closed resource's rows: the error is typed (a code) but need not be a validation error. */
const closed = { validation: false } as const;

function detached<T extends ArrayBufferView>(view: (buffer: ArrayBuffer) => T): T {
  const buffer = new ArrayBuffer(16);
  const out = view(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return out;
}

const NOT_A_NUMBER: readonly Input[] = [
  ['a string', '1'],
  ['an object', {}],
  ['null', null],
  ['a symbol', Symbol('s')],
  ['a bigint', 1n],
];
const BAD_COUNT: readonly Input[] = [
  ['-1', -1],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['1.5', 1.5],
  ['2^53', 2 ** 53],
];
const NOT_A_FUNCTION: readonly Input[] = [
  ['a number', 42],
  ['an object', {}],
  ['null', null],
  ['undefined', undefined],
  ['a symbol', Symbol('s')],
  ['a bigint', 1n],
];
const NOT_A_FUTURE: readonly Input[] = [...NOT_A_FUNCTION, ['a Promise', Promise.resolve(1)]];
const NOT_AN_OBJECT: readonly Input[] = [
  ['null', null],
  ['a number', 42],
  ['a string', 'x'],
  ['a symbol', Symbol('s')],
];
const NOT_A_PATH: readonly Input[] = [
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['a symbol', Symbol('s')],
  ['a bigint', 1n],
  ['an object', {}],
  ['an empty string', ''],
  ['a NUL byte', 'a\0b'],
  ['an http: URL', new URL('http://example.com/x')],
];
const NOT_BYTES: readonly Input[] = [
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['an object', {}],
  ['a symbol', Symbol('s')],
  ['a bigint', 1n],
  ['an array of numbers', [1, 2]],
];
const DETACHED: readonly Input[] = [
  ['a detached Uint8Array', detached((b) => new Uint8Array(b))],
  ['a detached Buffer', detached((b) => Buffer.from(b))],
  ['a detached DataView', detached((b) => new DataView(b))],
  ['a detached Float64Array', detached((b) => new Float64Array(b))],
];
const NOT_AN_ADDRESS: readonly Input[] = [
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['a symbol', Symbol('s')],
  ['a bigint', 1n],
  ['an object', {}],
  ['a host name', 'example.com:80'],
  ['port 99999', '127.0.0.1:99999'],
  ['no port', '127.0.0.1'],
  ['an IPv4 in brackets', '[1.2.3.4]:80'],
  ['port -1', { host: '127.0.0.1', port: -1 }],
  ['port 1.5', { host: '127.0.0.1', port: 1.5 }],
  ['an empty Unix path', { path: '' }],
  ['a 200-byte Unix path', { path: 'x'.repeat(200) }],
];

type Runner = <T>(future: Future<T>) => Promise<T>;

/** Long enough for any error to surface; a row that has not settled by then hangs. */
const HANG_MS = 2_000;
const HUNG = Symbol('hung');

type Outcome = { readonly error: unknown } | { readonly value: unknown };

async function outcomeOf(call: () => unknown, run: Runner): Promise<Outcome> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return { error };
  }
  let settled: PromiseLike<unknown>;
  if (isFuture(result)) settled = run(result);
  else if (typeof (result as PromiseLike<unknown> | null)?.then === 'function')
    settled = result as PromiseLike<unknown>;
  else return { value: result };
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((resolve) => (timer = setTimeout(resolve, HANG_MS, HUNG)));
  try {
    return { value: await Promise.race([settled, hung]) };
  } catch (error) {
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

function isTyped(error: unknown, validation: boolean): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const expected = /Expected/.test(error.message);
  if (validation && !expected) return false;
  if (typeof code === 'string') {
    if (/^ERR_ZOKIO_/.test(code) || /^E[A-Z0-9]+$/.test(code) || error instanceof ZokioError) return true;
  }
  return (error instanceof TypeError || error instanceof RangeError) && expected;
}

function describeOutcome(outcome: Outcome): string {
  if ('value' in outcome) {
    return outcome.value === HUNG ? `no answer in ${HANG_MS} ms (a hang)` : `the value ${describeValue(outcome.value)}`;
  }
  const error = outcome.error;
  if (!(error instanceof Error)) return `a throw of ${describeValue(error)}`;
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
}

async function check(r: Row, run: Runner): Promise<void> {
  const outcome = await outcomeOf(r.call, run);
  const ok = 'error' in outcome && isTyped(outcome.error, r.validation ?? true);
  const what = describeOutcome(outcome);
  expect(ok, `Expected a typed error, got ${what}`).toBe(true);
}

/** Waits for the fd count to come back (a native backend closes its fds a loop turn or two after shutdown). */
async function expectFdsBackTo(before: number): Promise<void> {
  expect(await fdCountBackTo(before)).toBe(before);
}

/**
 * A suite's runtime on `driver`: made before the suite's rows, and at the end its `teardown`s run, it is shut down,
 * and the fds are counted against the start.
 */
function suiteRuntime(driver: IoBackendName): {
  run: Runner;
  readonly rt: Runtime;
  teardown: (step: () => unknown) => void;
} {
  let fds = 0;
  let env: ReturnType<typeof runtimeOn> | undefined;
  const steps: (() => unknown)[] = [];
  beforeAll(() => {
    fds = fdCount();
    env = runtimeOn(driver);
  });
  afterAll(async () => {
    for (const step of steps.reverse()) await step();
    const report = await env!.rt.shutdown({ timeout: 5_000 });
    expect(report.timedOut).toBe(false);
    await expectFdsBackTo(fds);
  });
  return {
    run: (f) => env!.run(f),
    get rt() {
      return env!.rt;
    },
    teardown: (step) => void steps.push(step),
  };
}

function table(name: string, driver: IoBackendName, make: (s: ReturnType<typeof suiteRuntime>) => Row[]): void {
  describe(name, () => {
    const suite = suiteRuntime(driver);
    const list = make(suite);
    it.each(list)('$label', async (r) => check(r, suite.run));
  });
}

/** `promise`, with `process.exitCode` as it was before (`main` sets it on failure). */
function keepExitCode<T>(promise: Promise<T>): Promise<T> {
  const saved = process.exitCode;
  return promise.finally(() => {
    process.exitCode = saved;
  });
}

/** A future that runs `body` inside a task (for APIs that need one). */
const inTask = (body: () => unknown): Future<unknown> =>
  fn(function* () {
    const out = body();
    if (isFuture(out)) return yield* out;
    return out;
  })();

// ---- @zokio/future ---------------------------------------------------------------------------------------------

table('@zokio/future', 'js', () => [
  ...rows('fn', NOT_A_FUNCTION, (x) => fn(x)),
  row('fn × a body that returns no generator', () => fn((() => 42) as never)()),
  ...rows('future', NOT_A_FUNCTION, (x) => future(x)),
  ...rows('pollFn', NOT_A_FUNCTION, (x) => pollFn(x)),
  ...rows('joinAll', [...NOT_A_FUNCTION, ['an array with a number', [42]]], (x) => joinAll(x)),
  ...rows('join', NOT_A_FUTURE, (x) => joinFutures(ready(1), x)),
  ...rows('tryJoin', NOT_A_FUTURE, (x) => tryJoin(x)),
  ...rows('select', [...NOT_A_FUTURE, ['an empty array', []], ['an array with a number', [42]]], (x) => select(x)),
  ...rows('race', [...NOT_A_FUTURE, ['an empty array', []], ['an array with null', [null]]], (x) => race(x)),
  ...rows('toPromise', NOT_A_FUTURE, (x) => toPromise(x)),
  ...rows('toPromise options', NOT_AN_OBJECT, (x) => toPromise(ready(1), x)),
  row('toPromise × signal 42', () => toPromise(ready(1), { signal: 42 as never })),
  ...rows('fromPromise', NOT_A_FUNCTION, (x) => fromPromise(x)),
  row('fromPromise × a factory returning 42', () => fromPromise((() => 42) as never)),
  ...rows('unconstrained', NOT_A_FUTURE, (x) => unconstrained(x)),
  ...rows('drop', NOT_A_FUTURE, (x) => drop(x)),
  ...rows('cancelAll', [...NOT_A_NUMBER, ['an array with a number', [42]]], (x) => cancelAll(x)),
  ...rows('iterateOnce', NOT_A_FUTURE, (x) => iterateOnce(x)),
  ...rows('serviceKey', [...NOT_A_NUMBER.filter(([n]) => n !== 'a string'), ['a number', 42]], (x) => serviceKey(x)),
  ...rows('Context.detached', NOT_A_FUNCTION, (x) => Context.detached(x)),
  ...rows(
    'pollProceed',
    [
      ['null', null],
      ['a number', 42],
      ['an object', {}],
    ],
    (x) => pollProceed(x),
  ),
  row('a generator yielding 42 (not a future)', () =>
    fn(function* () {
      yield 42 as never;
    })(),
  ),
]);

// ---- @zokio/scheduler ------------------------------------------------------------------------------------------

const moduleUrl = new URL('file:///nonexistent/jobs.js');

table('@zokio/scheduler', 'js', () => [
  ...rows('spawn (in a task)', NOT_A_FUTURE, (x) => inTask(() => spawn(x))),
  row('spawn × outside any task', () => spawn(ready(1)), closed),
  ...rows('spawn options', NOT_AN_OBJECT, (x) => inTask(() => spawn(ready(1), x))),
  row('spawn × name 42', () => inTask(() => spawn(ready(1), { name: 42 as never }))),
  ...rows('JoinSet.spawn (in a task)', NOT_A_FUTURE, (x) => inTask(() => new JoinSet().spawn(x))),
  ...rows(
    'JoinSet.spawn options.scheduler',
    [
      ['a number', 42],
      ['an object', {}],
    ],
    (x) => new JoinSet().spawn(ready(1), { scheduler: x }),
  ),
  ...rows(
    'new TaskLocal',
    [
      ['a number', 42],
      ['null', null],
      ['a symbol', Symbol('s')],
    ],
    (x) => new TaskLocal(x),
  ),
  ...rows('TaskLocal.scope', NOT_A_FUTURE, (x) => new TaskLocal<number>('n').scope(1, x)),
  ...rows('TaskLocal.sync', NOT_A_FUNCTION, (x) => new TaskLocal<number>('n').sync(1, x)),
  row('TaskLocal.get × outside any scope', () => new TaskLocal('n').get(), closed),
  ...rows('new RingQueue', [...NOT_A_NUMBER, ...BAD_COUNT, ['2^31', 2 ** 31]], (x) => new RingQueue(x)),
  ...rows('new LocalScheduler', NOT_AN_OBJECT, (x) => new LocalScheduler(x)),
  ...rows('new LocalScheduler eventInterval', [...NOT_A_NUMBER, ['0', 0], ...BAD_COUNT], (x) => {
    return new LocalScheduler({ eventInterval: x });
  }),
  row("new LocalScheduler × unhandledError 'x'", () => new LocalScheduler({ unhandledError: 'x' as never })),
  ...rows('LocalScheduler.spawn', NOT_A_FUTURE, (x) => new LocalScheduler().spawn(x)),
  row(
    'LocalScheduler.spawn × a closed scheduler',
    () => {
      const s = new LocalScheduler();
      s.close();
      return s.spawn(ready(1));
    },
    closed,
  ),
  ...rows('new BlockingPool', NOT_AN_OBJECT, (x) => new BlockingPool(x)),
  ...rows('new BlockingPool maxThreads', [...NOT_A_NUMBER, ['0', 0], ...BAD_COUNT.slice(0, 4)], (x) => {
    return new BlockingPool({ maxThreads: x });
  }),
  ...rows('new BlockingPool keepAliveMs', [...NOT_A_NUMBER, ['-1', -1], ['NaN', NaN]], (x) => {
    return new BlockingPool({ maxThreads: 1, keepAliveMs: x });
  }),
  // (An http: URL is a module URL: it would start a thread to import it.)
  ...rows('BlockingPool.run module', NOT_A_PATH.slice(0, -1), (x) => new BlockingPool({ maxThreads: 1 }).run(x, 'f')),
  ...rows(
    'BlockingPool.run exportName',
    [
      ['a number', 42],
      ['null', null],
      ['an empty string', ''],
    ],
    (x) => {
      return new BlockingPool({ maxThreads: 1 }).run(moduleUrl, x);
    },
  ),
  ...rows(
    'BlockingPool.run args',
    [
      ['a number', 42],
      ['an object', {}],
      ['a string', 'x'],
    ],
    (x) => {
      return new BlockingPool({ maxThreads: 1 }).run(moduleUrl, 'f', x);
    },
  ),
  ...rows(
    'BlockingPool.close',
    [
      ['-1', -1],
      ['NaN', NaN],
      ['a string', '1'],
    ],
    (x) => {
      return new BlockingPool({ maxThreads: 1 }).close(x);
    },
  ),
  row(
    'BlockingPool.run × a closed pool',
    () => {
      const pool = new BlockingPool({ maxThreads: 1 });
      void pool.close();
      return pool.run(moduleUrl, 'f');
    },
    closed,
  ),
  ...rows('new WorkerPool', NOT_AN_OBJECT, (x) => new WorkerPool(x)),
  ...rows('new WorkerPool workers', [...NOT_A_NUMBER.filter(([n]) => n !== 'null'), ['0', 0], ...BAD_COUNT], (x) => {
    return new WorkerPool({ workers: x });
  }),
  ...rows(
    'new WorkerPool slots',
    [
      ['3', 3],
      ['-1', -1],
      ['a string', '8'],
      ['2^21', 2 ** 21],
    ],
    (x) => {
      return new WorkerPool({ workers: 1, slots: x });
    },
  ),
  ...rows(
    'new WorkerPool slotBytes',
    [
      ['10', 10],
      ['-8', -8],
      ['NaN', NaN],
    ],
    (x) => {
      return new WorkerPool({ workers: 1, slotBytes: x });
    },
  ),
  row('spawnJob × outside any task', () => spawnJob(moduleUrl, 'f'), closed),
  row('spawnJob × a current_thread runtime', () => inTask(() => spawnJob(moduleUrl, 'f')), closed),
  ...rows(
    'spawnBlocking module (in a task)',
    [
      ['a number', 42],
      ['a relative path', 'jobs.js'],
    ],
    (x) => {
      return inTask(() => spawnBlocking(x, 'f'));
    },
  ),
]);

// ---- @zokio/time -----------------------------------------------------------------------------------------------

table('@zokio/time', 'js', () => [
  ...rows('sleep', [...NOT_A_NUMBER, ['undefined', undefined], ['-1', -1], ['NaN', NaN]], (x) => sleep(x)),
  ...rows(
    'sleepUntil',
    [
      ['a number', 42],
      ['null', null],
      ['an object', {}],
      ['a Date', new Date()],
    ],
    (x) => {
      return sleepUntil(x);
    },
  ),
  ...rows('interval period', [...NOT_A_NUMBER, ['0', 0], ['-1', -1], ['NaN', NaN], ['Infinity', Infinity]], (x) => {
    return interval(x);
  }),
  ...rows('interval options', NOT_AN_OBJECT, (x) => interval(10, x)),
  row("interval × missedTickBehavior 'x'", () => interval(10, { missedTickBehavior: 'x' as never })),
  ...rows(
    'interval start',
    [
      ['a number', 42],
      ['an object', {}],
      ['null', null],
    ],
    (x) => interval(10, { start: x }),
  ),
  ...rows('timeout ms', [...NOT_A_NUMBER, ['-1', -1], ['NaN', NaN]], (x) => timeout(x, ready(1))),
  ...rows('timeout future', NOT_A_FUTURE, (x) => timeout(10, x)),
  ...rows(
    'timeoutAt deadline',
    [
      ['a number', 42],
      ['null', null],
    ],
    (x) => timeoutAt(x, ready(1)),
  ),
  ...rows('timeoutAt future', NOT_A_FUTURE, (x) => timeoutAt(new Instant(0), x)),
  ...rows('new Instant', [...NOT_A_NUMBER, ['NaN', NaN]], (x) => new Instant(x)),
  ...rows('Instant.add', [...NOT_A_NUMBER, ['NaN', NaN]], (x) => new Instant(0).add(x)),
  ...rows(
    'Instant.since',
    [
      ['a number', 42],
      ['null', null],
      ['an object', {}],
    ],
    (x) => new Instant(0).since(x),
  ),
  ...rows('advance', [...NOT_A_NUMBER, ['-1', -1], ['NaN', NaN], ['Infinity', Infinity]], (x) => advance(x)),
  row('advance × a running clock', () => advance(5), closed),
  row('pause × outside any task', () => pause(), closed),
  ...rows(
    'Sleep.reset',
    [
      ['a number', 42],
      ['null', null],
    ],
    (x) => sleep(1).reset(x),
  ),
  ...rows('new TimeDriver', NOT_AN_OBJECT, (x) => new TimeDriver(x)),
  ...rows(
    'TimeDriver.attach',
    [
      ['a number', 42],
      ['null', null],
      ['an object', {}],
    ],
    (x) => new TimeDriver().attach(x),
  ),
  ...rows(
    'Clock.advanceTo',
    [
      ['a string', '5'],
      ['NaN', NaN],
      ['null', null],
    ],
    (x) => new Clock(true).advanceTo(x),
  ),
  row('Clock.advanceTo × a running clock', () => new Clock(false).advanceTo(5), closed),
]);

// ---- @zokio/sync -----------------------------------------------------------------------------------------------

const PERMITS: readonly Input[] = [...NOT_A_NUMBER, ...BAD_COUNT];

table('@zokio/sync', 'js', () => [
  ...rows('new Semaphore', PERMITS, (x) => new Semaphore(x)),
  ...rows('Semaphore.acquire', PERMITS, (x) => new Semaphore(1).acquire(x)),
  ...rows('Semaphore.tryAcquire', PERMITS, (x) => new Semaphore(1).tryAcquire(x)),
  ...rows('Semaphore.addPermits', [...PERMITS, ['MAX_PERMITS', Semaphore.MAX_PERMITS]], (x) => {
    return new Semaphore(1).addPermits(x);
  }),
  ...rows('Semaphore.forgetPermits', PERMITS, (x) => new Semaphore(1).forgetPermits(x)),
  ...rows('SemaphorePermit.split', [...PERMITS, ['more than held', 3]], (x) =>
    new Semaphore(2).tryAcquire(2)!.split(x),
  ),
  row(
    'Semaphore.acquire × a closed semaphore',
    () => {
      const s = new Semaphore(1);
      s.close();
      return s.acquire();
    },
    closed,
  ),
  row(
    'Semaphore.tryAcquire × a closed semaphore',
    () => {
      const s = new Semaphore(1);
      s.close();
      return s.tryAcquire();
    },
    closed,
  ),
  row(
    'SemaphorePermit.split × a released permit',
    () => {
      const p = new Semaphore(2).tryAcquire(2)!;
      p.release();
      return p.split(1);
    },
    closed,
  ),
  row(
    'MutexGuard.value × a released guard',
    () => {
      const g = new Mutex(1).tryLock()!;
      g.release();
      return g.value;
    },
    closed,
  ),
  ...rows('new RwLock maxReaders', [...NOT_A_NUMBER.filter(([n]) => n !== 'null'), ['0', 0], ...BAD_COUNT], (x) => {
    return new RwLock(0, x);
  }),
  row(
    'RwLockWriteGuard.value × a released guard',
    () => {
      const g = new RwLock(1).tryWrite()!;
      g.release();
      return g.value;
    },
    closed,
  ),
  ...rows('new Barrier', [...NOT_A_NUMBER, ['-1', -1], ['NaN', NaN], ['1.5', 1.5]], (x) => new Barrier(x)),
  ...rows('OnceCell.getOrInit', NOT_A_FUNCTION, (x) => new OnceCell().getOrInit(x)),
  row('OnceCell.getOrInit × an init returning 42', () => new OnceCell().getOrInit((() => 42) as never)),
  row(
    'OnceCell.set × a set cell',
    () => {
      const cell = new OnceCell<number>();
      cell.set(1);
      cell.set(2);
    },
    closed,
  ),
  ...rows('mpsc.channel', [...NOT_A_NUMBER, ['0', 0], ...BAD_COUNT], (x) => mpsc.channel(x)),
  ...(['send', 'trySend', 'reserve', 'tryReserve'] as const).map((m) =>
    row(
      `mpsc Sender.${m} × a dropped receiver`,
      () => {
        const [tx, rx] = mpsc.channel<number>(1);
        rx.drop();
        return m === 'send'
          ? tx.send(1)
          : m === 'trySend'
            ? tx.trySend(1)
            : m === 'reserve'
              ? tx.reserve()
              : tx.tryReserve();
      },
      closed,
    ),
  ),
  ...(['send', 'trySend', 'reserve', 'tryReserve'] as const).map((m) =>
    row(
      `mpsc Sender.${m} × a closed sender`,
      () => {
        const [tx] = mpsc.channel<number>(1);
        tx.close();
        return m === 'send'
          ? tx.send(1)
          : m === 'trySend'
            ? tx.trySend(1)
            : m === 'reserve'
              ? tx.reserve()
              : tx.tryReserve();
      },
      closed,
    ),
  ),
  row(
    'mpsc Permit.send × a used permit',
    () => {
      const [tx] = mpsc.channel<number>(1);
      const permit = tx.tryReserve();
      permit.send(1);
      return permit.send(2);
    },
    closed,
  ),
  ...rows('mpsc Receiver.recvMany buffer', NOT_A_FUNCTION, (x) => mpsc.channel<number>(1)[1].recvMany(x, 1)),
  ...rows('mpsc Receiver.recvMany limit', [...NOT_A_NUMBER, ...BAD_COUNT.filter(([n]) => n !== 'Infinity')], (x) => {
    return mpsc.channel<number>(1)[1].recvMany([], x);
  }),
  row(
    'mpsc Receiver.tryRecv × a dropped receiver',
    () => {
      const [, rx] = mpsc.channel<number>(1);
      rx.drop();
      return rx.tryRecv();
    },
    closed,
  ),
  row(
    'mpsc Receiver.tryRecv × every sender dropped',
    () => {
      const [tx, rx] = mpsc.channel<number>(1);
      tx.close();
      return rx.tryRecv();
    },
    closed,
  ),
  row(
    'mpsc UnboundedSender.send × a dropped receiver',
    () => {
      const [tx, rx] = mpsc.unboundedChannel<number>();
      rx.drop();
      tx.send(1);
    },
    closed,
  ),
  row(
    'mpsc UnboundedSender.send × a closed sender',
    () => {
      const [tx] = mpsc.unboundedChannel<number>();
      tx.close();
      tx.send(1);
    },
    closed,
  ),
  row(
    'oneshot Sender.send × a used sender',
    () => {
      const [tx] = oneshot.channel<number>();
      tx.send(1);
      return tx.send(2);
    },
    closed,
  ),
  row(
    'oneshot Receiver × a dropped sender',
    () => {
      const [tx, rx] = oneshot.channel<number>();
      tx.close();
      return rx;
    },
    closed,
  ),
  row(
    'oneshot Receiver.tryRecv × a dropped sender',
    () => {
      const [tx, rx] = oneshot.channel<number>();
      tx.close();
      return rx.tryRecv();
    },
    closed,
  ),
  ...rows('broadcast.channel', [...NOT_A_NUMBER, ['0', 0], ...BAD_COUNT], (x) => broadcast.channel(x)),
  row(
    'broadcast Sender.send × no receiver',
    () => {
      const [tx, rx] = broadcast.channel<number>(1);
      rx.close();
      return tx.send(1);
    },
    closed,
  ),
  row(
    'broadcast Sender.send × a closed sender',
    () => {
      const [tx] = broadcast.channel<number>(1);
      tx.close();
      return tx.send(1);
    },
    closed,
  ),
  row(
    'broadcast Receiver.recv × a closed receiver',
    () => {
      const [, rx] = broadcast.channel<number>(1);
      rx.close();
      return rx.recv();
    },
    closed,
  ),
  row(
    'broadcast Receiver.recv × a dropped sender',
    () => {
      const [tx, rx] = broadcast.channel<number>(1);
      tx.close();
      return rx.recv();
    },
    closed,
  ),
  ...rows('watch Sender.sendModify', NOT_A_FUNCTION, (x) => watch.channel(1)[0].sendModify(x)),
  row(
    'watch Sender.send × a closed sender',
    () => {
      const [tx] = watch.channel(1);
      tx.close();
      return tx.send(2);
    },
    closed,
  ),
  row(
    'watch Sender.send × no receiver',
    () => {
      const [tx, rx] = watch.channel(1);
      rx.close();
      return tx.send(2);
    },
    closed,
  ),
  row(
    'watch Receiver.changed × a dropped sender',
    () => {
      const [tx, rx] = watch.channel(1);
      tx.close();
      return rx.changed();
    },
    closed,
  ),
  row(
    'watch Receiver.changed × a closed receiver',
    () => {
      const [, rx] = watch.channel(1);
      rx.close();
      return rx.changed();
    },
    closed,
  ),
]);

// ---- @zokio/memory ---------------------------------------------------------------------------------------------

const SIZES: readonly Input[] = [...NOT_A_NUMBER, ['0', 0], ...BAD_COUNT];

table('@zokio/memory', 'js', () => [
  ...rows('new BufferPool', NOT_AN_OBJECT, (x) => new BufferPool(x)),
  ...rows('new BufferPool arenaBytes', [...NOT_A_NUMBER.filter(([n]) => n !== 'null'), ['0', 0], ...BAD_COUNT], (x) => {
    return new BufferPool({ arenaBytes: x });
  }),
  ...rows(
    'new BufferPool maxBytes',
    [
      ['a string', '1'],
      ['-1', -1],
      ['NaN', NaN],
      ['1.5', 1.5],
    ],
    (x) => {
      return new BufferPool({ maxBytes: x });
    },
  ),
  ...rows(
    'new BufferPool initialArenas',
    [
      ['a string', '1'],
      ['-1', -1],
      ['1.5', 1.5],
      ['a bigint', 1n],
    ],
    (x) => {
      return new BufferPool({ initialArenas: x });
    },
  ),
  ...rows(
    'new BufferPool maxWaitMs',
    [
      ['a string', '1'],
      ['-1', -1],
      ['NaN', NaN],
      ['Infinity', Infinity],
    ],
    (x) => {
      return new BufferPool({ maxWaitMs: x });
    },
  ),
  ...rows('BufferPool.acquire', [...SIZES, ['65537', 65537]], (x) => new BufferPool().acquire(x)),
  ...rows('BufferPool.acquireLongLived', [...SIZES, ['65537', 65537]], (x) => new BufferPool().acquireLongLived(x)),
  ...rows('BufferPool.waitForBuffer size', [...SIZES, ['65537', 65537]], (x) => {
    return new BufferPool().waitForBuffer(x, { wake() {} });
  }),
  ...rows('BufferPool.waitForBuffer waker', [...NOT_AN_OBJECT, ['an object without wake', {}]], (x) => {
    return new BufferPool().waitForBuffer(1, x);
  }),
  row(
    'BufferPool.acquire × a closed pool',
    () => {
      const pool = new BufferPool();
      pool.close();
      return pool.acquire(1);
    },
    closed,
  ),
  row(
    'BufferPool.onArena × a closed pool',
    () => {
      const pool = new BufferPool();
      pool.close();
      return pool.onArena(() => {});
    },
    closed,
  ),
  ...rows(
    'BufferPool.release',
    [
      ['a number', 42],
      ['null', null],
      ['a Uint8Array', new Uint8Array(4)],
    ],
    (x) => {
      return new BufferPool().release(x);
    },
  ),
  row(
    'BufferPool.release × a released buffer',
    () => {
      const pool = new BufferPool();
      const buf = pool.acquire(10);
      pool.release(buf);
      pool.release(buf);
    },
    closed,
  ),
  row('BufferPool.release × a foreign buffer', () => new BufferPool().release(new BufferPool().acquire(10)), closed),
  ...rows('BufferPool.onArena', NOT_A_FUNCTION, (x) => new BufferPool().onArena(x)),
  ...rows('new ObjectPool create', NOT_A_FUNCTION, (x) => new ObjectPool(x, () => {})),
  ...rows('new ObjectPool reset', NOT_A_FUNCTION, (x) => new ObjectPool(() => ({}), x)),
  ...rows(
    'new ObjectPool options',
    NOT_AN_OBJECT,
    (x) =>
      new ObjectPool(
        () => ({}),
        () => {},
        x,
      ),
  ),
  ...rows(
    'new ObjectPool max',
    [
      ['-1', -1],
      ['1.5', 1.5],
      ['NaN', NaN],
      ['a string', '1'],
    ],
    (x) => {
      return new ObjectPool(
        () => ({}),
        () => {},
        { max: x },
      );
    },
  ),
  ...rows('new Arena id', [...NOT_A_NUMBER, ['-1', -1], ['1.5', 1.5]], (x) => new Arena(x, 4096)),
  ...rows('new Arena byteLength', [...NOT_A_NUMBER, ['0', 0], ...BAD_COUNT], (x) => new Arena(0, x)),
  ...rows('sizeClassOf', [...SIZES, ['65537', 65537]], (x) => sizeClassOf(x)),
  ...rows('sizeClassBytes', [...NOT_A_NUMBER, ['-1', -1], ['9', 9], ['1.5', 1.5], ['NaN', NaN]], (x) => {
    return sizeClassBytes(x);
  }),
]);

// ---- @zokio/io-driver (pure functions; the driver itself is exercised through fs and net) ----------------------

const v4: SocketAddress = { family: 'ipv4', address: '127.0.0.1', port: 80 };

table('@zokio/io-driver', 'js', () => [
  ...rows(
    'encodeSockaddr address',
    [
      ['null', null],
      ['a number', 42],
      ['an object', {}],
    ],
    (x) => {
      return encodeSockaddr(x, new Uint8Array(128));
    },
  ),
  row('encodeSockaddr × port 70000', () => encodeSockaddr({ ...v4, port: 70000 }, new Uint8Array(128))),
  ...rows(
    'encodeSockaddr out',
    [
      ['a number', 42],
      ['null', null],
    ],
    (x) => encodeSockaddr(v4, x),
  ),
  row('encodeSockaddr × an out of 8 bytes', () => encodeSockaddr(v4, new Uint8Array(8))),
  row('encodeSockaddr × an out of 1 byte', () => encodeSockaddr(v4, new Uint8Array(1))),
  ...rows('encodeSockaddr out', DETACHED.slice(0, 1), (x) => encodeSockaddr(v4, x)),
  ...rows(
    'decodeSockaddr bytes',
    [
      ['a number', 42],
      ['null', null],
    ],
    (x) => decodeSockaddr(x, 16),
  ),
  ...rows(
    'decodeSockaddr length',
    [
      ['-1', -1],
      ['NaN', NaN],
      ['a string', '16'],
    ],
    (x) => {
      return decodeSockaddr(new Uint8Array(16), x);
    },
  ),
  ...rows(
    'ipv4ToNumber',
    [
      ['a number', 42],
      ['null', null],
      ['an object', {}],
    ],
    (x) => ipv4ToNumber(x),
  ),
  ...rows(
    'numberToIpv4',
    [
      ['a string', 'x'],
      ['-1', -1],
      ['NaN', NaN],
      ['2^32', 2 ** 32],
    ],
    (x) => numberToIpv4(x),
  ),
  ...rows(
    'domainOf',
    [
      ['null', null],
      ['a number', 42],
    ],
    (x) => domainOf(x),
  ),
  ...rows(
    'selectBackend',
    [
      ['a number', 42],
      ["'bogus'", 'bogus'],
    ],
    (x) => selectBackend(x, {}),
  ),
  ...rows(
    'new IoDriver factory',
    [
      ['a number', 42],
      ['null', null],
    ],
    (x) => new IoDriver(x),
  ),
  ...rows(
    'closeNow driver',
    [
      ['a number', 42],
      ['null', null],
    ],
    (x) => closeNow(x, 1_000_000),
  ),
]);

// ---- @zokio/runtime --------------------------------------------------------------------------------------------

table('@zokio/runtime', 'js', (suite) => {
  let down: Runtime;
  beforeAll(async () => {
    down = Runtime.create({ io: 'js' });
    await down.shutdown();
  });
  return [
    ...rows('Runtime.create', NOT_AN_OBJECT, (x) => Runtime.create(x)),
    row("Runtime.create × io 'bogus'", () => Runtime.create({ io: 'bogus' as never })),
    row("Runtime.create × flavor 'x'", () => Runtime.create({ flavor: 'x' as never })),
    row('Runtime.create × workerThreads -1', () => Runtime.create({ workerThreads: -1 })),
    row('Runtime.create × bufferArenaBytes 3', () => Runtime.create({ bufferArenaBytes: 3 })),
    row('Runtime.create × an unknown key', () => Runtime.create({ nope: 1 } as never)),
    row('Runtime.builder × workerThreads 1.5', () => Runtime.builder().workerThreads(1.5).build()),
    row("Runtime.builder × io 'x'", () =>
      Runtime.builder()
        .io('x' as never)
        .build(),
    ),
    ...rows('Runtime.blockOn', NOT_A_FUTURE, (x) => suite.rt.blockOn(x)),
    ...rows('Runtime.spawn', NOT_A_FUTURE, (x) => suite.rt.spawn(x)),
    row('Runtime.spawnJob × a current_thread runtime', () => suite.rt.spawnJob(moduleUrl, 'f'), closed),
    row('Runtime.spawnBlocking × module 42', () => suite.rt.spawnBlocking(42 as never, 'f')),
    ...rows(
      'Runtime.shutdown timeout',
      [
        ['-1', -1],
        ['NaN', NaN],
        ['Infinity', Infinity],
        ['a string', '1'],
      ],
      (x) => {
        return down.shutdown({ timeout: x });
      },
    ),
    ...rows('Runtime.shutdown options', [['null', null]], (x) => down.shutdown(x)),
    ...rows('Runtime.shutdown options', [['a number', 42]], (x) => Runtime.create({ io: 'js' }).shutdown(x)),
    row('Runtime.blockOn × a shut-down runtime', () => down.blockOn(ready(1)), closed),
    row('Runtime.spawn × a shut-down runtime', () => down.spawn(ready(1)), closed),
    row('main × config 42', () => keepExitCode(main(function* () {}, 42 as never))),
    ...rows(
      'main body',
      [
        ['a number', 42],
        ['null', null],
      ],
      (x) => keepExitCode(main(x)),
    ),
    ...rows(
      'signal',
      [
        ["'SIGKILL'", 'SIGKILL'],
        ['a number', 42],
        ['null', null],
      ],
      (x) => signal(x),
    ),
    ...rows('resolveConfig', NOT_AN_OBJECT, (x) => resolveConfig(x, {})),
    ...rows('resolveConfig env', [['null', null]], (x) => resolveConfig({}, x)),
    ...rows(
      'toPrometheus',
      [
        ['null', null],
        ['a number', 42],
      ],
      (x) => toPrometheus(x),
    ),
  ];
});

// ---- @zokio/fs -------------------------------------------------------------------------------------------------

/** Detaches `view`'s buffer from inside a task: after the op that uses it was submitted, before it completes. */
const detachNow = (view: ArrayBufferView): Future<void> =>
  fn(function* () {
    structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
  })();

describe.each(drivers)('on %s', (driver) => {
  // A shut-down runtime's resources: a File or socket opened on it is closed by whoever holds it, with no fd leak.
  interface Held {
    readonly file: File;
    readonly stream: TcpStream;
    readonly listener: TcpListener;
    readonly udp: UdpSocket;
  }
  const outliving: { name: string; close: (held: Held) => unknown }[] = [
    { name: 'File.close', close: ({ file }) => file.close() },
    { name: 'File[Symbol.dispose]', close: ({ file }) => file[Symbol.dispose]() },
    { name: 'File[Symbol.asyncDispose]', close: ({ file }) => file[Symbol.asyncDispose]() },
    { name: 'TcpStream.close', close: ({ stream }) => stream.close() },
    { name: 'TcpStream[Symbol.dispose]', close: ({ stream }) => stream[Symbol.dispose]() },
    { name: 'TcpStream[Symbol.asyncDispose]', close: ({ stream }) => stream[Symbol.asyncDispose]() },
    { name: 'TcpListener.close', close: ({ listener }) => listener.close() },
    { name: 'TcpListener[Symbol.dispose]', close: ({ listener }) => listener[Symbol.dispose]() },
    { name: 'UdpSocket.close', close: ({ udp }) => udp.close() },
    { name: 'UdpSocket[Symbol.dispose]', close: ({ udp }) => udp[Symbol.dispose]() },
  ];
  it.each(outliving)(
    '$name × a resource of a shut-down runtime: closed or a typed error, no fd leak',
    async ({ close }) => {
      const dir = tempDir();
      const path = join(dir.dir, 'f');
      writeFileSync(path, 'x');
      const before = fdCount();
      const gone = runtimeOn(driver);
      const listener = await gone.run(TcpListener.bind('127.0.0.1:0'));
      const [file, stream, server, udp] = await gone.run(
        joinFutures(
          File.open(path),
          TcpStream.connect(listener.localAddr()),
          listener.accept(),
          UdpSocket.bind('127.0.0.1:0'),
        ),
      );
      await gone.run(server.close());
      await gone.rt.shutdown();
      const live = runtimeOn('js');
      const outcome = await outcomeOf(() => close({ file, stream, listener, udp }), live.run);
      // Whichever closes were not the row's.
      await live.run(joinFutures(file.close(), stream.close(), listener.close(), udp.close()));
      await live.rt.shutdown();
      if ('error' in outcome) expect(isTyped(outcome.error, false), describeOutcome(outcome)).toBe(true);
      else expect(outcome.value, describeOutcome(outcome)).not.toBe(HUNG);
      await expectFdsBackTo(before);
      dir.cleanup();
    },
  );

  table('@zokio/fs', driver, (suite) => {
    const fx = {} as { dir: string; path: string; file: File; closed: File; cleanup: () => void };
    beforeAll(async () => {
      const dir = tempDir();
      fx.dir = dir.dir;
      fx.cleanup = dir.cleanup;
      fx.path = join(dir.dir, 'data.bin');
      writeFileSync(fx.path, 'hello, zokio');
      fx.file = await suite.run(File.open(fx.path, { read: true, write: true }));
      fx.closed = await suite.run(File.open(fx.path));
      await suite.run(fx.closed.close());
    });
    suite.teardown(async () => {
      await suite.run(fx.file.close());
      fx.cleanup();
    });
    const file = (): File => fx.file;
    const gone = (): File => fx.closed;
    const path = (): string => fx.path;
    return [
      ...rows('File.open path', NOT_A_PATH, (x) => File.open(x)),
      ...rows(
        'File.open options',
        [
          ["'zz'", 'zz'],
          ['a number', 42],
          ['null', null],
          ['mode -1', { mode: -1 }],
        ],
        (x) => {
          return File.open(path(), x);
        },
      ),
      ...rows('File.create', NOT_A_PATH, (x) => File.create(x)),
      ...rows('File.read', [...NOT_A_NUMBER, ...BAD_COUNT.filter(([n]) => n !== 'Infinity')], (x) => file().read(x)),
      ...rows('File.readAt position', [...NOT_A_NUMBER, ['undefined', undefined], ...BAD_COUNT], (x) => {
        return file().readAt(x, 1);
      }),
      ...rows('File.readAt length', [...NOT_A_NUMBER, ...BAD_COUNT, ['2^40', 2 ** 40]], (x) => file().readAt(0, x)),
      ...rows('File.readInto target', [...NOT_BYTES, ['a string', 'abc']], (x) => file().readInto(x)),
      ...rows('File.readInto target', DETACHED.slice(0, 2), (x) => file().readInto(x)),
      ...rows('File.readInto options', NOT_AN_OBJECT, (x) => file().readInto(new Uint8Array(4), x)),
      ...rows(
        'File.readInto offset',
        [
          ['-1', -1],
          ['1.5', 1.5],
          ['a string', '1'],
          ['past the end', 5],
        ],
        (x) => {
          return file().readInto(new Uint8Array(4), { offset: x });
        },
      ),
      ...rows(
        'File.readInto length',
        [
          ['-1', -1],
          ['NaN', NaN],
          ['more than the room', 5],
        ],
        (x) => {
          return file().readInto(new Uint8Array(4), { length: x });
        },
      ),
      ...rows(
        'File.readInto position',
        [
          ['-1', -1],
          ['1.5', 1.5],
          ['a string', '0'],
        ],
        (x) => {
          return file().readInto(new Uint8Array(4), { position: x });
        },
      ),
      row('File.readInto × target detached while the read is in flight', () => {
        const target = new Uint8Array(8);
        return joinFutures(file().readInto(target, { position: 0 }), detachNow(target));
      }),
      row('File.readv × a buffer detached while the read is in flight', () => {
        const target = new Uint8Array(8);
        return joinFutures(file().readv([target], 0), detachNow(target));
      }),
      ...rows('File.readExact length', [...NOT_A_NUMBER, ...BAD_COUNT, ['2^40', 2 ** 40]], (x) => file().readExact(x)),
      ...rows(
        'File.readExact position',
        [
          ['-1', -1],
          ['a string', '0'],
        ],
        (x) => file().readExact(1, x),
      ),
      ...rows(
        'File.readOwned buf',
        [
          ['a number', 42],
          ['null', null],
          ['a Uint8Array', new Uint8Array(4)],
        ],
        (x) => {
          return file().readOwned(x);
        },
      ),
      row(
        'File.readOwned × a released buffer',
        () => {
          const buf = file().bufferPool.acquire(8);
          file().bufferPool.release(buf);
          return file().readOwned(buf, 0);
        },
        closed,
      ),
      row('File.readOwned × a foreign buffer', () => file().readOwned(new BufferPool().acquire(8), 0), closed),
      row('File.readOwned × position -2', () => {
        const buf = file().bufferPool.acquire(8);
        try {
          return file().readOwned(buf, -2);
        } finally {
          file().bufferPool.release(buf);
        }
      }),
      ...rows('File.write data', NOT_BYTES, (x) => file().write(x)),
      ...rows('File.write data', DETACHED, (x) => file().write(x)),
      ...rows(
        'File.write position',
        [
          ['-1', -1],
          ['1.5', 1.5],
          ['a string', '0'],
          ['2^53', 2 ** 53],
        ],
        (x) => {
          return file().write('x', x);
        },
      ),
      ...rows(
        'File.writeAt position',
        [
          ['undefined', undefined],
          ['-1', -1],
          ['NaN', NaN],
        ],
        (x) => {
          return file().writeAt('x', x);
        },
      ),
      ...rows('File.writeAll data', [...NOT_BYTES, ...DETACHED], (x) => file().writeAll(x)),
      ...rows(
        'File.writeOwned buf',
        [
          ['a number', 42],
          ['null', null],
          ['undefined', undefined],
        ],
        (x) => {
          return file().writeOwned(x);
        },
      ),
      row('File.writeOwned × length over the capacity', () => {
        const buf = file().bufferPool.acquire(8);
        try {
          return file().writeOwned(buf, 1 << 20, 0);
        } finally {
          file().bufferPool.release(buf); // refused at the call: still the caller's
        }
      }),
      ...rows(
        'File.readv buffers',
        [
          ['a number', 42],
          ['null', null],
          ['an array with a number', [42]],
        ],
        (x) => {
          return file().readv(x);
        },
      ),
      ...rows('File.readv buffers', [['an array with a detached Uint8Array', [DETACHED[0]![1]]]], (x) => {
        return file().readv(x);
      }),
      row('File.readv × 1025 buffers', () => file().readv(Array.from({ length: 1025 }, () => new Uint8Array(1)))),
      ...rows(
        'File.writev buffers',
        [
          ['a number', 42],
          ['null', null],
          ['an array with a number', [42]],
        ],
        (x) => {
          return file().writev(x);
        },
      ),
      ...rows('File.writev buffers', [['an array with a detached Uint8Array', [DETACHED[0]![1]]]], (x) => {
        return file().writev(x);
      }),
      ...rows('File.setLen', [...NOT_A_NUMBER, ...BAD_COUNT], (x) => file().setLen(x)),
      // A closed File: EBADF, as Node's FileHandle.
      row('File.read × a closed file', () => gone().read(), closed),
      row('File.readAt × a closed file', () => gone().readAt(0, 1), closed),
      row('File.readInto × a closed file', () => gone().readInto(new Uint8Array(1)), closed),
      row('File.readExact × a closed file', () => gone().readExact(1), closed),
      row('File.write × a closed file', () => gone().write('x'), closed),
      row('File.writeAt × a closed file', () => gone().writeAt('x', 0), closed),
      row('File.writeAll × a closed file', () => gone().writeAll('x'), closed),
      row('File.readv × a closed file', () => gone().readv([new Uint8Array(1)]), closed),
      row('File.writev × a closed file', () => gone().writev(['x']), closed),
      row('File.sync × a closed file', () => gone().sync(), closed),
      row('File.datasync × a closed file', () => gone().datasync(), closed),
      row('File.stat × a closed file', () => gone().stat(), closed),
      row('File.setLen × a closed file', () => gone().setLen(0), closed),
      // Whole files, trees and metadata.
      ...rows('readFile', NOT_A_PATH, (x) => readFile(x)),
      ...rows('readToString path', NOT_A_PATH.slice(0, 3), (x) => readToString(x)),
      ...rows(
        'readToString encoding',
        [
          ["'bogus'", 'bogus'],
          ['a number', 42],
        ],
        (x) => readToString(path(), x),
      ),
      ...rows('writeFile path', NOT_A_PATH, (x) => writeFile(x, 'x')),
      ...rows('writeFile data', [...NOT_BYTES, ...DETACHED], (x) => writeFile(join(fx.dir, 'w.txt'), x)),
      ...rows('writeFile options', NOT_AN_OBJECT, (x) => writeFile(join(fx.dir, 'w.txt'), 'x', x)),
      ...rows(
        'writeFile mode',
        [
          ['-1', -1],
          ['a string', '644'],
          ['1.5', 1.5],
        ],
        (x) => {
          return writeFile(join(fx.dir, 'w.txt'), 'x', { mode: x });
        },
      ),
      ...rows('appendFile path', NOT_A_PATH.slice(0, 3), (x) => appendFile(x, 'x')),
      ...rows('appendFile data', [...NOT_BYTES.slice(0, 3), ...DETACHED], (x) => appendFile(join(fx.dir, 'a.txt'), x)),
      ...rows('createDir path', NOT_A_PATH, (x) => createDir(x)),
      ...rows(
        'createDir mode',
        [
          ['-1', -1],
          ['a string', '755'],
          ['0o10000', 0o10000],
          ['1.5', 1.5],
        ],
        (x) => {
          return createDir(join(fx.dir, 'd'), x);
        },
      ),
      ...rows('createDirAll path', NOT_A_PATH.slice(0, 3), (x) => createDirAll(x)),
      ...rows(
        'createDirAll mode',
        [
          ['-1', -1],
          ['NaN', NaN],
        ],
        (x) => createDirAll(join(fx.dir, 'e/f'), x),
      ),
      ...rows('removeDir', NOT_A_PATH.slice(0, 3), (x) => removeDir(x)),
      ...rows('removeDirAll', NOT_A_PATH.slice(0, 3), (x) => removeDirAll(x)),
      ...rows('remove', NOT_A_PATH.slice(0, 5), (x) => remove(x)),
      ...rows('rename from', NOT_A_PATH.slice(0, 3), (x) => rename(x, join(fx.dir, 'r'))),
      ...rows('rename to', NOT_A_PATH.slice(0, 3), (x) => rename(path(), x)),
      ...rows('copy from', NOT_A_PATH.slice(0, 3), (x) => copy(x, join(fx.dir, 'c'))),
      ...rows('copy to', NOT_A_PATH.slice(0, 3), (x) => copy(path(), x)),
      ...rows('readDir', NOT_A_PATH.slice(0, 3), (x) => readDir(x)),
      ...rows('canonicalize', NOT_A_PATH.slice(0, 3), (x) => canonicalize(x)),
      ...rows('exists', NOT_A_PATH.slice(0, 3), (x) => exists(x)),
      ...rows('hardLink', NOT_A_PATH.slice(0, 3), (x) => hardLink(x, join(fx.dir, 'h'))),
      ...rows('lstat', NOT_A_PATH.slice(0, 5), (x) => lstat(x)),
      ...rows('readLink', NOT_A_PATH.slice(0, 3), (x) => readLink(x)),
      ...rows('stat', NOT_A_PATH, (x) => stat(x)),
      ...rows('symlink', NOT_A_PATH.slice(0, 3), (x) => symlink(x, join(fx.dir, 's'))),
      ...rows('setPermissions path', NOT_A_PATH.slice(0, 3), (x) => setPermissions(x, 0o644)),
      ...rows('setPermissions mode', [...NOT_A_NUMBER, ['-1', -1], ['1.5', 1.5], ['0o10000', 0o10000]], (x) => {
        return setPermissions(path(), x);
      }),
      // Streams.
      ...rows(
        'toReadable file',
        [
          ['null', null],
          ['a number', 42],
          ['an object', {}],
        ],
        (x) => toReadable(x),
      ),
      ...rows('toReadable options', NOT_AN_OBJECT, (x) => toReadable(file(), x)),
      row('toReadable × a closed file', () => toReadable(gone()), closed),
      ...rows(
        'toReadable start',
        [
          ['-1', -1],
          ['a string', '0'],
          ['1.5', 1.5],
        ],
        (x) => toReadable(file(), { start: x }),
      ),
      row('toReadable × end before start', () => toReadable(file(), { start: 5, end: 1 })),
      ...rows(
        'toReadable highWaterMark',
        [
          ['-1', -1],
          ['a string', '1'],
          ['NaN', NaN],
        ],
        (x) => {
          return toReadable(file(), { highWaterMark: x });
        },
      ),
      row("toReadable × autoClose 'yes'", () => toReadable(file(), { autoClose: 'yes' as never })),
      ...rows(
        'toReadableStream file',
        [
          ['null', null],
          ['a number', 42],
        ],
        (x) => toReadableStream(x),
      ),
      row('toReadableStream × a closed file', () => toReadableStream(gone()), closed),
      ...rows(
        'toReadableStream highWaterMark',
        [
          ['-1', -1],
          ['NaN', NaN],
        ],
        (x) => {
          return toReadableStream(file(), { highWaterMark: x });
        },
      ),
      ...rows(
        'toWritable file',
        [
          ['null', null],
          ['a number', 42],
        ],
        (x) => toWritable(x),
      ),
      ...rows('toWritable options', NOT_AN_OBJECT, (x) => toWritable(file(), x)),
      row('toWritable × a closed file', () => toWritable(gone()), closed),
      ...rows(
        'toWritable start',
        [
          ['-1', -1],
          ['a string', '0'],
        ],
        (x) => toWritable(file(), { start: x }),
      ),
      ...rows(
        'toWritable highWaterMark',
        [
          ['-1', -1],
          ['NaN', NaN],
        ],
        (x) => toWritable(file(), { highWaterMark: x }),
      ),
    ];
  });

  // ---- @zokio/net ----------------------------------------------------------------------------------------------

  table('@zokio/net', driver, (suite) => {
    const fx = {} as {
      dir: string;
      cleanup: () => void;
      listener: TcpListener;
      client: TcpStream;
      server: TcpStream;
      closed: TcpStream;
      closedUnix: TcpStream;
      closedListener: TcpListener;
      refused: SocketAddress;
      udp: UdpSocket;
      closedUdp: UdpSocket;
    };
    beforeAll(async () => {
      const dir = tempDir();
      fx.dir = dir.dir;
      fx.cleanup = dir.cleanup;
      const run = suite.run;
      fx.listener = await run(TcpListener.bind('127.0.0.1:0'));
      [fx.client, fx.server] = await run(joinFutures(TcpStream.connect(fx.listener.localAddr()), fx.listener.accept()));
      fx.closed = await run(TcpStream.connect(fx.listener.localAddr()));
      await run(fx.closed.close());
      await run((await run(fx.listener.accept())).close());
      const unixPath = join(dir.dir, 'sock');
      const unix = await run(UnixListener.bind(unixPath));
      fx.closedUnix = await run(UnixStream.connect(unixPath));
      await run(fx.closedUnix.close());
      await run((await run(unix.accept())).close());
      await run(unix.close());
      fx.closedListener = await run(TcpListener.bind('127.0.0.1:0'));
      fx.refused = fx.closedListener.localAddr();
      await run(fx.closedListener.close());
      fx.udp = await run(UdpSocket.bind('127.0.0.1:0'));
      fx.closedUdp = await run(UdpSocket.bind('127.0.0.1:0'));
      await run(fx.closedUdp.close());
    });
    suite.teardown(async () => {
      await suite.run(fx.client.close());
      await suite.run(fx.server.close());
      await suite.run(fx.udp.close());
      await suite.run(fx.listener.close());
      fx.cleanup();
    });
    const stream = (): TcpStream => fx.client;
    const gone = (): TcpStream => fx.closed;
    const addr = (): SocketAddress => fx.listener.localAddr();
    /** A fresh connection for `body`, closed after it. */
    const connected = (body: (client: TcpStream) => Future<unknown>): Future<unknown> =>
      fn(function* () {
        const [client, server] = yield* joinFutures(TcpStream.connect(addr()), fx.listener.accept());
        try {
          return yield* body(client);
        } finally {
          yield* client.close();
          yield* server.close();
        }
      })();
    return [
      ...rows('TcpStream.connect address', NOT_AN_ADDRESS, (x) => TcpStream.connect(x)),
      ...rows('TcpStream.connect options', NOT_AN_OBJECT, (x) => TcpStream.connect(addr(), x)),
      ...rows(
        'TcpStream.connect timeout',
        [
          ['-1', -1],
          ['0', 0],
          ['NaN', NaN],
          ['a string', '1'],
        ],
        (x) => {
          return TcpStream.connect(addr(), { timeout: x });
        },
      ),
      row('TcpStream.connect × a closed listener', () => TcpStream.connect(fx.refused), closed),
      ...rows('TcpListener.bind address', NOT_AN_ADDRESS, (x) => TcpListener.bind(x)),
      ...rows('TcpListener.bind options', NOT_AN_OBJECT, (x) => TcpListener.bind('127.0.0.1:0', x)),
      ...rows(
        'TcpListener.bind backlog',
        [
          ['0', 0],
          ['-1', -1],
          ['1.5', 1.5],
          ['a string', '1'],
          ['70000', 70000],
        ],
        (x) => {
          return TcpListener.bind('127.0.0.1:0', { backlog: x });
        },
      ),
      row("TcpListener.bind × reuseAddress 'yes'", () =>
        TcpListener.bind('127.0.0.1:0', { reuseAddress: 'yes' as never }),
      ),
      ...rows('UdpSocket.bind', [...NOT_AN_ADDRESS.slice(0, 6), ['a Unix path', { path: '/tmp/x' }]], (x) => {
        return UdpSocket.bind(x);
      }),
      ...rows(
        'UnixListener.bind',
        [
          ['a number', 42],
          ['null', null],
          ['an empty string', ''],
          ['200 bytes', 'x'.repeat(200)],
        ],
        (x) => {
          return UnixListener.bind(x);
        },
      ),
      ...rows(
        'UnixStream.connect',
        [
          ['a number', 42],
          ['null', null],
          ['undefined', undefined],
        ],
        (x) => {
          return UnixStream.connect(x);
        },
      ),
      ...rows(
        'lookupHost host',
        [
          ['a number', 42],
          ['null', null],
          ['an empty string', ''],
        ],
        (x) => lookupHost(x),
      ),
      ...rows(
        'lookupHost port',
        [
          ['-1', -1],
          ['70000', 70000],
          ['1.5', 1.5],
          ['a string', '80'],
        ],
        (x) => {
          return lookupHost('localhost', x);
        },
      ),
      ...rows(
        'formatAddress',
        [
          ['null', null],
          ['a number', 42],
          ['an object', {}],
          ['a string', '1.2.3.4:80'],
        ],
        (x) => {
          return formatAddress(x);
        },
      ),
      ...rows('TcpStream.read', [...NOT_A_NUMBER, ...BAD_COUNT.filter(([n]) => n !== 'Infinity')], (x) =>
        stream().read(x),
      ),
      ...rows('TcpStream.readExact', [...NOT_A_NUMBER, ...BAD_COUNT, ['2^40', 2 ** 40]], (x) => stream().readExact(x)),
      ...rows('TcpStream.write', [...NOT_BYTES, ...DETACHED], (x) => stream().write(x)),
      ...rows('TcpStream.writeAll', [...NOT_BYTES.slice(0, 3), ...DETACHED], (x) => stream().writeAll(x)),
      ...rows(
        'TcpStream.writev',
        [
          ['a number', 42],
          ['null', null],
          ['an array with a number', [42]],
        ],
        (x) => {
          return stream().writev(x);
        },
      ),
      ...rows('TcpStream.writev', [['an array with a detached Uint8Array', [DETACHED[0]![1]]]], (x) => {
        return stream().writev(x);
      }),
      row('TcpStream.writeAll × data detached while the write is in flight', () =>
        connected((client) => {
          const data = new Uint8Array(1 << 20);
          return joinFutures(client.writeAll(data), detachNow(data));
        }),
      ),
      ...rows(
        'TcpStream.shutdown',
        [
          ["'sideways'", 'sideways'],
          ['a number', 42],
          ['null', null],
        ],
        (x) => {
          return stream().shutdown(x);
        },
      ),
      ...rows(
        'TcpStream.setNoDelay',
        [
          ['a number', 1],
          ['a string', 'yes'],
          ['null', null],
        ],
        (x) => stream().setNoDelay(x),
      ),
      ...rows(
        'TcpStream.setKeepAlive',
        [
          ['a number', 1],
          ['null', null],
        ],
        (x) => stream().setKeepAlive(x),
      ),
      ...rows(
        'toDuplex stream',
        [
          ['null', null],
          ['a number', 42],
          ['an object', {}],
        ],
        (x) => toDuplex(x),
      ),
      ...rows('toDuplex options', NOT_AN_OBJECT, (x) => toDuplex(stream(), x)),
      ...rows(
        'toDuplex highWaterMark',
        [
          ['-1', -1],
          ['NaN', NaN],
          ['a string', '1'],
        ],
        (x) => {
          return toDuplex(stream(), { highWaterMark: x });
        },
      ),
      // A closed TcpStream (TCP and Unix), TcpListener, UdpSocket: EBADF.
      ...(
        [
          ['read', (s: TcpStream) => s.read()],
          ['readExact', (s: TcpStream) => s.readExact(1)],
          ['readToEnd', (s: TcpStream) => s.readToEnd()],
          ['write', (s: TcpStream) => s.write('x')],
          ['writeAll', (s: TcpStream) => s.writeAll('x')],
          ['writev', (s: TcpStream) => s.writev(['x', 'y'])],
          ['shutdown', (s: TcpStream) => s.shutdown()],
          ['peerAddr', (s: TcpStream) => s.peerAddr()],
          ['localAddr', (s: TcpStream) => s.localAddr()],
          ['setNoDelay', (s: TcpStream) => s.setNoDelay()],
          ['setKeepAlive', (s: TcpStream) => s.setKeepAlive()],
          ['intoSplit', (s: TcpStream) => s.intoSplit()],
          ['toDuplex', (s: TcpStream) => toDuplex(s)],
        ] as const
      ).flatMap(([name, call]) => [
        row(`TcpStream.${name} × a closed stream`, () => call(gone()), closed),
        row(`UnixStream.${name} × a closed stream`, () => call(fx.closedUnix), closed),
      ]),
      row('TcpListener.accept × a closed listener', () => fx.closedListener.accept(), closed),
      row('TcpListener.incoming × a closed listener', () => fx.closedListener.incoming(), closed),
      row('TcpListener.localAddr × a closed listener', () => fx.closedListener.localAddr(), closed),
      row(
        'ReadHalf.read × a closed half',
        () =>
          connected((client) => {
            const { reader, writer } = client.intoSplit();
            return fn(function* () {
              yield* reader.close();
              try {
                return yield* reader.read();
              } finally {
                yield* writer.close();
              }
            })();
          }),
        closed,
      ),
      row(
        'WriteHalf.write × a closed half',
        () =>
          connected((client) => {
            const { reader, writer } = client.intoSplit();
            return fn(function* () {
              yield* writer.close();
              try {
                return yield* writer.write('x');
              } finally {
                yield* reader.close();
              }
            })();
          }),
        closed,
      ),
      ...rows('WriteHalf.write', [['a number', 42], ...DETACHED.slice(0, 1)], (x) =>
        connected((client) => {
          const { reader, writer } = client.intoSplit();
          return fn(function* () {
            try {
              return yield* writer.write(x);
            } finally {
              yield* reader.close();
              yield* writer.close();
            }
          })();
        }),
      ),
      ...rows('UdpSocket.sendTo data', [...NOT_BYTES.slice(0, 4), ...DETACHED.slice(0, 2)], (x) => {
        return fx.udp.sendTo(x, fx.udp.localAddr());
      }),
      row('UdpSocket.sendTo × 65537 bytes', () => fx.udp.sendTo(new Uint8Array(65537), fx.udp.localAddr())),
      ...rows('UdpSocket.sendTo address', NOT_AN_ADDRESS.slice(0, 8), (x) => fx.udp.sendTo('x', x)),
      ...rows('UdpSocket.send data', [['a number', 42], ...DETACHED.slice(0, 1)], (x) => fx.udp.send(x)),
      ...rows('UdpSocket.recvFrom', [...NOT_A_NUMBER, ['-1', -1], ['1.5', 1.5], ['NaN', NaN]], (x) =>
        fx.udp.recvFrom(x),
      ),
      ...rows(
        'UdpSocket.recv',
        [
          ['-1', -1],
          ['a string', '1'],
        ],
        (x) => fx.udp.recv(x),
      ),
      ...rows('UdpSocket.connect', NOT_AN_ADDRESS.slice(0, 6), (x) => fx.udp.connect(x)),
      ...rows(
        'UdpSocket.setBroadcast',
        [
          ['a number', 1],
          ['a string', 'yes'],
        ],
        (x) => fx.udp.setBroadcast(x),
      ),
      ...rows('UdpSocket.setMulticastTTL', [...NOT_A_NUMBER, ['-1', -1], ['256', 256], ['1.5', 1.5]], (x) => {
        return fx.udp.setMulticastTTL(x);
      }),
      ...rows('UdpSocket.setMulticastLoopback', [['a number', 1]], (x) => fx.udp.setMulticastLoopback(x)),
      ...rows(
        'UdpSocket.setMulticastInterface',
        [
          ['a number', 42],
          ['a name', 'eth0'],
          ['null', null],
        ],
        (x) => {
          return fx.udp.setMulticastInterface(x);
        },
      ),
      ...rows(
        'UdpSocket.joinMulticast group',
        [
          ['a unicast address', '1.2.3.4'],
          ['a number', 42],
          ['null', null],
        ],
        (x) => {
          return fx.udp.joinMulticast(x);
        },
      ),
      ...rows(
        'UdpSocket.leaveMulticast iface',
        [
          ['a name', 'eth0'],
          ['a number', 42],
        ],
        (x) => {
          return fx.udp.leaveMulticast('239.1.2.3', x);
        },
      ),
      ...(
        [
          ['sendTo', (u: UdpSocket) => u.sendTo('x', fx.udp.localAddr())],
          ['send', (u: UdpSocket) => u.send('x')],
          ['recvFrom', (u: UdpSocket) => u.recvFrom()],
          ['recv', (u: UdpSocket) => u.recv()],
          ['connect', (u: UdpSocket) => u.connect(fx.udp.localAddr())],
          ['setBroadcast', (u: UdpSocket) => u.setBroadcast()],
          ['setMulticastTTL', (u: UdpSocket) => u.setMulticastTTL(1)],
          ['joinMulticast', (u: UdpSocket) => u.joinMulticast('239.1.2.3')],
          ['localAddr', (u: UdpSocket) => u.localAddr()],
          ['peerAddr', (u: UdpSocket) => u.peerAddr()],
        ] as const
      ).map(([name, call]) => row(`UdpSocket.${name} × a closed socket`, () => call(fx.closedUdp), closed)),
    ];
  });
});
