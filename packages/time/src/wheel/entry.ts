/**
 * {@link TimerEntry}: one registered deadline. The `Sleep` future extends it, so a sleeping task costs one object
 * for its timer, and cancelling a sleep unlinks that object from its wheel slot in O(1).
 *
 * @module
 */
import { FutureBase, type Waker } from '@zokio/future';

/** Not in the wheel. */
export const UNREGISTERED = -1;

/** @internal A timer entry is a future that completes at its deadline (`Sleep` implements `poll`). */
export abstract class TimerEntry extends FutureBase<void> {
  /** The tick (whole ms since the driver's origin) the entry is filed under in the wheel; see `trueDeadline`. */
  cachedDeadline = UNREGISTERED;
  /**
   * The tick the entry is really due. Equal to `cachedDeadline`, or later after a lazy reset: moving a timer to a
   * later deadline only updates this field, and the wheel re-files the entry when the cached deadline comes.
   */
  trueDeadline = UNREGISTERED;
  /** Set by the wheel when the entry fired: the future is ready. */
  fired = false;
  /** The waker of the task awaiting the entry. */
  waker: Waker | undefined = undefined;
  // Intrusive list of the wheel slot the entry is in.
  /** @internal */ prevInSlot: TimerEntry | undefined = undefined;
  /** @internal */ nextInSlot: TimerEntry | undefined = undefined;
  /** @internal Slot list head owner: `level * 64 + slot`, or UNREGISTERED. */
  slotIndex = UNREGISTERED;

  get registered(): boolean {
    return this.slotIndex !== UNREGISTERED;
  }
}
