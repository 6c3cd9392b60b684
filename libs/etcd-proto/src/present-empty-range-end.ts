// proto3 bytes fields carry no presence in protobufjs: a range_end sent as
// "" (present, zero length: `12 00` on the wire) and one left out both decode
// to an empty Buffer. etcd's Go decoder tells them apart ([]byte{} against
// nil), and its index reads a non-nil empty end as "from the key on", the
// same as "\0" (docs/ETCD-BEHAVIOUR.md, Range). So the request decoders of
// the methods that carry a range_end look at the wire bytes, and a present
// but empty range_end becomes "\0", the form the rest of eckd knows.
import { messageNestingMax } from './nesting.js';

/** The range_end eckd reads as "from the key on". */
const fromKeyRangeEnd = (): Buffer => Buffer.from([0]);

interface FieldSpan {
  field: number;
  /** Wire type 2 only: the payload's bounds; -1 for other wire types. */
  start: number;
  end: number;
}

/**
 * The top-level fields of one encoded message, in wire order. Stops quietly
 * at anything malformed: protobufjs has already decoded these bytes, so a
 * malformed message never reaches here.
 */
function* fields(buf: Buffer, from = 0, to = buf.length): Generator<FieldSpan> {
  let pos = from;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (pos >= to) throw new RangeError('truncated varint');
      const b = buf[pos++] ?? 0;
      if (shift < 28) value |= (b & 0x7f) << shift;
      else value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
      if (shift > 63) throw new RangeError('varint too long');
    }
  };
  try {
    while (pos < to) {
      const key = varint();
      const field = Math.floor(key / 8);
      switch (key & 7) {
        case 0:
          varint();
          yield { field, start: -1, end: -1 };
          break;
        case 1:
          pos += 8;
          yield { field, start: -1, end: -1 };
          break;
        case 2: {
          const length = varint();
          const start = pos;
          pos += length;
          if (pos > to) return;
          yield { field, start, end: pos };
          break;
        }
        case 5:
          pos += 4;
          yield { field, start: -1, end: -1 };
          break;
        default:
          return;
      }
    }
  } catch {
    return;
  }
}

type Message = Record<string, unknown>;

/** Whether a RangeRequest/DeleteRangeRequest/WatchCreateRequest's range_end (field 2) or a Compare's (field 64) is present and empty. */
function rangeEndPresentEmpty(buf: Buffer, start: number, end: number, rangeEndField: number): boolean {
  let present = false;
  // The last occurrence of a field wins in protobuf.
  for (const f of fields(buf, start, end)) if (f.field === rangeEndField && f.start >= 0) present = f.start === f.end;
  return present;
}

function markRangeRequest(buf: Buffer, start: number, end: number, message: Message | undefined): void {
  if (message !== undefined && rangeEndPresentEmpty(buf, start, end, 2)) message['range_end'] = fromKeyRangeEnd();
}

/** TxnRequest: compare = 1 (Compare, range_end = 64), success = 2 and failure = 3 (RequestOp). */
function markTxn(buf: Buffer, start: number, end: number, txn: Message | undefined, depth: number): void {
  if (txn === undefined || depth > messageNestingMax) return;
  const seen: Record<number, number> = { 1: 0, 2: 0, 3: 0 };
  const lists: Record<number, unknown> = { 1: txn['compare'], 2: txn['success'], 3: txn['failure'] };
  for (const f of fields(buf, start, end)) {
    if (f.start < 0 || !(f.field in seen)) continue;
    const index = seen[f.field]!++;
    const list = lists[f.field];
    const element = Array.isArray(list) ? (list[index] as Message | undefined) : undefined;
    if (f.field === 1) {
      if (element !== undefined && rangeEndPresentEmpty(buf, f.start, f.end, 64)) element['range_end'] = fromKeyRangeEnd();
    } else if (element !== undefined) {
      markRequestOp(buf, f.start, f.end, element, depth + 1);
    }
  }
}

/** RequestOp: request_range = 1, request_delete_range = 3, request_txn = 4. */
function markRequestOp(buf: Buffer, start: number, end: number, op: Message, depth: number): void {
  for (const f of fields(buf, start, end)) {
    if (f.start < 0) continue;
    if (f.field === 1) markRangeRequest(buf, f.start, f.end, op['request_range'] as Message | undefined);
    else if (f.field === 3) markRangeRequest(buf, f.start, f.end, op['request_delete_range'] as Message | undefined);
    else if (f.field === 4) markTxn(buf, f.start, f.end, op['request_txn'] as Message | undefined, depth);
  }
}

/** Where each method's request holds a range_end, as a fix-up of the decoded request. */
export const presentEmptyRangeEnd = {
  /** RangeRequest and DeleteRangeRequest: range_end = 2. */
  range: (buf: Buffer, request: Message): void => markRangeRequest(buf, 0, buf.length, request),
  txn: (buf: Buffer, request: Message): void => markTxn(buf, 0, buf.length, request, 0),
  /** WatchRequest: create_request = 1 (WatchCreateRequest, range_end = 2). */
  watch: (buf: Buffer, request: Message): void => {
    for (const f of fields(buf)) if (f.field === 1 && f.start >= 0) markRangeRequest(buf, f.start, f.end, request['create_request'] as Message | undefined);
  },
} as const;
