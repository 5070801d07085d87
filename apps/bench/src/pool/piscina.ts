/**
 * piscina as the worker-pool scenarios' contender (and their baseline): `new Piscina({ filename, minThreads: W,
 * maxThreads: W })` over `jobs.ts`, each job `pool.run(arg, { name })`; its defaults otherwise (one task per thread
 * at a time, an unbounded queue, `Atomics.wait` between tasks).
 *
 * @module
 */
import { Piscina } from 'piscina';
import { poolMain, type PoolContender } from './harness.js';
import { peerPool } from './peer.js';

const JOBS = new URL('./jobs.js', import.meta.url).href;

poolMain({
  piscina: (): PoolContender => ({
    name: 'piscina',
    open: (workers) => {
      const pool = new Piscina<number, number>({ filename: JOBS, minThreads: workers, maxThreads: workers });
      return peerPool(
        (name, arg) => pool.run(arg, { name }),
        () => pool.destroy(),
      );
    },
  }),
});
