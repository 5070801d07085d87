import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Context, drop, fn, PENDING, race, toPromise, yieldNow, type Future, type Waker } from '@zokio/future';
import { LocalScheduler } from '@zokio/scheduler';
import { oneshot, RecvError, TryRecvError } from '../src/index.js';
import { hand, caught } from './hand.js';

describe('oneshot: hand-polled', () => {
  it('delivers the value to a waiting receiver, waking it once', () => {
    const [tx, rx] = oneshot.channel<string>();
    const r = hand(rx);
    expect(r.poll()).toBe(PENDING);
    expect(tx.send('v')).toBe(true);
    expect(r.waker.wakes).toBe(1);
    expect(r.poll()).toBe('v');
    expect(() => r.poll()).toThrow(/already completed/);
    expect(() => tx.send('again')).toThrow(TypeError);
  });

  it('fails the receiver with a RecvError when the sender is closed without sending', () => {
    const [tx, rx] = oneshot.channel<number>();
    const r = hand(rx);
    expect(r.poll()).toBe(PENDING);
    tx[Symbol.dispose]();
    expect(r.waker.wakes).toBe(1);
    const e = caught(() => r.poll());
    expect(e).toBeInstanceOf(RecvError);
    expect((e as RecvError).code).toBe('ERR_ZOKIO_CHANNEL_CLOSED');
    tx.close(); // idempotent
  });

  it("a receive waiting when its own receiver closes fails with a RecvError that says so, not the sender's fault", () => {
    const [, rx] = oneshot.channel<number>();
    const r = hand(rx.recv());
    expect(r.poll()).toBe(PENDING);
    rx.close();
    expect(r.waker.wakes).toBe(1);
    const e = caught(() => r.poll());
    expect(e).toBeInstanceOf(RecvError);
    expect((e as RecvError).message).toBe(
      'Expected a value from the oneshot sender, got a receiver closed before one was sent',
    );
  });

  it('still delivers a value sent before the sender was closed', () => {
    const [tx, rx] = oneshot.channel<number>();
    tx.send(3);
    tx.close();
    expect(hand(rx).poll()).toBe(3);
  });

  it('dropping the receiver closes the channel: send returns false, closed() finishes, a sent value is discarded', () => {
    const [tx, rx] = oneshot.channel<number>();
    const closed = hand(tx.closed());
    expect(closed.poll()).toBe(PENDING);
    const r = hand(rx);
    expect(r.poll()).toBe(PENDING);
    drop(rx);
    expect(r.waker.wakes).toBe(0);
    expect(closed.waker.wakes).toBe(1);
    expect(closed.poll()).toBeUndefined();
    expect(tx.isClosed()).toBe(true);
    expect(tx.send(1)).toBe(false);

    const [tx2, rx2] = oneshot.channel<object>();
    const value = {};
    tx2.send(value);
    rx2[Symbol.dispose]();
    expect((caught(() => rx2.tryRecv()) as TryRecvError).isClosed()).toBe(true);
  });

  it('rx.close() makes send return false but keeps a value already sent', () => {
    const [tx, rx] = oneshot.channel<number>();
    tx.send(5);
    rx.close();
    expect(rx.tryRecv()).toBe(5);
    const [tx2, rx2] = oneshot.channel<number>();
    const r = hand(rx2);
    r.poll();
    rx2.close();
    expect(r.waker.wakes).toBe(1);
    expect(tx2.send(1)).toBe(false);
    expect(caught(() => r.poll())).toBeInstanceOf(RecvError);
  });

  it('recv() can be dropped without dropping the receiver or losing the value', () => {
    const [tx, rx] = oneshot.channel<number>();
    const view = hand(rx.recv());
    expect(view.poll()).toBe(PENDING);
    tx.send(9);
    expect(view.waker.wakes).toBe(1);
    view.future.cancel();
    expect(tx.isClosed()).toBe(false);
    expect(hand(rx).poll()).toBe(9);
  });

  it('tryRecv reports empty, then the value, then closed', () => {
    const [tx, rx] = oneshot.channel<number>();
    expect((caught(() => rx.tryRecv()) as TryRecvError).isEmpty()).toBe(true);
    expect(rx.isTerminated()).toBe(false);
    tx.send(1);
    expect(rx.isTerminated()).toBe(true);
    expect(rx.tryRecv()).toBe(1);
    expect((caught(() => rx.tryRecv()) as TryRecvError).isClosed()).toBe(true);
  });

  it('a cancelled closed() future is never woken', () => {
    const [tx, rx] = oneshot.channel<number>();
    const c = hand(tx.closed());
    c.poll();
    c.future.cancel();
    rx.close();
    expect(c.waker.wakes).toBe(0);
  });
});

describe('oneshot on a scheduler', () => {
  it('hands a value from one task to another', async () => {
    const scheduler = new LocalScheduler();
    const [tx, rx] = oneshot.channel<number>();
    const h = scheduler.spawn(
      fn(function* () {
        return (yield* rx) * 2;
      })(),
    );
    scheduler.spawn(
      fn(function* () {
        yield* yieldNow();
        tx.send(21);
      })(),
    );
    expect(await h).toBe(42);
  });

  it('lets a producer stop when the receiver is dropped, through closed()', async () => {
    const scheduler = new LocalScheduler();
    const [tx, rx] = oneshot.channel<number>();
    const producer = scheduler.spawn(
      fn(function* () {
        let spins = 0;
        for (;;) {
          const r = yield* race([tx.closed(), yieldNow()]);
          if (r === undefined && tx.isClosed()) return spins;
          spins++;
        }
      })(),
    );
    scheduler.spawn(
      fn(function* () {
        yield* yieldNow();
        yield* yieldNow();
        drop(rx);
      })(),
    );
    expect(await producer).toBeGreaterThan(0);
    expect(tx.send(1)).toBe(false);
  });

  it('rejects toPromise(rx) with RecvError when the sender is dropped', async () => {
    const [tx, rx] = oneshot.channel<number>();
    const p = toPromise(rx);
    tx.close();
    await expect(p).rejects.toBeInstanceOf(RecvError);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Model-based.

type Op =
  | { t: 'send' | 'txClose' | 'rxPoll' | 'view' | 'tryRecv' | 'rxClose' | 'rxDrop' | 'closed' | 'run' }
  | { t: 'cancel'; k: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constantFrom(
      'send',
      'txClose',
      'rxPoll',
      'view',
      'view',
      'tryRecv',
      'rxClose',
      'rxDrop',
      'closed',
      'run',
      'run',
    ),
  }),
  fc.record({ t: fc.constant('cancel'), k: fc.nat(5) }),
);

type Kind = 'rx' | 'view' | 'closed';

/** The reference: a value slot and flags, plus who is registered to be woken, in order. */
class Model {
  value: number | undefined;
  full = false;
  taken = false;
  txUsed = false;
  rxClosed = false;
  rxDone = false;
  rxWaiters: number[] = [];
  txWaiters: number[] = [];
  runQueue: number[] = [];
  live = new Map<number, Kind>();
  outcomes = new Map<number, string>();
  wakeAll(list: number[]): void {
    for (const id of list.splice(0)) if (!this.runQueue.includes(id)) this.runQueue.push(id);
  }
  poll(id: number): void {
    const kind = this.live.get(id)!;
    let outcome: string | undefined;
    if (kind === 'closed') {
      if (this.rxClosed) outcome = 'ok';
      else if (!this.txWaiters.includes(id)) this.txWaiters.push(id);
    } else if (this.full) {
      outcome = `v:${this.value}`;
      this.full = false;
      this.taken = true;
      this.value = undefined;
    } else if (this.txUsed || this.rxClosed) outcome = 'RecvError';
    else if (!this.rxWaiters.includes(id)) this.rxWaiters.push(id);
    if (outcome !== undefined) {
      this.rxWaiters = this.rxWaiters.filter((x) => x !== id);
      this.live.delete(id);
      this.outcomes.set(id, outcome);
      if (kind === 'rx') this.rxDone = true;
    }
  }
  run(): void {
    for (let id = this.runQueue.shift(); id !== undefined; id = this.runQueue.shift())
      if (this.live.has(id)) this.poll(id);
  }
  cancel(id: number): void {
    const kind = this.live.get(id)!;
    this.live.delete(id);
    this.rxWaiters = this.rxWaiters.filter((x) => x !== id);
    this.txWaiters = this.txWaiters.filter((x) => x !== id);
    if (kind === 'rx') this.dropRx();
  }
  closeRx(): void {
    if (this.rxClosed) return;
    this.rxClosed = true;
    this.wakeAll(this.txWaiters);
  }
  dropRx(): void {
    this.rxDone = true;
    this.value = undefined;
    this.full = false;
    this.closeRx();
    this.wakeAll(this.rxWaiters);
  }
}

class Real {
  readonly tx: oneshot.OneshotSender<number>;
  readonly rx: oneshot.OneshotReceiver<number>;
  readonly live = new Map<number, { future: Future<unknown>; cx: Context }>();
  readonly runQueue: number[] = [];
  readonly outcomes = new Map<number, string>();
  rxId: number | undefined;
  constructor() {
    [this.tx, this.rx] = oneshot.channel<number>();
  }
  start(id: number, future: Future<unknown>): void {
    const waker: Waker = {
      wake: () => {
        if (!this.live.has(id)) throw new Error(`future ${id} woken after it finished or was cancelled`);
        if (!this.runQueue.includes(id)) this.runQueue.push(id);
      },
    };
    this.live.set(id, { future, cx: Context.detached(waker) });
    this.poll(id);
  }
  poll(id: number): void {
    const entry = this.live.get(id)!;
    let outcome: string;
    try {
      const v = entry.future.poll(entry.cx);
      if (v === PENDING) return;
      outcome = v === undefined ? 'ok' : `v:${v as number}`;
    } catch (e) {
      outcome = e instanceof RecvError ? 'RecvError' : String(e);
    }
    this.live.delete(id);
    this.outcomes.set(id, outcome);
  }
  run(): void {
    for (let id = this.runQueue.shift(); id !== undefined; id = this.runQueue.shift())
      if (this.live.has(id)) this.poll(id);
  }
}

function runScenario(ops: Op[]): void {
  const model = new Model();
  const real = new Real();
  ops.forEach((op, id) => {
    switch (op.t) {
      case 'send': {
        let r: string;
        try {
          r = `sent:${real.tx.send(id)}`;
        } catch (e) {
          r = e instanceof TypeError ? 'TypeError' : String(e);
        }
        real.outcomes.set(id, r);
        if (model.txUsed) model.outcomes.set(id, 'TypeError');
        else {
          model.txUsed = true;
          if (model.rxClosed) model.outcomes.set(id, 'sent:false');
          else {
            model.value = id;
            model.full = true;
            model.outcomes.set(id, 'sent:true');
          }
          model.wakeAll(model.rxWaiters);
        }
        break;
      }
      case 'txClose':
        real.tx.close();
        if (!model.txUsed) {
          model.txUsed = true;
          model.wakeAll(model.rxWaiters);
        }
        break;
      case 'rxPoll':
        if (model.rxDone) break;
        if (real.rxId === undefined) {
          real.rxId = id;
          model.live.set(id, 'rx');
          real.start(id, real.rx);
          model.poll(id);
        } else if (real.live.has(real.rxId)) {
          real.poll(real.rxId);
          model.poll(real.rxId);
        }
        break;
      case 'view':
        model.live.set(id, 'view');
        real.start(id, real.rx.recv());
        model.poll(id);
        break;
      case 'closed':
        model.live.set(id, 'closed');
        real.start(id, real.tx.closed());
        model.poll(id);
        break;
      case 'tryRecv': {
        try {
          real.outcomes.set(id, `try:${real.rx.tryRecv()}`);
        } catch (e) {
          real.outcomes.set(id, `try:${(e as TryRecvError).isEmpty() ? 'empty' : 'closed'}`);
        }
        if (model.full) {
          model.outcomes.set(id, `try:${model.value}`);
          model.full = false;
          model.taken = true;
        } else model.outcomes.set(id, `try:${model.txUsed || model.rxClosed ? 'closed' : 'empty'}`);
        break;
      }
      case 'rxClose':
        real.rx.close();
        model.closeRx();
        if (!model.full) model.wakeAll(model.rxWaiters);
        break;
      case 'rxDrop':
        drop(real.rx);
        if (real.rxId !== undefined) real.live.delete(real.rxId);
        if (!model.rxDone) {
          if (real.rxId !== undefined) model.live.delete(real.rxId);
          model.rxWaiters = model.rxWaiters.filter((x) => x !== real.rxId);
          model.dropRx();
        }
        break;
      case 'run':
        real.run();
        model.run();
        break;
      case 'cancel': {
        const ids = [...real.live.keys()].sort((a, b) => a - b);
        if (ids.length === 0) break;
        const target = ids[op.k % ids.length]!;
        const entry = real.live.get(target)!;
        real.live.delete(target);
        expect(entry.future.cancel()).toBeUndefined();
        model.cancel(target);
        break;
      }
    }
    expect([...real.outcomes].sort((a, b) => a[0] - b[0])).toEqual([...model.outcomes].sort((a, b) => a[0] - b[0]));
    expect([...real.live.keys()].sort((a, b) => a - b)).toEqual([...model.live.keys()].sort((a, b) => a - b));
    expect(real.runQueue).toEqual(model.runQueue);
    expect(real.tx.isClosed()).toBe(model.rxClosed);
  });
  // The value is delivered at most once.
  const deliveries = [...real.outcomes.values()].filter((o) => /^(v|try):\d/.test(o));
  expect(deliveries.length).toBeLessThanOrEqual(1);
}

describe('oneshot against a reference model', () => {
  it('same values, errors and wakes under random send/close/poll/recv/cancel/drop', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 40 }), runScenario), { numRuns: 500 });
  });
});
