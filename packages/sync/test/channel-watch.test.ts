import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Context, fn, PENDING, yieldNow, type Future, type Waker } from '@zokio/future';
import { LocalScheduler } from '@zokio/scheduler';
import { RecvError, SendError, watch } from '../src/index.js';
import { hand, caught } from './hand.js';

describe('watch: hand-polled', () => {
  it('changed() waits for a send, wakes once, and marks the value seen', () => {
    const [tx, rx] = watch.channel(0);
    expect(rx.hasChanged()).toBe(false);
    const c = hand(rx.changed());
    expect(c.poll()).toBe(PENDING);
    tx.send(1);
    tx.send(2);
    expect(c.waker.wakes).toBe(1);
    expect(rx.hasChanged()).toBe(true);
    expect(c.poll()).toBeUndefined();
    expect(rx.hasChanged()).toBe(false);
    expect(rx.borrow()).toBe(2);
    expect(hand(rx.changed()).poll()).toBe(PENDING);
  });

  it('a cancelled changed() is never woken and marks nothing seen', () => {
    const [tx, rx] = watch.channel('a');
    const c = hand(rx.changed());
    c.poll();
    c.future.cancel();
    tx.send('b');
    expect(c.waker.wakes).toBe(0);
    expect(rx.hasChanged()).toBe(true);
    expect(hand(rx.changed()).poll()).toBeUndefined();
  });

  it('fails changed() with RecvError once the sender is closed and the last value seen', () => {
    const [tx, rx] = watch.channel(0);
    const c = hand(rx.changed());
    c.poll();
    tx.send(1);
    tx.close();
    expect(rx.isClosed()).toBe(true);
    expect(c.poll()).toBeUndefined(); // the last value is still a change
    const d = hand(rx.changed());
    const e = caught(() => d.poll());
    expect(e).toBeInstanceOf(RecvError);
    expect((e as RecvError).code).toBe('ERR_ZOKIO_CHANNEL_CLOSED');
    expect(rx.borrow()).toBe(1);
  });

  it('wakes a waiting changed() when the sender closes', () => {
    const [tx, rx] = watch.channel(0);
    const c = hand(rx.changed());
    c.poll();
    tx[Symbol.dispose]();
    expect(c.waker.wakes).toBe(1);
    expect(caught(() => c.poll())).toBeInstanceOf(RecvError);
  });

  it("closing a receiver wakes its own waiting changed() once, which fails with RecvError; others' are untouched", () => {
    const [tx, rx] = watch.channel(0);
    const other = rx.clone();
    const mine = hand(rx.changed());
    const theirs = hand(other.changed());
    expect(mine.poll()).toBe(PENDING);
    expect(theirs.poll()).toBe(PENDING);
    rx.close();
    expect([mine.waker.wakes, theirs.waker.wakes]).toEqual([1, 0]);
    const error = caught(() => mine.poll());
    expect(error).toBeInstanceOf(RecvError);
    expect((error as RecvError).message).toBe(
      'Expected an open watch Receiver, got one closed while its changed() waited',
    );
    tx.send(1);
    expect(theirs.waker.wakes).toBe(1);
    expect(theirs.poll()).toBeUndefined();
    expect(other.borrow()).toBe(1);
  });

  it('send fails with the value once every receiver is closed; sendReplace and sendModify still store', () => {
    const [tx, rx] = watch.channel(1);
    const closed = hand(tx.closed());
    expect(closed.poll()).toBe(PENDING);
    const rx2 = rx.clone();
    rx.close();
    expect(closed.waker.wakes).toBe(0);
    rx2.close();
    expect(closed.waker.wakes).toBe(1);
    expect(closed.poll()).toBeUndefined();
    expect(tx.isClosed()).toBe(true);
    expect((caught(() => tx.send(2)) as SendError<number>).value).toBe(2);
    expect(tx.borrow()).toBe(1);
    expect(tx.sendReplace(3)).toBe(1);
    tx.sendModify((n) => n + 1);
    expect(tx.borrow()).toBe(4);
  });

  it('subscribe() and clone() start from what they were given as seen', () => {
    const [tx, rx] = watch.channel(0);
    tx.send(1);
    const sub = tx.subscribe();
    const copy = rx.clone();
    expect([sub.hasChanged(), copy.hasChanged(), rx.hasChanged()]).toEqual([false, true, true]);
    expect(rx.borrowAndUpdate()).toBe(1);
    expect([rx.hasChanged(), copy.hasChanged()]).toEqual([false, true]);
    expect(tx.receiverCount()).toBe(3);
  });

  it('sendModify that throws changes nothing and wakes nobody', () => {
    const [tx, rx] = watch.channel({ n: 0 });
    const c = hand(rx.changed());
    c.poll();
    expect(() =>
      tx.sendModify(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(c.waker.wakes).toBe(0);
    expect(rx.hasChanged()).toBe(false);
  });
});

describe('watch on a scheduler', () => {
  it('a follower sees the final value and then the close', async () => {
    const scheduler = new LocalScheduler();
    const [tx, rx] = watch.channel(0);
    const follower = scheduler.spawn(
      fn(function* () {
        const seen: number[] = [];
        for (;;) {
          try {
            yield* rx.changed();
          } catch (e) {
            if (e instanceof RecvError) return seen;
            throw e;
          }
          seen.push(rx.borrow());
        }
      })(),
    );
    scheduler.spawn(
      fn(function* () {
        for (let i = 1; i <= 50; i++) {
          tx.send(i);
          if (i % 5 === 0) yield* yieldNow();
        }
        tx.close();
      })(),
    );
    const seen = await follower;
    expect(seen.at(-1)).toBe(50);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen); // increasing, never repeated
    expect(new Set(seen).size).toBe(seen.length);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Model-based.

type Op =
  | { t: 'send' | 'sendReplace' | 'sendModify' | 'txClose' | 'subscribe' | 'closed' | 'run' }
  | { t: 'changed' | 'borrowAndUpdate' | 'hasChanged' | 'clone' | 'rxClose'; r: number }
  | { t: 'cancel'; k: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constantFrom('send', 'send', 'sendReplace', 'sendModify', 'txClose', 'subscribe', 'closed', 'run', 'run'),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constantFrom('changed', 'changed', 'borrowAndUpdate', 'hasChanged', 'clone', 'rxClose'),
      r: fc.nat(3),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel'), k: fc.nat(5) }) },
);

/** The reference: a value with a version, each receiver's last seen version, and who waits for what. */
class Model {
  value = -1;
  version = 0;
  txOpen = true;
  receivers: { open: boolean; seen: number; pending: number | undefined }[] = [
    { open: true, seen: 0, pending: undefined },
  ];
  changeWaiters: number[] = [];
  closedWaiters: number[] = [];
  runQueue: number[] = [];
  live = new Map<number, number>(); // future id → receiver index, or -1 for closed()
  outcomes = new Map<number, string>();
  get openReceivers(): number {
    return this.receivers.filter((r) => r.open).length;
  }
  wake(list: number[]): void {
    for (const id of list.splice(0)) if (!this.runQueue.includes(id)) this.runQueue.push(id);
  }
  store(v: number): void {
    this.value = v;
    this.version++;
    this.wake(this.changeWaiters);
  }
  poll(id: number): void {
    const r = this.live.get(id)!;
    let outcome: string | undefined;
    if (r < 0) {
      if (this.openReceivers === 0) outcome = 'ok';
      else if (!this.closedWaiters.includes(id)) this.closedWaiters.push(id);
    } else {
      const rx = this.receivers[r]!;
      if (rx.seen !== this.version) {
        rx.seen = this.version;
        outcome = `changed:${this.value}`;
      } else if (!this.txOpen) outcome = 'RecvError';
      else if (!this.changeWaiters.includes(id)) this.changeWaiters.push(id);
    }
    if (outcome === undefined) return;
    this.changeWaiters = this.changeWaiters.filter((x) => x !== id);
    this.live.delete(id);
    if (r >= 0) this.receivers[r]!.pending = undefined;
    this.outcomes.set(id, outcome);
  }
  run(): void {
    for (let id = this.runQueue.shift(); id !== undefined; id = this.runQueue.shift())
      if (this.live.has(id)) this.poll(id);
  }
  cancel(id: number): void {
    const r = this.live.get(id)!;
    this.live.delete(id);
    if (r >= 0) this.receivers[r]!.pending = undefined;
    this.changeWaiters = this.changeWaiters.filter((x) => x !== id);
    this.closedWaiters = this.closedWaiters.filter((x) => x !== id);
  }
}

class Real {
  readonly tx: watch.Sender<number>;
  readonly receivers: watch.Receiver<number>[];
  readonly live = new Map<number, { future: Future<unknown>; cx: Context }>();
  readonly runQueue: number[] = [];
  readonly outcomes = new Map<number, string>();
  readonly changedOf = new Map<number, number>();
  constructor() {
    const [tx, rx] = watch.channel(-1);
    this.tx = tx;
    this.receivers = [rx];
  }
  start(id: number, future: Future<unknown>, r: number): void {
    const waker: Waker = {
      wake: () => {
        if (!this.live.has(id)) throw new Error(`future ${id} woken after it finished or was cancelled`);
        if (!this.runQueue.includes(id)) this.runQueue.push(id);
      },
    };
    this.changedOf.set(id, r);
    this.live.set(id, { future, cx: Context.detached(waker) });
    this.poll(id);
  }
  poll(id: number): void {
    const entry = this.live.get(id)!;
    let outcome: string;
    try {
      if (entry.future.poll(entry.cx) === PENDING) return;
      const r = this.changedOf.get(id)!;
      outcome = r < 0 ? 'ok' : `changed:${this.receivers[r]!.borrow()}`;
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
  const record = (id: number, f: () => unknown): void => {
    try {
      real.outcomes.set(id, `ret:${String(f())}`);
    } catch (e) {
      real.outcomes.set(
        id,
        e instanceof SendError ? `SendError:${String(e.value)}` : e instanceof TypeError ? 'TypeError' : String(e),
      );
    }
  };
  ops.forEach((op, id) => {
    switch (op.t) {
      case 'send':
        record(id, () => real.tx.send(id));
        if (!model.txOpen) model.outcomes.set(id, 'TypeError');
        else if (model.openReceivers === 0) model.outcomes.set(id, `SendError:${id}`);
        else {
          model.store(id);
          model.outcomes.set(id, 'ret:undefined');
        }
        break;
      case 'sendReplace':
      case 'sendModify':
        record(id, () => (op.t === 'sendReplace' ? real.tx.sendReplace(id) : real.tx.sendModify((v) => v + 1000)));
        if (!model.txOpen) model.outcomes.set(id, 'TypeError');
        else {
          const previous = model.value;
          model.store(op.t === 'sendReplace' ? id : previous + 1000);
          model.outcomes.set(id, `ret:${op.t === 'sendReplace' ? previous : undefined}`);
        }
        break;
      case 'txClose':
        real.tx.close();
        if (model.txOpen) {
          model.txOpen = false;
          model.wake(model.changeWaiters);
        }
        break;
      case 'subscribe':
        if (!model.txOpen) break;
        real.receivers.push(real.tx.subscribe());
        model.receivers.push({ open: true, seen: model.version, pending: undefined });
        break;
      case 'closed':
        model.live.set(id, -1);
        real.start(id, real.tx.closed(), -1);
        model.poll(id);
        break;
      case 'changed': {
        const r = op.r % real.receivers.length;
        const rx = model.receivers[r]!;
        if (!rx.open || rx.pending !== undefined) break;
        rx.pending = id;
        model.live.set(id, r);
        real.start(id, real.receivers[r]!.changed(), r);
        model.poll(id);
        break;
      }
      case 'borrowAndUpdate':
      case 'hasChanged': {
        const r = op.r % real.receivers.length;
        const rx = model.receivers[r]!;
        record(id, () =>
          op.t === 'hasChanged' ? real.receivers[r]!.hasChanged() : real.receivers[r]!.borrowAndUpdate(),
        );
        model.outcomes.set(id, `ret:${op.t === 'hasChanged' ? rx.seen !== model.version : model.value}`);
        if (op.t === 'borrowAndUpdate') rx.seen = model.version;
        break;
      }
      case 'clone': {
        const r = op.r % real.receivers.length;
        const rx = model.receivers[r]!;
        if (!rx.open) break;
        real.receivers.push(real.receivers[r]!.clone());
        model.receivers.push({ open: true, seen: rx.seen, pending: undefined });
        break;
      }
      case 'rxClose': {
        const r = op.r % real.receivers.length;
        const rx = model.receivers[r]!;
        if (!rx.open) break;
        if (rx.pending !== undefined) {
          real.live.get(rx.pending)!.future.cancel();
          real.live.delete(rx.pending);
          model.cancel(rx.pending);
        }
        real.receivers[r]!.close();
        rx.open = false;
        if (model.openReceivers === 0) model.wake(model.closedWaiters);
        break;
      }
      case 'cancel': {
        const ids = [...real.live.keys()].sort((a, b) => a - b);
        if (ids.length === 0) break;
        const target = ids[op.k % ids.length]!;
        expect(real.live.get(target)!.future.cancel()).toBeUndefined();
        real.live.delete(target);
        model.cancel(target);
        break;
      }
      case 'run':
        real.run();
        model.run();
        break;
    }
    expect([...real.outcomes].sort((a, b) => a[0] - b[0])).toEqual([...model.outcomes].sort((a, b) => a[0] - b[0]));
    expect(real.runQueue).toEqual(model.runQueue);
    expect(real.tx.borrow()).toBe(model.value);
    expect(real.tx.receiverCount()).toBe(model.openReceivers);
    real.receivers.forEach((rx, r) => {
      if (model.receivers[r]!.open) expect(rx.hasChanged()).toBe(model.receivers[r]!.seen !== model.version);
    });
  });
}

describe('watch against a reference model', () => {
  it('same values, changes, closed outcomes and wakes under random send/changed/cancel/close', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), runScenario), { numRuns: 500 });
  });
});
