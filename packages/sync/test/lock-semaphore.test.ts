import { describe, expect, it } from 'vitest';
import { Context, fn, PENDING, ZokioError } from '@zokio/future';
import { LocalScheduler } from '@zokio/scheduler';
import { Semaphore, SemaphoreClosedError, SemaphorePermit } from '@zokio/sync';
import { drive } from './hand.js';

describe('Semaphore basics', () => {
  it('grants at once while permits are free, then queues', () => {
    const s = new Semaphore(2);
    const a = drive(s.acquire());
    const b = drive(s.acquire());
    const c = drive(s.acquire());
    expect(a.value().permits).toBe(1);
    expect(b.value().permits).toBe(1);
    expect(c.poll()).toBe(PENDING);
    expect(s.availablePermits).toBe(0);
  });

  it('is lazy: an acquire that is never polled takes nothing', () => {
    const s = new Semaphore(1);
    s.acquire(1);
    expect(s.availablePermits).toBe(1);
    expect(s.tryAcquire()).toBeInstanceOf(SemaphorePermit);
  });

  it('release hands the permits to the first waiter and wakes it once', () => {
    const s = new Semaphore(1);
    const holder = drive(s.acquire()).value();
    const w = drive(s.acquire());
    expect(w.poll()).toBe(PENDING);
    holder.release();
    holder.release(); // double release is a no-op
    expect(w.wakes).toBe(1);
    expect(w.value().permits).toBe(1);
    expect(s.availablePermits).toBe(0);
  });

  it('acquire(0) is ready at once, even behind waiters, and takes nothing', () => {
    const s = new Semaphore(0);
    expect(drive(s.acquire()).poll()).toBe(PENDING);
    expect(drive(s.acquire(0)).value().permits).toBe(0);
  });

  it('tryAcquire never barges past a queued waiter', () => {
    const s = new Semaphore(1);
    const holder = s.tryAcquire()!;
    const w = drive(s.acquire());
    w.poll();
    holder.release();
    expect(s.tryAcquire()).toBeUndefined();
    expect(w.value().permits).toBe(1);
  });

  it('forget destroys permits; forgetPermits removes free ones', () => {
    const s = new Semaphore(3);
    s.tryAcquire()!.forget();
    expect(s.availablePermits).toBe(2);
    expect(s.forgetPermits(5)).toBe(2);
    expect(s.availablePermits).toBe(0);
  });

  it('split moves permits into a new permit released separately', () => {
    const s = new Semaphore(3);
    const p = s.tryAcquire(3)!;
    const q = p.split(2);
    expect([p.permits, q.permits]).toEqual([1, 2]);
    q.release();
    expect(s.availablePermits).toBe(2);
    expect(() => p.split(2)).toThrow(TypeError);
  });

  it('using releases the permit at the end of the scope', () => {
    const s = new Semaphore(1);
    {
      using _p = s.tryAcquire()!;
      expect(s.availablePermits).toBe(0);
    }
    expect(s.availablePermits).toBe(1);
  });
});

describe('Semaphore FIFO fairness', () => {
  it('grants in the order of first poll, not of creation', () => {
    const s = new Semaphore(0);
    const futures = [0, 1, 2, 3].map(() => drive(s.acquire()));
    const pollOrder = [2, 0, 3, 1];
    for (const i of pollOrder) expect(futures[i]!.poll()).toBe(PENDING);
    const granted: number[] = [];
    for (let round = 0; round < 4; round++) {
      s.addPermits(1);
      const woken = futures.findIndex((f, i) => f.wakes === 1 && !granted.includes(i));
      granted.push(woken);
      futures[woken]!.value();
    }
    expect(granted).toEqual(pollOrder);
    expect(futures.map((f) => f.wakes)).toEqual([1, 1, 1, 1]);
  });

  it('a large waiter at the head blocks smaller ones behind it and collects permits as they come', () => {
    const s = new Semaphore(1);
    const big = drive(s.acquire(3));
    const small = drive(s.acquire(1));
    expect(big.poll()).toBe(PENDING);
    expect(small.poll()).toBe(PENDING);
    expect(s.availablePermits).toBe(0); // the free permit went to `big`
    s.addPermits(1);
    expect([big.wakes, small.wakes]).toEqual([0, 0]);
    s.addPermits(2); // big gets its third, small its one
    expect([big.wakes, small.wakes]).toEqual([1, 1]);
    expect(big.value().permits).toBe(3);
    expect(small.value().permits).toBe(1);
    expect(s.availablePermits).toBe(0);
  });

  it('grants in FIFO order on a real scheduler', async () => {
    const scheduler = new LocalScheduler();
    const s = new Semaphore(1);
    const order: number[] = [];
    const worker = fn(function* (id: number) {
      const permit = yield* s.acquire();
      order.push(id);
      permit.release();
    });
    const holder = s.tryAcquire()!;
    const handles = [0, 1, 2, 3, 4].map((id) => scheduler.spawn(worker(id)));
    // Let every task reach the queue, then open the gate.
    await scheduler.spawn(fn(function* () {})());
    holder.release();
    await Promise.all(handles);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('Semaphore cancellation', () => {
  it('a cancelled queued waiter leaves the queue: nothing is lost, nobody is woken twice', () => {
    const s = new Semaphore(0);
    const [a, b, c] = [drive(s.acquire()), drive(s.acquire()), drive(s.acquire())];
    a.poll();
    b.poll();
    c.poll();
    b.future.cancel();
    s.addPermits(2);
    expect([a.wakes, b.wakes, c.wakes]).toEqual([1, 0, 1]);
    a.value();
    c.value();
    expect(s.availablePermits).toBe(0);
  });

  it('a waiter cancelled after a partial assignment gives its permits to the next waiters', () => {
    const s = new Semaphore(2);
    const big = drive(s.acquire(5));
    const x = drive(s.acquire(1));
    const y = drive(s.acquire(1));
    big.poll(); // takes the 2 free permits, waits for 3 more
    x.poll();
    y.poll();
    big.future.cancel();
    expect([x.wakes, y.wakes]).toEqual([1, 1]);
    x.value();
    y.value();
    expect(s.availablePermits).toBe(0);
  });

  it('a waiter granted but cancelled before being polled again passes the grant on', () => {
    const s = new Semaphore(1);
    const holder = s.tryAcquire()!;
    const a = drive(s.acquire());
    const b = drive(s.acquire());
    a.poll();
    b.poll();
    holder.release(); // granted to a
    expect([a.wakes, b.wakes]).toEqual([1, 0]);
    a.future.cancel();
    expect(b.wakes).toBe(1);
    expect(b.value().permits).toBe(1);
    expect(s.availablePermits).toBe(0);
  });

  it('a granted-then-cancelled waiter with nobody behind returns its permits to the semaphore', () => {
    const s = new Semaphore(0);
    const a = drive(s.acquire(2));
    a.poll();
    s.addPermits(2);
    a.future.cancel();
    a.future.cancel(); // idempotent
    expect(s.availablePermits).toBe(2);
  });

  it('cancelling before the first poll or after completion changes nothing', () => {
    const s = new Semaphore(1);
    drive(s.acquire()).future.cancel();
    const done = drive(s.acquire());
    const permit = done.value();
    done.future.cancel();
    expect(permit.permits).toBe(1);
    expect(s.availablePermits).toBe(0);
  });

  it('aborting a task waiting on a real scheduler frees its place', async () => {
    const scheduler = new LocalScheduler();
    const s = new Semaphore(1);
    const holder = s.tryAcquire()!;
    const got: string[] = [];
    const take = fn(function* (name: string) {
      using _p = yield* s.acquire();
      got.push(name);
    });
    const a = scheduler.spawn(take('a'));
    const b = scheduler.spawn(take('b'));
    await scheduler.spawn(fn(function* () {})());
    a.abort();
    holder.release();
    await b;
    await expect(a).rejects.toThrow();
    expect(got).toEqual(['b']);
    expect(s.availablePermits).toBe(1);
  });
});

describe('Semaphore coop budget', () => {
  it('a first poll with no budget left wakes its task and takes nothing; the next poll proceeds', () => {
    let wakes = 0;
    const executor = { budget: 0, budgetExhausted() {}, service: () => undefined };
    const cx = new Context({ wake: () => void wakes++ }, executor);
    const s = new Semaphore(1);
    const f = s.acquire();
    expect(f.poll(cx)).toBe(PENDING);
    expect(wakes).toBe(1);
    expect(s.availablePermits).toBe(1);
    executor.budget = 1;
    expect(f.poll(cx)).toBeInstanceOf(SemaphorePermit);
    expect(executor.budget).toBe(0);
  });
});

describe('Semaphore close', () => {
  it('fails queued waiters once, returns their partial permits, and fails later acquires', () => {
    const s = new Semaphore(1);
    const w = drive(s.acquire(2));
    expect(w.poll()).toBe(PENDING);
    s.close();
    expect(w.wakes).toBe(1);
    expect(() => w.poll()).toThrow(SemaphoreClosedError);
    expect(s.availablePermits).toBe(1);
    expect(() => drive(s.acquire()).poll()).toThrow(SemaphoreClosedError);
    expect(() => s.tryAcquire()).toThrow(SemaphoreClosedError);
    expect(s.isClosed).toBe(true);
  });

  it('a grant made before close stays valid', () => {
    const s = new Semaphore(0);
    const w = drive(s.acquire());
    w.poll();
    s.addPermits(1);
    s.close();
    expect(w.value().permits).toBe(1);
  });

  it('the closed error is a typed ZokioError with a stable code', () => {
    const s = new Semaphore(0);
    s.close();
    const error: unknown = (() => {
      try {
        s.tryAcquire();
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ZokioError);
    expect((error as ZokioError).code).toBe('ERR_ZOKIO_SEMAPHORE_CLOSED');
  });

  it('polling a completed acquire is an error', () => {
    const w = drive(new Semaphore(1).acquire());
    w.value();
    expect(() => w.poll()).toThrow(/already completed/);
  });
});

describe('Semaphore arguments', () => {
  it.each([-1, 1.5, NaN, Infinity, '1', undefined])('rejects %s permits with a TypeError', (bad) => {
    const n = bad as number;
    if (n !== undefined) {
      expect(() => new Semaphore(n)).toThrow(TypeError);
      expect(() => new Semaphore(1).acquire(n)).toThrow(/Semaphore.acquire: Expected a whole number of permits/);
      expect(() => new Semaphore(1).tryAcquire(n)).toThrow(TypeError);
      expect(() => new Semaphore(1).addPermits(n)).toThrow(TypeError);
    } else {
      expect(() => new Semaphore(n)).toThrow(/Expected .*, got undefined/);
    }
  });

  it('says what it got', () => {
    expect(() => new Semaphore(1).acquire(-1)).toThrow(
      'Semaphore.acquire: Expected a whole number of permits from 0 to 9007199254740991, got number -1',
    );
    expect(() => new Semaphore(1).acquire(1.5)).toThrow(/got number 1\.5$/);
  });

  it('refuses to grow past MAX_PERMITS', () => {
    const s = new Semaphore(Semaphore.MAX_PERMITS);
    expect(() => s.addPermits(1)).toThrow(TypeError);
    expect(s.availablePermits).toBe(Semaphore.MAX_PERMITS);
  });
});
