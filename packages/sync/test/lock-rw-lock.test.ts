import { describe, expect, it } from 'vitest';
import { PENDING } from '@zokio/future';
import { GuardReleasedError, RwLock } from '@zokio/sync';
import { drive } from './hand.js';

describe('RwLock', () => {
  it('lets many readers in at once, and a writer only alone', () => {
    const lock = new RwLock(1);
    const r1 = drive(lock.read()).value();
    const r2 = drive(lock.read()).value();
    expect([r1.value, r2.value]).toEqual([1, 1]);
    expect(lock.tryWrite()).toBeUndefined();
    r1.release();
    r2.release();
    const w = lock.tryWrite()!;
    w.value = 2;
    expect(lock.tryRead()).toBeUndefined();
    w.release();
    expect(lock.tryRead()!.value).toBe(2);
  });

  it('a queued writer is not starved: readers arriving after it wait behind it', () => {
    const lock = new RwLock('v1');
    const reader = lock.tryRead()!;
    const writer = drive(lock.write());
    expect(writer.poll()).toBe(PENDING);
    const lateReader = drive(lock.read());
    expect(lateReader.poll()).toBe(PENDING);
    expect(lock.tryRead()).toBeUndefined();
    reader.release();
    expect([writer.wakes, lateReader.wakes]).toEqual([1, 0]);
    const w = writer.value();
    w.value = 'v2';
    w.release();
    expect(lateReader.wakes).toBe(1);
    expect(lateReader.value().value).toBe('v2');
  });

  it('readers queued behind a writer are all let in when it releases', () => {
    const lock = new RwLock(0);
    const w = lock.tryWrite()!;
    const readers = [0, 1, 2].map(() => drive(lock.read()));
    for (const r of readers) expect(r.poll()).toBe(PENDING);
    w.release();
    expect(readers.map((r) => r.wakes)).toEqual([1, 1, 1]);
    for (const r of readers) r.value();
  });

  it('a cancelled waiting writer gives back the read permits it collected, letting readers behind it in', () => {
    const lock = new RwLock(0, 4);
    const reader = lock.tryRead()!; // the writer can collect 3 of 4 permits and must wait for this one
    const writer = drive(lock.write());
    writer.poll();
    const behind = drive(lock.read());
    behind.poll();
    writer.future.cancel();
    expect(behind.wakes).toBe(1);
    behind.value();
    reader.release();
    expect(writer.wakes).toBe(0);
  });

  it('respects maxReaders', () => {
    const lock = new RwLock(0, 2);
    const guards = [lock.tryRead(), lock.tryRead()];
    expect(lock.tryRead()).toBeUndefined();
    guards.forEach((g) => g!.release());
    expect(() => new RwLock(0, 0)).toThrow(/new RwLock: Expected a whole number of readers/);
    expect(() => new RwLock(0, 2.5)).toThrow(TypeError);
  });

  it('downgrade keeps read access, lets waiting readers in, and keeps writers out', () => {
    const lock = new RwLock(1);
    const w = lock.tryWrite()!;
    const reader = drive(lock.read());
    reader.poll();
    w.value = 5;
    const r = w.downgrade();
    expect(reader.wakes).toBe(1);
    expect(reader.value().value).toBe(5);
    expect(r.value).toBe(5);
    expect(lock.tryWrite()).toBeUndefined();
    expect(() => w.value).toThrow(GuardReleasedError);
    w.release(); // already given up: must not release the read permit too
    expect(lock.tryWrite()).toBeUndefined();
  });
});
