/**
 * The scheduler flavours every test in `scheduler.test.ts` runs on. A flavour builds a fresh scheduler; the suite
 * is the same for each.
 *
 * `multi_thread` is the main thread's scheduler with the work-stealing pool attached (as a `multi_thread` runtime
 * builds it): tasks spawned with `spawn` stay on this thread — closures cannot cross threads — and jobs go to the
 * pool. The suite also runs a job from a task on each flavour that has a pool, so the pool is exercised while the
 * scheduler's own behaviour is checked. One pool serves every test (threads are not free to start).
 */
import { JOB_SPAWNER, LocalScheduler, WorkerPool, type SchedulerOptions } from '@zokio/scheduler';

export interface Flavour {
  readonly name: string;
  create(options?: SchedulerOptions): LocalScheduler;
  /** Whether `spawnJob` works on its schedulers. */
  readonly hasPool: boolean;
}

let pool: WorkerPool | undefined;

/** The shared pool of the `multi_thread` flavour (2 workers), closed by `closeFlavours`. */
function sharedPool(): WorkerPool {
  return (pool ??= new WorkerPool({ workers: 2 }));
}

export async function closeFlavours(): Promise<void> {
  await pool?.close();
  pool = undefined;
}

export const flavours: readonly Flavour[] = [
  { name: 'current_thread', create: (options) => new LocalScheduler(options), hasPool: false },
  {
    name: 'multi_thread',
    create: (options) => {
      const scheduler = new LocalScheduler(options);
      scheduler.provide(JOB_SPAWNER, sharedPool().client);
      return scheduler;
    },
    hasPool: true,
  },
];
