/**
 * {@link signal} and {@link ctrlC}: futures that complete when the process receives a signal.
 *
 * ## Protocol
 * A waiting future holds one listener, added at its first poll and removed when it completes or is dropped; while
 * it waits it also holds a ref'd timer, because a signal listener alone does not keep Node's event loop alive (a
 * task waiting for Ctrl-C must not let the process exit under it). As in Tokio, listening replaces the default
 * action: while a `ctrlC()` future waits, Ctrl-C no longer kills the process — the future completes instead.
 *
 * Cancel-safe: dropping the future removes its listener; a signal that arrives after that goes to the default
 * action or to other listeners, never to the dropped future.
 *
 * @module
 */
import {
  expected,
  FutureBase,
  MAX_TIMER_MS,
  PENDING,
  polledAfterCompletion,
  type Cleanup,
  type Context,
  type Poll,
} from '@zokio/future';

/** Signals a program may wait for (those Node lets a listener catch on every platform it runs zokio on). */
const CATCHABLE = new Set<NodeJS.Signals>([
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGUSR1',
  'SIGUSR2',
  'SIGBREAK',
  'SIGWINCH',
  'SIGPIPE',
  'SIGQUIT',
  'SIGCONT',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
]);

const WAITING = 0;
const RECEIVED = 1;
const DONE = 2;

class SignalFuture extends FutureBase<NodeJS.Signals> {
  readonly #name: NodeJS.Signals;
  #state = WAITING;
  #listening = false;
  #keepAlive: NodeJS.Timeout | undefined = undefined;
  #waker: Context['waker'] | undefined = undefined;
  readonly #onSignal = () => {
    if (this.#state !== WAITING) return;
    this.#state = RECEIVED;
    const waker = this.#waker;
    this.#stop();
    waker?.wake();
  };

  constructor(name: NodeJS.Signals) {
    super();
    this.#name = name;
  }

  poll(cx: Context): Poll<NodeJS.Signals> {
    if (this.#state === RECEIVED) {
      this.#state = DONE;
      return this.#name;
    }
    if (this.#state === DONE) throw polledAfterCompletion(`signal('${this.#name}') future`);
    this.#waker = cx.waker;
    if (!this.#listening) {
      this.#listening = true;
      process.on(this.#name, this.#onSignal);
      this.#keepAlive = setInterval(() => undefined, MAX_TIMER_MS);
    }
    return PENDING;
  }

  override cancel(): Cleanup {
    this.#state = DONE;
    this.#stop();
    return undefined;
  }

  #stop(): void {
    if (!this.#listening) return;
    this.#listening = false;
    process.off(this.#name, this.#onSignal);
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    this.#waker = undefined;
  }
}

/**
 * A future that completes with `name` when the process next receives that signal (after the future's first
 * poll). Cancel-safe (see the module doc).
 *
 * @example
 * ```ts
 * import { main, signal } from '@zokio/runtime';
 * setTimeout(() => process.kill(process.pid, 'SIGHUP'), 100); // as `kill -HUP <pid>` would
 * await main(function* () {
 *   yield* signal('SIGHUP');
 *   console.log('reloading the configuration');
 * });
 * ```
 * @category Runtime
 */
export function signal(name: NodeJS.Signals): FutureBase<NodeJS.Signals> {
  if (!CATCHABLE.has(name))
    expected(`a signal a program can catch (one of ${[...CATCHABLE].join(', ')})`, name, 'signal');
  return new SignalFuture(name);
}

/**
 * `signal('SIGINT')`: completes when the user presses Ctrl-C. While it waits, Ctrl-C does not kill the process.
 *
 * @example
 * ```ts
 * import { ctrlC, main } from '@zokio/runtime';
 * import { race } from '@zokio/future';
 * import { sleep } from '@zokio/time';
 * await main(function* () {
 *   yield* race([sleep(1_000), ctrlC()]); // a second, or until Ctrl-C: the loser is cancelled
 * });
 * ```
 * @category Runtime
 */
export function ctrlC(): FutureBase<NodeJS.Signals> {
  return new SignalFuture('SIGINT');
}
