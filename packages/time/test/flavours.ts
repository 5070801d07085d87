/**
 * The runtime flavours the time suite runs on: each builds a scheduler with a time driver attached. Later flavours
 * (the multi-thread pool) join this table.
 */
import { LocalScheduler } from '@zokio/scheduler';
import { TimeDriver } from '@zokio/time';

export interface TimeFlavour {
  readonly name: string;
  create(options?: { startPaused?: boolean }): { scheduler: LocalScheduler; time: TimeDriver };
}

export const flavours: readonly TimeFlavour[] = [
  {
    name: 'current_thread',
    create(options = {}) {
      const scheduler = new LocalScheduler();
      const time = new TimeDriver(options).attach(scheduler);
      return { scheduler, time };
    },
  },
];
