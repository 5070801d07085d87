/**
 * `zokio/testing`: the helpers for testing code on zokio — every I/O driver this machine has (`drivers`), a runtime
 * per driver (`runtimeOn`), temp dirs, fd counts, leak checks after shutdown, retrying a set-up through injected
 * faults — re-exported from `@zokio/runtime/testing`, so a program that installs only `zokio` reaches them too.
 *
 * @example
 * ```ts
 * // @no-run: a Vitest test file, run by `vitest`, not by `node`
 * import { describe, expect, it } from 'vitest';
 * import { readFile, writeFile } from 'zokio';
 * import { drivers, runtimeOn, tempDir } from 'zokio/testing';
 * describe.each(drivers)('on %s', (driver) => {
 *   const { run } = runtimeOn(driver);
 *   it('reads back what it wrote', async () => {
 *     const { dir, cleanup } = tempDir();
 *     await run(writeFile(`${dir}/a`, 'x'));
 *     expect((await run(readFile(`${dir}/a`))).toString()).toBe('x');
 *     cleanup();
 *   });
 * });
 * ```
 *
 * @module
 */
export * from '@zokio/runtime/testing';
