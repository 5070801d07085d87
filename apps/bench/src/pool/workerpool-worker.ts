/**
 * workerpool's worker script: workerpool runs the functions its worker registers, not a module's exports, so this
 * registers the very functions of `jobs.ts` (bundled in) by the names the other contenders call them by.
 *
 * @module
 */
import workerpool from 'workerpool';
import { fibSeq, inc, spinTimed } from './jobs.js';

workerpool.worker({ inc, spinTimed, fibSeq });
