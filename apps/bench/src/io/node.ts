/**
 * Node's own file reads as `driver_read` contenders, what a Node program uses without zokio:
 *
 * - `fs.read`: the callback API; `depth` concurrent chains, each with its own `Buffer`, each read's callback
 *   issuing the chain's next. The baseline of the scenario's ratios.
 * - `FileHandle.read`: `fs/promises`; `depth` concurrent `async` loops over one `FileHandle`.
 *
 * Both run on libuv's thread pool (4 threads by default): one `pread` per read on a pool thread, and a trip back
 * to the loop for its callback or promise. Both live in `node-reads.ts`, which `file_random_read` runs as well.
 *
 * @module
 */
import { ioMain, type IoContender } from './harness.js';
import { fileHandleRead, fsRead } from './node-reads.js';

ioMain({
  'fs.read': (): IoContender => ({ name: 'fs.read', driver_read: fsRead }),
  'FileHandle.read': (): IoContender => ({ name: 'FileHandle.read', driver_read: fileHandleRead }),
});
