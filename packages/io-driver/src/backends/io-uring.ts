/**
 * The `io_uring` backend: a thin {@link Backend} over the native addon `zokio_io.node` (`native/` in this package,
 * built by `pnpm build:native`).
 *
 * The addon owns the ring; this file only loads it, probes the kernel, and adapts its handle-based functions to the
 * `Backend` interface. Loading never throws: {@link loadIoUring} returns why the backend is unavailable (addon not
 * built, ring setup refused by seccomp, `io_uring_disabled`, …) so that `io: 'auto'` can fall back and say why.
 *
 * Memory protocol (see `contract.ts`): the addon keeps the staging buffer, the completion buffer and every registered
 * arena alive with `napi_ref`s until the backend is closed, and marks nothing itself; this file additionally marks
 * them untransferable, since a `postMessage` transfer would detach memory the kernel may still be writing.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { markAsUntransferable } from 'node:worker_threads';
import type { Backend, BackendFactory, SocketOption } from '../contract.js';

/** What `probe()` reports about the running kernel. */
export interface IoUringProbe {
  /** Whether a ring could be set up and its supported opcodes probed. */
  readonly ok: boolean;
  /** Why not, when `ok` is false: `io_uring_setup: EPERM (seccomp?)`, `io_uring_setup: ENOSYS (…)`, … */
  readonly reason?: string;
  /** Setup flags the kernel accepted (`SINGLE_ISSUER`, `COOP_TASKRUN`, `TASKRUN_FLAG`, `SUBMIT_ALL`, `CLAMP`). */
  readonly setupFlags: readonly string[];
  /** Kernel features (`NODROP`, `FAST_POLL`, `EXT_ARG`, …). */
  readonly features: readonly string[];
  /** Contract ops (`Op` names) the kernel supports. */
  readonly ops: readonly string[];
}

/** Facts about one ring. */
export interface IoUringRingInfo {
  readonly setupFlags: readonly string[];
  readonly features: readonly string[];
  readonly ops: readonly string[];
  readonly sqEntries: number;
  readonly cqEntries: number;
  /** Completion records delivered per callback (the completion buffer's size / 16). */
  readonly completionCapacity: number;
  /**
   * Whether the ring has a fixed-buffer table: arenas are then registered as io_uring fixed buffers (index = arena
   * id) and `READ`/`WRITE` on them run as `READ_FIXED`/`WRITE_FIXED`. False where the kernel refused the table
   * (old kernel, memlock limit); plain reads and writes are used then.
   */
  readonly fixedBuffers: boolean;
}

declare const ringHandle: unique symbol;
/** An opaque ring handle (a napi external). */
type RingHandle = { readonly [ringHandle]: true };

/** The addon's exports (native/addon.c). */
export interface IoUringAddon {
  createRing(
    staging: ArrayBuffer,
    completions: ArrayBuffer,
    onCompletions: (count: number) => void,
    entries: number,
    cqEntries: number,
  ): RingHandle;
  registerArena(handle: RingHandle, id: number, buffer: ArrayBuffer): void;
  lendArena(handle: RingHandle, id: number, buffer: ArrayBuffer): void;
  releaseArena(handle: RingHandle, id: number): void;
  flush(handle: RingHandle, count: number): void;
  close(handle: RingHandle): void;
  ringInfo(handle: RingHandle): IoUringRingInfo;
  probe(): IoUringProbe;
  /** Throws with code `EEXIST`, `EINVAL` or `EOPNOTSUPP`. */
  createBufferGroup(handle: RingHandle, group: number, capacity: number): void;
  /** Throws with code `EINVAL`. */
  provideBuffer(
    handle: RingHandle,
    group: number,
    bufferId: number,
    arenaId: number,
    offset: number,
    length: number,
  ): void;
  socketAddress(fd: number, peer: boolean, out: Uint8Array): number;
  setSocketOption(fd: number, option: number, value: number): number;
  setMembership(fd: number, join: boolean, group: number, iface: number): number;
}

/** Options for {@link loadIoUring}. */
export interface IoUringOptions {
  /**
   * Submission queue entries per ring.
   * @default 256
   */
  readonly entries?: number;
  /**
   * Completion queue entries per ring (at least twice `entries`): at most that many ops are in the kernel at once,
   * more wait, in order, in the backend's overflow queue. Every idle connection of a server holds a receive in the
   * kernel, so this is sized for ten thousand of them (16 bytes each: 256 KiB). 0: the kernel's default, twice
   * `entries`.
   * @default 16384
   */
  readonly cqEntries?: number;
}

/** The `Backend` over one ring. */
export class IoUringBackend implements Backend {
  readonly kind = 'io_uring';
  /** Setup flags, features and sizes of this ring. */
  readonly info: IoUringRingInfo;
  readonly #addon: IoUringAddon;
  readonly #handle: RingHandle;

  constructor(
    addon: IoUringAddon,
    staging: ArrayBuffer,
    completions: ArrayBuffer,
    onCompletions: (count: number) => void,
    entries: number,
    cqEntries: number,
  ) {
    this.#addon = addon;
    this.#handle = addon.createRing(staging, completions, onCompletions, entries, cqEntries);
    this.info = addon.ringInfo(this.#handle);
    untransferable(staging);
    untransferable(completions);
  }

  registerArena(id: number, buffer: ArrayBuffer): void {
    this.#addon.registerArena(this.#handle, id, buffer);
    untransferable(buffer);
  }

  lendArena(id: number, buffer: ArrayBuffer): void {
    this.#addon.lendArena(this.#handle, id, buffer);
  }

  releaseArena(id: number): void {
    this.#addon.releaseArena(this.#handle, id);
  }

  flush(count: number): void {
    this.#addon.flush(this.#handle, count);
  }

  /** A provided-buffer ring (`IORING_REGISTER_PBUF_RING`); throws with code `EEXIST`, `EINVAL` or `EOPNOTSUPP`. */
  createBufferGroup(group: number, capacity: number): void {
    this.#addon.createBufferGroup(this.#handle, group, capacity);
  }

  /** Publishes one buffer to the group's ring; throws with code `EINVAL`. */
  provideBuffer(group: number, bufferId: number, arenaId: number, offset: number, length: number): void {
    this.#addon.provideBuffer(this.#handle, group, bufferId, arenaId, offset, length);
  }

  socketAddress(fd: number, peer: boolean, out: Uint8Array): number {
    return this.#addon.socketAddress(fd, peer, out);
  }

  setSocketOption(fd: number, option: SocketOption, value: number): number {
    return this.#addon.setSocketOption(fd, option, value);
  }

  setMembership(fd: number, join: boolean, group: number, iface: number): number {
    return this.#addon.setMembership(fd, join, group, iface);
  }

  /** Throws an error with code `EBUSY` while ops are in flight; does nothing once closed. */
  close(): void {
    this.#addon.close(this.#handle);
  }
}

function untransferable(buffer: ArrayBuffer): void {
  // Keeps postMessage/structuredClone from detaching memory the kernel may be reading or writing.
  markAsUntransferable(buffer);
}

/** Where the addon may be, relative to this file: `src/backends/` and `dist/` (bundled) alike. */
/** The package root, relative to this module in src/backends/ and in dist/. */
const PACKAGE_ROOTS = ['../../', '../'] as const;

/** Loads the addon without probing: the module, or why it could not be loaded. */
export function loadIoUringAddon(): { addon: IoUringAddon } | { error: string } {
  if (process.platform !== 'linux') return { error: `io_uring needs Linux (this is ${process.platform})` };
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  let nodeGypBuild: ((root: string) => unknown) | undefined;
  try {
    nodeGypBuild = require('node-gyp-build') as (root: string) => unknown;
  } catch (error) {
    failures.push(`node-gyp-build: ${describe(error)}`);
  }
  // The package root from src/backends/ (tests) or dist/ (published). node-gyp-build looks for a matching prebuild
  // in prebuilds/<platform>-<arch>/, then for a local build in build/Release/.
  for (const root of PACKAGE_ROOTS) {
    const dir = fileURLToPath(new URL(root, import.meta.url));
    try {
      if (nodeGypBuild !== undefined) return { addon: nodeGypBuild(dir) as IoUringAddon };
      return { addon: require(`${dir}/build/Release/zokio_io.node`) as IoUringAddon };
    } catch (error) {
      failures.push(`${dir}: ${describe(error)}`);
    }
  }
  return { error: `native addon zokio_io.node not loadable (no prebuild, and no local build): ${failures.join('; ')}` };
}

/**
 * Loads the io_uring backend: the addon, then a probe ring. Never throws.
 *
 * @example
 * ```ts
 * import { IoDriver, probe, selectBackend } from '@zokio/io-driver';
 * // loadIoUring is internal: probe() and selectBackend('io_uring') call it, once per process.
 * const ioUring = probe().find((b) => b.name === 'io_uring')!;
 * if (!ioUring.available) console.log(`io_uring unavailable: ${ioUring.reason}`);
 * else {
 *   const driver = new IoDriver(selectBackend('io_uring', {}).factory); // {}: ignore ZOKIO_IO_DRIVER
 *   console.log(driver.kind); // 'io_uring'
 *   await driver.shutdown();
 * }
 * ```
 */
export function loadIoUring(
  options: IoUringOptions = {},
): { factory: BackendFactory; probe: IoUringProbe } | { error: string } {
  const entries = options.entries ?? 256;
  if (!Number.isInteger(entries) || entries < 1 || entries > 32768) {
    return { error: `expected entries to be an integer from 1 to 32768, got ${String(entries)}` };
  }
  const cqEntries = options.cqEntries ?? 16384;
  if (!Number.isInteger(cqEntries) || cqEntries < 0 || cqEntries > 131072) {
    return { error: `expected cqEntries to be an integer from 0 to 131072, got ${String(cqEntries)}` };
  }
  const loaded = loadIoUringAddon();
  if ('error' in loaded) return loaded;
  const { addon } = loaded;
  let probe: IoUringProbe;
  try {
    probe = addon.probe();
  } catch (error) {
    return { error: `io_uring probe failed: ${describe(error)}` };
  }
  if (!probe.ok) return { error: probe.reason ?? 'io_uring unavailable' };
  const factory: BackendFactory = (staging, completions, onCompletions) =>
    new IoUringBackend(addon, staging, completions, onCompletions, entries, cqEntries);
  return { factory, probe };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
