import { describe, expect, it } from 'vitest';
import * as future from '@zokio/future';
import * as runtime from '@zokio/runtime';
import * as scheduler from '@zokio/scheduler';
import * as io from '@zokio/io-driver';
import * as memory from '@zokio/memory';
import * as sync from '@zokio/sync';
import * as time from '@zokio/time';
import * as zokio from 'zokio';

describe('zokio meta-package', () => {
  it('re-exports every export of every layer, as the same binding', () => {
    for (const layer of [future, scheduler, runtime, time, sync, memory, io]) {
      for (const [name, value] of Object.entries(layer)) expect(zokio[name as keyof typeof zokio], name).toBe(value);
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
