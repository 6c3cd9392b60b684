// Linearizability of a recorded history against a sequential model: the
// Wing & Gong search with Lowe's memoisation, as in porcupine. Walk the
// event list; at a call, try to apply that operation next (its predicted
// output must match the observed one) and, if the resulting configuration is
// new, lift it out and restart from the head; at a return, the operation
// that returned there could not be placed before it, so undo the last
// choice. Operations with an unknown outcome (return = Infinity) sort last:
// reaching one of their returns means every completed operation is placed
// and the remaining unknown ones are taken as never applied.
//
// The whole history is one search. Splitting it by key (P-compositionality)
// would be faster but is wrong once a txn touches several keys.
import { buildEntries, lift, unlift } from './entries.js';
import type { Entry } from './entries.js';
import type { Operation } from './history.js';
import { ConfigurationMemo, OpBitset } from './memo.js';
import type { Model } from './model.js';

export interface CheckOptions {
  /** give up (result 'unknown') after this long; default 60 s */
  timeoutMs?: number;
}

export interface CheckStats {
  readonly operations: number;
  /** model steps tried */
  readonly steps: number;
  readonly memoEntries: number;
  readonly elapsedMs: number;
}

export interface PartialLinearization<S> {
  /** indexes into the history, in linearization order: the longest prefix found */
  readonly order: readonly number[];
  /** the model state after that prefix */
  readonly state: S;
}

export interface CheckOk {
  readonly result: 'ok';
  readonly ok: true;
  readonly stats: CheckStats;
}

export interface CheckIllegal<S, O> {
  readonly result: 'illegal';
  readonly ok: false;
  readonly unknown?: false;
  readonly reason: string;
  readonly partial: PartialLinearization<S>;
  /** the operation whose return came before it could be placed after `partial` */
  readonly failedOp: number;
  /** what the model predicts for `failedOp` right after `partial` */
  readonly predicted: O;
  readonly stats: CheckStats;
}

export interface CheckUnknown {
  readonly result: 'unknown';
  readonly ok: false;
  readonly unknown: true;
  readonly reason: string;
  readonly stats: CheckStats;
}

export type CheckResult<S, O> = CheckOk | CheckIllegal<S, O> | CheckUnknown;

export const checkTimeoutMsDefault = 60_000;
/** how many loop iterations pass between clock reads */
const clockCheckIterations = 1024;

interface Frame<S> {
  readonly call: Entry;
  readonly before: S;
}

interface Search<S> {
  bits: OpBitset;
  memo: ConfigurationMemo;
  stack: Frame<S>[];
  state: S;
  steps: number;
  best: { order: number[]; state: S; blockedOp: number };
}

export function checkLinearizable<S, I, O>(
  history: readonly Operation<I, O>[],
  model: Model<S, I, O>,
  opts: CheckOptions = {},
): CheckResult<S, O> {
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? checkTimeoutMsDefault);
  const head = buildEntries(history);
  const initial = model.init();
  const s: Search<S> = {
    bits: new OpBitset(history.length),
    memo: new ConfigurationMemo(),
    stack: [],
    state: initial,
    steps: 0,
    best: { order: [], state: initial, blockedOp: -1 },
  };
  const stats = (): CheckStats => ({ operations: history.length, steps: s.steps, memoEntries: s.memo.size, elapsedMs: Date.now() - started });
  let entry = head.next;
  let iterations = 0;
  while (entry !== null) {
    if (iterations++ % clockCheckIterations === 0 && Date.now() >= deadline) {
      return { result: 'unknown', ok: false, unknown: true, reason: `lincheck: gave up after ${opts.timeoutMs ?? checkTimeoutMsDefault} ms`, stats: stats() };
    }
    if (entry.isCall) {
      entry = tryLinearize(s, entry, head, history, model);
      continue;
    }
    if (history[entry.op]!.return === Infinity) break;
    if (s.stack.length === s.best.order.length && s.best.blockedOp < 0) s.best.blockedOp = entry.op;
    const top = s.stack.pop();
    if (top === undefined) return illegal(s.best, history, model, stats());
    s.state = top.before;
    s.bits.clear(top.call.op);
    unlift(top.call);
    entry = top.call.next;
  }
  return { result: 'ok', ok: true, stats: stats() };
}

/** Tries `call` as the next operation; returns the entry to look at next. */
function tryLinearize<S, I, O>(s: Search<S>, call: Entry, head: Entry, history: readonly Operation<I, O>[], model: Model<S, I, O>): Entry | null {
  const op = history[call.op]!;
  s.steps++;
  const { state: next, output } = model.step(s.state, op.input);
  if (op.output !== undefined && !model.matches(op.input, output, op.output)) return call.next;
  s.bits.set(call.op);
  if (!s.memo.add(s.bits, model.stateKey(next))) {
    s.bits.clear(call.op);
    return call.next;
  }
  s.stack.push({ call, before: s.state });
  s.state = next;
  lift(call);
  if (s.stack.length > s.best.order.length) {
    s.best = { order: s.stack.map((f) => f.call.op), state: next, blockedOp: -1 };
  }
  return head.next;
}

function illegal<S, I, O>(best: Search<S>['best'], history: readonly Operation<I, O>[], model: Model<S, I, O>, stats: CheckStats): CheckIllegal<S, O> {
  const failedOp = best.blockedOp;
  const op = history[failedOp]!;
  const predicted = model.step(best.state, op.input).output;
  const show = (o: O): string => (model.describeOutput ? model.describeOutput(o) : JSON.stringify(o));
  const input = model.describeInput ? model.describeInput(op.input) : JSON.stringify(op.input);
  const reason =
    `not linearizable (${model.name}): operation ${failedOp} of client ${op.clientId} [${op.call}..${op.return} ns] ${input} ` +
    `returned ${op.output === undefined ? 'unknown' : show(op.output)}, ` +
    `but after the longest linearizable prefix (${best.order.length} of ${history.length} operations) the model predicts ${show(predicted)}`;
  return { result: 'illegal', ok: false, reason, partial: { order: best.order, state: best.state }, failedOp, predicted, stats };
}
