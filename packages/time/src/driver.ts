/**
 * {@link TimeDriver}: the timer wheel, the clock it reads, and the one Node timer that wakes it.
 *
 * ## Protocol
 * - `register(entry, deadlineMs)` first brings the wheel up to now (firing what is due), then files the entry under
 *   `ceil(deadline)` — deadlines round up to the next millisecond, so nothing fires early — or reports it due.
 * - One Node `setTimeout` is armed for the wheel's next expiration, re-armed only when that changes. It is ref'd
 *   (it keeps the process alive while a task sleeps) and cleared as soon as the wheel is empty, so a runtime with
 *   no timers holds no handle.
 * - Firing an entry sets `fired` and wakes its waker; the task polls the `Sleep` again and finds it ready.
 * - With a **paused clock** no Node timer is armed. Time moves by `advance(ms)`, or by itself when the scheduler is
 *   idle: after a tick that leaves no runnable task, the driver checks again on the next macrotask (after pending
 *   promise callbacks and I/O) and, if still idle, jumps the clock from expiration to expiration until a timer
 *   wakes someone (Tokio's auto-advance): a timer nobody waits on (an interval's next tick) does not stop it.
 * - The Node timer's delay is capped at 2^31 − 1 ms, setTimeout's limit: a later expiration is reached in steps.
 *
 * @module
 */
import { expected, MAX_TIMER_MS } from '@zokio/future';
import type { LocalScheduler } from '@zokio/scheduler';
import { Clock } from './clock.js';
import { TIME } from './service.js';
import type { TimerEntry } from './wheel/entry.js';
import { Wheel } from './wheel/wheel.js';

/** Options of {@link TimeDriver}. @category Time */
export interface TimeDriverOptions {
  /** Start with the clock paused (for tests). @default false */
  readonly startPaused?: boolean;
}

/** Counters of a {@link TimeDriver}. @category Time */
export interface TimeMetrics {
  /** Timers waiting now. */
  readonly pending: number;
  /** Timers registered since start. */
  readonly registered: number;
  /** Timers fired since start. */
  readonly fired: number;
  /** Times the Node timer was armed. */
  readonly nodeTimerArms: number;
}

/** @category Time */
export class TimeDriver {
  readonly clock: Clock;
  readonly #wheel = new Wheel();
  /** Clock time of tick 0: a whole millisecond, so ticks start on libuv's milliseconds (see `Clock`). */
  readonly #origin: number;
  #timer: NodeJS.Timeout | undefined = undefined;
  #armedFor = Infinity;
  #scheduler: LocalScheduler | undefined = undefined;
  #idleCheck: NodeJS.Immediate | undefined = undefined;
  #closed = false;
  #registered = 0;
  #fired = 0;
  #arms = 0;
  /** Timers fired that had a waker: auto-advance stops at the first of them. */
  #wokeOnFire = 0;
  readonly #fire = (entry: TimerEntry) => {
    entry.fired = true;
    this.#fired++;
    const waker = entry.waker;
    if (waker === undefined) return;
    entry.waker = undefined;
    this.#wokeOnFire++;
    waker.wake();
  };
  readonly #onTimer = () => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    this.#process();
    this.#arm();
  };

  constructor(options: TimeDriverOptions = {}) {
    if (typeof options !== 'object' || options === null) expected('options to be an object', options, 'new TimeDriver');
    this.clock = new Clock(options.startPaused ?? false);
    this.#origin = Math.floor(this.clock.now());
  }

  /** Provides this driver to `scheduler`'s tasks and auto-advances a paused clock when it is idle. */
  attach(scheduler: LocalScheduler): this {
    const s = scheduler as Partial<LocalScheduler> | null | undefined;
    if (typeof s?.provide !== 'function' || typeof s?.addIdleHook !== 'function') {
      expected('a LocalScheduler', scheduler, 'TimeDriver.attach');
    }
    scheduler.provide(TIME, this);
    scheduler.addIdleHook(() => this.#onIdle());
    this.#scheduler = scheduler;
    return this;
  }

  /** @internal Files `entry` to fire at `deadlineMs` (clock time). Returns `true`, filing nothing, if it is already due. */
  register(entry: TimerEntry, deadlineMs: number): boolean {
    this.#process();
    const deadline = Math.ceil(deadlineMs - this.#origin);
    if (deadline <= this.#wheel.elapsed) return true;
    this.#wheel.insert(entry, deadline);
    this.#registered++;
    if (deadline < this.#armedFor) this.#arm();
    return false;
  }

  /** @internal Moves `entry` to `deadlineMs`. A later deadline is applied lazily, an earlier one re-files it. Returns `true` if due. */
  reset(entry: TimerEntry, deadlineMs: number): boolean {
    const deadline = Math.ceil(deadlineMs - this.#origin);
    if (entry.registered && deadline >= entry.cachedDeadline) {
      entry.trueDeadline = deadline;
      return false;
    }
    this.#wheel.remove(entry);
    return this.register(entry, deadlineMs);
  }

  /** @internal Unfiles `entry` (a dropped sleep). */
  cancel(entry: TimerEntry): void {
    this.#wheel.remove(entry);
    if (this.#wheel.size === 0) this.#disarm();
  }

  /** Fires everything due by the clock's now. */
  #process(): void {
    this.#wheel.advance(Math.floor(this.clock.now() - this.#origin), this.#fire);
  }

  /** Arms the Node timer for the next expiration (none when paused, closed or empty). */
  #arm(): void {
    const next = this.#wheel.nextExpiration();
    if (next === undefined || this.clock.paused || this.#closed) return this.#disarm();
    if (next.deadline === this.#armedFor && this.#timer !== undefined) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    // Ticks and libuv's loop time share one millisecond grid (see `Clock`), so the Node timer, due at loop time
    // `now's tick + delay`, fires on the tick boundary itself, when `#process` finds the deadline due.
    // Node's timers take at most 2^31 − 1 ms (it fires after 1 ms with a warning otherwise): a later expiration is
    // reached in steps, the Node timer finding nothing due and re-arming.
    const delay = Math.min(MAX_TIMER_MS, Math.max(1, next.deadline - Math.floor(this.clock.now() - this.#origin)));
    this.#timer = setTimeout(this.#onTimer, delay);
    this.#armedFor = next.deadline;
    this.#arms++;
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  // ---- The paused clock -----------------------------------------------------------------------------------------

  /** Freezes the clock: timers fire only by `advance` or auto-advance. */
  pause(): void {
    this.clock.pause();
    this.#disarm();
  }

  /** Lets the clock run again from where it stands. */
  resume(): void {
    this.clock.resume();
    this.#process();
    this.#arm();
  }

  /** Moves a paused clock to `ms` (clock time), or to the next expiration if that comes first; fires what is due. Returns whether it stopped early at a timer. @internal */
  stepTowards(ms: number): boolean {
    const next = this.#wheel.nextExpiration();
    const nextMs = next === undefined ? Infinity : this.#origin + next.deadline;
    const early = nextMs < ms;
    this.clock.advanceTo(early ? nextMs : ms);
    this.#process();
    return early;
  }

  #onIdle(): void {
    if (!this.clock.paused || this.#wheel.size === 0 || this.#idleCheck !== undefined || this.#closed) return;
    // Wait a macrotask: promise callbacks and I/O that would wake a task run first.
    this.#idleCheck = setImmediate(() => {
      this.#idleCheck = undefined;
      if (!this.clock.paused || this.#scheduler?.isIdle === false) return;
      // Jump from expiration to expiration until a timer wakes someone: the next expiration may only cascade entries
      // of a higher level down, or fire a timer nobody waits on (an interval's delay between ticks, a dropped tick).
      const woke = this.#wokeOnFire;
      for (
        let next = this.#wheel.nextExpiration();
        next !== undefined && this.#wokeOnFire === woke;
        next = this.#wheel.nextExpiration()
      ) {
        this.clock.advanceTo(this.#origin + next.deadline);
        this.#process();
      }
    });
  }

  /** Stops the driver: no Node timer or idle check stays armed. */
  close(): void {
    this.#closed = true;
    this.#disarm();
    if (this.#idleCheck !== undefined) clearImmediate(this.#idleCheck);
    this.#idleCheck = undefined;
  }

  metrics(): TimeMetrics {
    return { pending: this.#wheel.size, registered: this.#registered, fired: this.#fired, nodeTimerArms: this.#arms };
  }
}
