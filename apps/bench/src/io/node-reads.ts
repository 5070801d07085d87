/**
 * Node's two ways of reading a block at a position, `depth` at a time: the `driver_read` and `file_random_read`
 * baselines (see `node.ts`). Shared so that both scenarios divide by the same code.
 *
 * @module
 */
import { closeSync, openSync, read } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Probe } from '../contenders/harness.js';
import type { ReadRun } from './harness.js';

function check(bytesRead: number, blockBytes: number): void {
  if (bytesRead !== blockBytes) throw new Error(`Expected a ${blockBytes}-byte read, got ${bytesRead}`);
}

export function fsRead({ file, depth, blockBytes, offsets }: ReadRun, probe: Probe): Promise<void> {
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

export async function fileHandleRead({ file, depth, blockBytes, offsets }: ReadRun, probe: Probe): Promise<void> {
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
