/**
 * tinypool as the worker-pool scenarios' contender: `new Tinypool({ filename, minThreads: W, maxThreads: W })`
 * over `jobs.ts`, each job `pool.run(arg, { name })`; its defaults otherwise (`worker_threads`, one task per thread
 * at a time, an unbounded queue, threads kept between tasks).
 *
 * @module
 */
import { Tinypool } from 'tinypool';
import { poolMain, type PoolContender } from './harness.js';
import { peerPool } from './peer.js';

const JOBS = new URL('./jobs.js', import.meta.url).href;

poolMain({
  tinypool: (): PoolContender => ({
    name: 'tinypool',
    open: (workers) => {
      const pool = new Tinypool({ filename: JOBS, minThreads: workers, maxThreads: workers });
      return peerPool(
        (name, arg) => pool.run(arg, { name }) as Promise<number>,
        () => pool.destroy(),
      );
    },
  }),
});
