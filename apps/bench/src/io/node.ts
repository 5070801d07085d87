/**
 * Node's own file reads as `driver_read` contenders, what a Node program uses without zokio:
 *
 * - `fs.read`: the callback API; `depth` concurrent chains, each with its own `Buffer`, each read's callback
 *   issuing the chain's next. The baseline of the scenario's ratios.
 * - `FileHandle.read`: `fs/promises`; `depth` concurrent `async` loops over one `FileHandle`.
 *
 * Both run on libuv's thread pool (4 threads by default): one `pread` per read on a pool thread, and a trip back
 * to the loop for its callback or promise.
 *
 * @module
 */
import { closeSync, openSync, read } from 'node:fs';
import { open } from 'node:fs/promises';
import { ioMain, type IoContender, type ReadRun } from './harness.js';
import type { Probe } from '../contenders/harness.js';

function check(bytesRead: number, blockBytes: number): void {
  if (bytesRead !== blockBytes) throw new Error(`Expected a ${blockBytes}-byte read, got ${bytesRead}`);
}

function fsRead({ file, depth, blockBytes, offsets }: ReadRun, probe: Probe): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(file, 'r');
    const chains = Math.min(depth, offsets.length);
    let next = 0;
    let done = 0;
    let failed = false;
    const chain = () => {
      const buf = Buffer.allocUnsafe(blockBytes);
      const callback = (error: NodeJS.ErrnoException | null, bytesRead: number) => {
        if (failed) return;
        if (error !== null || bytesRead !== blockBytes) {
          failed = true;
          return reject(error ?? new Error(`Expected a ${blockBytes}-byte read, got ${bytesRead}`));
        }
        if (next < offsets.length) read(fd, buf, 0, blockBytes, offsets[next++]!, callback);
        else if (++done === chains) {
          probe.stop();
          closeSync(fd);
          resolve();
        }
      };
      read(fd, buf, 0, blockBytes, offsets[next++]!, callback);
    };
    probe.start();
    for (let i = 0; i < chains; i++) chain();
  });
}

async function fileHandleRead({ file, depth, blockBytes, offsets }: ReadRun, probe: Probe): Promise<void> {
  const handle = await open(file, 'r');
  let next = 0;
  async function loop(): Promise<void> {
    const buf = Buffer.allocUnsafe(blockBytes);
    while (next < offsets.length) {
      const { bytesRead } = await handle.read(buf, 0, blockBytes, offsets[next++]);
      check(bytesRead, blockBytes);
    }
  }
  try {
    probe.start();
    await Promise.all(Array.from({ length: Math.min(depth, offsets.length) }, loop));
    probe.stop();
  } finally {
    await handle.close();
  }
}

ioMain({
  'fs.read': (): IoContender => ({ name: 'fs.read', driver_read: fsRead }),
  'FileHandle.read': (): IoContender => ({ name: 'FileHandle.read', driver_read: fileHandleRead }),
});
