// The contract between the checker and a sequential specification. Models
// are deterministic: from one state an input leads to exactly one next state
// and one predicted output, and the checker decides whether the observed
// output is that prediction. Illegal inputs (a read of a future revision)
// are predictions no observed output matches.

export interface ModelStep<S, O> {
  readonly state: S;
  readonly output: O;
}

export interface Model<S, I, O> {
  readonly name: string;
  /** the state before the first operation */
  init(): S;
  /** the only next state and the output the sequential object would return */
  step(state: S, input: I): ModelStep<S, O>;
  /** whether an output observed for `input` is the predicted one */
  matches(input: I, predicted: O, observed: O): boolean;
  /** canonical encoding: equal strings iff equal states (the memo key) */
  stateKey(state: S): string;
  describeInput?(input: I): string;
  describeOutput?(output: O): string;
}

/** Raised for misuse (malformed histories, unsupported inputs), never for a verdict. */
export class LincheckError extends Error {
  override name = 'LincheckError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`lincheck: ${message}`, options);
  }
}
