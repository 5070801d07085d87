/**
 * `select*` functions: turn resolved config (and, in later layers, probed machine capabilities) into components,
 * each with the reason it was chosen. Kept apart from `Runtime` so the choice is testable without running anything.
 *
 * @module
 */
import { LocalScheduler } from '@zokio/scheduler';
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
  const scheduler = new LocalScheduler({
    eventInterval: config.eventInterval.value,
    globalQueueInterval: config.globalQueueInterval.value,
    unhandledError: config.unhandledError.value,
  });
  return {
    component: scheduler,
    description: `in-isolate LocalScheduler on the main thread (flavor current_thread, ${config.flavor.source})`,
  };
}
