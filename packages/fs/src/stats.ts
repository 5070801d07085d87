/**
 * {@link Stats}: what `stat`, `lstat` and `File.stat` return, decoded from the `struct statx` every driver backend
 * writes (the `js` backend translates Node's `BigIntStats` into the same 256 bytes).
 *
 * @module
 */

/** `statx` mask for the basic fields (`STATX_BASIC_STATS`). @internal */
export const STATX_BASIC_STATS = 0x7ff;
/** `statx` at-flag: do not follow a final symlink. @internal */
export const AT_SYMLINK_NOFOLLOW = 0x100;
/** `statx` at-flag: the fd itself (empty path). @internal */
export const AT_EMPTY_PATH = 0x1000;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

/**
 * File metadata, with the fields and predicates of Node's `fs.Stats` (times as milliseconds and `Date`s).
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { stat } from '@zokio/fs';
 * const size = fn(function* (path: string) {
 *   const s = yield* stat(path);
 *   return s.isFile() ? s.size : 0;
 * });
 * ```
 * @category Files
 */
export class Stats {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  /** Size in bytes. */
  readonly size: number;
  readonly blksize: number;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly birthtimeMs: number;

  /** @internal Decodes the first 144 bytes of a `struct statx`. */
  constructor(statx: Uint8Array) {
    const v = new DataView(statx.buffer, statx.byteOffset, 256);
    const ms = (at: number) => Number(v.getBigInt64(at, true)) * 1000 + v.getUint32(at + 8, true) / 1e6;
    // glibc's `makedev`, which Node's `dev`/`rdev` are: minor's low 8 bits, major's low 12, minor's rest, major's rest.
    const makedev = (major: number, minor: number) =>
      Number(
        (BigInt(minor) & 0xffn) |
          ((BigInt(major) & 0xfffn) << 8n) |
          ((BigInt(minor) & ~0xffn) << 12n) |
          ((BigInt(major) & ~0xfffn) << 32n),
      );
    this.blksize = v.getUint32(4, true);
    this.nlink = v.getUint32(16, true);
    this.uid = v.getUint32(20, true);
    this.gid = v.getUint32(24, true);
    this.mode = v.getUint16(28, true);
    this.ino = Number(v.getBigUint64(32, true));
    this.size = Number(v.getBigUint64(40, true));
    this.blocks = Number(v.getBigUint64(48, true));
    this.atimeMs = ms(64);
    this.birthtimeMs = ms(80);
    this.ctimeMs = ms(96);
    this.mtimeMs = ms(112);
    this.rdev = makedev(v.getUint32(128, true), v.getUint32(132, true));
    this.dev = makedev(v.getUint32(136, true), v.getUint32(140, true));
  }

  get atime(): Date {
    return new Date(this.atimeMs);
  }
  get mtime(): Date {
    return new Date(this.mtimeMs);
  }
  get ctime(): Date {
    return new Date(this.ctimeMs);
  }
  get birthtime(): Date {
    return new Date(this.birthtimeMs);
  }

  isFile(): boolean {
    return (this.mode & S_IFMT) === S_IFREG;
  }
  isDirectory(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }
  isFIFO(): boolean {
    return (this.mode & S_IFMT) === S_IFIFO;
  }
  isSocket(): boolean {
    return (this.mode & S_IFMT) === S_IFSOCK;
  }
  isCharacterDevice(): boolean {
    return (this.mode & S_IFMT) === S_IFCHR;
  }
  isBlockDevice(): boolean {
    return (this.mode & S_IFMT) === S_IFBLK;
  }
}
