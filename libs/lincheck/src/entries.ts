// The event list the search walks: each operation contributes a call entry
// and a return entry, sorted by time (calls first on ties, so operations that
// touch at one instant count as concurrent). Lifting an operation unlinks
// both of its entries; the unlinked entries keep their own links, so undoing
// lifts in reverse order restores the list exactly (dancing links).
import type { Operation } from './history.js';
import { LincheckError } from './model.js';

export interface Entry {
  readonly isCall: boolean;
  readonly op: number;
  readonly time: number;
  /** the call's return entry (null on return entries) */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/** Builds the doubly linked list; returns its head sentinel. */
export function buildEntries(ops: readonly Operation<unknown, unknown>[]): Entry {
  const all: Entry[] = [];
  ops.forEach((o, i) => {
    if (!Number.isFinite(o.call) || Number.isNaN(o.return) || o.return < o.call) {
      throw new LincheckError(`operation ${i} has call ${o.call} and return ${o.return}`);
    }
    if (o.output === undefined && o.return !== Infinity) {
      throw new LincheckError(`operation ${i} has an unknown output but returned at ${o.return}`);
    }
    const ret: Entry = { isCall: false, op: i, time: o.return, match: null, prev: null, next: null };
    all.push({ isCall: true, op: i, time: o.call, match: ret, prev: null, next: null }, ret);
  });
  all.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const head: Entry = { isCall: false, op: -1, time: -Infinity, match: null, prev: null, next: null };
  let last = head;
  for (const e of all) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

export function lift(call: Entry): void {
  unlink(call);
  unlink(call.match!);
}

/** Undoes `lift(call)`; lifts must be undone in reverse order. */
export function unlift(call: Entry): void {
  relink(call.match!);
  relink(call);
}

function unlink(e: Entry): void {
  e.prev!.next = e.next;
  if (e.next !== null) e.next.prev = e.prev;
}

function relink(e: Entry): void {
  e.prev!.next = e;
  if (e.next !== null) e.next.prev = e;
}
