/**
 * {@link BoundOp}: an operation on an fd owner (a `File`, a socket) that takes the fd when first polled, not when it
 * is made.
 *
 * Futures are lazy. An op made before `close()` and first polled after it must fail with `EBADF`, as on a closed
 * file or socket, and not reach whatever the kernel has since given the same fd number. The owner's method still
 * checks it is open when called (so misuse fails at the call); this checks again when the op starts.
 *
 * The op may submit later than its first poll — after waiting for a pool buffer at the pool's cap, or as the next
 * span of a long transfer — and the owner may be closed by then. So while a `BoundOp` polls its op, the owner is the
 * **bound source**, and every driver op submitted inside that poll checks it first ({@link checkBoundSource}
 * from `OpFuture`): closed meanwhile, the op fails with `EBADF` instead of reaching a reused fd number.
 *
 * Cancel-safe as the op it makes; dropped before its first poll, or finding the file closed then, it made nothing,
 * and `unmade` gives back what the op would have owned (an owned-buffer op's buffer), once.
 *
 * @module
 */
import { FutureBase, polledAfterCompletion, type Cleanup, type Context, type Future, type Poll } from '@zokio/future';

/** Where a {@link BoundOp} gets its fd: the owner's current one, or a throw (`EBADF`) if it is closed. @category Driver */
export interface FdSource {
  fdFor(syscall: string): number;
}

/** The owner whose op is being polled, and the syscall its ops fail as; see the module doc. */
let boundSource: FdSource | undefined;
let boundSyscall = '';

/**
 * Throws the owner's `EBADF` if an op submitted now belongs to an owner closed since its op began (the op is being
 * polled by a {@link BoundOp} whose owner is closed). Called by `OpFuture` before every submit. @internal
 */
export function checkBoundSource(): void {
  boundSource?.fdFor(boundSyscall);
}

/** @category Driver */
export class BoundOp<T> extends FutureBase<T> {
  readonly #file: FdSource;
  readonly #syscall: string;
  readonly #make: (fd: number) => Future<T>;
  #unmade: (() => void) | undefined;
  #op: Future<T> | undefined = undefined;
  #done = false;

  constructor(file: FdSource, syscall: string, make: (fd: number) => Future<T>, unmade?: () => void) {
    super();
    this.#file = file;
    this.#syscall = syscall;
    this.#make = make;
    this.#unmade = unmade;
  }

  poll(cx: Context): Poll<T> {
    if (this.#done) throw polledAfterCompletion(`${this.#syscall} future`);
    let op = this.#op;
    if (op === undefined) {
      try {
        op = this.#op = this.#make(this.#file.fdFor(this.#syscall));
      } catch (error) {
        this.#done = true;
        this.#giveBack();
        throw error;
      }
      this.#unmade = undefined; // the op owns it now
    }
    const outerSource = boundSource;
    const outerSyscall = boundSyscall;
    boundSource = this.#file;
    boundSyscall = this.#syscall;
    try {
      return op.poll(cx);
    } finally {
      boundSource = outerSource;
      boundSyscall = outerSyscall;
    }
  }

  override cancel(): Cleanup {
    this.#done = true;
    const op = this.#op;
    this.#op = undefined;
    if (op === undefined) {
      this.#giveBack();
      return undefined;
    }
    return op.cancel();
  }

  #giveBack(): void {
    const unmade = this.#unmade;
    this.#unmade = undefined;
    unmade?.();
  }
}
