// Node 20.4+ defines Symbol.asyncDispose; older runtimes get the same
// registered symbol Node itself uses, so `await using` works either way.
const symbols = Symbol as unknown as { asyncDispose?: symbol };
symbols.asyncDispose ??= Symbol.for('nodejs.asyncDispose');

/** Something a test can `await using`: stopping it releases everything it holds. */
export interface Stoppable {
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
