/**
 * {@link BlockingPool}: threads for synchronous work that would otherwise freeze the event loop (Tokio's
 * `spawn_blocking`) — hashing, compression, a synchronous parser. A call names a module export; a pool thread imports
 * the module, calls the export and sends back what it returned.
 *
 * ## Protocol
 * ```
 *   run() ─► an idle thread? ──yes──────────────────────────────► postMessage(request) ─► thread: import (cached),
 *              │ no                                                      ▲                 call, await, postMessage
 *              ▼                                                         │                        │
 *            fewer than maxThreads threads? ──yes──► start one ──────────┘                        ▼
 *              │ no                                                       reply: settle the call's future, wake it;
 *              ▼                                                          the thread takes the queue's head, else
 *            FIFO queue (arguments cloned now) ◄────────────────────────── idles (unref'd, keep-alive timer armed)
 * ```
 * A thread's request and reply shapes, and how errors cross, are in `blocking-worker.ts`.
 *
 * ## Invariants
 * Everything here runs on the thread that owns the pool; a pool thread only ever sees requests.
 * - A thread runs at most one call: `thread.call`. Each thread is, until its `exit` event removes it from
 *   `#threads`, in exactly one state: **busy** (`call` set, `ref`'d), **idle** (in `#idle`, `unref`'d, its
 *   keep-alive timer armed) or **retiring** (`terminate()` sent, by the keep-alive timer or `close`). Retiring threads
 *   still count against `maxThreads`: the OS thread exists until `exit`.
 * - The queue holds calls only while no thread is idle and every slot is taken; when a thread frees up it takes the
 *   head, when one exits a new one is started for the head. So the queue is FIFO in the order calls *start*.
 * - A call's arguments are cloned (and its transfer list detached) inside `run()`: posted straight to the thread,
 *   or, when it must wait, cloned with `structuredClone` into the queue (a second clone when it is sent; transferred
 *   buffers are moved, not copied). So an argument that cannot be cloned throws from `run()` itself, and the caller
 *   may reuse its arguments as soon as `run()` returns.
 * - The pool keeps the process alive only while a call runs (or `close()` waits): idle threads are `unref`'d, and
 *   so are their timers.
 *
 * ## Cancellation
 * As with Tokio's `spawn_blocking`, a call that started cannot be stopped: JavaScript cannot interrupt synchronous
 * code short of killing its thread. Cancelling the future of a **queued** call removes it from the queue: it never
 * runs. Cancelling the future of a **running** call only drops interest: the call runs to its end, its result is
 * thrown away, and the thread goes back to the pool.
 *
 * @module
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Transferable, Worker } from 'node:worker_threads';
import {
  describeValue,
  expected,
  FutureBase,
  PENDING,
  polledAfterCompletion,
  MAX_TIMER_MS,
  ZokioError,
  type Cleanup,
  type Context,
  type Future,
  type Poll,
  type Waker,
} from '@zokio/future';
import { RingQueue } from '../queue/ring.js';
import type { BlockingReply, BlockingRequest, BlockingThreadData } from './blocking-worker.js';
import { decodeThrown } from './thrown.js';
import { startThread } from './worker-url.js';

export { runBlockingWorker } from './blocking-worker.js';

/** Options of {@link BlockingPool}. @category Blocking */
export interface BlockingPoolOptions {
  /** The most threads the pool runs at once (an integer ≥ 1); further calls wait in a FIFO queue. */
  readonly maxThreads: number;
  /**
   * How long a thread may stay idle before it exits, in milliseconds (`Infinity`: never).
   * @default 10_000
   */
  readonly keepAliveMs?: number;
}

/** Options of {@link BlockingPool.run}. @category Blocking */
export interface BlockingOptions {
  /** Objects among the arguments to move to the thread instead of copying (`ArrayBuffer`, `MessagePort`, …). */
  readonly transfer?: readonly Transferable[];
}

/** A point-in-time copy of a blocking pool's counters. @category Blocking */
export interface BlockingPoolMetrics {
  /** Threads alive (busy, idle, or exiting). */
  threads: number;
  /** Threads waiting for a call. */
  idle: number;
  /** Calls waiting for a thread. */
  queued: number;
  /** Calls running (including those whose future was cancelled: they cannot be stopped). */
  running: number;
  /** Calls that ran to their end and replied, with a value or an error. */
  completed: number;
}

/** Default {@link BlockingPoolOptions.keepAliveMs}: Tokio's `thread_keep_alive` default. */
const DEFAULT_KEEP_ALIVE_MS = 10_000;

/** A request waiting in the queue, cloned with its transfer list (whose entries are now the clone's). */
interface Parked {
  readonly request: BlockingRequest;
  readonly transfer: Transferable[];
}

/** One pool thread. See the invariants in the module doc. */
interface Thread {
  readonly index: number;
  readonly worker: Worker;
  call: BlockingCall<unknown> | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  retiring: boolean;
  /** The uncaught error that is killing the thread, from its `error` event (which precedes `exit`). */
  crash: unknown;
}

/**
 * A pool of threads for blocking calls. See the module doc for the protocol, invariants and cancellation.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { BlockingPool } from '@zokio/scheduler';
 * import { toPromise } from '@zokio/future';
 * // hash.js, a module of plain functions that the threads import (written here so that the example runs as is):
 * const hash = new URL('./hash.js', import.meta.url);
 * writeFileSync(hash, `import { createHash } from 'node:crypto';
 * export function sha256(text) { return createHash('sha256').update(text).digest('hex'); }`);
 * const pool = new BlockingPool({ maxThreads: 4 });
 * const hex = await toPromise(pool.run<string>(hash, 'sha256', ['hello']));
 * console.log(hex); // 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
 * await pool.close();
 * ```
 * @category Blocking
 */
export class BlockingPool {
  readonly #maxThreads: number;
  readonly #keepAliveMs: number;
  /** Every thread until its `exit` event. */
  readonly #threads = new Set<Thread>();
  /** Idle threads, most recently idle last: reused first, so a surplus of threads ages out at the bottom. */
  readonly #idle: Thread[] = [];
  /** Calls waiting for a thread; may hold cancelled ones, skipped when dequeued (cancel is O(1)). */
  readonly #queue = new RingQueue<BlockingCall<unknown>>();
  /** Calls in `#queue` still waiting (not cancelled). */
  #queued = 0;
  #completed = 0;
  #nextIndex = 0;
  #closed = false;
  #closing: Promise<{ readonly terminated: number }> | undefined;
  /** Resolves `#closing` once `#threads` is empty. */
  #exited: (() => void) | undefined;
  /** Given to every call: its queued future was cancelled. One closure per pool, not per call. */
  readonly #onCancelQueued = (): void => {
    this.#queued--;
  };

  /** A pool with no threads yet: they start on demand. Throws a `TypeError` on bad options. */
  constructor(options: BlockingPoolOptions) {
    if (options === null || typeof options !== 'object') expected('an options object', options, 'BlockingPool');
    const { maxThreads, keepAliveMs = DEFAULT_KEEP_ALIVE_MS } = options;
    if (!Number.isInteger(maxThreads) || maxThreads < 1)
      expected('maxThreads to be an integer ≥ 1', maxThreads, 'BlockingPool');
    if (typeof keepAliveMs !== 'number' || !(keepAliveMs >= 0))
      expected('keepAliveMs to be a number ≥ 0 (or Infinity)', keepAliveMs, 'BlockingPool');
    this.#maxThreads = maxThreads;
    this.#keepAliveMs = keepAliveMs;
  }

  /**
   * Runs export `exportName` of module `moduleUrl` (a `URL`, a URL string such as `import.meta.url`'s, or an absolute
   * path) with `args` on a pool thread, and returns a future of what it returns. The export is meant to be a
   * synchronous function; if it returns a promise, the thread awaits it (and runs nothing else meanwhile).
   *
   * The call is queued now, not at the first poll (like `spawn`). Arguments are structured-cloned now: objects in
   * `options.transfer` are moved, and are detached here when `run()` returns. What the call throws comes back as an
   * `Error` with the same name, message, stack, `cause` and own enumerable properties (`code`).
   *
   * Errors: `run()` throws a `TypeError` on bad input, and a `ZokioError` `ERR_ZOKIO_JOB_ARGS` when the arguments
   * cannot be cloned. The future throws what the call threw; `ERR_ZOKIO_JOB_EXPORT` when the module does not load or
   * has no such function; `ERR_ZOKIO_JOB_RESULT` when the result cannot be cloned; `ERR_ZOKIO_WORKER_CRASHED` when
   * the thread died during the call (it is replaced on demand); `ERR_ZOKIO_POOL_CLOSED` after {@link close}.
   *
   * Cancel-safety: cancelling the future of a queued call removes it from the queue (it never runs); a running
   * call cannot be stopped: it runs to its end, its result is dropped, and its thread returns to the pool.
   * `cancel()` returns `undefined`.
   *
   * @example
   * ```ts
   * import { writeFileSync } from 'node:fs';
   * import { BlockingPool } from '@zokio/scheduler';
   * import { main } from '@zokio/runtime';
   * // jobs.js, a module of plain functions that the threads import (written here so that the example runs as is):
   * const jobs = new URL('./jobs.js', import.meta.url);
   * writeFileSync(jobs, `import { createHash } from 'node:crypto';
   * export function digest(bytes) { return createHash('sha256').update(bytes).digest('hex'); }`);
   * const pool = new BlockingPool({ maxThreads: 2 });
   * await main(function* () {
   *   const bytes = new Uint8Array(1 << 20);
   *   // In a task: the bytes move to the thread (detached here), and the digest comes back.
   *   const hex = yield* pool.run<string>(jobs, 'digest', [bytes], { transfer: [bytes.buffer] });
   *   console.log(hex, bytes.byteLength); // 64 hex digits, 0
   * });
   * await pool.close();
   * ```
   */
  run<T>(
    moduleUrl: string | URL,
    exportName: string,
    args: readonly unknown[] = [],
    options?: BlockingOptions,
  ): Future<T> {
    const url = moduleHref(moduleUrl);
    if (typeof exportName !== 'string' || exportName === '')
      expected('exportName to be a non-empty string', exportName, 'BlockingPool.run');
    if (!Array.isArray(args)) expected('args to be an array', args, 'BlockingPool.run');
    const transfer: readonly Transferable[] = options?.transfer ?? [];
    if (!Array.isArray(transfer as unknown)) expected('options.transfer to be an array', transfer, 'BlockingPool.run');
    const call = new BlockingCall<T>(this.#onCancelQueued);
    if (this.#closed) {
      call.settle(false, poolClosed(`${exportName} of ${url} was not started`));
      return call;
    }
    const request: BlockingRequest = { url, name: exportName, args };
    const idle = this.#idle.at(-1);
    const thread = idle ?? this.#startIfRoom();
    if (thread !== undefined) {
      try {
        thread.worker.postMessage(request, transfer);
      } catch (error) {
        if (idle === undefined) this.#rest(thread); // started for this call: idle now
        throw jobArgsError(args, error);
      }
      this.#assign(thread, call);
      return call;
    }
    let parked: Parked;
    try {
      // The transfer list is cloned with the request, so its entries are the clone's (moved here, moved on later).
      parked = structuredClone({ request, transfer: [...transfer] }, { transfer: [...transfer] });
    } catch (error) {
      throw jobArgsError(args, error);
    }
    call.park(parked);
    this.#queue.push(call);
    this.#queued++;
    return call;
  }

  /** A point-in-time copy of the pool's counters. */
  metrics(): BlockingPoolMetrics {
    let running = 0;
    for (const thread of this.#threads) if (thread.call !== undefined) running++;
    return {
      threads: this.#threads.size,
      idle: this.#idle.length,
      queued: this.#queued,
      running,
      completed: this.#completed,
    };
  }

  /**
   * Shuts the pool down: later `run()` futures and every queued call fail with a `ZokioError`
   * `ERR_ZOKIO_POOL_CLOSED`; idle threads exit now; running calls finish (their futures get their results) — or, after
   * `timeoutMs`, their threads are terminated and their futures fail with `ERR_ZOKIO_POOL_CLOSED` too. Resolves once
   * every thread exited, with how many running calls' threads were terminated. Calling it again returns the same
   * promise (the first `timeoutMs` holds).
   *
   * Cancel-safety: not a future; nothing to cancel. While it waits, the running threads keep the process alive.
   */
  close(timeoutMs = Infinity): Promise<{ readonly terminated: number }> {
    if (this.#closing !== undefined) return this.#closing;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
      expected('timeoutMs to be a number ≥ 0 (or Infinity)', timeoutMs, 'BlockingPool.close');
    this.#closed = true;
    for (let call = this.#dequeue(); call !== undefined; call = this.#dequeue())
      call.settle(false, poolClosed('a call waiting for a thread was dropped'));
    this.#idle.length = 0;
    for (const thread of this.#threads) {
      if (thread.call === undefined) this.#retire(thread);
      thread.worker.ref(); // else an idle thread's exit may be all that is left, and never awaited
    }
    this.#closing = new Promise<{ readonly terminated: number }>((resolve) => {
      if (this.#threads.size === 0) return resolve({ terminated: 0 });
      let terminated = 0;
      const deadline =
        timeoutMs <= MAX_TIMER_MS
          ? setTimeout(() => {
              for (const thread of this.#threads) {
                if (thread.call !== undefined) terminated++;
                this.#retire(thread);
              }
            }, timeoutMs)
          : undefined;
      this.#exited = () => {
        clearTimeout(deadline);
        resolve({ terminated });
      };
    });
    return this.#closing;
  }

  /** A new thread if fewer than `maxThreads` exist. */
  #startIfRoom(): Thread | undefined {
    if (this.#threads.size >= this.#maxThreads) return undefined;
    const index = this.#nextIndex++;
    const workerData: BlockingThreadData = { kind: 'zokio-blocking', index };
    const worker = startThread('blocking-worker', { workerData });
    const thread: Thread = { index, worker, call: undefined, idleTimer: undefined, retiring: false, crash: undefined };
    worker.on('message', (reply: BlockingReply) =>
      this.#onReply(thread, reply.ok, reply.ok ? reply.value : decodeThrown(reply.error)),
    );
    worker.on('messageerror', (error: Error) =>
      this.#onReply(
        thread,
        false,
        new ZokioError(
          'ERR_ZOKIO_JOB_RESULT',
          `BlockingPool: Expected a result that can be deserialized, got one that failed: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    // Without a listener an uncaught error in the thread would be rethrown here, on the pool's thread.
    worker.on('error', (error: unknown) => {
      thread.crash ??= error;
    });
    worker.on('exit', (code: number) => this.#onExit(thread, code));
    this.#threads.add(thread);
    return thread;
  }

  /** `thread` (idle, or just started) runs `call`, whose request was posted to it. */
  #assign(thread: Thread, call: BlockingCall<unknown>): void {
    if (this.#idle.at(-1) === thread) this.#idle.pop();
    clearTimeout(thread.idleTimer);
    thread.idleTimer = undefined;
    thread.call = call;
    call.start();
    thread.worker.ref();
  }

  /** A reply came: settle the call (dropped if it was cancelled), then give the thread its next call. */
  #onReply(thread: Thread, ok: boolean, result: unknown): void {
    const call = thread.call;
    if (call === undefined) return; // one request per reply: cannot happen, but a stray reply must not free a thread
    thread.call = undefined;
    this.#completed++;
    call.settle(ok, result);
    this.#next(thread);
  }

  /** `thread` is free: it takes the queue's head, else idles (or exits, once the pool is closed). */
  #next(thread: Thread): void {
    if (thread.retiring) return;
    if (this.#closed) return this.#retire(thread);
    for (let call = this.#dequeue(); call !== undefined; call = this.#dequeue()) {
      const { request, transfer } = call.unpark();
      try {
        thread.worker.postMessage(request, transfer);
      } catch (error) {
        // Cloned once already, so this should not fail; if it does, only this call fails.
        call.settle(false, jobArgsError(request.args, error));
        continue;
      }
      return this.#assign(thread, call);
    }
    this.#rest(thread);
  }

  /** `thread` idles: it no longer keeps the process alive, and exits after the keep-alive unless given a call. */
  #rest(thread: Thread): void {
    this.#idle.push(thread);
    thread.worker.unref();
    if (this.#keepAliveMs > MAX_TIMER_MS) return;
    thread.idleTimer = setTimeout(() => {
      const at = this.#idle.indexOf(thread);
      if (at >= 0) this.#idle.splice(at, 1);
      this.#retire(thread);
    }, this.#keepAliveMs).unref();
  }

  /** Terminates `thread`; it stays in `#threads` until its `exit` event. */
  #retire(thread: Thread): void {
    clearTimeout(thread.idleTimer);
    thread.idleTimer = undefined;
    if (thread.retiring) return;
    thread.retiring = true;
    void thread.worker.terminate();
  }

  /** A thread exited: fail the call it was running, if any, and start a thread for the queue's head. */
  #onExit(thread: Thread, code: number): void {
    this.#threads.delete(thread);
    clearTimeout(thread.idleTimer);
    const at = this.#idle.indexOf(thread);
    if (at >= 0) this.#idle.splice(at, 1);
    const call = thread.call;
    thread.call = undefined;
    if (call !== undefined) {
      const error =
        this.#closed && thread.retiring
          ? poolClosed(`a running call's thread was terminated after close()'s timeout`)
          : crashed(thread, code);
      call.settle(false, error);
    }
    if (!this.#closed) {
      while (this.#queued > 0) {
        const fresh = this.#startIfRoom();
        if (fresh === undefined) break;
        this.#next(fresh);
      }
    } else if (this.#threads.size === 0) {
      this.#exited?.();
    }
  }

  /** The queue's first call not cancelled. */
  #dequeue(): BlockingCall<unknown> | undefined {
    for (let call = this.#queue.shift(); call !== undefined; call = this.#queue.shift()) {
      if (call.isQueued()) {
        this.#queued--;
        return call;
      }
    }
    return undefined;
  }
}

const QUEUED = 0;
const RUNNING = 1;
const READY = 2;
const DONE = 3;
const CANCELLED = 4;

/**
 * The future `run()` returns: the call's slot. The pool moves it `QUEUED → RUNNING → READY` (or straight to
 * `READY` when it fails first); its owner moves it `READY → DONE` by polling, or anything to `CANCELLED`.
 */
class BlockingCall<T> extends FutureBase<T> {
  #state = QUEUED;
  #ok = false;
  #result: unknown = undefined;
  #waker: Waker | undefined = undefined;
  #parked: Parked | undefined = undefined;
  readonly #onCancelQueued: () => void;

  constructor(onCancelQueued: () => void) {
    super();
    this.#onCancelQueued = onCancelQueued;
  }

  poll(cx: Context): Poll<T> {
    const state = this.#state;
    if (state === READY) {
      this.#state = DONE;
      const result = this.#result;
      this.#result = undefined;
      if (this.#ok) return result as T;
      throw result;
    }
    if (state >= DONE) throw polledAfterCompletion('BlockingPool.run future');
    this.#waker = cx.waker;
    return PENDING;
  }

  /** See {@link BlockingPool.run}: a queued call leaves the queue, a running one is only forgotten. */
  override cancel(): Cleanup {
    const state = this.#state;
    if (state === DONE || state === CANCELLED) return undefined;
    this.#state = CANCELLED;
    this.#result = undefined;
    this.#waker = undefined;
    if (state === QUEUED && this.#parked !== undefined) {
      this.#parked = undefined; // its cloned arguments can go now; the queue skips the call later
      this.#onCancelQueued();
    }
    return undefined;
  }

  /** @internal Waits in the queue with its cloned request. */
  park(parked: Parked): void {
    this.#parked = parked;
  }

  /** @internal True while it waits in the queue (not cancelled). */
  isQueued(): boolean {
    return this.#state === QUEUED && this.#parked !== undefined;
  }

  /** @internal Leaves the queue: its request, to be posted. */
  unpark(): Parked {
    const parked = this.#parked!;
    this.#parked = undefined;
    return parked;
  }

  /** @internal Posted to a thread. */
  start(): void {
    if (this.#state === QUEUED) this.#state = RUNNING;
  }

  /** @internal The outcome: wakes the owner, or is dropped if the future was cancelled. */
  settle(ok: boolean, result: unknown): void {
    if (this.#state !== QUEUED && this.#state !== RUNNING) return;
    this.#state = READY;
    this.#ok = ok;
    this.#result = result;
    const waker = this.#waker;
    this.#waker = undefined;
    waker?.wake();
  }
}

/** `moduleUrl` as a URL string for `import()`. */
function moduleHref(moduleUrl: string | URL): string {
  if (moduleUrl instanceof URL) return moduleUrl.href;
  if (typeof moduleUrl === 'string') {
    if (isAbsolute(moduleUrl)) return pathToFileURL(moduleUrl).href;
    if (URL.canParse(moduleUrl)) return new URL(moduleUrl).href;
  }
  return expected('moduleUrl to be a URL, a URL string or an absolute path', moduleUrl, 'BlockingPool.run');
}

function jobArgsError(args: readonly unknown[], error: unknown): ZokioError {
  const reason = (error as Error)?.message ?? String(error);
  return new ZokioError(
    'ERR_ZOKIO_JOB_ARGS',
    `BlockingPool.run: Expected structured-clone-able job arguments, got ${describeValue(args)} that cannot be cloned (${reason})`,
    { cause: error },
  );
}

function poolClosed(what: string): ZokioError {
  return new ZokioError('ERR_ZOKIO_POOL_CLOSED', `BlockingPool: the pool is closed: ${what}`);
}

function crashed(thread: Thread, code: number): ZokioError {
  const crash = thread.crash as Error | undefined;
  const how =
    crash === undefined
      ? `exited with code ${code}`
      : `died of an uncaught ${crash?.name ?? 'error'}: ${crash?.message ?? String(crash)}`;
  const message = `BlockingPool: blocking thread ${thread.index} ${how} during a call`;
  return new ZokioError('ERR_ZOKIO_WORKER_CRASHED', message, crash === undefined ? undefined : { cause: crash });
}
