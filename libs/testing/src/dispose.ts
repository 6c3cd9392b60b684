/** Something a test can `await using`: stopping it releases everything it holds. */
export interface Stoppable {
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
