import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fn, toPromise } from '@zokio/future';

const copy = mkdtempSync(join(tmpdir(), 'zokio-future-copy-'));
cpSync(fileURLToPath(new URL('../src', import.meta.url)), copy, { recursive: true });
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('two copies of @zokio/future in one process', () => {
  it('a generator from one copy awaits a future from the other with yield*', async () => {
    // A second instance of the module, as an ESM and a CJS build (or two installed versions) would give.
    const other = (await import(join(copy, 'index.ts'))) as typeof import('@zokio/future');
    expect(other.ready).not.toBe((await import('@zokio/future')).ready);
    const viaOther = fn(function* () {
      const a = yield* other.ready(20);
      const b = yield* other.fn(function* () {
        return (yield* other.yieldNow(), 1);
      })();
      return a + b;
    });
    expect(await toPromise(viaOther())).toBe(21);
    expect(await other.toPromise(viaOther())).toBe(21);
  });
});
