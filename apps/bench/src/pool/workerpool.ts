/**
 * workerpool as the worker-pool scenarios' contender: `workerpool.pool(script, { workerType: 'thread',
 * minWorkers: W, maxWorkers: W })` over `workerpool-worker.ts` (which registers the functions of `jobs.ts`), each
 * job `pool.exec(name, [arg])`; its defaults otherwise (one task per worker at a time, an unbounded queue).
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import workerpool from 'workerpool';
import { poolMain, type PoolContender } from './harness.js';
import { peerPool } from './peer.js';

const WORKER = fileURLToPath(new URL('./workerpool-worker.js', import.meta.url));

poolMain({
  workerpool: (): PoolContender => ({
    name: 'workerpool',
    open: (workers) => {
      const pool = workerpool.pool(WORKER, { workerType: 'thread', minWorkers: workers, maxWorkers: workers });
      return peerPool(
        (name, arg) => pool.exec(name, [arg]) as PromiseLike<number>,
        async () => {
          await pool.terminate();
        },
      );
    },
  }),
});
