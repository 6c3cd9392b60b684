// Records a concurrent history the way etcd's robustness tests do: every
// operation gets the monotonic time just before it is sent and just after its
// answer arrives. A failed write may or may not have been applied, so it is
// kept with an unknown output and a return time of +Infinity (it can take
// effect at any point after its call, or never). A failed read changed
// nothing and is dropped.
import { LincheckError } from './model.js';

export interface Operation<I, O> {
  readonly clientId: number;
  /** nanoseconds on the recorder's clock */
  readonly call: number;
  /** nanoseconds, or Infinity when the outcome is unknown */
  readonly return: number;
  readonly input: I;
  /** undefined when unknown (a failed write) */
  readonly output: O | undefined;
  readonly error?: string;
}

export interface HistoryRecorderOptions<I> {
  /** reads that fail are dropped instead of kept as unknown */
  isReadOnly(input: I): boolean;
  /** monotonic nanoseconds; process.hrtime.bigint by default */
  clock?: () => bigint;
}

export interface PendingOperation<O> {
  succeed(output: O): void;
  fail(error: unknown): void;
}

export class HistoryRecorder<I, O> {
  readonly #ops: Operation<I, O>[] = [];
  readonly #isReadOnly: (input: I) => boolean;
  readonly #clock: () => bigint;
  readonly #origin: bigint;
  #pending = 0;

  constructor(opts: HistoryRecorderOptions<I>) {
    this.#isReadOnly = opts.isReadOnly;
    this.#clock = opts.clock ?? process.hrtime.bigint;
    this.#origin = this.#clock();
  }

  /** operations not yet settled */
  get pendingCount(): number {
    return this.#pending;
  }

  /** Marks the call time now; the caller settles the returned handle exactly once. */
  begin(clientId: number, input: I): PendingOperation<O> {
    const call = this.#now();
    let settled = false;
    this.#pending++;
    const settle = (): void => {
      if (settled) throw new LincheckError(`operation of client ${clientId} settled twice`);
      settled = true;
      this.#pending--;
    };
    return {
      succeed: (output) => {
        const ret = this.#now();
        settle();
        this.#ops.push({ clientId, call, return: ret, input, output });
      },
      fail: (error) => {
        settle();
        if (this.#isReadOnly(input)) return;
        this.#ops.push({ clientId, call, return: Infinity, input, output: undefined, error: errorText(error) });
      },
    };
  }

  /** Runs one operation and records it; rethrows its error after recording. */
  async record(clientId: number, input: I, run: () => Promise<O>): Promise<O> {
    const pending = this.begin(clientId, input);
    let output: O;
    try {
      output = await run();
    } catch (err) {
      pending.fail(err);
      throw err;
    }
    pending.succeed(output);
    return output;
  }

  /** The history so far, in the order operations settled. */
  operations(): Operation<I, O>[] {
    if (this.#pending !== 0) throw new LincheckError(`${this.#pending} operations are still pending`);
    return [...this.#ops];
  }

  #now(): number {
    return Number(this.#clock() - this.#origin);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
