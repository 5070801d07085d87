/**
 * `select*` functions: turn resolved config (and, in later layers, probed machine capabilities) into components,
 * each with the reason it was chosen. Kept apart from `Runtime` so the choice is testable without running anything.
 *
 * @module
 */
import { LocalScheduler } from '@zokio/scheduler';
import { FaultInjector, IO, IoDriver, selectBackend } from '@zokio/io-driver';
import { BufferPool } from '@zokio/memory';
import { TimeDriver } from '@zokio/time';
import type { ResolvedConfig } from './config.js';

/** A chosen component and why it was chosen. @category Runtime */
export interface Selection<T> {
  readonly component: T;
  readonly description: string;
}

/**
 * The scheduler for the config: the in-isolate {@link LocalScheduler} for `current_thread`.
 * @category Runtime
 */
export function selectScheduler(config: ResolvedConfig): Selection<LocalScheduler> {
  const slow = config.slowPollThreshold.value;
  const scheduler = new LocalScheduler({
    eventInterval: config.eventInterval.value,
    globalQueueInterval: config.globalQueueInterval.value,
    unhandledError: config.unhandledError.value,
    ...(config.hooks === undefined ? {} : { hooks: config.hooks }),
    ...(slow === undefined ? {} : { slowPollThresholdUs: slow }),
    ...(config.onSlowPoll === undefined ? {} : { onSlowPoll: config.onSlowPoll }),
    pollTimeHistogram: config.pollTimeHistogram.value,
  });
  const watched = [
    config.hooks === undefined ? '' : 'task hooks',
    slow === undefined ? '' : `slow polls over ${slow} µs (${config.slowPollThreshold.source})`,
    config.pollTimeHistogram.value ? 'a poll-time histogram' : '',
  ].filter((part) => part !== '');
  const flavor = config.flavor.value;
  return {
    component: scheduler,
    description:
      `in-isolate LocalScheduler on the main thread (flavor ${flavor}, ${config.flavor.source})` +
      (flavor === 'multi_thread' ? ', plus the worker pool for jobs' : '') +
      (watched.length === 0 ? '' : `; watching ${watched.join(', ')}`),
  };
}

/**
 * The time driver for the config, attached to `scheduler`, or none when `enableTime` is false.
 * @category Runtime
 */
export function selectTimeDriver(config: ResolvedConfig, scheduler: LocalScheduler): Selection<TimeDriver | undefined> {
  if (!config.enableTime.value) {
    return {
      component: undefined,
      description: `disabled (enableTime false, ${config.enableTime.source}): sleep and timeout throw ERR_ZOKIO_TIME_DISABLED`,
    };
  }
  const paused = config.startPaused.value;
  const driver = new TimeDriver({ startPaused: paused }).attach(scheduler);
  return {
    component: driver,
    description: `timer wheel (6 levels × 64 slots, 1 ms) on one Node timer; clock ${paused ? `paused, auto-advancing when idle (startPaused, ${config.startPaused.source})` : 'real'}`,
  };
}

/**
 * The I/O backend for the config (see `@zokio/io-driver`'s `selectBackend`), provided to `scheduler`'s tasks as the
 * `IO` service. The driver (and its ring) is created on first use, so a runtime that does no I/O opens nothing.
 * @category Runtime
 */
export function selectIoDriver(
  config: ResolvedConfig,
  scheduler: LocalScheduler,
): Selection<() => IoDriver | undefined> & { readonly faults: FaultInjector | undefined } {
  // The env override was applied when the config was resolved; do not apply it twice.
  const selection = selectBackend(config.io.value, {});
  const pool = {
    arenaBytes: config.bufferArenaBytes.value,
    maxBytes: config.bufferPoolMaxBytes.value,
    maxWaitMs: config.bufferPoolMaxWaitMs.value,
  };
  const faultOptions = config.ioFaults.value;
  const faults = faultOptions === undefined ? undefined : new FaultInjector(faultOptions);
  const factory = faults === undefined ? selection.factory : faults.wrap(selection.factory);
  scheduler.provideLazy(IO, () => new IoDriver(factory, { pool: new BufferPool(pool) }));
  const plan = faults?.plan;
  return {
    component: () => scheduler.peekService(IO),
    faults,
    description:
      `${selection.name} (${config.io.source === 'default' ? '' : `io ${config.io.value}, ${config.io.source}; `}${selection.reason}); created on first use; ` +
      `buffers in ${config.bufferArenaBytes.value / 1024} KiB arenas up to ${config.bufferPoolMaxBytes.value / 1048576} MiB` +
      `, waiting up to ${config.bufferPoolMaxWaitMs.value} ms for one at the cap` +
      (plan === undefined
        ? ''
        : `; FAULTS INJECTED (${[...plan.faults].join(', ')} at rate ${plan.rate}, seed ${plan.seed}; ${config.ioFaults.source})`),
  };
}
