import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fn, join as joinAll } from '@zokio/future';
import { NetArgumentError, UnixListener, UnixStream } from '@zokio/net';
import { drivers, runtimeOn, tempDir } from '@zokio/runtime/testing';

describe.each(drivers)('UnixListener and UnixStream on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('connect by path, exchange bytes both ways, and see the peer close', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 's.sock');
      const [fromClient, fromServer] = await run(
        fn(function* () {
          using listener = yield* UnixListener.bind(path);
          expect(listener.localAddr()).toEqual({ family: 'unix', path });
          const [server, client] = yield* joinAll(listener.accept(), UnixStream.connect(path));
          using s = server;
          using c = client;
          yield* c.writeAll('ping');
          yield* c.shutdown();
          const got = yield* s.readToEnd();
          yield* s.writeAll('pong');
          yield* s.shutdown();
          return [got.toString(), (yield* c.readToEnd()).toString()];
        })(),
      );
      expect([fromClient, fromServer]).toEqual(['ping', 'pong']);
    } finally {
      cleanup();
    }
  });

  it('refuses a path that is not a non-empty string with a typed error', () => {
    for (const bad of ['', 42, undefined]) {
      expect(() => UnixListener.bind(bad as string)).toThrow(NetArgumentError);
      expect(() => UnixStream.connect(bad as string)).toThrow(
        /UnixStream.connect: Expected path to be a non-empty socket path, got/,
      );
    }
  });
});
