/**
 * The `epoll` backend: a thin {@link Backend} over the epoll half of the native addon `zokio_io.node`
 * (`native/epoll*.c`), for machines where io_uring is refused (seccomp, `io_uring_disabled`, old kernels).
 *
 * The addon does the work: pipes, sockets and character devices are tried without blocking and, on `EAGAIN`, wait in
 * a per-fd, edge-triggered registration (several ops per fd, FIFO per direction); multishot ops and provided-buffer
 * groups are emulated on top; regular-file and path ops run on a small native thread pool that wakes the loop
 * through an eventfd; timeouts share one timerfd. This file only loads it and adapts its handle-based functions to
 * `Backend`.
 * Loading never throws: {@link loadEpoll} returns why the backend is unavailable so `io: 'auto'` can say why.
 *
 * Memory protocol (see `contract.ts`): the addon keeps the staging buffer, the completion buffer and every registered
 * arena alive with `napi_ref`s until the backend is closed; this file also marks them untransferable, since a
 * `postMessage` transfer would detach memory a pool thread may still be writing.
 *
 * @module
 */
import { markAsUntransferable } from 'node:worker_threads';
import type { Backend, BackendFactory, SocketOption } from '../contract.js';
import { loadIoUringAddon } from './io-uring.js';

declare const epollHandle: unique symbol;
/** An opaque backend handle (a napi external). */
type EpollHandle = { readonly [epollHandle]: true };

/** The addon's epoll exports (native/epoll_addon.c). */
export interface EpollAddon {
  createEpoll(staging: ArrayBuffer, completions: ArrayBuffer, onCompletions: (count: number) => void): EpollHandle;
  epollRegisterArena(handle: EpollHandle, id: number, buffer: ArrayBuffer): void;
  epollReleaseArena(handle: EpollHandle, id: number): void;
  epollFlush(handle: EpollHandle, count: number): void;
  epollClose(handle: EpollHandle): void;
  /** Throws (code `EINVAL`, `EEXIST`) with a message "Expected … got …". */
  epollCreateBufferGroup(handle: EpollHandle, group: number, capacity: number): void;
  /** Throws (code `EINVAL`) with a message "Expected … got …". */
  epollProvideBuffer(
    handle: EpollHandle,
    group: number,
    bufferId: number,
    arenaId: number,
    offset: number,
    length: number,
  ): void;
  /** Shared with the io_uring backend (native/sockets.c): needs no backend handle. */
  socketAddress(fd: number, peer: boolean, out: Uint8Array): number;
  setSocketOption(fd: number, option: number, value: number): number;
  setMembership(fd: number, join: boolean, group: number, iface: number): number;
}

/** The `Backend` over one epoll instance and its thread pool. */
export class EpollBackend implements Backend {
  readonly kind = 'epoll';
  readonly #addon: EpollAddon;
  readonly #handle: EpollHandle;

  constructor(
    addon: EpollAddon,
    staging: ArrayBuffer,
    completions: ArrayBuffer,
    onCompletions: (count: number) => void,
  ) {
    this.#addon = addon;
    this.#handle = addon.createEpoll(staging, completions, onCompletions);
    markAsUntransferable(staging);
    markAsUntransferable(completions);
  }

  registerArena(id: number, buffer: ArrayBuffer): void {
    this.#addon.epollRegisterArena(this.#handle, id, buffer);
    markAsUntransferable(buffer);
  }

  lendArena(id: number, buffer: ArrayBuffer): void {
    this.#addon.epollRegisterArena(this.#handle, id, buffer);
  }

  releaseArena(id: number): void {
    this.#addon.epollReleaseArena(this.#handle, id);
  }

  flush(count: number): void {
    this.#addon.epollFlush(this.#handle, count);
  }

  createBufferGroup(group: number, capacity: number): void {
    this.#addon.epollCreateBufferGroup(this.#handle, group, capacity);
  }

  provideBuffer(group: number, bufferId: number, arenaId: number, offset: number, length: number): void {
    this.#addon.epollProvideBuffer(this.#handle, group, bufferId, arenaId, offset, length);
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
    this.#addon.epollClose(this.#handle);
  }
}

/**
 * Loads the epoll backend: the addon, then one throwaway instance to prove the kernel lets us create an epoll fd,
 * an eventfd and a timerfd. Never throws.
 *
 * @example
 * ```ts
 * import { IoDriver, probe, selectBackend } from '@zokio/io-driver';
 * // loadEpoll is internal: probe() and selectBackend('epoll') call it, once per process.
 * const epoll = probe().find((b) => b.name === 'epoll')!;
 * if (!epoll.available) console.log(`epoll unavailable: ${epoll.reason}`);
 * else {
 *   const driver = new IoDriver(selectBackend('epoll', {}).factory); // {}: ignore ZOKIO_IO_DRIVER
 *   console.log(driver.kind); // 'epoll'
 *   await driver.shutdown();
 * }
 * ```
 */
export function loadEpoll(): { factory: BackendFactory } | { error: string } {
  const loaded = loadIoUringAddon();
  if ('error' in loaded) return loaded;
  const addon = loaded.addon as unknown as Partial<EpollAddon>;
  if (typeof addon.createEpoll !== 'function' || typeof addon.epollProvideBuffer !== 'function') {
    return { error: 'native addon zokio_io.node lacks the epoll backend (or predates its socket ops: rebuild it)' };
  }
  const full = addon as EpollAddon;
  try {
    full.epollClose(full.createEpoll(new ArrayBuffer(64), new ArrayBuffer(16), () => {}));
  } catch (error) {
    return { error: `epoll setup failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  const factory: BackendFactory = (staging, completions, onCompletions) =>
    new EpollBackend(full, staging, completions, onCompletions);
  return { factory };
}
