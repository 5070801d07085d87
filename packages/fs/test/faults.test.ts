/**
 * `@zokio/fs` under injected I/O faults (#9), on every driver and several seeds: failed submissions (`EINTR`,
 * `EAGAIN`, `ENOMEM`), short reads and writes, delayed and reordered completions. Every operation either completes
 * correctly — what was written reads back byte for byte (SHA-256) — or fails with a typed `IoError` naming an errno
 * the injector can produce; no task hangs (each run is bounded), and nothing leaks: no fd, no pool buffer, no task.
 *
 * Reproduce a failing seed with `ZOKIO_IO_FAULTS=seed=N,rate=R` on any program, or the options below.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fn, join as joinAll, type Future } from '@zokio/future';
import { copy, File, IoError, readDir, readFile, remove, rename, stat, writeFile } from '@zokio/fs';
import { Runtime } from '@zokio/runtime';
import { spawn } from '@zokio/scheduler';
import { drivers, NOTHING_LEFT, shutDownAndCount, steadyFdCount, tempDir } from '@zokio/runtime/testing';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** What the injector fails file ops with (and nothing else may fail here). */
const INJECTED = new Set(['EINTR', 'EAGAIN', 'ENOMEM']);

/** The outcome of one operation: `'ok'`, or the code of the typed error it failed with. */
type Outcome = string;

/** Runs `op`, turning a typed I/O error into its code; anything else (an untyped error, a wrong value) throws. */
const attempt = fn(function* (op: Future<void>) {
  try {
    yield* op;
    return 'ok';
  } catch (error) {
    if (!(error instanceof IoError)) throw error;
    return error.code;
  }
});

describe.each(drivers)('@zokio/fs under injected faults (%s)', (driver) => {
  it.each([1, 2, 3])(
    'seed %i: every file op completes correctly or fails typed; nothing leaks',
    async (seed) => {
      const dir = tempDir('zokio-fs-faults-');
      const fdsBefore = await steadyFdCount(); // the previous test's fds may still be closing
      const rt = Runtime.create({ io: driver, ioFaults: { seed, rate: 0.15, maxDelayMs: 2 } });
      // The tree ops work on files written beforehand (without faults), so each starts from a known state.
      const tree = join(dir.dir, 'tree');
      mkdirSync(tree);
      const treeFiles = ['a', 'b', 'c', 'd'].map((name) => join(tree, `${name}.bin`));
      const treeData = randomBytes(150_000);
      for (const path of treeFiles) writeFileSync(path, treeData);
      const files = Array.from({ length: 24 }, (_, i) => ({
        path: join(dir.dir, `f${i}.bin`),
        data: randomBytes(1 + ((i * 7919) % (200 * 1024))),
      }));
      const outcomes = await rt.blockOn(
        fn(function* () {
          const results: Outcome[] = [];
          // Whole-file helpers, concurrently: write, read back, compare.
          const roundTrips = files.map(({ path, data }) =>
            spawn(
              fn(function* () {
                const wrote = yield* attempt(writeFile(path, data));
                if (wrote !== 'ok') return [wrote];
                let back: Buffer | undefined;
                const read = yield* attempt(
                  fn(function* () {
                    back = yield* readFile(path);
                  })(),
                );
                if (read === 'ok') expect(sha(back!)).toBe(sha(data));
                return [wrote, read];
              })(),
            ),
          );
          for (const handle of roundTrips) results.push(...(yield* handle));
          // The File API: positional writes in pieces, then readExact and readAt loops over them.
          for (const { path, data } of files.slice(0, 8)) {
            const out = yield* attempt(
              fn(function* () {
                using file = yield* File.open(`${path}.copy`, {
                  read: true,
                  write: true,
                  create: true,
                  truncate: true,
                });
                for (let at = 0; at < data.length; at += 65_536)
                  yield* file.writeAll(data.subarray(at, Math.min(data.length, at + 65_536)), at);
                yield* file.sync();
                const whole = yield* file.readExact(data.length, 0);
                expect(sha(whole)).toBe(sha(data));
                const parts: Buffer[] = [];
                for (let at = 0; at < data.length;) {
                  const part = yield* file.readAt(at, 10_000);
                  expect(part.length).toBeGreaterThan(0); // a short read, never a false EOF
                  parts.push(part);
                  at += part.length;
                }
                expect(sha(Buffer.concat(parts))).toBe(sha(data));
              })(),
            );
            results.push(out);
            // What reached the disk is what was written, whatever the ops in between went through.
            if (out === 'ok') expect(sha(readFileSync(`${path}.copy`))).toBe(sha(data));
          }
          // Tree ops.
          const [copied, listed] = yield* joinAll(
            attempt(copy(treeFiles[0]!, join(dir.dir, 'copied.bin'))),
            attempt(
              fn(function* () {
                expect((yield* readDir(tree)).map((e) => e.name).sort()).toEqual(['a.bin', 'b.bin', 'c.bin', 'd.bin']);
              })(),
            ),
          );
          results.push(copied, listed);
          if (copied === 'ok') expect(sha(readFileSync(join(dir.dir, 'copied.bin')))).toBe(sha(treeData));
          results.push(yield* attempt(rename(treeFiles[1]!, join(tree, 'renamed.bin'))));
          results.push(
            yield* attempt(
              fn(function* () {
                expect((yield* stat(treeFiles[2]!)).size).toBe(treeData.length);
              })(),
            ),
          );
          results.push(yield* attempt(remove(treeFiles[3]!)));
          return results;
        })(),
      );
      // Only the injected errnos, and (with enough ops) both outcomes.
      for (const outcome of outcomes) if (outcome !== 'ok') expect(INJECTED.has(outcome), outcome).toBe(true);
      expect(outcomes).toContain('ok');
      const stats = rt.metrics().ioFaults!;
      expect(stats.total).toBeGreaterThan(0);
      expect(rt.metrics().alive).toBe(0);
      expect(rt.metrics().timers!.pending).toBe(0);
      expect(rt.io!.pool.stats().inUseBytes).toBe(0);
      expect(await shutDownAndCount(rt, fdsBefore)).toEqual(NOTHING_LEFT);
      dir.cleanup();
    },
    30_000,
  );
});
