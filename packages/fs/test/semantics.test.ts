/**
 * What a path, an fd and a stream mean, as `node:fs` means them — on every driver. Each case here is a bug a review
 * found (a path normalized into another file, an op reaching a reused fd number, a byte of a pipe thrown away, a flag
 * string losing `O_SYNC`), kept from coming back.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { File, IoError, readFile, readToString, remove, stat, writeFile } from '@zokio/fs';
import { drivers, runtimeOn, tempDir } from '@zokio/runtime/testing';
import { fn } from '@zokio/future';

describe.each(drivers)('paths, fds and streams as node:fs means them, on %s', (driver) => {
  const { rt, run } = runtimeOn(driver);
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir('zokio-fs-semantics-')));
  afterAll(async () => {
    await rt.shutdown();
    cleanup();
  });

  it('a path is not normalized: `..` after a symlink starts from its target, and `file/` is not the file', async () => {
    const base = join(dir, 'paths');
    mkdirSync(join(base, 'real', 'sub'), { recursive: true });
    writeFileSync(join(base, 'real', 'f.txt'), 'real/f.txt');
    writeFileSync(join(base, 'f.txt'), 'top-level f.txt');
    symlinkSync('real/sub', join(base, 'link'));
    writeFileSync(join(base, 'plain'), 'plain');
    expect(readFileSync(`${base}/link/../f.txt`, 'utf8')).toBe('real/f.txt'); // what the kernel says
    expect(await run(readToString(`${base}/link/../f.txt`))).toBe('real/f.txt');
    await expect(run(readToString(`${base}/plain/`))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(run(writeFile(`${base}/plain/`, 'X'))).rejects.toBeInstanceOf(IoError);
    expect(readFileSync(join(base, 'plain'), 'utf8')).toBe('plain');
    await run(remove(`${base}/link/../f.txt`));
    expect([existsSync(join(base, 'real', 'f.txt')), existsSync(join(base, 'f.txt'))]).toEqual([false, true]);
  });

  it('an op made before close() and first polled after it fails with EBADF, even when the fd number is reused', async () => {
    const a = join(dir, 'fd-a');
    const b = join(dir, 'fd-b');
    writeFileSync(a, 'aaaa');
    const outcome = await run(
      fn(function* () {
        const fa = yield* File.open(a, 'r+');
        const staleWrite = fa.writeAt('XX', 0); // made, not polled: futures are lazy
        const staleTruncate = fa.setLen(1);
        const staleRead = fa.readAt(0, 4);
        yield* fa.close();
        const fb = yield* File.open(b, 'w+'); // most likely the same fd number
        yield* fb.writeAll('bbbb');
        const codes: string[] = [];
        for (const op of [staleWrite, staleTruncate, staleRead]) {
          try {
            yield* op;
            codes.push('ran');
          } catch (error) {
            codes.push((error as IoError).code);
          }
        }
        yield* fb.close();
        return codes;
      })(),
    );
    expect(outcome).toEqual(['EBADF', 'EBADF', 'EBADF']);
    expect(readFileSync(a, 'utf8')).toBe('aaaa');
    expect(readFileSync(b, 'utf8')).toBe('bbbb');
  });

  it('readFile of a pipe keeps every byte, across a pause in the writer', async () => {
    const fifo = join(dir, 'fifo-read');
    execFileSync('mkfifo', [fifo]);
    // The writer sends 'hello', pauses, then 'world': the first read is short, and what follows is not the end.
    const writer = spawn(process.execPath, [
      '-e',
      `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(fifo)},'w');fs.writeSync(fd,'hello');setTimeout(()=>{fs.writeSync(fd,'world');fs.closeSync(fd)},300)`,
    ]);
    try {
      expect((await run(readFile(fifo))).toString()).toBe('helloworld');
    } finally {
      writer.kill();
    }
  });

  it('writeFile to a pipe delivers its bytes in order, past one 64 KiB span', async () => {
    const fifo = join(dir, 'fifo-write');
    execFileSync('mkfifo', [fifo]);
    const data = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i / 4, i); // a counter: any reordering shows
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise((resolve) => reader.on('close', resolve));
    await run(writeFile(fifo, data));
    await closed;
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(data.length);
    expect(got.equals(data)).toBe(true);
  });

  it("Node's 'rs+', 'as' and 'as+' open with O_SYNC, as node:fs does", async () => {
    const path = join(dir, 'sync');
    writeFileSync(path, '');
    const O_SYNC = 0o4010000;
    const flagsOf = (fd: number) =>
      parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    for (const flag of ['rs+', 'as', 'as+'] as const) {
      const nodeFd = openSync(path, flag);
      const expected = flagsOf(nodeFd) & O_SYNC;
      closeSync(nodeFd);
      expect(expected).toBe(O_SYNC);
      const ours = await run(File.open(path, flag));
      try {
        // The js driver's fds are its own numbers: only the native ones can be looked up in /proc.
        if (driver !== 'js') expect(flagsOf(ours.fd) & O_SYNC).toBe(O_SYNC);
      } finally {
        await run(ours.close());
      }
    }
  });

  it("stat's device numbers and times are node:fs's: a minor number past 255, a time before 1970", async () => {
    const old = join(dir, 'before-1970');
    writeFileSync(old, 'x');
    utimesSync(old, -1.5, -1.5); // 1969-12-31T23:59:58.500Z
    const paths = [old, '/dev/null', dir];
    if (process.getuid?.() === 0) {
      const device = join(dir, 'chr-1-300');
      execFileSync('mknod', [device, 'c', '1', '300']); // minor > 255: glibc puts its high bits above major's
      paths.push(device);
    }
    for (const path of paths) {
      const theirs = statSync(path);
      const ours = await run(stat(path));
      expect([ours.dev, ours.rdev, ours.mtimeMs, ours.atimeMs], path).toEqual([
        theirs.dev,
        theirs.rdev,
        theirs.mtimeMs,
        theirs.atimeMs,
      ]);
    }
  });

  it('readFile of a file larger than the largest Buffer fails with EFBIG and the path, and leaks nothing', async () => {
    const path = join(dir, 'huge.sparse');
    const fd = openSync(path, 'w');
    writeFileSync(fd, 'x');
    closeSync(fd);
    execFileSync('truncate', ['-s', String(2 ** 32 + 4096), path]); // sparse: no disk used
    await expect(run(readFile(path))).rejects.toMatchObject({ code: 'EFBIG', path });
  });
});
