/**
 * zokio's raw I/O driver as a contender, on one backend: `zokio-io_uring` (the native addon) or `zokio-js` (Node's
 * callback `fs`, for reference). No runtime and no futures: `IoDriver.read`/`nop` with one handler object per
 * in-flight slot, so what is measured is the driver and its backend.
 *
 * - `driver_read`: `depth` slots, each with a 4 KiB buffer from the driver's pool; a slot's completion submits its
 *   next read (the driver flushes once per tick, so completions delivered together go back in one flush).
 * - `driver_nop`: `batch` nops submitted in one synchronous run (one flush); the last completion of a batch submits
 *   the next.
 *
 * @module
 */
import { closeSync, openSync } from 'node:fs';
import { IoDriver, selectBackend, type CompletionHandler } from '@zokio/io-driver';
import type { IoBuf } from '@zokio/memory';
import type { Probe } from '../contenders/harness.js';
import { ioMain, type IoContender, type NopRun, type ReadRun } from './harness.js';

function driverContender(name: string, backend: 'io_uring' | 'js'): IoContender {
  // An empty environment: ZOKIO_IO_DRIVER must not swap the backend a row is labelled with.
  const driver = new IoDriver(selectBackend(backend, {}).factory);
  return {
    name,
    driver_read: (run, probe) => readRun(driver, run, probe),
    driver_nop: (run, probe) => nopRun(driver, run, probe),
    close: () => driver.shutdown(),
  };
}

/** One read slot: its buffer, and the handler that checks a completion and submits the slot's next read. */
class ReadSlot implements CompletionHandler {
  constructor(
    readonly buf: IoBuf,
    private readonly run: ReadLoop,
  ) {}

  complete(res: number): void {
    this.run.completed(this, res);
  }
}

class ReadLoop {
  #next = 0;
  #done = 0;
  #error: Error | undefined;
  readonly #fd: number;
  readonly #slots: ReadSlot[];

  constructor(
    private readonly driver: IoDriver,
    private readonly run: ReadRun,
    private readonly probe: Probe,
    private readonly finished: (error?: Error) => void,
  ) {
    this.#fd = openSync(run.file, 'r');
    this.#slots = Array.from(
      { length: Math.min(run.depth, run.offsets.length) },
      () => new ReadSlot(driver.pool.acquire(run.blockBytes), this),
    );
  }

  start(): void {
    this.probe.start();
    for (const slot of this.#slots) this.#submit(slot);
  }

  #submit(slot: ReadSlot): void {
    this.driver.read(this.#fd, slot.buf, this.run.offsets[this.#next++]!, slot);
  }

  completed(slot: ReadSlot, res: number): void {
    if (res !== this.run.blockBytes)
      this.#error ??= new Error(`Expected a ${this.run.blockBytes}-byte read, got ${res}`);
    if (this.#next < this.run.offsets.length && this.#error === undefined) this.#submit(slot);
    else if (++this.#done === this.#slots.length) {
      this.probe.stop();
      for (const s of this.#slots) this.driver.pool.release(s.buf);
      closeSync(this.#fd);
      this.finished(this.#error);
    }
  }
}

function readRun(driver: IoDriver, run: ReadRun, probe: Probe): Promise<void> {
  return new Promise((resolve, reject) => {
    new ReadLoop(driver, run, probe, (error) => (error === undefined ? resolve() : reject(error))).start();
  });
}

function nopRun(driver: IoDriver, { batch, ops }: NopRun, probe: Probe): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = 0;
    let done = 0;
    const handler: CompletionHandler = {
      complete(res) {
        if (res !== 0) return reject(new Error(`Expected a nop to complete with 0, got ${res}`));
        done++;
        if (--pending > 0) return;
        if (done < ops) submit();
        else {
          probe.stop();
          resolve();
        }
      },
    };
    const submit = () => {
      pending = batch;
      for (let i = 0; i < batch; i++) driver.nop(handler);
    };
    probe.start();
    submit();
  });
}

ioMain({
  'zokio-io_uring': () => driverContender('zokio-io_uring', 'io_uring'),
  'zokio-js': () => driverContender('zokio-js', 'js'),
});
