/**
 * What a `multi_thread` runtime's pool workers run before their first job: the same time and I/O drivers as the
 * main thread, chosen by the same config, each on the worker's own scheduler (a thread has its own ring and its
 * own timer wheel; nothing of either is shared).
 *
 * The pool imports this module by URL inside each worker (`poolWorkerSetup`), so it is a build entry of its own
 * (`dist/worker-setup.js`, beside the bundles that point to it).
 *
 * @module
 */
import type { LocalScheduler, WorkerSetup } from '@zokio/scheduler';
import { resolveConfig, type RuntimeConfig } from './config.js';
import { selectIoDriver, selectTimeDriver } from './select.js';

/** The part of the config a worker needs. @internal */
export type WorkerConfig = Pick<
  RuntimeConfig,
  'enableTime' | 'io' | 'bufferArenaBytes' | 'bufferPoolMaxBytes' | 'bufferPoolMaxWaitMs' | 'ioFaults'
>;

/** Installs the drivers on a pool worker's scheduler. Called by the pool, not by users. @internal */
export function setupPoolWorker(scheduler: LocalScheduler, config: WorkerConfig): void {
  // Already resolved on the main thread (environment included): resolve again without the environment.
  const resolved = resolveConfig(config, {});
  selectTimeDriver(resolved, scheduler);
  selectIoDriver(resolved, scheduler);
}

/** The setup hook for a pool built from `config`. @internal */
export function poolWorkerSetup(config: WorkerConfig): WorkerSetup {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? here : new URL('./worker-setup.js', here).href;
  return { url, name: 'setupPoolWorker', data: config };
}
