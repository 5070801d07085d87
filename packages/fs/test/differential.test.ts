/**
 * Differential test of `@zokio/fs` against `node:fs`: random command sequences run through zokio in one temp
 * directory and through `node:fs` (its sync API; one promise call) in another. After every command both sides must agree on the result
 * or on the error `code`; every zokio error must be a typed error about the path the command named. At the end of a
 * sequence both trees must hold the same names, types, file contents, link targets and link counts, no fd and no
 * pool buffer may be left behind.
 *
 * Names come from a small fixed set (`a`, `b`, `d`, `d/c`, `a/x`) so that collisions, missing parents, paths
 * through files and symlink loops happen often. One `File` (and one Node fd) may be open at a time, across commands,
 * so renames, removals and truncations happen under an open file.
 *
 * Where zokio's semantics differ from the nearest `node:fs` call on purpose, the Node side is a model of zokio's
 * documented behaviour, each marked `SEMANTICS:` below.
 */
import { createHash } from 'node:crypto';
import * as nfs from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Future } from '@zokio/future';
import {
  appendFile,
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
  stat,
  symlink,
  UnexpectedEofError,
  writeFile,
  type OpenFlags,
  type OpenOptions,
} from '@zokio/fs';
import { drivers, fdCount, runtimeOn, tempDir } from '@zokio/runtime/testing';

/** What one plain `File.read`/`File.write` moves at most (one pool buffer). */
const MAX_OP = 65536;

const NAMES = ['a', 'b', 'd', 'd/c', 'a/x'] as const;
type Name = (typeof NAMES)[number];
/** Symlink targets, relative to the link's directory: existing names, a missing one, and `c` (a loop as `d/c`). */
const TARGETS = ['a', 'b', 'd', 'c', 'zz'] as const;

interface Data {
  readonly length: number;
  readonly seed: number;
}
type Options = OpenOptions | OpenFlags;

type Cmd =
  | { readonly op: 'writeFile' | 'appendFile'; readonly path: Name; readonly data: Data }
  | {
      readonly op:
        | 'readFile'
        | 'readToString'
        | 'remove'
        | 'createDir'
        | 'createDirAll'
        | 'removeDir'
        | 'removeDirAll'
        | 'stat'
        | 'lstat'
        | 'exists'
        | 'readLink';
      readonly path: Name;
    }
  | { readonly op: 'readDir'; readonly path: Name | '.' }
  | { readonly op: 'rename' | 'copy' | 'hardLink'; readonly from: Name; readonly to: Name }
  | { readonly op: 'symlink'; readonly target: (typeof TARGETS)[number]; readonly path: Name }
  | { readonly op: 'open'; readonly path: Name; readonly options: Options }
  | { readonly op: 'writeAt'; readonly data: Data; readonly position: number }
  | { readonly op: 'write'; readonly data: Data }
  | { readonly op: 'writeAll'; readonly data: Data; readonly position: number | undefined }
  | { readonly op: 'readAt'; readonly position: number; readonly length: number }
  | { readonly op: 'read'; readonly length: number }
  | { readonly op: 'readExact'; readonly length: number; readonly position: number | undefined }
  | { readonly op: 'setLen'; readonly length: number }
  | { readonly op: 'fstat' | 'close' };

// ---- Generators ----------------------------------------------------------------------------------------------------

const name = fc.constantFrom(...NAMES);
const data: fc.Arbitrary<Data> = fc.record({
  length: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 64 }), weight: 8 },
    { arbitrary: fc.constantFrom(MAX_OP - 1, MAX_OP, MAX_OP + 1, 140_000), weight: 1 },
  ),
  seed: fc.integer({ min: 0, max: 255 }),
});
const position = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 80 }), weight: 6 },
  { arbitrary: fc.constantFrom(MAX_OP - 3, MAX_OP, 200_000), weight: 1 },
);
const length = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 80 }), weight: 6 },
  { arbitrary: fc.constantFrom(MAX_OP, MAX_OP + 1, 150_000), weight: 1 },
);
/** Any combination of the boolean options (many contradictory: zokio must refuse those), or a Node flag string. */
const options: fc.Arbitrary<Options> = fc.oneof(
  fc.record(
    {
      read: fc.boolean(),
      write: fc.boolean(),
      append: fc.boolean(),
      create: fc.boolean(),
      createNew: fc.boolean(),
      truncate: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  fc.constantFrom<OpenFlags>('r', 'r+', 'w', 'wx', 'w+', 'a', 'ax', 'a+'),
);

const command: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constantFrom('writeFile', 'appendFile'), path: name, data }), weight: 4 },
  {
    arbitrary: fc.record({
      op: fc.constantFrom(
        'readFile',
        'readToString',
        'remove',
        'createDir',
        'createDirAll',
        'removeDir',
        'removeDirAll',
        'stat',
        'lstat',
        'exists',
        'readLink',
      ),
      path: name,
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ op: fc.constant('readDir'), path: fc.constantFrom<Name | '.'>('.', 'd', 'a') }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constantFrom('rename', 'copy', 'hardLink'), from: name, to: name }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('symlink'), target: fc.constantFrom(...TARGETS), path: name }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('open'), path: name, options }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('writeAt'), data, position }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('write'), data }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant('writeAll'), data, position: fc.option(position, { nil: undefined }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('readAt'), position, length }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('read'), length }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant('readExact'), length, position: fc.option(position, { nil: undefined }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('setLen'), length }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constantFrom('fstat', 'close') }), weight: 1 },
);

/**
 * A prefix of a sequence: some of a small tree built through the commands under test (both sides), so that later
 * commands find files, directories and links more often than an empty directory would let them.
 */
const setup: fc.Arbitrary<Cmd[]> = fc.subarray<Cmd>([
  { op: 'createDir', path: 'd' },
  { op: 'writeFile', path: 'a', data: { length: 10, seed: 1 } },
  { op: 'writeFile', path: 'd/c', data: { length: 100, seed: 2 } },
  { op: 'symlink', target: 'a', path: 'b' },
]);
const sequence: fc.Arbitrary<Cmd[]> = fc
  .tuple(setup, fc.array(command, { minLength: 1, maxLength: 25 }))
  .map(([prefix, rest]) => [...prefix, ...rest]);

// ---- Shared helpers ------------------------------------------------------------------------------------------------

function bytes(d: Data): Buffer {
  const out = Buffer.allocUnsafe(d.length);
  for (let i = 0; i < d.length; i++) out[i] = (d.seed + i * 7 + (i >> 8)) & 0xff;
  return out;
}

/** Contents as length and digest: comparable, and short in a failure message. */
function digest(buf: Buffer): string {
  return `${buf.length}:${createHash('sha1').update(buf).digest('hex').slice(0, 16)}`;
}

interface StatLike {
  readonly size: number;
  readonly nlink: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

function describeStats(s: StatLike): { type: string; size: number; nlink: number } {
  const type = s.isFile() ? 'file' : s.isDirectory() ? 'directory' : s.isSymbolicLink() ? 'symlink' : 'other';
  return { type, size: s.size, nlink: s.nlink };
}

type Outcome = { readonly ok: unknown } | { readonly error: string };

const errnoOf = (code: string): number | undefined => (osConstants.errno as Record<string, number>)[code];

/** A thrown error's `code`, after checking that zokio threw one of its own typed errors about `path`. */
function zokioError(error: unknown, path: string | undefined): string {
  if (error instanceof IoError) {
    expect(error.path, `${error.message}: path`).toBe(path);
    expect(error.errno, `${error.message}: errno`).toBe(-errnoOf(error.code)!);
    expect(typeof error.syscall).toBe('string');
    return error.code;
  }
  if (error instanceof UnexpectedEofError) {
    expect(error.path).toBe(path);
    return error.code;
  }
  if (error instanceof FsArgumentError) {
    expect(error.argument).toBe('options');
    return error.code;
  }
  throw new Error(`Expected an IoError, UnexpectedEofError or FsArgumentError about ${path}, got ${String(error)}`, {
    cause: error,
  });
}

function nodeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') throw error;
  return code;
}

/** Node's error for a code the model raises itself. */
function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code, errno: -errnoOf(code)! });
}

/**
 * SEMANTICS: zokio refuses contradictory options (Rust's rules, see `open-options.ts`) with an `FsArgumentError`
 * before anything is opened, where `open(2)` would accept some of them (`O_RDONLY | O_TRUNC`). The model says
 * which; the Node side is then not called.
 */
function refusedOptions(o: OpenOptions): boolean {
  const writes = o.write === true || o.append === true;
  if (o.read !== true && !writes) return true;
  if (!writes && (o.create === true || o.createNew === true || o.truncate === true)) return true;
  return o.truncate === true && o.append === true;
}

/** `open(2)` flags for valid options, written out from the option names. */
function nodeFlags(o: OpenOptions): number {
  const c = nfs.constants;
  const writes = o.write === true || o.append === true;
  let flags = o.read === true ? (writes ? c.O_RDWR : c.O_RDONLY) : c.O_WRONLY;
  if (o.append === true) flags |= c.O_APPEND;
  if (o.createNew === true) flags |= c.O_CREAT | c.O_EXCL;
  else if (o.create === true) flags |= c.O_CREAT;
  if (o.truncate === true) flags |= c.O_TRUNC;
  return flags;
}

/** The whole tree under `root`, from `lstat`: what a sequence must leave identical on both sides. */
function snapshot(root: string, rel = ''): unknown[] {
  const out: unknown[] = [];
  for (const entry of nfs.readdirSync(join(root, rel)).sort()) {
    const path = rel === '' ? entry : `${rel}/${entry}`;
    const full = join(root, path);
    const st = nfs.lstatSync(full);
    if (st.isSymbolicLink()) out.push({ path, type: 'symlink', target: nfs.readlinkSync(full) });
    else if (st.isDirectory()) out.push({ path, type: 'directory' }, ...snapshot(root, path));
    else out.push({ path, type: 'file', nlink: st.nlink, contents: digest(nfs.readFileSync(full)) });
  }
  return out;
}

// ---- The two sides -------------------------------------------------------------------------------------------------

interface ZokioSide {
  readonly root: string;
  file: File | undefined;
}

interface NodeSide {
  readonly root: string;
  fd: number | undefined;
}

/** Runs `cmd` through `@zokio/fs`; returns the outcome, normalised. */
async function onZokio(cmd: Cmd, side: ZokioSide, run: <T>(f: Future<T>) => Promise<T>): Promise<Outcome> {
  const at = (p: string) => join(side.root, p);
  let errorPath: string | undefined;
  try {
    switch (cmd.op) {
      case 'writeFile':
      case 'appendFile':
        errorPath = at(cmd.path);
        await run((cmd.op === 'writeFile' ? writeFile : appendFile)(errorPath, bytes(cmd.data)));
        return { ok: undefined };
      case 'readFile':
        errorPath = at(cmd.path);
        return { ok: digest(await run(readFile(errorPath))) };
      case 'readToString':
        errorPath = at(cmd.path);
        return { ok: digest(Buffer.from(await run(readToString(errorPath)))) };
      case 'remove':
      case 'createDir':
      case 'createDirAll':
      case 'removeDir':
      case 'removeDirAll': {
        errorPath = at(cmd.path);
        const op = { remove, createDir, createDirAll, removeDir, removeDirAll }[cmd.op];
        await run(op(errorPath));
        return { ok: undefined };
      }
      case 'stat':
      case 'lstat':
        errorPath = at(cmd.path);
        return { ok: describeStats(await run((cmd.op === 'stat' ? stat : lstat)(errorPath))) };
      case 'exists':
        errorPath = at(cmd.path);
        return { ok: await run(exists(errorPath)) };
      case 'readLink':
        errorPath = at(cmd.path);
        return { ok: await run(readLink(errorPath)) };
      case 'readDir': {
        errorPath = at(cmd.path);
        const entries = await run(readDir(errorPath));
        for (const e of entries) expect(e.path).toBe(`${errorPath}/${e.name}`);
        return { ok: entries.map((e) => ({ name: e.name, type: e.type })) };
      }
      case 'rename':
      case 'copy':
      case 'hardLink': {
        errorPath = at(cmd.from);
        const op = { rename, copy, hardLink }[cmd.op];
        await run(op(errorPath, at(cmd.to)));
        return { ok: undefined };
      }
      case 'symlink':
        errorPath = at(cmd.path);
        await run(symlink(cmd.target, errorPath));
        return { ok: undefined };
      case 'open': {
        errorPath = at(cmd.path);
        if (side.file !== undefined) await run(side.file.close());
        side.file = undefined;
        const file = await run(File.open(errorPath, cmd.options));
        expect(file.path).toBe(errorPath);
        side.file = file;
        return { ok: 'opened' };
      }
      case 'close': {
        const file = side.file;
        if (file === undefined) return { ok: 'no file' };
        side.file = undefined;
        await run(file.close());
        expect(file.closed).toBe(true);
        return { ok: 'closed' };
      }
      default: {
        const file = side.file;
        if (file === undefined) return { ok: 'no file' };
        errorPath = file.path;
        switch (cmd.op) {
          case 'writeAt':
            return { ok: await run(file.writeAt(bytes(cmd.data), cmd.position)) };
          case 'write':
            return { ok: await run(file.write(bytes(cmd.data))) };
          case 'writeAll':
            await run(file.writeAll(bytes(cmd.data), cmd.position));
            return { ok: undefined };
          case 'readAt':
            return { ok: digest(await run(file.readAt(cmd.position, cmd.length))) };
          case 'read':
            return { ok: digest(await run(file.read(cmd.length))) };
          case 'readExact':
            return { ok: digest(await run(file.readExact(cmd.length, cmd.position))) };
          case 'setLen':
            await run(file.setLen(cmd.length));
            return { ok: undefined };
          case 'fstat':
            return { ok: describeStats(await run(file.stat())) };
        }
      }
    }
  } catch (error) {
    return { error: zokioError(error, errorPath) };
  }
}

/** Runs `cmd` through `node:fs` (or the model of zokio's semantics on top of it). */
async function onNode(cmd: Cmd, side: NodeSide): Promise<Outcome> {
  const at = (p: string) => join(side.root, p);
  try {
    switch (cmd.op) {
      case 'writeFile':
        nfs.writeFileSync(at(cmd.path), bytes(cmd.data));
        return { ok: undefined };
      case 'appendFile':
        nfs.appendFileSync(at(cmd.path), bytes(cmd.data));
        return { ok: undefined };
      case 'readFile':
        return { ok: digest(nfs.readFileSync(at(cmd.path))) };
      case 'readToString':
        return { ok: digest(Buffer.from(nfs.readFileSync(at(cmd.path), 'utf8'))) };
      case 'remove':
        nfs.unlinkSync(at(cmd.path));
        return { ok: undefined };
      case 'createDir':
        nfs.mkdirSync(at(cmd.path));
        return { ok: undefined };
      case 'createDirAll':
        // SEMANTICS: Node's recursive mkdir disagrees with itself under a dangling symlink (`a -> missing`, then
        // `a/x`): mkdirSync says ENOENT, the callback and promise versions ENOTDIR. zokio documents `mkdir -p` on the
        // thread pool, i.e. the asynchronous one, so that is the reference.
        await nfs.promises.mkdir(at(cmd.path), { recursive: true });
        return { ok: undefined };
      case 'removeDir':
        nfs.rmdirSync(at(cmd.path));
        return { ok: undefined };
      case 'removeDirAll': {
        // SEMANTICS: `rm -r` removes a file too; zokio's removeDirAll (Rust's remove_dir_all) refuses anything that
        // is not a directory (after following a final symlink, whose link alone it then removes) with ENOTDIR, and
        // a missing path with ENOENT.
        if (!nfs.statSync(at(cmd.path)).isDirectory()) throw errnoError('ENOTDIR');
        nfs.rmSync(at(cmd.path), { recursive: true });
        return { ok: undefined };
      }
      case 'stat':
        return { ok: describeStats(nfs.statSync(at(cmd.path))) };
      case 'lstat':
        return { ok: describeStats(nfs.lstatSync(at(cmd.path))) };
      case 'exists': {
        // SEMANTICS: existsSync answers false for every failure; zokio's exists (Rust's try_exists) answers false
        // only when the path is missing (ENOENT, ENOTDIR) and throws the rest (ELOOP from a symlink loop).
        const answer = nfs.existsSync(at(cmd.path));
        if (!answer) {
          try {
            nfs.statSync(at(cmd.path));
          } catch (error) {
            const code = nodeError(error);
            if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
          }
        }
        return { ok: answer };
      }
      case 'readLink':
        return { ok: nfs.readlinkSync(at(cmd.path)) };
      case 'readDir': {
        const entries = nfs.readdirSync(at(cmd.path), { withFileTypes: true });
        const typeOf = (d: nfs.Dirent) =>
          d.isFile() ? 'file' : d.isDirectory() ? 'directory' : d.isSymbolicLink() ? 'symlink' : 'other';
        return {
          ok: entries
            .map((d) => ({ name: d.name, type: typeOf(d) }))
            .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
        };
      }
      case 'rename':
        nfs.renameSync(at(cmd.from), at(cmd.to));
        return { ok: undefined };
      case 'copy':
        nfs.copyFileSync(at(cmd.from), at(cmd.to));
        return { ok: undefined };
      case 'hardLink':
        nfs.linkSync(at(cmd.from), at(cmd.to));
        return { ok: undefined };
      case 'symlink':
        nfs.symlinkSync(cmd.target, at(cmd.path));
        return { ok: undefined };
      case 'open': {
        if (side.fd !== undefined) nfs.closeSync(side.fd);
        side.fd = undefined;
        const o = cmd.options;
        if (typeof o !== 'string' && refusedOptions(o)) return { error: 'ERR_INVALID_ARG_VALUE' };
        side.fd = nfs.openSync(at(cmd.path), typeof o === 'string' ? o : nodeFlags(o), 0o666);
        return { ok: 'opened' };
      }
      case 'close': {
        const fd = side.fd;
        if (fd === undefined) return { ok: 'no file' };
        side.fd = undefined;
        nfs.closeSync(fd);
        return { ok: 'closed' };
      }
      default: {
        const fd = side.fd;
        if (fd === undefined) return { ok: 'no file' };
        switch (cmd.op) {
          case 'writeAt':
          case 'write': {
            // SEMANTICS: File.write/writeAt is one op through one pool buffer: it writes at most 64 KiB and returns
            // the count (writeAll writes everything); Node's writeSync hands the kernel everything at once.
            const buf = bytes(cmd.data).subarray(0, MAX_OP);
            return { ok: nfs.writeSync(fd, buf, 0, buf.length, cmd.op === 'writeAt' ? cmd.position : null) };
          }
          case 'writeAll': {
            const buf = bytes(cmd.data);
            for (let done = 0; done < buf.length;) {
              const at = cmd.position === undefined ? null : cmd.position + done;
              done += nfs.writeSync(fd, buf, done, buf.length - done, at);
            }
            return { ok: undefined };
          }
          case 'readAt': {
            const buf = Buffer.alloc(cmd.length);
            return { ok: digest(buf.subarray(0, nfs.readSync(fd, buf, 0, cmd.length, cmd.position))) };
          }
          case 'read': {
            // SEMANTICS: File.read is one op of at most 64 KiB at the fd's offset.
            const want = Math.min(cmd.length, MAX_OP);
            const buf = Buffer.alloc(want);
            return { ok: digest(buf.subarray(0, nfs.readSync(fd, buf, 0, want, null))) };
          }
          case 'readExact': {
            const buf = Buffer.alloc(cmd.length);
            let done = 0;
            while (done < cmd.length) {
              const at = cmd.position === undefined ? null : cmd.position + done;
              const n = nfs.readSync(fd, buf, done, cmd.length - done, at);
              if (n === 0) break;
              done += n;
            }
            if (done < cmd.length) return { error: 'ERR_ZOKIO_UNEXPECTED_EOF' };
            return { ok: digest(buf) };
          }
          case 'setLen':
            nfs.ftruncateSync(fd, cmd.length);
            return { ok: undefined };
          case 'fstat':
            return { ok: describeStats(nfs.fstatSync(fd)) };
        }
      }
    }
  } catch (error) {
    return { error: nodeError(error) };
  }
}

// ---- The property --------------------------------------------------------------------------------------------------

describe.each(drivers)('@zokio/fs and node:fs agree on %s', (driver) => {
  const { rt, run } = runtimeOn(driver);
  let base: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir: base, cleanup } = tempDir('zokio-fs-diff-')));
  afterAll(async () => {
    await rt.shutdown();
    cleanup();
  });

  it('after every command of random sequences, and in the trees they leave', async () => {
    await run(stat(base)); // the driver opens its own fds (a ring, an eventfd) and arenas on first use
    const pool = rt.io!.pool;
    const fds = fdCount();
    const inUse = pool.stats().inUseBytes;
    /**
     * Waits for ops that zokio cancelled without waiting (the other half of a failed `tryJoin`) to complete: their
     * buffers and fds are given back when they do. Each `stat` is a round trip through the driver.
     */
    const quiesce = async () => {
      for (let i = 0; i < 100 && (fdCount() !== fds || pool.stats().inUseBytes !== inUse); i++) await run(stat(base));
    };
    let runs = 0;
    let commands = 0;
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(sequence, async (cmds) => {
        const id = runs++;
        const z: ZokioSide = { root: join(base, `z${id}`), file: undefined };
        const n: NodeSide = { root: join(base, `n${id}`), fd: undefined };
        nfs.mkdirSync(z.root);
        nfs.mkdirSync(n.root);
        try {
          for (const [i, cmd] of cmds.entries()) {
            const zo = await onZokio(cmd, z, run);
            const no = await onNode(cmd, n);
            expect(zo, `command ${i}: ${JSON.stringify(cmd)}`).toEqual(no);
            commands++;
            if ('error' in zo) failures++;
          }
          expect(snapshot(z.root)).toEqual(snapshot(n.root));
        } finally {
          if (z.file !== undefined) await run(z.file.close());
          if (n.fd !== undefined) nfs.closeSync(n.fd);
        }
        await quiesce();
        expect(fdCount(), 'fds left open').toBe(fds);
        expect(pool.stats().inUseBytes, 'pool bytes left in use').toBe(inUse);
        nfs.rmSync(z.root, { recursive: true, force: true });
        nfs.rmSync(n.root, { recursive: true, force: true });
      }),
      { numRuns: 100 },
    );
    // The sequences did exercise both outcomes.
    expect(commands).toBeGreaterThan(100);
    expect(failures).toBeGreaterThan(10);
    expect(failures).toBeLessThan(commands);
  });
});
