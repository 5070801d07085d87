/**
 * The TCP scenarios' child script: `node --expose-gc dist/net/bench.js <contender> <tcp_echo|conn_memory>
 * [--variant N] [--quick]`. See `harness.ts`.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { netMain } from './harness.js';

netMain(fileURLToPath(new URL('../..', import.meta.url)));
