/**
 * Node's own file APIs as the `@zokio/fs` scenarios' contenders, what a Node program uses without zokio:
 *
 * - `fs.promises.readFile`: `small_files` as `depth` concurrent `async` loops, each reading the next file when its
 *   last is done (the baseline); `sequential_read` as one call.
 * - `fs.readFileSync`: `small_files` as a plain loop, one file at a time, on the main thread.
 * - `fs.read`, `FileHandle.read`: `file_random_read`, the very functions `driver_read` runs (`io/node-reads.ts`).
 * - `fs.createReadStream`: `sequential_read`, every chunk consumed by a `data` listener, at the default
 *   `highWaterMark` (64 KiB), until the stream closes its fd.
 *
 * @module
 */
import { createReadStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Probe } from '../contenders/harness.js';
import { fileHandleRead, fsRead } from '../io/node-reads.js';
import { checkLength, fsMain, type FsContender, type SequentialRun, type SmallFilesRun } from './harness.js';

async function promisesSmallFiles({ paths, sizes, reads, depth }: SmallFilesRun, probe: Probe): Promise<void> {
  let next = 0;
  async function loop(): Promise<void> {
    while (next < reads) {
      const i = next++ % paths.length;
      checkLength(paths[i]!, (await readFile(paths[i]!)).length, sizes[i]!);
    }
  }
  probe.start();
  await Promise.all(Array.from({ length: Math.min(depth, reads) }, loop));
  probe.stop();
}

function syncSmallFiles({ paths, sizes, reads }: SmallFilesRun, probe: Probe): Promise<void> {
  probe.start();
  for (let r = 0; r < reads; r++) {
    const i = r % paths.length;
    checkLength(paths[i]!, readFileSync(paths[i]!).length, sizes[i]!);
  }
  probe.stop();
  return Promise.resolve();
}

async function promisesSequential({ file, fileBytes }: SequentialRun, probe: Probe): Promise<void> {
  probe.start();
  const length = (await readFile(file)).length;
  probe.stop();
  checkLength(file, length, fileBytes);
}

function streamSequential({ file, fileBytes }: SequentialRun, probe: Probe): Promise<void> {
  return new Promise((resolve, reject) => {
    let total = 0;
    probe.start();
    createReadStream(file)
      .on('data', (chunk) => (total += chunk.length))
      .on('error', reject)
      // `close`, not `end`: the fd is closed, as the other contenders' runs end with theirs closed.
      .on('close', () => {
        probe.stop();
        try {
          checkLength(file, total, fileBytes);
          resolve();
        } catch (error) {
          reject(error);
        }
      });
  });
}

fsMain({
  'fs.promises.readFile': (): FsContender => ({
    name: 'fs.promises.readFile',
    small_files: promisesSmallFiles,
    sequential_read: promisesSequential,
  }),
  'fs.readFileSync': (): FsContender => ({ name: 'fs.readFileSync', small_files: syncSmallFiles }),
  'fs.read': (): FsContender => ({ name: 'fs.read', file_random_read: fsRead }),
  'FileHandle.read': (): FsContender => ({ name: 'FileHandle.read', file_random_read: fileHandleRead }),
  'fs.createReadStream': (): FsContender => ({ name: 'fs.createReadStream', sequential_read: streamSequential }),
});
