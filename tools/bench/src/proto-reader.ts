// Reads the few reply fields a workload needs (a revision, a flag, the
// events of a watch response) straight from the protobuf bytes, without
// decoding the rest: the load generator must not spend its CPU on values it
// does not look at.

const wireVarint = 0;
const wireFixed64 = 1;
const wireBytes = 2;
const wireFixed32 = 5;

/** Calls `visit(field, value | bytes)` for each top-level field of `buf`; varints as numbers (exact below 2^53). */
export function forEachField(buf: Uint8Array, visit: (field: number, varint: number, bytes: Uint8Array | undefined) => void): void {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = buf[at++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  while (at < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case wireVarint:
        visit(field, varint(), undefined);
        break;
      case wireBytes: {
        const length = varint();
        visit(field, 0, buf.subarray(at, at + length));
        at += length;
        break;
      }
      case wireFixed64:
        at += 8;
        break;
      case wireFixed32:
        at += 4;
        break;
      default:
        throw new Error(`proto-reader: unsupported wire type ${tag & 7}`);
    }
  }
}

/** The first occurrence of a varint field (0 when absent, as proto3 leaves defaults out). */
export function varintField(buf: Uint8Array, field: number): number {
  let found = 0;
  let seen = false;
  forEachField(buf, (f, v) => {
    if (!seen && f === field) {
      found = v;
      seen = true;
    }
  });
  return found;
}

/** The first occurrence of an embedded message field. */
export function messageField(buf: Uint8Array, field: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  forEachField(buf, (f, _v, bytes) => {
    if (found === undefined && f === field) found = bytes;
  });
  return found;
}

// etcdserverpb field numbers the workloads read.
const responseHeaderField = 1; // in every *Response
const headerRevisionField = 3; // ResponseHeader.revision
const rangeKvsField = 2; // RangeResponse.kvs
const kvKeyField = 1; // mvccpb.KeyValue.key
const kvModRevisionField = 3;
const kvValueField = 5; // mvccpb.KeyValue.value // mvccpb.KeyValue.mod_revision
const txnSucceededField = 2; // TxnResponse.succeeded
const watchCreatedField = 3; // WatchResponse.created
const watchCanceledField = 4; // WatchResponse.canceled
const watchEventsField = 11; // WatchResponse.events
const eventKvField = 2; // mvccpb.Event.kv

/** header.revision of any etcd response. */
export function headerRevision(response: Uint8Array): number {
  const header = messageField(response, responseHeaderField);
  return header ? varintField(header, headerRevisionField) : 0;
}

/** mod_revision of the first kv of a RangeResponse (0 when the key does not exist). */
export function firstModRevision(range: Uint8Array): number {
  const kv = messageField(range, rangeKvsField);
  return kv ? varintField(kv, kvModRevisionField) : 0;
}

export function txnSucceeded(txn: Uint8Array): boolean {
  return varintField(txn, txnSucceededField) === 1;
}

export interface WatchResponseSummary {
  created: boolean;
  canceled: boolean;
  /** mod_revision of each event's kv, in order */
  modRevisions: number[];
  /** key of each event's kv, in order (revisions differ between members; keys do not) */
  keys: Uint8Array[];
}

export function readWatchResponse(response: Uint8Array): WatchResponseSummary {
  const out: WatchResponseSummary = { created: false, canceled: false, modRevisions: [], keys: [] };
  forEachField(response, (field, value, bytes) => {
    if (field === watchCreatedField) out.created = value === 1;
    else if (field === watchCanceledField) out.canceled = value === 1;
    else if (field === watchEventsField && bytes) {
      const kv = messageField(bytes, eventKvField);
      out.modRevisions.push(kv ? varintField(kv, kvModRevisionField) : 0);
      out.keys.push((kv && messageField(kv, kvKeyField)) ?? new Uint8Array());
    }
  });
  return out;
}

/** key and value of each kv of a RangeResponse, in order. */
export function forEachKeyValue(range: Uint8Array, visit: (key: Uint8Array, value: Uint8Array) => void): void {
  forEachField(range, (field, _v, kv) => {
    if (field === rangeKvsField && kv) visit(messageField(kv, kvKeyField) ?? new Uint8Array(), messageField(kv, kvValueField) ?? new Uint8Array());
  });
}
