/**
 * The HTTP scenarios' child script: `node --expose-gc dist/http/bench.js <contender> http_hello --variant N
 * [--quick]`. See `harness.ts`.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { httpMain } from './harness.js';

httpMain(fileURLToPath(new URL('../..', import.meta.url)));
