/**
 * Where a pool thread's script is, from the module that starts it — in the published `dist/` and in the `src/`
 * tests run on alike.
 *
 * - Built (`dist/index.js`): tsup emits each thread entry as its own file beside the bundle (`dist/<name>.js`).
 * - Source (`src/pool/*.ts`, under Vitest or tsx): a thread does not inherit the parent's TypeScript support, so
 *   it starts at `dev-entry.mjs`, which registers tsx and the `@zokio/source` export condition (sibling packages
 *   resolve to their `src/` as in the tests' own thread), then imports the `.ts` entry.
 *
 * A thread entry imports the pool code through the package's own name (`@zokio/scheduler`), never by relative
 * path: the jobs it runs import `@zokio/scheduler` too, and both must get the same module instance, else a job's
 * `spawnJob` would not find the thread's scheduler.
 *
 * @module
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A thread entry of this package: `pool-worker` or `blocking-worker`. */
export type ThreadEntry = 'pool-worker' | 'blocking-worker';

/** Starts the thread entry `entry`; `options.workerData` reaches it through {@link threadData}. */
export function startThread(entry: ThreadEntry, options: WorkerOptions): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const script = new URL(`./entries/${entry}.ts`, here).href;
    return new Worker(new URL('./dev-entry.mjs', here), {
      ...options,
      workerData: { script, data: options.workerData as unknown },
    });
  }
  return new Worker(new URL(`./${entry}.js`, here), options);
}

/** The data a thread was started with, wherever it was started from. */
export function threadData<T>(raw: unknown): T {
  const wrapped = raw as { script?: unknown; data?: unknown } | null;
  const fromSource = wrapped !== null && typeof wrapped === 'object' && typeof wrapped.script === 'string';
  return (fromSource ? wrapped.data : raw) as T;
}
