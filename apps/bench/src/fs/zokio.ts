/**
 * `@zokio/fs` as the fs scenarios' contenders: every call a user makes, on a runtime (`Runtime.create({ io })`,
 * current-thread scheduler, defaults otherwise), driven from one `rt.blockOn` per run.
 *
 * - `zokio-readFile` (`-epoll`, `-js`: the same on those backends): `small_files` as `depth` spawned tasks, each
 *   reading its next file when its last is done, so exactly `depth` are in flight; `sequential_read` as one call.
 * - `zokio-readAt`: `file_random_read` as `depth` spawned tasks over one open `File`, each
 *   `yield* file.readAt(offset, 4096)` (a new `Buffer` per read).
 * - `zokio-readInto`: the same, each task reading into the one `Buffer` it holds (`file.readInto(buf, { position })`:
 *   copied from a pool buffer, no allocation), as each `fs.read` chain does.
 * - `zokio-readOwned`: the same, each task reading into the one pool buffer it holds (`file.readOwned`, no copy).
 * - `zokio-File.read`: `sequential_read` as a `file.read(64 KiB)` loop at the fd's offset until an empty chunk.
 *
 * @module
 */
import { File, readFile } from '@zokio/fs';
import { fn, type Future } from '@zokio/future';
import { Runtime } from '@zokio/runtime';
import { spawn, type JoinHandle } from '@zokio/scheduler';
import type { Probe } from '../contenders/harness.js';
import type { ReadRun } from '../io/harness.js';
import { checkLength, fsMain, type FsContender, type SequentialRun, type SmallFilesRun } from './harness.js';

type Backend = 'io_uring' | 'epoll' | 'js';

/**
 * `tasks` spawned tasks, the i-th running `worker(i)`: each worker loops, taking the next piece of work (file,
 * offset) as its last completes, so that exactly `tasks` are in flight until the work runs out. Resolves once all
 * have finished, between `probe.start()` and `probe.stop()`.
 */
const inFlight = fn(function* (tasks: number, worker: (task: number) => Future<void>, probe: Probe) {
  probe.start();
  const handles: JoinHandle<void>[] = [];
  for (let i = 0; i < tasks; i++) handles.push(spawn(worker(i)));
  for (const handle of handles) yield* handle;
  probe.stop();
});

function contender(name: string, backend: Backend): FsContender {
  // The row is labelled with its backend: ZOKIO_IO_DRIVER, which overrides the config's `io`, must not swap it.
  delete process.env['ZOKIO_IO_DRIVER'];
  const rt = Runtime.create({ io: backend });
  const io = /^\s*io:\s*(\S+)/m.exec(rt.describe())?.[1];
  if (io !== backend) throw new Error(`Expected the runtime's I/O backend to be ${backend}, got ${io ?? 'none'}`);

  const smallFiles = ({ paths, sizes, reads, depth }: SmallFilesRun, probe: Probe) => {
    let next = 0;
    const worker = fn(function* () {
      while (next < reads) {
        const i = next++ % paths.length;
        checkLength(paths[i]!, (yield* readFile(paths[i]!)).length, sizes[i]!);
      }
    });
    return rt.blockOn(inFlight(Math.min(depth, reads), worker, probe));
  };

  const randomReads = (how: 'readAt' | 'readInto' | 'readOwned') => (run: ReadRun, probe: Probe) =>
    rt.blockOn(
      fn(function* () {
        const { blockBytes, offsets } = run;
        const file = yield* File.open(run.file);
        let next = 0;
        const readAt = fn(function* () {
          while (next < offsets.length) {
            checkLength(run.file, (yield* file.readAt(offsets[next++]!, blockBytes)).length, blockBytes);
          }
        });
        const tasks = Math.min(run.depth, offsets.length);
        // One buffer per task, as `fs.read`'s chains: a task's reads never overlap.
        const targets = how === 'readInto' ? Array.from({ length: tasks }, () => Buffer.allocUnsafe(blockBytes)) : [];
        const readInto = fn(function* (task: number) {
          const target = targets[task]!;
          while (next < offsets.length) {
            checkLength(run.file, yield* file.readInto(target, { position: offsets[next++]! }), blockBytes);
          }
        });
        // One pool buffer per task, handed back by each of its reads.
        const buffers =
          how === 'readOwned' ? Array.from({ length: tasks }, () => file.bufferPool.acquire(blockBytes)) : [];
        const readOwned = fn(function* (task: number) {
          while (next < offsets.length) {
            const { n, buf } = yield* file.readOwned(buffers[task]!, offsets[next++]);
            buffers[task] = buf;
            checkLength(run.file, n, blockBytes);
          }
        });
        try {
          yield* inFlight(tasks, { readAt, readInto, readOwned }[how], probe);
        } finally {
          for (const buf of buffers) file.bufferPool.release(buf);
          yield* file.close();
        }
      })(),
    );

  const readWhole = ({ file, fileBytes }: SequentialRun, probe: Probe) =>
    rt.blockOn(
      fn(function* () {
        probe.start();
        const length = (yield* readFile(file)).length;
        probe.stop();
        checkLength(file, length, fileBytes);
      })(),
    );

  const readChunks = ({ file: path, fileBytes, chunkBytes }: SequentialRun, probe: Probe) =>
    rt.blockOn(
      fn(function* () {
        probe.start();
        const file = yield* File.open(path);
        let total = 0;
        try {
          for (let chunk = yield* file.read(chunkBytes); chunk.length > 0; chunk = yield* file.read(chunkBytes)) {
            total += chunk.length;
          }
        } finally {
          yield* file.close();
        }
        probe.stop();
        checkLength(path, total, fileBytes);
      })(),
    );

  return {
    name,
    small_files: smallFiles,
    file_random_read: randomReads(
      name === 'zokio-readOwned' ? 'readOwned' : name === 'zokio-readInto' ? 'readInto' : 'readAt',
    ),
    sequential_read: name === 'zokio-File.read' ? readChunks : readWhole,
    close: async () => {
      await rt.shutdown();
    },
  };
}

fsMain({
  'zokio-readFile': () => contender('zokio-readFile', 'io_uring'),
  'zokio-readFile-epoll': () => contender('zokio-readFile-epoll', 'epoll'),
  'zokio-readFile-js': () => contender('zokio-readFile-js', 'js'),
  'zokio-readAt': () => contender('zokio-readAt', 'io_uring'),
  'zokio-readInto': () => contender('zokio-readInto', 'io_uring'),
  'zokio-readOwned': () => contender('zokio-readOwned', 'io_uring'),
  'zokio-File.read': () => contender('zokio-File.read', 'io_uring'),
});
