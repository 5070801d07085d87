/**
 * The scheduler flavours every test in `scheduler.test.ts` runs on. A flavour builds a fresh scheduler; later
 * flavours (the multi-thread pool) join this table and inherit the whole suite.
 */
import { LocalScheduler, type SchedulerOptions } from '@zokio/scheduler';

export interface Flavour {
  readonly name: string;
  create(options?: SchedulerOptions): LocalScheduler;
}

export const flavours: readonly Flavour[] = [
  { name: 'current_thread', create: (options) => new LocalScheduler(options) },
];
