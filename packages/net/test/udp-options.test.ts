/**
 * UDP socket options on every driver: `reuseAddress` at bind (sockets that all ask for it share a port), broadcast (observable: a send to a broadcast address fails with `EACCES`
 * without it), the multicast TTL and loopback (set without error on IPv4; refused on IPv6, where the driver has
 * no `IPV6_MULTICAST_*` option), and their argument errors.
 *
 * And multicast delivery: a member of a group, on the loopback interface, receives what another socket sends to
 * the group; after leaving, it is no member (leaving again fails).
 */
import { describe, expect, it } from 'vitest';
import { fn, isFuture } from '@zokio/future';
import { IoError, NetArgumentError, UdpSocket } from '@zokio/net';
import { drivers, runtimeOn } from '@zokio/runtime/testing';

/** The error `call` throws or fails with, as `code` (or 'ok'). */
const outcome = fn(function* (call: () => unknown) {
  try {
    const f = call();
    if (isFuture(f)) yield* f;
    return 'ok';
  } catch (error) {
    return error instanceof IoError || error instanceof NetArgumentError ? error.code : String(error);
  }
});

describe.each(drivers)('UDP options on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('setBroadcast allows sends to a broadcast address, and forbids them again (EACCES)', async () => {
    const out = await run(
      fn(function* () {
        using socket = yield* UdpSocket.bind('127.0.0.1:0');
        const to = '127.255.255.255:9';
        const before = yield* outcome(() => socket.sendTo('x', to));
        socket.setBroadcast(true);
        const on = yield* outcome(() => socket.sendTo('x', to));
        socket.setBroadcast(false);
        const off = yield* outcome(() => socket.sendTo('x', to));
        socket.setBroadcast(); // the default is on
        const again = yield* outcome(() => socket.sendTo('x', to));
        return { before, on, off, again };
      })(),
    );
    expect(out).toEqual({ before: 'EACCES', on: 'ok', off: 'EACCES', again: 'ok' });
  });

  it('reuseAddress lets sockets that all ask for it share a port; one that does not gets EADDRINUSE', async () => {
    const out = await run(
      fn(function* () {
        using first = yield* UdpSocket.bind('127.0.0.1:0', { reuseAddress: true });
        const port = first.localAddr();
        const plain = yield* outcome(() => UdpSocket.bind(port));
        const shared = yield* UdpSocket.bind(port, { reuseAddress: true });
        const samePort = JSON.stringify(shared.localAddr()) === JSON.stringify(port);
        shared.close();
        // Without the option on the first socket, even a second that asks for it is refused.
        using alone = yield* UdpSocket.bind('127.0.0.1:0');
        const refused = yield* outcome(() => UdpSocket.bind(alone.localAddr(), { reuseAddress: true }));
        const badType = yield* outcome(() => UdpSocket.bind('127.0.0.1:0', { reuseAddress: 1 as never }));
        const badOptions = yield* outcome(() => UdpSocket.bind('127.0.0.1:0', null as never));
        return { plain, samePort, refused, badType, badOptions };
      })(),
    );
    expect(out).toEqual({
      plain: 'EADDRINUSE',
      samePort: true,
      refused: 'EADDRINUSE',
      badType: 'ERR_INVALID_ARG_TYPE',
      badOptions: 'ERR_INVALID_ARG_TYPE',
    });
  });

  it('setMulticastTTL and setMulticastLoopback take their whole range on IPv4', async () => {
    const out = await run(
      fn(function* () {
        using socket = yield* UdpSocket.bind('127.0.0.1:0');
        const results: string[] = [];
        for (const ttl of [0, 1, 64, 255]) results.push(yield* outcome(() => socket.setMulticastTTL(ttl)));
        for (const on of [false, true]) results.push(yield* outcome(() => socket.setMulticastLoopback(on)));
        results.push(yield* outcome(() => socket.setMulticastLoopback()));
        // The socket still works.
        yield* socket.sendTo('still', socket.localAddr());
        results.push((yield* socket.recv()).toString());
        return results;
      })(),
    );
    expect(out).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'still']);
  });

  it('the multicast options fail with ENOPROTOOPT on an IPv6 socket, on every driver alike', async () => {
    const out = await run(
      fn(function* () {
        using socket = yield* UdpSocket.bind('[::1]:0');
        let ttl: unknown;
        try {
          socket.setMulticastTTL(4);
        } catch (error) {
          ttl = error;
        }
        return { ttl, loop: yield* outcome(() => socket.setMulticastLoopback(false)) };
      })(),
    );
    expect(out.ttl).toBeInstanceOf(IoError);
    expect(out.ttl).toMatchObject({ code: 'ENOPROTOOPT', errno: -92, syscall: 'setsockopt' });
    expect((out.ttl as IoError).path).toMatch(/^\[::1\]:\d+$/);
    expect(out.loop).toBe('ENOPROTOOPT');
  });

  it('rejects bad option values with NetArgumentError, and a closed socket with EBADF', async () => {
    const out = await run(
      fn(function* () {
        const socket = yield* UdpSocket.bind('127.0.0.1:0');
        const bad: [string, () => unknown][] = [
          ['ttl -1', () => socket.setMulticastTTL(-1)],
          ['ttl 256', () => socket.setMulticastTTL(256)],
          ['ttl 1.5', () => socket.setMulticastTTL(1.5)],
          ['ttl NaN', () => socket.setMulticastTTL(Number.NaN)],
          ["ttl '1'", () => socket.setMulticastTTL('1' as never)],
          ['ttl undefined', () => socket.setMulticastTTL(undefined as never)],
          ["loopback 'yes'", () => socket.setMulticastLoopback('yes' as never)],
          ['loopback 1', () => socket.setMulticastLoopback(1 as never)],
        ];
        const errors: { label: string; error: unknown }[] = [];
        for (const [label, call] of bad) {
          try {
            call();
            errors.push({ label, error: undefined });
          } catch (error) {
            errors.push({ label, error });
          }
        }
        yield* socket.close();
        const closed = [
          yield* outcome(() => socket.setMulticastTTL(1)),
          yield* outcome(() => socket.setMulticastLoopback(true)),
          yield* outcome(() => socket.setBroadcast(true)),
        ];
        return { errors, closed };
      })(),
    );
    expect(
      out.errors.map(({ label, error }) => [
        label,
        (error as NetArgumentError).code,
        (error as NetArgumentError).argument,
      ]),
    ).toEqual([
      ['ttl -1', 'ERR_INVALID_ARG_VALUE', 'ttl'],
      ['ttl 256', 'ERR_INVALID_ARG_VALUE', 'ttl'],
      ['ttl 1.5', 'ERR_INVALID_ARG_VALUE', 'ttl'],
      ['ttl NaN', 'ERR_INVALID_ARG_VALUE', 'ttl'],
      ["ttl '1'", 'ERR_INVALID_ARG_TYPE', 'ttl'],
      ['ttl undefined', 'ERR_INVALID_ARG_TYPE', 'ttl'],
      ["loopback 'yes'", 'ERR_INVALID_ARG_TYPE', 'on'],
      ['loopback 1', 'ERR_INVALID_ARG_TYPE', 'on'],
    ]);
    for (const { error } of out.errors) expect(error).toBeInstanceOf(NetArgumentError);
    expect((out.errors[1]!.error as Error).message).toBe(
      'UdpSocket.setMulticastTTL: Expected ttl to be an integer from 0 to 255, got number 256',
    );
    expect(out.closed).toEqual(['EBADF', 'EBADF', 'EBADF']);
  });

  it('a member of a multicast group on loopback receives what is sent to the group; leaving ends it', async () => {
    const out = await run(
      fn(function* () {
        using member = yield* UdpSocket.bind('0.0.0.0:0');
        using sender = yield* UdpSocket.bind('127.0.0.1:0');
        const address = member.localAddr();
        if (address.family === 'unix') throw new Error('Expected an IPv4 address');
        member.joinMulticast('239.5.6.7', '127.0.0.1');
        sender.setMulticastInterface('127.0.0.1');
        sender.setMulticastLoopback(true);
        yield* sender.sendTo('hello, group', { host: '239.5.6.7', port: address.port });
        const got = yield* member.recvFrom();
        member.leaveMulticast('239.5.6.7', '127.0.0.1');
        const again = yield* outcome(() => member.leaveMulticast('239.5.6.7', '127.0.0.1'));
        return { data: got.data.toString(), again };
      })(),
    );
    expect(out.data).toBe('hello, group');
    expect(out.again).toBe('EADDRNOTAVAIL');
  });

  it('refuses bad multicast arguments with typed errors, and IPv6 sockets with ENOPROTOOPT', async () => {
    const out = await run(
      fn(function* () {
        using socket = yield* UdpSocket.bind('127.0.0.1:0');
        using v6 = yield* UdpSocket.bind('[::1]:0');
        return [
          yield* outcome(() => socket.joinMulticast('10.0.0.1')),
          yield* outcome(() => socket.joinMulticast('239.1.1.300')),
          yield* outcome(() => socket.joinMulticast(42 as unknown as string)),
          yield* outcome(() => socket.setMulticastInterface('lo')),
          yield* outcome(() => v6.joinMulticast('239.1.1.1')),
          yield* outcome(() => v6.setMulticastInterface('127.0.0.1')),
        ];
      })(),
    );
    expect(out).toEqual([
      'ERR_INVALID_ARG_VALUE',
      'ERR_INVALID_ARG_VALUE',
      'ERR_INVALID_ARG_TYPE',
      'ERR_INVALID_ARG_VALUE',
      'ENOPROTOOPT',
      'ENOPROTOOPT',
    ]);
  });
});
