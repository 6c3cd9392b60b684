// Comparing a predicted KV response with an observed one, field by field as
// etcd's robustness model does (header revision, succeeded, per-op results,
// kvs by value/mod_revision/create_revision/version, deleted, prev_kv when it
// was asked for), and short human-readable forms for error reports.
import type { KvOpResult, KvRequest, KvResponse, KvTxnOp, KvView } from './kv-types.js';

export function kvResponsesMatch(req: KvRequest, predicted: KvResponse, observed: KvResponse): boolean {
  if (predicted.revision !== observed.revision || predicted.type !== observed.type) return false;
  if (predicted.type === 'error' || observed.type === 'error') return false;
  if (predicted.type === 'txn' && observed.type === 'txn') {
    if (req.type !== 'txn' || predicted.succeeded !== observed.succeeded) return false;
    const ops = predicted.succeeded ? req.success : req.failure;
    if (predicted.responses.length !== observed.responses.length) return false;
    return predicted.responses.every((p, i) => opResultsMatch(ops[i]!, p, observed.responses[i]!));
  }
  if (req.type === 'txn' || predicted.type === 'txn' || observed.type === 'txn') return false;
  return opResultsMatch(req, predicted, observed);
}

function opResultsMatch(op: KvTxnOp, p: KvOpResult, o: KvOpResult): boolean {
  if (p.type === 'range' && o.type === 'range') return p.unchecked === true || viewListsMatch(p.kvs, o.kvs);
  if (p.type === 'put' && o.type === 'put') {
    return !(op.type === 'put' && op.prevKv) || viewListsMatch(listOf(p.prevKv), listOf(o.prevKv));
  }
  if (p.type === 'delete' && o.type === 'delete') {
    if (p.deleted !== o.deleted) return false;
    return !(op.type === 'delete' && op.prevKv) || viewListsMatch(p.prevKvs ?? [], o.prevKvs ?? []);
  }
  return false;
}

function listOf(kv: KvView | undefined): KvView[] {
  return kv === undefined ? [] : [kv];
}

function viewListsMatch(a: readonly KvView[], b: readonly KvView[]): boolean {
  return a.length === b.length && a.every((x, i) => viewsMatch(x, b[i]!));
}

function viewsMatch(a: KvView, b: KvView): boolean {
  return a.key === b.key && a.value === b.value && a.modRevision === b.modRevision && a.createRevision === b.createRevision && a.version === b.version;
}

export function describeKvRequest(req: KvRequest): string {
  if (req.type !== 'txn') return describeOp(req);
  const cmp = req.compare.map((c) => `${c.target}(${c.key}) ${compareSymbols[c.result]} ${JSON.stringify(c.value)}`).join(' && ');
  return `txn if(${cmp}) then(${req.success.map(describeOp).join('; ')}) else(${req.failure.map(describeOp).join('; ')})`;
}

export function describeKvResponse(res: KvResponse): string {
  const body = res.type === 'txn' ? `${res.succeeded ? 'succeeded' : 'failed'} [${res.responses.map(describeResult).join('; ')}]` : describeResult(res);
  return `{rev ${res.revision} ${body}}`;
}

const compareSymbols = { equal: '==', not_equal: '!=', greater: '>', less: '<' } as const;

function describeOp(op: KvTxnOp): string {
  const prev = 'prevKv' in op && op.prevKv ? ' --prev-kv' : '';
  switch (op.type) {
    case 'range':
      return `get ${op.key}${op.revision ? ` @${op.revision}` : ''}`;
    case 'put':
      return `put ${op.key}=${JSON.stringify(op.value)}${prev}`;
    case 'delete':
      return `del ${op.key}${prev}`;
  }
}

function describeResult(r: KvOpResult | { type: 'error'; error: string }): string {
  switch (r.type) {
    case 'error':
      return `error ${r.error}`;
    case 'range':
      return r.unchecked ? 'range (older revision, not checked)' : `kvs [${r.kvs.map(describeView).join(', ')}]`;
    case 'put':
      return r.prevKv ? `put prev ${describeView(r.prevKv)}` : 'put';
    case 'delete':
      return `deleted ${r.deleted}${r.prevKvs?.length ? ` prev ${r.prevKvs.map(describeView).join(', ')}` : ''}`;
  }
}

function describeView(kv: KvView): string {
  return `${kv.key}=${JSON.stringify(kv.value)} mod ${kv.modRevision} create ${kv.createRevision} ver ${kv.version}`;
}
