import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Context, fn, PENDING, yieldNow, type Future, type Waker } from '@zokio/future';
import { LocalScheduler } from '@zokio/scheduler';
import { broadcast, LaggedError, RecvError, SendError, TryRecvError } from '../src/index.js';
import { hand, caught } from './hand.js';

describe('broadcast: hand-polled', () => {
  it('delivers every message to every receiver, in order, and counts receivers', () => {
    const [tx, rx1] = broadcast.channel<number>(4);
    const rx2 = tx.subscribe();
    expect(tx.send(1)).toBe(2);
    expect(tx.send(2)).toBe(2);
    const rx3 = tx.subscribe(); // sees only what is sent from now on
    expect(tx.send(3)).toBe(3);
    expect([rx1.tryRecv(), rx1.tryRecv(), rx1.tryRecv()]).toEqual([1, 2, 3]);
    expect([hand(rx2.recv()).poll(), rx2.tryRecv(), rx2.tryRecv()]).toEqual([1, 2, 3]);
    expect(rx3.tryRecv()).toBe(3);
    expect((caught(() => rx3.tryRecv()) as TryRecvError).isEmpty()).toBe(true);
  });

  it('reports how many messages a slow receiver missed, then continues from the oldest retained', () => {
    const [tx, rx] = broadcast.channel<number>(2);
    for (let i = 1; i <= 5; i++) tx.send(i);
    expect(rx.len()).toBe(2);
    const e = caught(() => hand(rx.recv()).poll());
    expect(e).toBeInstanceOf(LaggedError);
    expect((e as LaggedError).missed).toBe(3);
    expect((e as LaggedError).code).toBe('ERR_ZOKIO_CHANNEL_LAGGED');
    expect([rx.tryRecv(), rx.tryRecv()]).toEqual([4, 5]);
  });

  it('wakes every waiting receiver once per send, and never a cancelled one', () => {
    const [tx, rx1] = broadcast.channel<number>(4);
    const rx2 = tx.subscribe();
    const a = hand(rx1.recv());
    const b = hand(rx2.recv());
    expect([a.poll(), b.poll()]).toEqual([PENDING, PENDING]);
    b.future.cancel();
    tx.send(7);
    expect([a.waker.wakes, b.waker.wakes]).toEqual([1, 0]);
    expect(a.poll()).toBe(7);
    expect(rx2.tryRecv()).toBe(7); // the cancelled receive lost nothing
  });

  it('drains, then fails with RecvError once every sender is closed, waking waiting receivers', () => {
    const [tx, rx] = broadcast.channel<number>(4);
    const tx2 = tx.clone();
    tx.send(1);
    tx.close();
    expect(rx.tryRecv()).toBe(1);
    const r = hand(rx.recv());
    expect(r.poll()).toBe(PENDING);
    tx2[Symbol.dispose]();
    expect(r.waker.wakes).toBe(1);
    expect(rx.isClosed()).toBe(true);
    expect(caught(() => r.poll())).toBeInstanceOf(RecvError);
    expect((caught(() => rx.tryRecv()) as TryRecvError).isClosed()).toBe(true);
  });

  it('fails send with the value when there is no receiver, and rejects use of closed handles', () => {
    const [tx, rx] = broadcast.channel<string>(1);
    rx.close();
    expect(tx.receiverCount()).toBe(0);
    expect((caught(() => tx.send('x')) as SendError<string>).value).toBe('x');
    expect(() => rx.recv()).toThrow(TypeError);
    tx.close();
    expect(() => tx.subscribe()).toThrow(TypeError);
    expect(() => broadcast.channel(0)).toThrow('broadcast.channel: Expected a positive integer capacity, got number 0');
  });

  it("closing a receiver wakes its own waiting recv() once, which fails with RecvError; others' are untouched", () => {
    const [tx, rx] = broadcast.channel<number>(4);
    const other = tx.subscribe();
    const mine = hand(rx.recv());
    const mineAgain = hand(rx.recv()); // a receiver may have several receive futures waiting (a select loop)
    const theirs = hand(other.recv());
    for (const r of [mine, mineAgain, theirs]) expect(r.poll()).toBe(PENDING);
    rx.close();
    expect([mine.waker.wakes, mineAgain.waker.wakes, theirs.waker.wakes]).toEqual([1, 1, 0]);
    const error = caught(() => mine.poll());
    expect(error).toBeInstanceOf(RecvError);
    expect((error as RecvError).message).toBe(
      'Expected an open broadcast Receiver, got one closed while its recv() waited',
    );
    expect(caught(() => mineAgain.poll())).toBeInstanceOf(RecvError);
    expect(tx.send(7)).toBe(1); // only `other` is left, and its waiter still waits for this
    expect([mine.waker.wakes, mineAgain.waker.wakes, theirs.waker.wakes]).toEqual([1, 1, 1]);
    expect(theirs.poll()).toBe(7);
  });

  it('resubscribe starts at the next message', () => {
    const [tx, rx] = broadcast.channel<number>(4);
    tx.send(1);
    const rx2 = rx.resubscribe();
    tx.send(2);
    expect(rx.tryRecv()).toBe(1);
    expect(rx2.tryRecv()).toBe(2);
  });
});

describe('broadcast on a scheduler', () => {
  it('gives each of three subscriber tasks every message', async () => {
    const scheduler = new LocalScheduler();
    const [tx, rx] = broadcast.channel<number>(256);
    const listen = fn(function* (rx: broadcast.Receiver<number>) {
      using _rx = rx;
      const got: number[] = [];
      for (;;) {
        try {
          got.push(yield* rx.recv());
        } catch (e) {
          if (e instanceof RecvError) return got;
          throw e;
        }
      }
    });
    const handles = [rx, tx.subscribe(), tx.subscribe()].map((r) => scheduler.spawn(listen(r)));
    scheduler.spawn(
      fn(function* () {
        for (let i = 0; i < 100; i++) {
          tx.send(i);
          if (i % 10 === 0) yield* yieldNow();
        }
        tx.close();
      })(),
    );
    const expected = Array.from({ length: 100 }, (_, i) => i);
    for (const h of handles) expect(await h).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Model-based.

type Op =
  | { t: 'send' | 'clone' | 'closeSender'; s: number }
  | { t: 'subscribe' | 'run' }
  | { t: 'recv' | 'tryRecv' | 'closeReceiver'; r: number }
  | { t: 'cancel'; k: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constantFrom('send', 'send', 'send', 'clone', 'closeSender'), s: fc.nat(3) }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('subscribe', 'run', 'run') }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constantFrom('recv', 'recv', 'tryRecv', 'closeReceiver'), r: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel'), k: fc.nat(5) }) },
);

/** The reference: the full log of messages; each receiver reads it by index and lags when too far behind. */
class Model {
  log: number[] = [];
  senders = [true];
  receivers: { open: boolean; next: number; pending: number | undefined }[] = [
    { open: true, next: 0, pending: undefined },
  ];
  waiters: number[] = [];
  runQueue: number[] = [];
  live = new Map<number, number>(); // future id → receiver index
  outcomes = new Map<number, string>();
  constructor(readonly cap: number) {}
  get closed(): boolean {
    return this.senders.every((s) => !s);
  }
  take(r: number): string | undefined {
    const rx = this.receivers[r]!;
    if (rx.next === this.log.length) return undefined;
    const oldest = Math.max(0, this.log.length - this.cap);
    if (rx.next < oldest) {
      const missed = oldest - rx.next;
      rx.next = oldest;
      return `lagged:${missed}`;
    }
    return `v:${this.log[rx.next++]}`;
  }
  poll(id: number): void {
    const r = this.live.get(id)!;
    let outcome = this.take(r);
    if (outcome === undefined && this.closed) outcome = 'RecvError';
    if (outcome === undefined) {
      if (!this.waiters.includes(id)) this.waiters.push(id);
      return;
    }
    this.waiters = this.waiters.filter((x) => x !== id);
    this.live.delete(id);
    this.receivers[r]!.pending = undefined;
    this.outcomes.set(id, outcome);
  }
  wakeAll(): void {
    for (const id of this.waiters.splice(0)) if (!this.runQueue.includes(id)) this.runQueue.push(id);
  }
  run(): void {
    for (let id = this.runQueue.shift(); id !== undefined; id = this.runQueue.shift())
      if (this.live.has(id)) this.poll(id);
  }
}

class Real {
  readonly senders: broadcast.Sender<number>[];
  readonly receivers: broadcast.Receiver<number>[];
  readonly live = new Map<number, { future: Future<unknown>; cx: Context }>();
  readonly runQueue: number[] = [];
  readonly outcomes = new Map<number, string>();
  constructor(cap: number) {
    const [tx, rx] = broadcast.channel<number>(cap);
    this.senders = [tx];
    this.receivers = [rx];
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
      outcome = `v:${String(v)}`;
    } catch (e) {
      outcome = e instanceof LaggedError ? `lagged:${e.missed}` : e instanceof RecvError ? 'RecvError' : String(e);
    }
    this.live.delete(id);
    this.outcomes.set(id, outcome);
  }
  run(): void {
    for (let id = this.runQueue.shift(); id !== undefined; id = this.runQueue.shift())
      if (this.live.has(id)) this.poll(id);
  }
}

function runScenario(cap: number, ops: Op[]): void {
  const model = new Model(cap);
  const real = new Real(cap);
  ops.forEach((op, id) => {
    switch (op.t) {
      case 'send': {
        const s = op.s % real.senders.length;
        let r: string;
        try {
          r = `sent:${real.senders[s]!.send(id)}`;
        } catch (e) {
          r =
            e instanceof SendError ? `SendError:${String(e.value)}` : e instanceof TypeError ? 'TypeError' : String(e);
        }
        real.outcomes.set(id, r);
        const receivers = model.receivers.filter((x) => x.open).length;
        if (!model.senders[s]) model.outcomes.set(id, 'TypeError');
        else if (receivers === 0) model.outcomes.set(id, `SendError:${id}`);
        else {
          model.log.push(id);
          model.outcomes.set(id, `sent:${receivers}`);
          model.wakeAll();
        }
        break;
      }
      case 'clone': {
        const s = op.s % real.senders.length;
        if (model.senders[s]) {
          real.senders.push(real.senders[s]!.clone());
          model.senders.push(true);
        } else expect(() => real.senders[s]!.clone()).toThrow(TypeError);
        break;
      }
      case 'closeSender': {
        const s = op.s % real.senders.length;
        const wasLast = model.senders.filter(Boolean).length === 1 && model.senders[s];
        real.senders[s]!.close();
        model.senders[s] = false;
        if (wasLast) model.wakeAll();
        break;
      }
      case 'subscribe': {
        const s = model.senders.findIndex(Boolean);
        if (s < 0) break;
        real.receivers.push(real.senders[s]!.subscribe());
        model.receivers.push({ open: true, next: model.log.length, pending: undefined });
        break;
      }
      case 'recv': {
        const r = op.r % real.receivers.length;
        const rx = model.receivers[r]!;
        if (!rx.open || rx.pending !== undefined) break; // one receive at a time per receiver
        rx.pending = id;
        model.live.set(id, r);
        real.start(id, real.receivers[r]!.recv());
        model.poll(id);
        break;
      }
      case 'tryRecv': {
        const r = op.r % real.receivers.length;
        if (!model.receivers[r]!.open) break;
        try {
          real.outcomes.set(id, `v:${real.receivers[r]!.tryRecv()}`);
        } catch (e) {
          real.outcomes.set(
            id,
            e instanceof LaggedError ? `lagged:${e.missed}` : (e as TryRecvError).isEmpty() ? 'empty' : 'closed',
          );
        }
        model.outcomes.set(id, model.take(r) ?? (model.closed ? 'closed' : 'empty'));
        break;
      }
      case 'closeReceiver': {
        const r = op.r % real.receivers.length;
        const rx = model.receivers[r]!;
        if (rx.pending !== undefined) {
          // Drop its pending receive first, as a task dropping its receiver would.
          real.live.get(rx.pending)!.future.cancel();
          real.live.delete(rx.pending);
          model.live.delete(rx.pending);
          model.waiters = model.waiters.filter((x) => x !== rx.pending);
          rx.pending = undefined;
        }
        real.receivers[r]!.close();
        rx.open = false;
        break;
      }
      case 'cancel': {
        const ids = [...real.live.keys()].sort((a, b) => a - b);
        if (ids.length === 0) break;
        const target = ids[op.k % ids.length]!;
        expect(real.live.get(target)!.future.cancel()).toBeUndefined();
        real.live.delete(target);
        model.receivers[model.live.get(target)!]!.pending = undefined;
        model.live.delete(target);
        model.waiters = model.waiters.filter((x) => x !== target);
        break;
      }
      case 'run':
        real.run();
        model.run();
        break;
    }
    expect([...real.outcomes].sort((a, b) => a[0] - b[0])).toEqual([...model.outcomes].sort((a, b) => a[0] - b[0]));
    expect(real.runQueue).toEqual(model.runQueue);
    real.receivers.forEach((rx, r) => {
      const m = model.receivers[r]!;
      if (m.open) expect(rx.len()).toBe(model.log.length - Math.max(m.next, model.log.length - cap));
    });
    expect(real.senders[0]!.receiverCount()).toBe(model.receivers.filter((x) => x.open).length);
  });
}

describe('broadcast against a reference model', () => {
  it('same messages, lag counts, closed outcomes and wakes under random send/recv/subscribe/cancel/close', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(opArb, { maxLength: 80 }), runScenario), {
      numRuns: 400,
    });
  });
});
