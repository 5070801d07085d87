/**
 * # @zokio/fs
 *
 * Files on zokio's completion-based I/O driver: io_uring where the kernel has it, epoll's thread pool, or Node's own
 * `fs`. A {@link File} with {@link OpenOptions}, and whole-file helpers (`readFile`, `writeFile`, `copy`, `readDir`,
 * …). Every function returns a lazy, cancellable future; errors have Node's shape (`code`, `errno`, `syscall`,
 * `path`) and are `ZokioError`s.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { readFile, writeFile } from '@zokio/fs';
 * import { Runtime } from '@zokio/runtime';
 *
 * const rt = Runtime.create();
 * await rt.blockOn(
 *   fn(function* () {
 *     yield* writeFile('/tmp/zokio-hello.txt', 'hello');
 *     return (yield* readFile('/tmp/zokio-hello.txt')).toString(); // 'hello'
 *   })(),
 * );
 * ```
 *
 * @packageDocumentation
 */
export { File } from './file.js';
export type { Owned } from './ops.js';
export { type OpenFlags, type OpenOptions } from './open-options.js';
export { type PathLike } from './path.js';
export { Stats } from './stats.js';
export { FsArgumentError, IoError, UnexpectedEofError } from './errors.js';
export { appendFile, readFile, readToString, writeFile, type WriteFileOptions } from './read-write.js';
export {
  copy,
  createDir,
  createDirAll,
  DirEntry,
  readDir,
  remove,
  removeDir,
  removeDirAll,
  rename,
  type FileType,
} from './tree.js';
export { canonicalize, exists, hardLink, lstat, readLink, setPermissions, stat, symlink } from './metadata.js';
export {
  toReadable,
  toReadableStream,
  toWritable,
  type ReadStreamOptions,
  type WriteStreamOptions,
} from './streams.js';
