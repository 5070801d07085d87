import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Context, fn, PENDING, race, yieldNow, type Future, type Waker } from '@zokio/future';
import { LocalScheduler } from '@zokio/scheduler';
import { mpsc, SendError, TryRecvError, TrySendError } from '../src/index.js';
import { CountingWaker, hand, caught } from './hand.js';

describe('mpsc bounded: hand-polled interleavings', () => {
  it('delivers messages in order and reports a full channel to trySend with the value', () => {
    const [tx, rx] = mpsc.channel<number>(2);
    tx.trySend(1);
    tx.trySend(2);
    const e = caught(() => tx.trySend(3));
    expect(e).toBeInstanceOf(TrySendError);
    expect((e as TrySendError<number>).isFull()).toBe(true);
    expect((e as TrySendError<number>).value).toBe(3);
    expect(rx.tryRecv()).toBe(1);
    expect(hand(rx.recv()).poll()).toBe(2);
    expect((caught(() => rx.tryRecv()) as TryRecvError).isEmpty()).toBe(true);
  });

  it('serves waiting senders in FIFO order and wakes only the one granted a slot', () => {
    const [tx, rx] = mpsc.channel<string>(1);
    tx.trySend('first');
    const a = hand(tx.send('a'));
    const b = hand(tx.reserve());
    const c = hand(tx.send('c'));
    expect([a.poll(), b.poll(), c.poll()]).toEqual([PENDING, PENDING, PENDING]);

    expect(rx.tryRecv()).toBe('first');
    expect([a.waker.wakes, b.waker.wakes, c.waker.wakes]).toEqual([1, 0, 0]);
    // The freed slot belongs to `a`: a newcomer cannot take it.
    expect((caught(() => tx.trySend('late')) as TrySendError<string>).isFull()).toBe(true);
    expect(a.poll()).toBeUndefined();

    expect(rx.tryRecv()).toBe('a');
    expect([a.waker.wakes, b.waker.wakes, c.waker.wakes]).toEqual([1, 1, 0]);
    const permit = b.poll() as mpsc.Permit<string>;
    permit.send('b');
    expect(rx.tryRecv()).toBe('b');
    expect(c.waker.wakes).toBe(1);
    expect(c.poll()).toBeUndefined();
    expect(rx.tryRecv()).toBe('c');
    expect([a.waker.wakes, b.waker.wakes, c.waker.wakes]).toEqual([1, 1, 1]);
    expect(tx.capacity()).toBe(1);
  });

  it('forgets a send cancelled while queued: no wake, and the next in line is served', () => {
    const [tx, rx] = mpsc.channel<string>(1);
    tx.trySend('x');
    const a = hand(tx.send('a'));
    const b = hand(tx.send('b'));
    a.poll();
    b.poll();
    expect(a.future.cancel()).toBeUndefined();
    expect(rx.tryRecv()).toBe('x');
    expect(a.waker.wakes).toBe(0);
    expect(b.waker.wakes).toBe(1);
    expect(b.poll()).toBeUndefined();
    expect(rx.tryRecv()).toBe('b');
    expect((caught(() => rx.tryRecv()) as TryRecvError).isEmpty()).toBe(true);
  });

  it('passes the slot of a reserve cancelled after its grant to the next sender, waking each once', () => {
    const [tx, rx] = mpsc.channel<string>(1);
    tx.trySend('x');
    const a = hand(tx.reserve());
    const b = hand(tx.send('b'));
    a.poll();
    b.poll();
    rx.tryRecv(); // grants the slot to `a`
    expect([a.waker.wakes, b.waker.wakes]).toEqual([1, 0]);
    a.future.cancel(); // before `a` was polled again: the slot goes on
    expect([a.waker.wakes, b.waker.wakes]).toEqual([1, 1]);
    expect(b.poll()).toBeUndefined();
    expect(rx.tryRecv()).toBe('b');
    expect(tx.capacity()).toBe(1);
    a.future.cancel(); // idempotent
    expect(tx.capacity()).toBe(1);
  });

  it('passes the slot of a send cancelled after its grant, and the cancelled value is not sent', () => {
    const [tx, rx] = mpsc.channel<string>(1);
    tx.trySend('x');
    const a = hand(tx.send('lost'));
    a.poll();
    rx.tryRecv();
    a.future.cancel();
    expect(tx.capacity()).toBe(1);
    expect(rx.isEmpty()).toBe(true);
  });

  it('loses no message when a recv future is cancelled after it was woken', () => {
    const [tx, rx] = mpsc.channel<number>(4);
    const r1 = hand(rx.recv());
    expect(r1.poll()).toBe(PENDING);
    tx.trySend(7);
    expect(r1.waker.wakes).toBe(1);
    r1.future.cancel();
    const r2 = hand(rx.recv());
    expect(r2.poll()).toBe(7);
    tx.trySend(8);
    expect(r1.waker.wakes).toBe(1); // a cancelled waiter is never woken again
  });

  it('drains, then returns undefined, once every sender and clone is closed', () => {
    const [tx, rx] = mpsc.channel<number>(4);
    const tx2 = tx.clone();
    tx.trySend(1);
    tx2.trySend(2);
    tx.close();
    const r = hand(rx.recv());
    expect(r.poll()).toBe(1);
    expect(rx.isClosed()).toBe(false);
    tx2[Symbol.dispose]();
    expect(rx.isClosed()).toBe(true);
    expect(hand(rx.recv()).poll()).toBe(2);
    expect(hand(rx.recv()).poll()).toBeUndefined();
    expect((caught(() => rx.tryRecv()) as TryRecvError).isClosed()).toBe(true);
  });

  it('wakes a waiting receiver when the last sender closes', () => {
    const [tx, rx] = mpsc.channel<number>(4);
    const r = hand(rx.recv());
    expect(r.poll()).toBe(PENDING);
    const tx2 = tx.clone();
    tx.close();
    expect(r.waker.wakes).toBe(0);
    tx2.close();
    expect(r.waker.wakes).toBe(1);
    expect(r.poll()).toBeUndefined();
  });

  it('keeps the channel open for a send still pending after its sender closed', () => {
    const [tx, rx] = mpsc.channel<number>(1);
    tx.trySend(1);
    const s = hand(tx.send(2));
    expect(s.poll()).toBe(PENDING);
    tx.close();
    expect(rx.tryRecv()).toBe(1);
    expect(rx.isClosed()).toBe(false);
    expect(s.poll()).toBeUndefined();
    expect(rx.tryRecv()).toBe(2);
    expect((caught(() => rx.tryRecv()) as TryRecvError).isClosed()).toBe(true);
  });

  it('fails sends with a SendError carrying the value back once the receiver is dropped', () => {
    const [tx, rx] = mpsc.channel<string>(1);
    tx.trySend('queued');
    const waiting = hand(tx.send('waiting'));
    const reserving = hand(tx.reserve());
    waiting.poll();
    reserving.poll();
    rx.drop();
    expect(tx.isClosed()).toBe(true);
    expect([waiting.waker.wakes, reserving.waker.wakes]).toEqual([1, 1]);
    const e = caught(() => waiting.poll());
    expect(e).toBeInstanceOf(SendError);
    expect((e as SendError<string>).value).toBe('waiting');
    expect((e as SendError<string>).code).toBe('ERR_ZOKIO_CHANNEL_CLOSED');
    expect(caught(() => reserving.poll())).toBeInstanceOf(SendError);
    expect((caught(() => hand(tx.send('later')).poll()) as SendError<string>).value).toBe('later');
    expect((caught(() => tx.trySend('try')) as TrySendError<string>).isClosed()).toBe(true);
    expect(rx.len()).toBe(0); // the queued message was discarded
    expect(hand(rx.recv()).poll()).toBeUndefined();
  });

  it('on receiver close: fails waiting senders, still delivers queued messages and sends of outstanding permits', () => {
    const [tx, rx] = mpsc.channel<number>(2);
    tx.trySend(1);
    const permit = tx.tryReserve();
    const waiting = hand(tx.send(3));
    waiting.poll();
    rx.close();
    expect((caught(() => waiting.poll()) as SendError<number>).value).toBe(3);
    expect((caught(() => tx.trySend(4)) as TrySendError<number>).isClosed()).toBe(true);
    expect(rx.tryRecv()).toBe(1);
    const r = hand(rx.recv());
    expect(r.poll()).toBe(PENDING); // the permit may still send
    expect(permit.send(2)).toBe(true);
    expect(r.waker.wakes).toBe(1);
    expect(r.poll()).toBe(2);
    expect(hand(rx.recv()).poll()).toBeUndefined();
  });

  it('returns a released permit’s slot to the first waiting sender, and refuses a permit used twice', () => {
    const [tx, rx] = mpsc.channel<number>(1);
    const s = hand(tx.send(9));
    {
      using _permit = tx.tryReserve();
      expect(s.poll()).toBe(PENDING);
    }
    expect(s.waker.wakes).toBe(1);
    expect(s.poll()).toBeUndefined();
    expect(rx.tryRecv()).toBe(9);
    const permit = tx.tryReserve();
    expect(permit.send(1)).toBe(true);
    expect(() => permit.send(2)).toThrow(TypeError);
    permit.release(); // no-op after send
    expect(rx.tryRecv()).toBe(1);
    expect(tx.capacity()).toBe(1);
  });

  it('receives up to limit messages with recvMany, and 0 at the end', () => {
    const [tx, rx] = mpsc.channel<number>(8);
    for (let i = 0; i < 5; i++) tx.trySend(i);
    const buffer: number[] = [-1];
    expect(hand(rx.recvMany(buffer, 3)).poll()).toBe(3);
    expect(buffer).toEqual([-1, 0, 1, 2]);
    expect(hand(rx.recvMany(buffer, 0)).poll()).toBe(0);
    tx.close();
    expect(hand(rx.recvMany(buffer, 10)).poll()).toBe(2);
    expect(hand(rx.recvMany(buffer, 10)).poll()).toBe(0);
    expect(buffer).toEqual([-1, 0, 1, 2, 3, 4]);
    expect(() => rx.recvMany(buffer, -1)).toThrow(
      'Receiver.recvMany: Expected a non-negative integer limit, got number -1',
    );
  });

  it('rejects bad arguments and the use of a closed sender with TypeErrors', () => {
    expect(() => mpsc.channel(0)).toThrow('mpsc.channel: Expected a positive integer capacity, got number 0');
    expect(() => mpsc.channel(1.5)).toThrow(TypeError);
    const [tx] = mpsc.channel<number>(1);
    const early = tx.send(1);
    tx.close();
    tx.close();
    expect(() => tx.send(1)).toThrow(TypeError);
    expect(() => tx.clone()).toThrow(TypeError);
    expect(() => tx.trySend(1)).toThrow(TypeError);
    expect(() => hand(early).poll()).toThrow(TypeError); // created before close, first polled after
  });

  it('polls a ready recv only with coop budget, and wakes itself when the budget is spent', () => {
    const [tx, rx] = mpsc.channel<number>(1);
    tx.trySend(1);
    const waker = new CountingWaker();
    let exhausted = 0;
    const cx = new Context(waker, { budget: 0, budgetExhausted: () => exhausted++, service: () => undefined });
    const r = rx.recv();
    expect(r.poll(cx)).toBe(PENDING);
    expect([waker.wakes, exhausted, rx.len()]).toEqual([1, 1, 1]);
    cx.executor.budget = 1;
    expect(r.poll(cx)).toBe(1);
  });

  it('finishes closed() futures when the receiver closes', () => {
    const [tx, rx] = mpsc.channel<number>(1);
    const c1 = hand(tx.closed());
    const c2 = hand(tx.closed());
    expect([c1.poll(), c2.poll()]).toEqual([PENDING, PENDING]);
    c2.future.cancel();
    rx.close();
    expect([c1.waker.wakes, c2.waker.wakes]).toEqual([1, 0]);
    expect(c1.poll()).toBeUndefined();
  });
});

describe('mpsc unbounded', () => {
  it('sends synchronously, in order, and closes like the bounded channel', () => {
    const [tx, rx] = mpsc.unboundedChannel<number>();
    const r = hand(rx.recv());
    expect(r.poll()).toBe(PENDING);
    for (let i = 0; i < 100; i++) tx.send(i);
    expect(r.waker.wakes).toBe(1);
    expect(r.poll()).toBe(0);
    const buffer: number[] = [];
    expect(hand(rx.recvMany(buffer, 1000)).poll()).toBe(99);
    expect(buffer[98]).toBe(99);
    tx.close();
    expect(hand(rx.recv()).poll()).toBeUndefined();
  });

  it('fails send with a SendError carrying the value once the receiver is closed', () => {
    const [tx, rx] = mpsc.unboundedChannel<string>();
    rx.close();
    const e = caught(() => tx.send('v'));
    expect(e).toBeInstanceOf(SendError);
    expect((e as SendError<string>).value).toBe('v');
  });
});

describe('mpsc on a scheduler', () => {
  it('moves every message from three producers through a small channel, each producer in order', async () => {
    const scheduler = new LocalScheduler();
    const [tx, rx] = mpsc.channel<[number, number]>(2);
    const producer = fn(function* (id: number, tx: mpsc.Sender<[number, number]>) {
      using _tx = tx;
      for (let i = 0; i < 200; i++) {
        if (i % 2 === 0) yield* tx.send([id, i]);
        else (yield* tx.reserve()).send([id, i]);
      }
    });
    for (let id = 0; id < 3; id++) scheduler.spawn(producer(id, id === 2 ? tx : tx.clone()));
    const got = await scheduler.spawn(
      fn(function* () {
        const out: [number, number][] = [];
        for (let m = yield* rx.recv(); m !== undefined; m = yield* rx.recv()) {
          out.push(m);
          if (out.length % 7 === 0) yield* yieldNow();
        }
        return out;
      })(),
    );
    expect(got).toHaveLength(600);
    for (let id = 0; id < 3; id++) {
      expect(got.filter(([p]) => p === id).map(([, i]) => i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    }
  });

  it('loses nothing when recv keeps losing races against another branch', async () => {
    const scheduler = new LocalScheduler();
    const [tx, rx] = mpsc.unboundedChannel<number>();
    scheduler.spawn(
      fn(function* () {
        for (let i = 0; i < 300; i++) {
          tx.send(i);
          yield* yieldNow();
        }
        tx.close();
      })(),
    );
    const got = await scheduler.spawn(
      fn(function* () {
        const out: number[] = [];
        for (;;) {
          const v = yield* race([rx.recv(), yieldNow()]);
          if (v === undefined && rx.isClosed() && rx.isEmpty()) return out;
          if (typeof v === 'number') out.push(v);
        }
      })(),
    );
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('fails a waiting send with the value when the receiver is dropped', async () => {
    const scheduler = new LocalScheduler();
    const [tx, rx] = mpsc.channel<string>(1);
    tx.trySend('fill');
    const h = scheduler.spawn(
      fn(function* () {
        try {
          yield* tx.send('mine');
          return 'sent';
        } catch (e) {
          return e instanceof SendError ? `back: ${String(e.value)}` : 'other';
        }
      })(),
    );
    scheduler.spawn(
      fn(function* () {
        yield* yieldNow();
        rx.drop();
      })(),
    );
    expect(await h).toBe('back: mine');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Model-based: random interleavings against a reference model.

type Op =
  | { t: 'send' | 'reserve' | 'trySend' | 'clone' | 'closeSender'; s: number }
  | { t: 'recv' | 'tryRecv' | 'rxClose' | 'rxDrop' | 'run' }
  | { t: 'cancel' | 'permitSend' | 'permitRelease'; k: number };

const opArb = (bounded: boolean): fc.Arbitrary<Op> => {
  const s = fc.nat(3);
  const k = fc.nat(7);
  const senderOps = bounded
    ? (['send', 'send', 'reserve', 'trySend', 'trySend', 'clone', 'closeSender'] as const)
    : (['send', 'send', 'send', 'clone', 'closeSender'] as const);
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constantFrom(...senderOps), s }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constantFrom('recv', 'tryRecv', 'run', 'run') }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('rxClose', 'rxDrop') }) },
    {
      weight: bounded ? 3 : 1,
      arbitrary: fc.record({
        t: bounded ? fc.constantFrom('cancel', 'cancel', 'permitSend', 'permitRelease') : fc.constant('cancel'),
        k,
      }),
    },
  );
};

interface Pend {
  id: number;
  kind: 'send' | 'reserve';
  value: number;
}

/** The reference: a queue, a count of free slots, and lists of who waits and who was granted a slot. */
class Model {
  queue: number[] = [];
  permits = new Set<number>();
  waiting: Pend[] = [];
  granted: Pend[] = [];
  failing: Pend[] = [];
  pendingRecv: number | undefined;
  open = [true];
  rxClosed = false;
  rxDropped = false;
  outcomes = new Map<number, string>();
  received: number[] = [];
  constructor(readonly cap: number) {}
  get free(): number {
    return this.cap - this.queue.length - this.permits.size - this.granted.length;
  }
  sealed(): boolean {
    const senders = this.open.filter(Boolean).length;
    return (
      this.rxDropped ||
      (this.permits.size === 0 &&
        this.granted.length === 0 &&
        (this.rxClosed || (senders === 0 && this.waiting.length === 0)))
    );
  }
  drained(): boolean {
    return this.queue.length === 0 && this.sealed();
  }
  settle(): void {
    while (!this.rxClosed && this.free > 0 && this.waiting.length > 0) this.granted.push(this.waiting.shift()!);
  }
  take(): number {
    const v = this.queue.shift()!;
    this.received.push(v);
    this.settle();
    return v;
  }
  start(id: number, kind: 'send' | 'reserve', s: number, value: number): void {
    if (!this.open[s]) return void this.outcomes.set(id, 'TypeError');
    if (this.rxClosed) return void this.outcomes.set(id, `SendError:${kind === 'send' ? value : undefined}`);
    if (this.free > 0) return this.complete({ id, kind, value });
    this.waiting.push({ id, kind, value });
  }
  complete(p: Pend): void {
    if (this.rxDropped) return void this.outcomes.set(p.id, `SendError:${p.kind === 'send' ? p.value : undefined}`);
    if (p.kind === 'send') {
      this.queue.push(p.value);
      this.outcomes.set(p.id, 'ok');
    } else {
      this.permits.add(p.id);
      this.outcomes.set(p.id, 'permit');
    }
  }
  run(): void {
    for (;;) {
      const granted = this.granted.splice(0);
      for (const p of granted) this.complete(p);
      for (const p of this.failing.splice(0))
        this.outcomes.set(p.id, `SendError:${p.kind === 'send' ? p.value : undefined}`);
      let progressed = granted.length > 0;
      if (this.pendingRecv !== undefined && (this.queue.length > 0 || this.drained())) {
        this.outcomes.set(this.pendingRecv, `recv:${this.queue.length > 0 ? this.take() : undefined}`);
        this.pendingRecv = undefined;
        progressed = true;
      }
      if (!progressed) return;
    }
  }
  cancel(id: number): void {
    this.waiting = this.waiting.filter((p) => p.id !== id);
    this.granted = this.granted.filter((p) => p.id !== id);
    this.failing = this.failing.filter((p) => p.id !== id);
    if (this.pendingRecv === id) this.pendingRecv = undefined;
    this.settle();
  }
  closeRx(): void {
    if (this.rxClosed) return;
    this.rxClosed = true;
    this.failing.push(...this.waiting.splice(0));
  }
}

/** The real channel, driven like a scheduler would: each future has a waker that queues it to be polled. */
class Real {
  readonly senders: (mpsc.Sender<number> | mpsc.UnboundedSender<number>)[];
  readonly rx: mpsc.Receiver<number>;
  readonly live = new Map<number, { future: Future<unknown>; cx: Context; kind: string }>();
  readonly runQueue: number[] = [];
  readonly scheduled = new Set<number>();
  readonly permits = new Map<number, mpsc.Permit<number>>();
  readonly outcomes = new Map<number, string>();
  readonly received: number[] = [];
  readonly wakesWhileScheduled: number[] = [];

  constructor(bounded: boolean, cap: number) {
    const [tx, rx] = bounded ? mpsc.channel<number>(cap) : mpsc.unboundedChannel<number>();
    this.senders = [tx];
    this.rx = rx;
  }

  start(id: number, kind: string, make: () => Future<unknown>): void {
    let future: Future<unknown>;
    try {
      future = make();
    } catch (e) {
      return void this.outcomes.set(id, e instanceof TypeError ? 'TypeError' : String(e));
    }
    const waker: Waker = {
      wake: () => {
        if (!this.live.has(id)) throw new Error(`future ${id} woken after it finished or was cancelled`);
        if (this.scheduled.has(id)) return void this.wakesWhileScheduled.push(id);
        this.scheduled.add(id);
        this.runQueue.push(id);
      },
    };
    this.live.set(id, { future, cx: Context.detached(waker), kind });
    this.poll(id);
  }

  poll(id: number): void {
    const entry = this.live.get(id)!;
    let outcome: string;
    try {
      const v = entry.future.poll(entry.cx);
      if (v === PENDING) return;
      if (entry.kind === 'reserve') {
        this.permits.set(id, v as mpsc.Permit<number>);
        outcome = 'permit';
      } else if (entry.kind === 'recv') {
        if (v !== undefined) this.received.push(v as number);
        outcome = `recv:${String(v)}`;
      } else outcome = 'ok';
    } catch (e) {
      outcome =
        e instanceof SendError ? `SendError:${String(e.value)}` : e instanceof TypeError ? 'TypeError' : String(e);
    }
    this.live.delete(id);
    this.outcomes.set(id, outcome);
  }

  run(): void {
    for (let id = this.runQueue.shift(); id !== undefined; id = this.runQueue.shift()) {
      this.scheduled.delete(id);
      if (this.live.has(id)) this.poll(id);
    }
  }

  cancel(id: number): void {
    const entry = this.live.get(id)!;
    this.live.delete(id);
    expect(entry.future.cancel()).toBeUndefined();
  }
}

function check(model: Model, real: Real, bounded: boolean): void {
  expect(real.wakesWhileScheduled).toEqual([]);
  expect([...real.outcomes].sort((a, b) => a[0] - b[0])).toEqual([...model.outcomes].sort((a, b) => a[0] - b[0]));
  expect(real.received).toEqual(model.received);
  expect(real.rx.len()).toBe(model.queue.length);
  expect(real.rx.isClosed()).toBe(model.sealed());
  if (bounded && !model.rxDropped) expect((real.senders[0] as mpsc.Sender<number>).capacity()).toBe(model.free);
  expect([...real.permits.keys()].sort()).toEqual([...model.permits].sort());
  // Nothing duplicated: every value is received at most once.
  expect(new Set(real.received).size).toBe(real.received.length);
}

function runScenario(bounded: boolean, cap: number, ops: Op[]): void {
  const model = new Model(bounded ? cap : Infinity);
  const real = new Real(bounded, cap);
  const sent = new Set<number>();
  ops.forEach((op, id) => {
    switch (op.t) {
      case 'send':
      case 'reserve': {
        const s = op.s % real.senders.length;
        if (!bounded) {
          const tx = real.senders[s] as mpsc.UnboundedSender<number>;
          try {
            tx.send(id);
            real.outcomes.set(id, 'ok');
          } catch (e) {
            real.outcomes.set(id, e instanceof SendError ? `SendError:${String(e.value)}` : 'TypeError');
          }
        } else {
          const tx = real.senders[s] as mpsc.Sender<number>;
          real.start(id, op.t, () => (op.t === 'send' ? tx.send(id) : tx.reserve()));
        }
        model.start(id, op.t, s, id);
        sent.add(id);
        break;
      }
      case 'trySend': {
        const s = op.s % real.senders.length;
        try {
          (real.senders[s] as mpsc.Sender<number>).trySend(id);
          real.outcomes.set(id, 'ok');
        } catch (e) {
          real.outcomes.set(
            id,
            e instanceof TrySendError
              ? `TrySendError:${e.isFull() ? 'full' : 'closed'}:${String(e.value)}`
              : 'TypeError',
          );
        }
        if (!model.open[s]) model.outcomes.set(id, 'TypeError');
        else if (model.rxClosed) model.outcomes.set(id, `TrySendError:closed:${id}`);
        else if (model.free > 0) {
          model.queue.push(id);
          model.outcomes.set(id, 'ok');
        } else model.outcomes.set(id, `TrySendError:full:${id}`);
        sent.add(id);
        break;
      }
      case 'clone': {
        const s = op.s % real.senders.length;
        try {
          real.senders.push(real.senders[s]!.clone());
        } catch (e) {
          real.outcomes.set(id, e instanceof TypeError ? 'TypeError' : String(e));
        }
        if (model.open[s]) model.open.push(true);
        else model.outcomes.set(id, 'TypeError');
        break;
      }
      case 'closeSender': {
        const s = op.s % real.senders.length;
        real.senders[s]!.close();
        model.open[s] = false;
        break;
      }
      case 'recv': {
        if (model.pendingRecv !== undefined) break; // one receive at a time, as one receiver task would
        real.start(id, 'recv', () => real.rx.recv());
        if (model.queue.length > 0) model.outcomes.set(id, `recv:${model.take()}`);
        else if (model.drained()) model.outcomes.set(id, 'recv:undefined');
        else model.pendingRecv = id;
        break;
      }
      case 'tryRecv': {
        try {
          const v = real.rx.tryRecv();
          real.received.push(v);
          real.outcomes.set(id, `try:${v}`);
        } catch (e) {
          real.outcomes.set(id, `try:${(e as TryRecvError).isEmpty() ? 'empty' : 'closed'}`);
        }
        if (model.queue.length > 0) model.outcomes.set(id, `try:${model.take()}`);
        else model.outcomes.set(id, `try:${model.drained() ? 'closed' : 'empty'}`);
        break;
      }
      case 'rxClose':
        real.rx.close();
        model.closeRx();
        break;
      case 'rxDrop':
        real.rx.drop();
        model.closeRx();
        model.rxDropped = true;
        model.queue = [];
        break;
      case 'run':
        real.run();
        model.run();
        break;
      case 'cancel': {
        const ids = [...real.live.keys()].sort((a, b) => a - b);
        if (ids.length === 0) break;
        const target = ids[op.k % ids.length]!;
        real.cancel(target);
        model.cancel(target);
        break;
      }
      case 'permitSend':
      case 'permitRelease': {
        const ids = [...real.permits.keys()].sort((a, b) => a - b);
        if (ids.length === 0) break;
        const target = ids[op.k % ids.length]!;
        const permit = real.permits.get(target)!;
        real.permits.delete(target);
        model.permits.delete(target);
        if (op.t === 'permitSend') {
          real.outcomes.set(id, `psend:${permit.send(id)}`);
          model.outcomes.set(id, `psend:${!model.rxDropped}`);
          if (!model.rxDropped) model.queue.push(id);
          sent.add(id);
        } else {
          permit.release();
          model.settle();
        }
        break;
      }
    }
    check(model, real, bounded);
  });
  // Wind down: drive what is pending, close every handle, and drain.
  real.run();
  model.run();
  check(model, real, bounded);
  real.senders.forEach((tx) => tx.close());
  model.open = model.open.map(() => false);
  for (const [id, permit] of real.permits) {
    permit.release();
    model.permits.delete(id);
  }
  real.permits.clear();
  model.settle();
  for (const id of [...real.live.keys()].sort((a, b) => a - b)) {
    if (real.live.get(id)!.kind !== 'recv') {
      real.cancel(id);
      model.cancel(id);
    }
  }
  real.run();
  model.run();
  check(model, real, bounded);
  const rest: number[] = [];
  while (!real.rx.isEmpty()) rest.push(real.rx.tryRecv());
  expect(rest).toEqual(model.queue);
  expect((caught(() => real.rx.tryRecv()) as TryRecvError).isClosed()).toBe(true);
  // Nothing lost: unless the receiver was dropped, every value whose send succeeded was received exactly once.
  if (!model.rxDropped) {
    const delivered = [...real.outcomes]
      .filter(([id, o]) => sent.has(id) && (o === 'ok' || o === 'psend:true'))
      .map(([id]) => id);
    expect([...real.received, ...rest].sort((a, b) => a - b)).toEqual(delivered.sort((a, b) => a - b));
  }
}

describe('mpsc against a reference model', () => {
  it('bounded: same messages, order, outcomes and wakes under random send/reserve/recv/cancel/close', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(opArb(true), { maxLength: 80 }), (cap, ops) =>
        runScenario(true, cap, ops),
      ),
      { numRuns: 400 },
    );
  });

  it('unbounded: same messages, order and outcomes under random send/recv/cancel/close', () => {
    fc.assert(
      fc.property(fc.array(opArb(false), { maxLength: 80 }), (ops) => runScenario(false, 1, ops)),
      { numRuns: 300 },
    );
  });
});
