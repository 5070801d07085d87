/**
 * Shutdown under load, as #8 asks: 10,000 live tasks, open sockets with reads pending, and file reads in flight —
 * `rt.shutdown({ timeout })` finishes within its timeout, runs every clean-up, and leaks no file descriptor.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fdCount, fdCountBackTo, tempDir } from '@zokio/runtime/testing';
import { File, fn, pending, Runtime, sleep, spawn, TcpListener, TcpStream } from 'zokio';

describe.each(['io_uring', 'epoll', 'js'] as const)('shutdown under load (%s)', (io) => {
  it('10,000 tasks, 50 connections reading, 50 file reads: all cancelled, cleaned up, no fd left', async () => {
    const dir = tempDir();
    const path = join(dir.dir, 'data.bin');
    writeFileSync(path, Buffer.alloc(4 << 20, 7));
    const fdsBefore = fdCount();

    const rt = Runtime.create({ io });
    let cleanedUp = 0;
    let begun = 0;
    let ready!: () => void;
    const started = new Promise<void>((resolve) => (ready = resolve));
    rt.spawn(
      fn(function* () {
        for (let i = 0; i < 10_000; i++)
          spawn(
            fn(function* () {
              begun++;
              try {
                yield* i % 2 === 0 ? sleep(1_000_000) : pending();
              } finally {
                cleanedUp++;
              }
            })(),
          );
        while (begun < 10_000) yield* sleep(5); // every one of them is parked in its try block
        using listener = yield* TcpListener.bind('127.0.0.1:0'); // closed when the root is cancelled
        for (let i = 0; i < 50; i++) {
          spawn(
            fn(function* () {
              const server = yield* listener.accept();
              begun++;
              try {
                yield* server.read(); // the client never writes: pending at shutdown
              } finally {
                cleanedUp++;
                server.close();
              }
            })(),
          );
          spawn(
            fn(function* () {
              const client = yield* TcpStream.connect(listener.localAddr());
              begun++;
              try {
                yield* client.read();
              } finally {
                cleanedUp++;
                client.close();
              }
            })(),
          );
        }
        for (let i = 0; i < 50; i++)
          spawn(
            fn(function* () {
              const file = yield* File.open(path);
              begun++;
              try {
                for (;;) yield* file.readAt(0, 4096); // always a read in flight
              } finally {
                cleanedUp++;
                yield* file.close();
              }
            })(),
          );
        while (begun < 10_150) yield* sleep(5); // every connection up, every file open and reading
        yield* sleep(20);
        ready();
        yield* pending();
      })(),
    );
    await started;
    expect(rt.metrics().alive).toBeGreaterThan(10_150);
    const t0 = performance.now();
    const report = await rt.shutdown({ timeout: 5_000 });
    const took = performance.now() - t0;
    expect(report.timedOut).toBe(false);
    expect(report.abandoned).toEqual([]);
    expect(took).toBeLessThan(5_000);
    expect(cleanedUp).toBe(10_000 + 100 + 50);
    expect(rt.metrics().alive).toBe(0);
    // A native backend closes its own fds (ring or epoll, eventfd, timerfd) in libuv close callbacks, a loop turn
    // or two after shutdown resolves.
    expect(await fdCountBackTo(fdsBefore)).toBe(fdsBefore);
    dir.cleanup();
  }, 30_000);
});
