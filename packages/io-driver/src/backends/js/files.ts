/**
 * File ops of the `js` backend on Node's callback `fs` API (not `fs.promises`, which costs 2–3× more per op).
 *
 * An `fs` call handed to libuv's thread pool cannot be stopped, so these ops never set `PendingOp.cancel`:
 * cancelling one gets `-EALREADY` and the op completes with its own result, as io_uring does for an op it cannot
 * interrupt. Paths: `fs` has no `*at` calls, so a dirfd other than `AT_FDCWD` is refused with `-EINVAL` (absolute
 * paths work with any dirfd), except `STATX` of an empty path with `AT_EMPTY_PATH`, which is `fstat` of the fd.
 *
 * @module
 */
import * as fs from 'node:fs';
import { AT_FDCWD, IOVEC_ENTRY_BYTES, Op } from '../../contract.js';
import type { Arenas } from './arenas.js';
import { E, errnoOf } from './errno.js';
import type { OpRecord, PendingOp } from './op.js';

const AT_REMOVEDIR = 0x200;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const RENAME_NOREPLACE = 1;

/** A file position from the record: −1 = the fd's current one (`null` for `fs`); undefined when invalid. */
function position(offset: number): number | null | undefined {
  if (offset === -1) return null;
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
}

/** Starts file op `rec` (any opcode but the socket ops, `NOP`, `TIMEOUT` and `CANCEL`). */
export function startFileOp(op: PendingOp, rec: OpRecord, arenas: Arenas): void {
  const done = (error: NodeJS.ErrnoException | null, value = 0) => op.complete(error === null ? value : errnoOf(error));
  const fd = rec.fd;
  const arg = rec.arg;
  switch (rec.opcode) {
    case Op.READ:
    case Op.WRITE: {
      const pos = position(rec.offset);
      if (pos === undefined) return op.complete(-E.EINVAL);
      const buf = arenas.bytes(rec.bufArena, rec.bufOffset, rec.bufLength);
      if (buf === undefined) return op.complete(-E.EFAULT);
      // A stream (pipe, socket, tty) has no position: the offset is ignored, as io_uring does (contract). Node
      // would pread and get ESPIPE; the retry without a position costs nothing on the usual path.
      const io = (at: number | null) =>
        rec.opcode === Op.READ
          ? fs.read(fd, buf, 0, buf.byteLength, at, (e, n) =>
              e?.code === 'ESPIPE' && at !== null ? io(null) : done(e, n),
            )
          : fs.write(fd, buf, 0, buf.byteLength, at, (e, n) =>
              e?.code === 'ESPIPE' && at !== null ? io(null) : done(e, n),
            );
      io(pos);
      return;
    }
    case Op.READV:
    case Op.WRITEV: {
      const pos = position(rec.offset);
      if (pos === undefined) return op.complete(-E.EINVAL);
      if (arg < 1 || arg > 1024) return op.complete(-E.EINVAL);
      const table = arenas.bytes(rec.bufArena, rec.bufOffset, arg * IOVEC_ENTRY_BYTES);
      if (table === undefined) return op.complete(-E.EFAULT);
      const views = arenas.iovecs(table, arg);
      if (typeof views === 'number') return op.complete(views);
      const iov = (at: number | null) =>
        rec.opcode === Op.READV
          ? fs.readv(fd, views, at, (e, n) => (e?.code === 'ESPIPE' && at !== null ? iov(null) : done(e, n)))
          : fs.writev(fd, views, at, (e, n) => (e?.code === 'ESPIPE' && at !== null ? iov(null) : done(e, n)));
      iov(pos);
      return;
    }
    case Op.CLOSE:
      return fs.close(fd, (e) => done(e));
    case Op.FSYNC:
      return arg === 1 ? fs.fdatasync(fd, (e) => done(e)) : fs.fsync(fd, (e) => done(e));
  }
  // Path ops.
  const path = arenas.path(rec.pathArena, rec.pathOffset);
  if (path === undefined) return op.complete(-E.EFAULT);
  if (rec.opcode === Op.STATX && path === '' && (rec.mode & AT_EMPTY_PATH) !== 0) {
    // statx(fd, "", AT_EMPTY_PATH): the fd itself, as fstat.
    const out = arenas.bytes(rec.bufArena, rec.bufOffset, rec.bufLength);
    if (out === undefined || out.byteLength < 256) return op.complete(-E.EFAULT);
    return fs.fstat(fd, { bigint: true }, (e, s) => {
      if (e === null) writeStatx(out, s);
      done(e);
    });
  }
  if (fd !== AT_FDCWD && !path.startsWith('/')) return op.complete(-E.EINVAL);
  const mode = rec.mode;
  switch (rec.opcode) {
    case Op.OPENAT:
      return fs.open(path, arg, mode, (e, newFd) => done(e, newFd));
    case Op.MKDIRAT:
      return fs.mkdir(path, { mode }, (e) => done(e));
    case Op.UNLINKAT:
      return arg & AT_REMOVEDIR ? fs.rmdir(path, (e) => done(e)) : fs.unlink(path, (e) => done(e));
    case Op.RENAMEAT: {
      const to = arenas.path(rec.path2Arena, rec.path2Offset);
      if (to === undefined) return op.complete(-E.EFAULT);
      if (rec.fd2 !== AT_FDCWD && !to.startsWith('/')) return op.complete(-E.EINVAL);
      if (arg & RENAME_NOREPLACE) {
        // Node has no renameat2: link + unlink gives the same no-replace result for files.
        return fs.link(path, to, (e) => (e ? done(e) : fs.unlink(path, (e2) => done(e2))));
      }
      return fs.rename(path, to, (e) => done(e));
    }
    case Op.STATX: {
      const out = arenas.bytes(rec.bufArena, rec.bufOffset, rec.bufLength);
      if (out === undefined || out.byteLength < 256) return op.complete(-E.EFAULT);
      const stat = mode & AT_SYMLINK_NOFOLLOW ? fs.lstat : fs.stat;
      return stat(path, { bigint: true }, (e, s) => {
        if (e === null) writeStatx(out, s);
        done(e);
      });
    }
  }
  op.complete(-E.EINVAL);
}

/**
 * Writes `struct statx` (256 bytes, Linux layout) from a Node `BigIntStats`, so the driver decodes one format
 * whatever the backend.
 */
function writeStatx(out: Uint8Array, s: fs.BigIntStats): void {
  const v = new DataView(out.buffer, out.byteOffset, 256);
  out.fill(0, 0, 256);
  const STATX_BASIC_STATS = 0x7ff;
  v.setUint32(0, STATX_BASIC_STATS, true); // stx_mask
  v.setUint32(4, Number(s.blksize), true);
  v.setUint32(16, Number(s.nlink), true);
  v.setUint32(20, Number(s.uid), true);
  v.setUint32(24, Number(s.gid), true);
  v.setUint16(28, Number(s.mode), true);
  v.setBigUint64(32, s.ino, true);
  v.setBigUint64(40, s.size, true);
  v.setBigUint64(48, s.blocks, true);
  const time = (at: number, ns: bigint) => {
    // statx's (seconds, nanoseconds ≥ 0): floored, so a time before 1970 is a negative second plus a positive part.
    let sec = ns / 1_000_000_000n;
    let rem = ns % 1_000_000_000n;
    if (rem < 0n) {
      sec -= 1n;
      rem += 1_000_000_000n;
    }
    v.setBigInt64(at, sec, true);
    v.setUint32(at + 8, Number(rem), true);
  };
  time(64, s.atimeNs);
  time(80, s.birthtimeNs);
  time(96, s.ctimeNs);
  time(112, s.mtimeNs);
  // Node's dev/rdev are glibc's encoding of (major, minor): split them back as glibc's major()/minor() do.
  const major = (dev: bigint) => Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = (dev: bigint) => Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  v.setUint32(128, major(s.rdev), true);
  v.setUint32(132, minor(s.rdev), true);
  v.setUint32(136, major(s.dev), true);
  v.setUint32(140, minor(s.dev), true);
}
