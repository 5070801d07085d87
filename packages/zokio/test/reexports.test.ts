import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as future from '@zokio/future';
import * as runtime from '@zokio/runtime';
import * as scheduler from '@zokio/scheduler';
import * as io from '@zokio/io-driver';
import * as memory from '@zokio/memory';
import * as sync from '@zokio/sync';
import * as time from '@zokio/time';
import * as zokio from 'zokio';
import * as runtimeTesting from '@zokio/runtime/testing';
import * as testing from 'zokio/testing';

describe('zokio meta-package', () => {
  it('re-exports every export of every layer, as the same binding', () => {
    for (const layer of [future, scheduler, runtime, time, sync, memory, io]) {
      for (const [name, value] of Object.entries(layer)) expect(zokio[name as keyof typeof zokio], name).toBe(value);
    }
  });

  it('re-exports the testing helpers as zokio/testing', () => {
    expect(Object.keys(testing).sort()).toEqual(Object.keys(runtimeTesting).sort());
    for (const [name, value] of Object.entries(runtimeTesting)) {
      expect(testing[name as keyof typeof testing], name).toBe(value);
    }
  });

  it('runs a program end to end through the meta-package alone', async () => {
    const out = await zokio.main(function* () {
      const h = zokio.spawn(
        zokio.fn(function* () {
          yield* zokio.yieldNow();
          return 'via zokio';
        })(),
      );
      return yield* h;
    });
    expect(out).toBe('via zokio');
  });
});

describe('the built packages', () => {
  it('keep their class names: an error built from dist is named ZokioError, JoinError, IoError — not _ZokioError', () => {
    // Plain Node, no source condition: the dist files, as users load them (ESM and CJS).
    const script = `
      const esm = await import('zokio');
      const { drivers } = await import('zokio/testing');
      if (!drivers.includes('js')) throw new Error('zokio/testing: expected the js driver in drivers');
      const cjs = (await import('node:module')).createRequire(import.meta.url)('zokio');
      console.log(JSON.stringify([esm, cjs].flatMap((m) => [
        new m.ZokioError('ERR_X', 'x').name, m.JoinError.name, m.IoError.name, m.Runtime.name,
      ])));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
    });
    const names = ['ZokioError', 'JoinError', 'IoError', 'Runtime'];
    expect(JSON.parse(out)).toEqual([...names, ...names]);
  });
});
