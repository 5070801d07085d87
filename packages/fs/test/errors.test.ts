/**
 * Every error path a user of `@zokio/fs` can hit, on every driver: what the system refused is an `IoError` with
 * Node's shape (`code`, negative `errno`, `syscall`, and the path as the caller wrote it); bad input is an
 * `FsArgumentError` thrown at the call, before anything is submitted; a short `readExact` is an
 * `UnexpectedEofError`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn, ZokioError, type Future } from '@zokio/future';
import {
  appendFile,
  canonicalize,
  copy,
  createDir,
  createDirAll,
  exists,
  File,
  FsArgumentError,
  hardLink,
  IoError,
  lstat,
  readDir,
  readFile,
  readLink,
  readToString,
  remove,
  removeDir,
  removeDirAll,
  rename,
  setPermissions,
  stat,
  symlink,
  UnexpectedEofError,
  writeFile,
} from '@zokio/fs';
import { drivers, runtimeOn, tempDir } from '@zokio/runtime/testing';

const isRoot = process.getuid?.() === 0;

/** What a call threw synchronously; fails the test if it did not throw. */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return expect.fail('Expected the call to throw at once, before anything was submitted');
}

/** The IoError shape, with errno derived from the code by the OS table, not by zokio's. */
function expectIoError(error: unknown, code: string, syscall: string, path: string): void {
  expect(error).toBeInstanceOf(IoError);
  expect(error).toBeInstanceOf(ZokioError);
  const errno = (osConstants.errno as Record<string, number>)[code];
  expect(errno).toBeTypeOf('number');
  expect(error).toMatchObject({ code, errno: -errno!, syscall, path });
  expect((error as Error).message).toContain(code);
}

function expectArgumentError(
  error: unknown,
  code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE',
  argument: string,
  path: string | undefined,
): void {
  expect(error).toBeInstanceOf(FsArgumentError);
  expect(error).toBeInstanceOf(ZokioError);
  expect(error).toMatchObject({ code, argument, path });
  expect((error as Error).message).toMatch(/Expected .+, got /);
}

describe.each(drivers)('errors on %s', (driver) => {
  const { rt, run } = runtimeOn(driver);
  let dir: string;
  let cleanup: () => void;
  /** A 5-byte file, a directory with one file in it, and a name that does not exist. */
  let file: string;
  let sub: string;
  let missing: string;

  /** Runs `make()` in a task and returns what it failed with; fails the test if it succeeded. */
  const failure = async (make: () => Future<unknown>): Promise<unknown> => {
    try {
      await run(
        fn(function* () {
          return yield* make();
        })(),
      );
    } catch (error) {
      return error;
    }
    return expect.fail('Expected the operation to fail');
  };

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('zokio-fs-errors-'));
    file = join(dir, 'file');
    sub = join(dir, 'sub');
    missing = join(dir, 'missing');
    writeFileSync(file, 'hello');
    mkdirSync(sub);
    writeFileSync(join(sub, 'child'), 'x');
    await run(stat(dir));
  });
  afterAll(async () => {
    await rt.shutdown();
    cleanup();
  });

  describe('ENOENT: a missing path', () => {
    /** [name, the call on the missing path `p`, the path its error must name, the syscall] */
    const cases: [string, (p: string, other: string) => Future<unknown>, (p: string) => string, string][] = [
      ['readFile', (p) => readFile(p), (p) => p, 'open'],
      ['readToString', (p) => readToString(p), (p) => p, 'open'],
      ['File.open', (p) => File.open(p), (p) => p, 'open'],
      [
        'File.open for writing in a missing directory',
        (p) => File.open(join(p, 'f'), 'w'),
        (p) => join(p, 'f'),
        'open',
      ],
      ['writeFile in a missing directory', (p) => writeFile(join(p, 'f'), 'x'), (p) => join(p, 'f'), 'open'],
      ['appendFile in a missing directory', (p) => appendFile(join(p, 'f'), 'x'), (p) => join(p, 'f'), 'open'],
      ['stat', (p) => stat(p), (p) => p, 'stat'],
      ['lstat', (p) => lstat(p), (p) => p, 'lstat'],
      ['remove', (p) => remove(p), (p) => p, 'unlink'],
      ['removeDir', (p) => removeDir(p), (p) => p, 'rmdir'],
      ['removeDirAll', (p) => removeDirAll(p), (p) => p, 'scandir'],
      ['createDir in a missing directory', (p) => createDir(join(p, 'd')), (p) => join(p, 'd'), 'mkdir'],
      ['readDir', (p) => readDir(p), (p) => p, 'scandir'],
      ['readLink', (p) => readLink(p), (p) => p, 'readlink'],
      ['canonicalize', (p) => canonicalize(p), (p) => p, 'realpath'],
      ['setPermissions', (p) => setPermissions(p, 0o644), (p) => p, 'chmod'],
      ['rename (the source)', (p, other) => rename(p, other), (p) => p, 'rename'],
      ['copy (the source)', (p, other) => copy(p, other), (p) => p, 'copyfile'],
      ['hardLink (the existing file)', (p, other) => hardLink(p, other), (p) => p, 'link'],
    ];

    it.each(cases)('%s fails with ENOENT and the path as given (relative)', async (_, make, pathOf, syscall) => {
      const given = relative(process.cwd(), missing);
      expect(given.startsWith('/')).toBe(false);
      const error = await failure(() => make(given, join(dir, 'other')));
      expectIoError(error, 'ENOENT', syscall, pathOf(given));
      expect(existsSync(join(dir, 'other'))).toBe(false);
    });

    it('a file: URL is reported as its path', async () => {
      expectIoError(await failure(() => readFile(pathToFileURL(missing))), 'ENOENT', 'open', missing);
    });

    it('exists answers false instead of failing', async () => {
      expect(await run(exists(missing))).toBe(false);
      expect(await run(exists(file))).toBe(true);
    });
  });

  describe('EACCES: permission denied', () => {
    it(
      isRoot
        ? 'as root, mode 0o000 does not stop a read (DAC override); a directory still cannot be opened for writing'
        : 'reading or writing a file with mode 0o000 fails with EACCES',
      async () => {
        const locked = join(dir, 'locked');
        writeFileSync(locked, 'secret');
        await run(setPermissions(locked, 0o000));
        expect((await run(stat(locked))).mode & 0o7777).toBe(0);
        try {
          if (isRoot) {
            // root has CAP_DAC_OVERRIDE: the permission bits do not apply, so the file reads and writes normally.
            expect((await run(readFile(locked))).toString()).toBe('secret');
            await run(appendFile(locked, '!'));
            expect(readFileSync(locked, 'utf8')).toBe('secret!');
            // What no capability overrides: the type of the file.
            expectIoError(await failure(() => File.open(sub, { write: true })), 'EISDIR', 'open', sub);
          } else {
            expectIoError(await failure(() => readFile(locked)), 'EACCES', 'open', locked);
            expectIoError(await failure(() => File.open(locked, { write: true })), 'EACCES', 'open', locked);
            expectIoError(await failure(() => appendFile(locked, '!')), 'EACCES', 'open', locked);
          }
        } finally {
          chmodSync(locked, 0o644);
        }
      },
    );

    it(
      isRoot
        ? 'as root, a directory without search permission can still be traversed'
        : 'a path through a directory without search permission fails with EACCES',
      async () => {
        const closed = join(dir, 'no-search');
        mkdirSync(closed);
        writeFileSync(join(closed, 'inside'), 'in');
        chmodSync(closed, 0o000);
        try {
          if (isRoot) {
            expect((await run(stat(join(closed, 'inside')))).size).toBe(2);
            expect(await run(exists(join(closed, 'inside')))).toBe(true);
          } else {
            const inside = join(closed, 'inside');
            expectIoError(await failure(() => stat(inside)), 'EACCES', 'stat', inside);
            expectIoError(await failure(() => readFile(inside)), 'EACCES', 'open', inside);
            // Rust's try_exists: only "not found" is an answer; EACCES is thrown.
            expectIoError(await failure(() => exists(inside)), 'EACCES', 'stat', inside);
          }
        } finally {
          chmodSync(closed, 0o755);
        }
      },
    );
  });

  describe('EISDIR: a directory where a file is needed', () => {
    it('readFile and readToString of a directory', async () => {
      expectIoError(await failure(() => readFile(sub)), 'EISDIR', 'read', sub);
      expectIoError(await failure(() => readToString(sub)), 'EISDIR', 'read', sub);
    });

    it('opening a directory for writing or appending, and writeFile/appendFile onto one', async () => {
      expectIoError(await failure(() => File.open(sub, { write: true })), 'EISDIR', 'open', sub);
      expectIoError(await failure(() => File.open(sub, 'a')), 'EISDIR', 'open', sub);
      expectIoError(await failure(() => File.create(sub)), 'EISDIR', 'open', sub);
      expectIoError(await failure(() => writeFile(sub, 'x')), 'EISDIR', 'open', sub);
      expectIoError(await failure(() => appendFile(sub, 'x')), 'EISDIR', 'open', sub);
    });

    it('remove and copy of a directory', async () => {
      expectIoError(await failure(() => remove(sub)), 'EISDIR', 'unlink', sub);
      expectIoError(await failure(() => copy(sub, join(dir, 'copied'))), 'EISDIR', 'copyfile', sub);
      expect(existsSync(sub)).toBe(true);
    });

    it('reads from a directory opened read-only', async () => {
      const d = await run(File.open(sub));
      try {
        expectIoError(await failure(() => d.read(10)), 'EISDIR', 'read', sub);
        expectIoError(await failure(() => d.readAt(0, 10)), 'EISDIR', 'read', sub);
        expectIoError(await failure(() => d.readExact(4, 0)), 'EISDIR', 'read', sub);
        expectIoError(await failure(() => d.readExact(200_000)), 'EISDIR', 'read', sub); // at the offset: one op at a time
      } finally {
        await run(d.close());
      }
    });
  });

  describe('ENOTDIR: a path through a file, or a file where a directory is needed', () => {
    const through = () => join(file, 'x');
    const cases: [string, (p: string) => Future<unknown>, () => string, string][] = [
      ['readFile through a file', (p) => readFile(p), through, 'open'],
      ['File.open for writing through a file', (p) => File.open(p, 'w'), through, 'open'],
      ['stat through a file', (p) => stat(p), through, 'stat'],
      ['createDir through a file', (p) => createDir(p), through, 'mkdir'],
      ['createDirAll through a file', (p) => createDirAll(join(p, 'y')), through, 'mkdir'],
      ['removeDir of a file', (p) => removeDir(p), () => file, 'rmdir'],
      ['removeDirAll of a file', (p) => removeDirAll(p), () => file, 'scandir'],
      ['readDir of a file', (p) => readDir(p), () => file, 'scandir'],
    ];

    it.each(cases)('%s fails with ENOTDIR', async (name, make, path, syscall) => {
      const p = path();
      const error = await failure(() => make(p));
      expectIoError(error, 'ENOTDIR', syscall, name.startsWith('createDirAll') ? join(p, 'y') : p);
      expect(readFileSync(file, 'utf8')).toBe('hello');
    });

    it('exists through a file answers false', async () => {
      expect(await run(exists(join(file, 'x')))).toBe(false);
    });
  });

  describe('EEXIST and ENOTEMPTY', () => {
    it('createNew (and wx) on an existing file leaves it alone', async () => {
      expectIoError(await failure(() => File.open(file, { write: true, createNew: true })), 'EEXIST', 'open', file);
      expectIoError(await failure(() => File.open(file, 'wx')), 'EEXIST', 'open', file);
      expectIoError(await failure(() => File.open(file, 'ax+')), 'EEXIST', 'open', file);
      expect(readFileSync(file, 'utf8')).toBe('hello');
    });

    it('createNew does not follow a final symlink, even a dangling one', async () => {
      const link = join(dir, 'dangling');
      await run(symlink('nowhere', link));
      expectIoError(await failure(() => File.open(link, { write: true, createNew: true })), 'EEXIST', 'open', link);
      expect(existsSync(join(dir, 'nowhere'))).toBe(false);
    });

    it('createDir on an existing directory or file, createDirAll on a file', async () => {
      expectIoError(await failure(() => createDir(sub)), 'EEXIST', 'mkdir', sub);
      expectIoError(await failure(() => createDir(file)), 'EEXIST', 'mkdir', file);
      expectIoError(await failure(() => createDirAll(file)), 'EEXIST', 'mkdir', file);
      await run(createDirAll(sub)); // mkdir -p of an existing directory succeeds
    });

    it('symlink and hardLink onto an existing name', async () => {
      expectIoError(await failure(() => symlink('file', sub)), 'EEXIST', 'symlink', sub);
      expectIoError(await failure(() => hardLink(file, sub)), 'EEXIST', 'link', file);
    });

    it('removeDir and rename onto a non-empty directory', async () => {
      expectIoError(await failure(() => removeDir(sub)), 'ENOTEMPTY', 'rmdir', sub);
      const empty = join(dir, 'empty');
      mkdirSync(empty);
      expectIoError(await failure(() => rename(empty, sub)), 'ENOTEMPTY', 'rename', empty);
      expect(existsSync(join(sub, 'child'))).toBe(true);
    });
  });

  describe('bad open options are refused at the call, with nothing opened or created', () => {
    const value = 'ERR_INVALID_ARG_VALUE' as const;
    const type = 'ERR_INVALID_ARG_TYPE' as const;
    const cases: [string, unknown, typeof value | typeof type][] = [
      ['truncate without write', { read: true, truncate: true }, value],
      ['create without write', { read: true, create: true }, value],
      ['createNew without write', { read: true, createNew: true }, value],
      ['append with truncate', { append: true, truncate: true }, value],
      ['append with truncate and create', { append: true, truncate: true, create: true }, value],
      ['none of read, write, append', {}, value],
      ['an unknown flag string', 'rw', value],
      ['an unknown option key', { read: true, exclusive: true }, value],
      ['a mode out of range', { write: true, create: true, mode: 0o10000 }, value],
      ['a fractional mode', { write: true, create: true, mode: 1.5 }, value],
      ['a non-boolean read', { read: 'yes' }, type],
      ['a non-boolean create', { write: true, create: 1 }, type],
      ['null options', null, type],
      ['numeric options', 0o644, type],
    ];

    it.each(cases)('%s', (_, options, code) => {
      const path = join(dir, 'never-created');
      const error = thrownBy(() => File.open(path, options as never));
      expectArgumentError(error, code, 'options', (error as FsArgumentError).path);
      expect((error as Error).message).toMatch(/^File\.open: /);
      expect(existsSync(path)).toBe(false);
    });

    it('writeFile and appendFile refuse a bad mode the same way', () => {
      const path = join(dir, 'never-created');
      const bad = [
        thrownBy(() => writeFile(path, 'x', { mode: -1 })),
        thrownBy(() => appendFile(path, 'x', { mode: 0o10000 })),
      ];
      for (const error of bad) expectArgumentError(error, value, 'options', (error as FsArgumentError).path);
      expect(existsSync(path)).toBe(false);
    });

    // FsArgumentError.path is "the path the call was about, when it had one": File.open, writeFile, appendFile and
    // symlink all had one.
    it('each of these errors names the path the call was about', () => {
      const path = join(dir, 'never-created');
      const errors = [
        ...cases.map(([, options]) => thrownBy(() => File.open(path, options as never))),
        thrownBy(() => writeFile(path, 'x', { mode: -1 })),
        thrownBy(() => appendFile(path, 'x', { mode: 0o10000 })),
        thrownBy(() => symlink('a\0b', path)),
      ];
      expect(errors.map((e) => (e as FsArgumentError).path)).toEqual(errors.map(() => path));
    });
  });

  describe('a closed File', () => {
    const calls: [string, (f: File) => Future<unknown>, string][] = [
      ['read', (f) => f.read(4), 'read'],
      ['readAt', (f) => f.readAt(0, 4), 'read'],
      ['readInto', (f) => f.readInto(new Uint8Array(4)), 'read'],
      ['readExact', (f) => f.readExact(4, 0), 'read'],
      ['readv', (f) => f.readv([new Uint8Array(2)]), 'readv'],
      ['write', (f) => f.write('x'), 'write'],
      ['writeAt', (f) => f.writeAt('x', 0), 'write'],
      ['writeAll', (f) => f.writeAll('x'), 'write'],
      ['writev', (f) => f.writev(['x']), 'writev'],
      ['sync', (f) => f.sync(), 'fsync'],
      ['datasync', (f) => f.datasync(), 'fdatasync'],
      ['stat', (f) => f.stat(), 'fstat'],
      ['setLen', (f) => f.setLen(0), 'ftruncate'],
    ];

    it.each(calls)('%s fails with EBADF, its syscall and the path', async (_, call, syscall) => {
      const path = join(dir, 'closed.txt');
      const f = await run(File.open(path, { read: true, write: true, create: true }));
      await run(f.close());
      expect(f.closed).toBe(true);
      expect(f.fd).toBe(-1);
      expectIoError(await failure(() => call(f)), 'EBADF', syscall, path);
    });

    it('readOwned and writeOwned fail with EBADF too', async () => {
      const path = join(dir, 'closed.txt');
      const f = await run(File.open(path, { read: true, write: true, create: true }));
      await run(f.close());
      const pool = f.bufferPool;
      const buf = pool.acquire(16);
      try {
        expectIoError(await failure(() => f.readOwned(buf, 0)), 'EBADF', 'read', path);
        expectIoError(await failure(() => f.writeOwned(buf, 1, 0)), 'EBADF', 'write', path);
      } finally {
        if (buf.inUse) pool.release(buf);
      }
    });

    it('close twice is fine, and the second close does not close the fd number reused since', async () => {
      const a = await run(File.open(file));
      const fd = a.fd;
      await run(a.close());
      const b = await run(File.open(file));
      try {
        expect(b.fd).toBe(fd); // open(2) takes the lowest free number: the one `a` had
        await expect(run(a.close())).resolves.toBeUndefined();
        a[Symbol.dispose]();
        await a[Symbol.asyncDispose]();
        expect(a.fd).toBe(-1);
        expect((await run(b.readAt(0, 5))).toString()).toBe('hello');
      } finally {
        await run(b.close());
      }
    });
  });

  describe('bad paths', () => {
    const nul = () => join(dir, 'bad\0name');
    const ok = () => join(dir, 'fine');
    const cases: [string, () => unknown, string][] = [
      ['readFile', () => readFile(nul()), 'path'],
      ['readToString', () => readToString(nul()), 'path'],
      ['writeFile', () => writeFile(nul(), 'x'), 'path'],
      ['appendFile', () => appendFile(nul(), 'x'), 'path'],
      ['File.open', () => File.open(nul()), 'path'],
      ['File.create', () => File.create(nul()), 'path'],
      ['stat', () => stat(nul()), 'path'],
      ['lstat', () => lstat(nul()), 'path'],
      ['exists', () => exists(nul()), 'path'],
      ['remove', () => remove(nul()), 'path'],
      ['removeDir', () => removeDir(nul()), 'path'],
      ['removeDirAll', () => removeDirAll(nul()), 'path'],
      ['createDir', () => createDir(nul()), 'path'],
      ['createDirAll', () => createDirAll(nul()), 'path'],
      ['readDir', () => readDir(nul()), 'path'],
      ['readLink', () => readLink(nul()), 'path'],
      ['canonicalize', () => canonicalize(nul()), 'path'],
      ['setPermissions', () => setPermissions(nul(), 0o644), 'path'],
      ['symlink', () => symlink('target', nul()), 'path'],
      ['rename from', () => rename(nul(), ok()), 'from'],
      ['rename to', () => rename(ok(), nul()), 'to'],
      ['copy from', () => copy(nul(), ok()), 'from'],
      ['copy to', () => copy(ok(), nul()), 'to'],
      ['hardLink existing', () => hardLink(nul(), ok()), 'existing'],
      ['hardLink link', () => hardLink(ok(), nul()), 'link'],
    ];

    it.each(cases)('%s refuses a path with a NUL byte at the call', (_, call, argument) => {
      const error = thrownBy(call);
      expectArgumentError(error, 'ERR_INVALID_ARG_VALUE', argument, nul());
      expect((error as Error).message).toContain('NUL');
    });

    it('a symlink target with a NUL byte is refused, naming the target', () => {
      const link = join(dir, 'link');
      const error = thrownBy(() => symlink('a\0b', link));
      expectArgumentError(error, 'ERR_INVALID_ARG_VALUE', 'target', (error as FsArgumentError).path);
      expect(existsSync(link)).toBe(false);
    });

    it('a path that is not a string or file: URL is ERR_INVALID_ARG_TYPE; an http: URL ERR_INVALID_ARG_VALUE', () => {
      expectArgumentError(
        thrownBy(() => readFile(42 as never)),
        'ERR_INVALID_ARG_TYPE',
        'path',
        undefined,
      );
      expectArgumentError(
        thrownBy(() => readFile(new URL('http://example.com/x'))),
        'ERR_INVALID_ARG_VALUE',
        'path',
        undefined,
      );
    });
  });

  describe('bad lengths and positions are refused at the call', () => {
    let f: File;
    const path = () => join(dir, 'lengths.bin');
    beforeAll(async () => {
      f = await run(File.open(path(), { read: true, write: true, create: true }));
    });
    afterAll(() => run(f.close()));

    const cases: [string, (f: File) => unknown, string][] = [
      ['read(-1)', (f) => f.read(-1), 'length'],
      ['read(1.5)', (f) => f.read(1.5), 'length'],
      ['read(NaN)', (f) => f.read(NaN), 'length'],
      ['readAt(-1, 1)', (f) => f.readAt(-1, 1), 'position'],
      ['readAt(0.5, 1)', (f) => f.readAt(0.5, 1), 'position'],
      ['readAt(0, -1)', (f) => f.readAt(0, -1), 'length'],
      ['readAt(0, Infinity)', (f) => f.readAt(0, Infinity), 'length'],
      ['readExact(-1)', (f) => f.readExact(-1), 'length'],
      ['readExact(1, -2)', (f) => f.readExact(1, -2), 'position'],
      ['readExact(1, 1.5)', (f) => f.readExact(1, 1.5), 'position'],
      ['readInto at offset -1', (f) => f.readInto(new Uint8Array(4), { offset: -1 }), 'offset'],
      ['readInto past the target', (f) => f.readInto(new Uint8Array(4), { offset: 2, length: 3 }), 'length'],
      ['readInto at position -1', (f) => f.readInto(new Uint8Array(4), { position: -1 }), 'position'],
      ['readv at position 2.5', (f) => f.readv([new Uint8Array(2)], 2.5), 'position'],
      ['write at position -1', (f) => f.write('x', -1), 'position'],
      ['writeAt(-1)', (f) => f.writeAt('x', -1), 'position'],
      ['writeAt(0.5)', (f) => f.writeAt('x', 0.5), 'position'],
      ['writeAll at position -3', (f) => f.writeAll('x', -3), 'position'],
      ['writev at position 0.5', (f) => f.writev(['x'], 0.5), 'position'],
      ['setLen(-1)', (f) => f.setLen(-1), 'length'],
      ['setLen(1.5)', (f) => f.setLen(1.5), 'length'],
    ];

    it.each(cases)('%s', (_, call, argument) => {
      expectArgumentError(
        thrownBy(() => call(f)),
        'ERR_INVALID_ARG_VALUE',
        argument,
        path(),
      );
    });

    it('readOwned and writeOwned refuse bad positions and lengths', () => {
      const pool = f.bufferPool;
      const buf = pool.acquire(16);
      try {
        expectArgumentError(
          thrownBy(() => f.readOwned(buf, -2)),
          'ERR_INVALID_ARG_VALUE',
          'position',
          path(),
        );
        expectArgumentError(
          thrownBy(() => f.readOwned(buf, 1.5)),
          'ERR_INVALID_ARG_VALUE',
          'position',
          path(),
        );
        expectArgumentError(
          thrownBy(() => f.writeOwned(buf, -1)),
          'ERR_INVALID_ARG_VALUE',
          'length',
          path(),
        );
      } finally {
        if (buf.inUse) pool.release(buf);
      }
    });

    it('a length or position of the wrong type is ERR_INVALID_ARG_TYPE', () => {
      expectArgumentError(
        thrownBy(() => f.read('5' as never)),
        'ERR_INVALID_ARG_TYPE',
        'length',
        path(),
      );
      expectArgumentError(
        thrownBy(() => f.readAt('0' as never, 1)),
        'ERR_INVALID_ARG_TYPE',
        'position',
        path(),
      );
      expectArgumentError(
        thrownBy(() => f.setLen(10n as never)),
        'ERR_INVALID_ARG_TYPE',
        'length',
        path(),
      );
    });

    it('data of the wrong type is ERR_INVALID_ARG_TYPE', () => {
      expectArgumentError(
        thrownBy(() => f.write(42 as never)),
        'ERR_INVALID_ARG_TYPE',
        'data',
        path(),
      );
      expectArgumentError(
        thrownBy(() => writeFile(path(), 42 as never)),
        'ERR_INVALID_ARG_TYPE',
        'data',
        path(),
      );
    });
  });

  describe('readExact past the end of the file', () => {
    it.each([
      ['at a position, short', 10, 0, 5],
      ['at a position past the end', 1, 100, 0],
      ['long, at a position', 200_000, 0, 5],
    ])('%s: UnexpectedEofError with what was wanted and what there was', async (_, length, position, got) => {
      const f = await run(File.open(file));
      try {
        const error = await failure(() => f.readExact(length, position));
        expect(error).toBeInstanceOf(UnexpectedEofError);
        expect(error).toBeInstanceOf(ZokioError);
        expect(error).toMatchObject({ code: 'ERR_ZOKIO_UNEXPECTED_EOF', expected: length, got, path: file });
      } finally {
        await run(f.close());
      }
    });

    it('at the offset, after a read moved it', async () => {
      const f = await run(File.open(file));
      try {
        expect((await run(f.read(3))).toString()).toBe('hel');
        const error = await failure(() => f.readExact(5));
        expect(error).toBeInstanceOf(UnexpectedEofError);
        expect(error).toMatchObject({ code: 'ERR_ZOKIO_UNEXPECTED_EOF', expected: 5, got: 2, path: file });
      } finally {
        await run(f.close());
      }
    });
  });

  describe('long transfers that fail are one IoError', () => {
    // Transfers past 64 KiB run as several ops in flight at once; when each fails, the caller must still get the
    // typed error of the first, not an aggregate of all of them.
    it('readAt, readExact and readInto of more than 64 KiB on a write-only file: EBADF', async () => {
      const path = join(dir, 'write-only.bin');
      writeFileSync(path, Buffer.alloc(300_000, 1));
      const f = await run(File.open(path, { write: true }));
      try {
        expectIoError(await failure(() => f.readAt(0, 200_000)), 'EBADF', 'read', path);
        expectIoError(await failure(() => f.readExact(200_000, 0)), 'EBADF', 'read', path);
        const target = new Uint8Array(200_000);
        expectIoError(await failure(() => f.readInto(target, { position: 0 })), 'EBADF', 'read', path);
        expect(target.every((b) => b === 0)).toBe(true);
      } finally {
        await run(f.close());
      }
    });

    it('readAt and readExact of more than 64 KiB at a position from a directory: EISDIR', async () => {
      const d = await run(File.open(sub));
      try {
        expectIoError(await failure(() => d.readAt(0, 200_000)), 'EISDIR', 'read', sub);
        expectIoError(await failure(() => d.readExact(200_000, 0)), 'EISDIR', 'read', sub);
      } finally {
        await run(d.close());
      }
    });

    it('writeAll of more than 64 KiB at a position on a read-only file: EBADF', async () => {
      const f = await run(File.open(file));
      try {
        expectIoError(await failure(() => f.writeAll(Buffer.alloc(200_000, 2), 0)), 'EBADF', 'write', file);
        expect(readFileSync(file, 'utf8')).toBe('hello');
      } finally {
        await run(f.close());
      }
    });
  });
});
