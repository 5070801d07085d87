/**
 * {@link PoolMemory}: everything the pool's threads share, in `SharedArrayBuffer`s made once by the main thread and
 * handed to each worker in its `workerData`.
 *
 * ## Threads
 * Thread 0 is the main thread (the runtime's); threads 1 … N are the workers. Every thread can own jobs (spawn
 * them and wait for their outcome), so each has a parker and a completion queue; only workers run jobs, so only
 * they have a deque.
 *
 * ## The job table
 * A job lives in a **slot**: a row of `Int32` fields and a fixed byte range of the payload area, where the owner
 * writes the call and the executor writes the outcome over it. Slot ids are what the deques and queues carry. A
 * slot moves through
 * ```
 *   FREE ──alloc──► QUEUED ──executor's CAS──► RUNNING ──outcome written──► DONE ──owner reads, frees──► FREE
 *                      └──owner's CAS (cancel)──► CANCELLED ──a taker finds it──► DONE (outcome: cancelled)
 * ```
 * - Only the owner allocates and frees a slot, and it frees only after taking it from its completion queue, so a
 *   slot id is never in two places at once: in a deque or queue, or held by its executor, or by its owner.
 * - `DONE` is published (an `Atomics.store`) after the outcome bytes, and the slot id is pushed to the owner's
 *   completion queue after that: the owner that pops it sees the outcome.
 * - A cancelled queued job keeps its id in whatever deque holds it: the taker finds `CANCELLED` (its CAS to
 *   `RUNNING` fails) and completes it as cancelled, so the owner frees it.
 * - An outcome too big for its slot travels by message (`LENGTH` −1), through the main thread when its owner is
 *   a worker; the main thread marks it `RELAYED` (`LENGTH` −2) as it forwards it, and the owner frees the slot
 *   when it reads the message.
 *
 * ## The one exception: an owner that dies
 * A worker that dies cannot free its slots. Outcomes in its completion queue wait there for the thread that takes
 * its place (same id, same queues), which frees them as the owner. But an outcome message already relayed into
 * the dead thread's port died with it: for each slot still `DONE` and `RELAYED` whose `OWNER` is the dead worker,
 * the main thread republishes it as cancelled (no payload) onto that completion queue, and the replacement frees
 * it. Only these: a slot whose message is still on its way to the main thread (`LENGTH` −1) is relayed to the
 * replacement instead, and freeing a slot already on a completion queue would free it twice. So a slot is still
 * freed only by its owner's thread id, and exactly once.
 *
 * @module
 */
import { JobDeque } from './deque.js';
import { InjectQueue } from './inject-queue.js';
import { Parker } from './parker.js';

/** Slot states. */
export const FREE = 0;
export const QUEUED = 1;
export const RUNNING = 2;
export const DONE = 3;
export const CANCELLED = 4;

/** What a `DONE` slot's payload holds. */
export const OK = 1;
export const ERROR = 2;
/** Cancelled before or while it ran: no payload. */
export const ABORTED = 3;
/** Its worker died while it ran: no payload. */
export const CRASHED = 4;

/** Slot fields (`Int32` offsets within a slot's row). */
export const STATE = 0;
/** Thread that spawned it and gets its outcome. */
export const OWNER = 1;
/** Thread running it (set when it starts). */
export const EXECUTOR = 2;
/**
 * Payload bytes, or −1: the payload travels by message (too big for the slot, or has transfers); a `DONE` slot's
 * outcome message the main thread forwarded to its owner: {@link RELAYED}.
 */
export const LENGTH = 3;
/** `LENGTH` of a `DONE` slot whose outcome message the main thread forwarded to its owning worker. */
export const RELAYED = -2;
/** Outcome kind once `DONE`. */
export const KIND = 4;
/** 1 once the owner asked for cancellation. */
export const CANCEL = 5;
/** A worker (thread id) the job must run on, or 0: any worker may take it. */
export const PINNED = 6;
const FIELDS = 8;

/** Control fields. */
/** 1 once the pool shuts down. */
export const SHUTDOWN = 0;
/** Workers looking for jobs to steal (Tokio's `num_searching`). */
export const SEARCHING = 1;
const CONTROL_FIELDS = 4;

/** Per-worker metrics (`Float64` offsets), written by the worker, read by anyone. */
export const M_JOBS = 0;
export const M_POLLS = 1;
export const M_STEALS = 2;
export const M_PARKS = 3;
export const M_BUSY_MS = 4;
export const M_STOLEN_JOBS = 5;
export const METRIC_FIELDS = 8;

/** Sizes of a pool's shared memory. */
export interface PoolSizes {
  readonly workers: number;
  /** Jobs in flight at once (a power of two); more wait in their spawner's backlog. */
  readonly slots: number;
  /** Payload bytes per slot; a bigger call or outcome travels by message. */
  readonly slotBytes: number;
  /** Jobs in one worker's deque (a power of two); more overflow to the inject queue. */
  readonly dequeCapacity: number;
}

/** The buffers, as they cross to a worker in `workerData`. */
export interface PoolBuffers {
  readonly sizes: PoolSizes;
  readonly control: SharedArrayBuffer;
  readonly parkers: SharedArrayBuffer;
  readonly cancels: SharedArrayBuffer;
  readonly slots: SharedArrayBuffer;
  readonly payload: SharedArrayBuffer;
  readonly free: SharedArrayBuffer;
  readonly inject: SharedArrayBuffer;
  readonly deques: readonly SharedArrayBuffer[];
  readonly completions: readonly SharedArrayBuffer[];
  readonly metrics: SharedArrayBuffer;
}

/** A thread's typed views over the pool's shared memory. See the module doc. */
export class PoolMemory {
  readonly sizes: PoolSizes;
  readonly control: Int32Array;
  readonly slots: Int32Array;
  readonly payload: SharedArrayBuffer;
  /** Free slot ids (every owner allocates from and frees to it). */
  readonly free: InjectQueue;
  /** Jobs any worker may take: spawned from the main thread, or overflowed from a deque. */
  readonly inject: InjectQueue;
  /** `deques[w − 1]` is worker `w`'s. */
  readonly deques: readonly JobDeque[];
  /** `completions[t]`: slot ids of thread `t`'s jobs that are `DONE`. */
  readonly completions: readonly InjectQueue[];
  /** `parkers[t]`: thread `t`'s sleep and wake-up. */
  readonly parkers: readonly Parker[];
  /** `cancels[t]`: bumped when a job running on worker `t` is asked to stop. */
  readonly cancels: Int32Array;
  readonly metrics: Float64Array;
  readonly buffers: PoolBuffers;

  constructor(buffers: PoolBuffers) {
    this.buffers = buffers;
    this.sizes = buffers.sizes;
    this.control = new Int32Array(buffers.control);
    this.slots = new Int32Array(buffers.slots);
    this.payload = buffers.payload;
    this.free = new InjectQueue(buffers.free);
    this.inject = new InjectQueue(buffers.inject);
    this.deques = buffers.deques.map((buffer) => new JobDeque(buffer));
    this.completions = buffers.completions.map((buffer) => new InjectQueue(buffer));
    const parkers = new Int32Array(buffers.parkers);
    this.parkers = Array.from({ length: parkers.length }, (_, t) => new Parker(parkers, t));
    this.cancels = new Int32Array(buffers.cancels);
    this.metrics = new Float64Array(buffers.metrics);
  }

  /** Fresh memory for a pool of `sizes`, every slot free. */
  static allocate(sizes: PoolSizes): PoolMemory {
    const threads = sizes.workers + 1;
    const buffers: PoolBuffers = {
      sizes,
      control: new SharedArrayBuffer(4 * CONTROL_FIELDS),
      parkers: new SharedArrayBuffer(4 * threads),
      cancels: new SharedArrayBuffer(4 * threads),
      slots: new SharedArrayBuffer(4 * FIELDS * sizes.slots),
      payload: new SharedArrayBuffer(sizes.slotBytes * sizes.slots),
      free: InjectQueue.allocate(sizes.slots),
      inject: InjectQueue.allocate(sizes.slots),
      deques: Array.from({ length: sizes.workers }, () => JobDeque.allocate(sizes.dequeCapacity)),
      completions: Array.from({ length: threads }, () => InjectQueue.allocate(sizes.slots)),
      metrics: new SharedArrayBuffer(8 * METRIC_FIELDS * threads),
    };
    const memory = new PoolMemory(buffers);
    for (let slot = 0; slot < sizes.slots; slot++) memory.free.push(slot);
    return memory;
  }

  get(slot: number, field: number): number {
    return Atomics.load(this.slots, slot * FIELDS + field);
  }

  set(slot: number, field: number, value: number): void {
    Atomics.store(this.slots, slot * FIELDS + field, value);
  }

  /** Moves `slot` from state `from` to `to`; the state it had (`from` if it moved). */
  transition(slot: number, from: number, to: number): number {
    return Atomics.compareExchange(this.slots, slot * FIELDS + STATE, from, to);
  }

  /**
   * Asks `slot`'s job to stop: sets its `CANCEL` flag; a queued job becomes `CANCELLED` (whoever takes its id
   * completes it as aborted), a running one's executor is told through `cancels` and woken. The state it had.
   */
  requestCancel(slot: number): number {
    this.set(slot, CANCEL, 1);
    const was = this.transition(slot, QUEUED, CANCELLED);
    if (was === RUNNING) {
      const executor = this.get(slot, EXECUTOR);
      Atomics.add(this.cancels, executor, 1);
      this.parkers[executor]!.unpark();
    }
    return was;
  }

  /**
   * Publishes `slot`'s outcome (`kind`, and `length` payload bytes already written) to its owner: `DONE`, and its
   * id on the owner's completion queue. Returns the owner, for the caller to wake (a worker need not wake itself:
   * it drains its queue before it parks).
   */
  publish(slot: number, kind: number, length: number): number {
    this.set(slot, KIND, kind);
    this.set(slot, LENGTH, length);
    this.set(slot, STATE, DONE);
    const owner = this.get(slot, OWNER);
    this.pushUntil(this.completions[owner]!, slot);
    return owner;
  }

  /** Byte offset of `slot`'s payload in {@link payload}. */
  payloadAt(slot: number): number {
    return slot * this.sizes.slotBytes;
  }

  get workers(): number {
    return this.sizes.workers;
  }

  /**
   * Pushes `slot` onto `queue`, retrying while it reads full. A queue here never holds more ids than there are
   * slots, but Vyukov's queue also reads full while a consumer that claimed the cell one lap back has not yet
   * released it — a few instructions, unless that thread was descheduled between them. The wait is that
   * thread's next time slice; dropping the id instead would lose its job.
   */
  pushUntil(queue: InjectQueue, slot: number): void {
    while (!queue.push(slot));
  }

  /** Wakes one parked worker, if any is parked (looking from `start`); true if one was. */
  wakeParkedWorker(start: number): boolean {
    const n = this.sizes.workers;
    for (let i = 0; i < n; i++) {
      const parker = this.parkers[1 + ((start + i) % n)]!;
      if (parker.isParked()) {
        parker.unpark();
        return true;
      }
    }
    return false;
  }

  /** Wakes a parked worker for new work, unless one is already searching (it will find the work: Tokio's rule). */
  notifyWork(start: number): void {
    if (Atomics.load(this.control, SEARCHING) === 0) this.wakeParkedWorker(start);
  }
}
