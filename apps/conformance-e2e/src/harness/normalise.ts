// Makes two servers' answers comparable. Only identities and absolute
// revisions are rewritten: ids and the raft term become placeholders, and
// every revision becomes "B+n" relative to the scenario's base revision.
// Everything else (zeros, empty headers, missing fields) is kept, since
// those are part of what is compared.
import { createHash } from 'node:crypto';
import type { Outcome } from './rpc.js';
import type { TieField } from './scenario.js';

const revisionFields = new Set(['revision', 'create_revision', 'mod_revision', 'compact_revision']);
const idFields: Readonly<Record<string, string>> = { cluster_id: '<cluster>', member_id: '<member>', raft_term: '<term>' };
// Longer byte strings are shown by size and digest.
const bytesShownMax = 256;

export type Normalised = { response: unknown } | { error: { code: number; details: string } };

/** "B+n" for a revision; 0 (unset) stays "0". */
export function relativeRevision(value: unknown, base: number): string {
  const n = Number(value);
  if (n === 0) return '0';
  const d = n - base;
  return d >= 0 ? `B+${d}` : `B${d}`;
}

/** Printable ASCII as is, other bytes as \xNN (injective enough to compare). */
export function bytesText(b: Uint8Array): string {
  if (b.length > bytesShownMax) {
    return `<${b.length} bytes sha256:${createHash('sha256').update(b).digest('hex').slice(0, 12)}>`;
  }
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}

function normaliseValue(v: unknown, field: string, base: number): unknown {
  if (v === undefined || v === null) return v;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return bytesText(v);
  if (Array.isArray(v)) return v.map((x) => normaliseValue(x, field, base));
  if (typeof v === 'object') return normaliseObject(v as Record<string, unknown>, base);
  if (revisionFields.has(field) && (typeof v === 'string' || typeof v === 'number')) return relativeRevision(v, base);
  const placeholder = idFields[field];
  if (placeholder !== undefined && Number(v) !== 0) return placeholder;
  return v;
}

function normaliseObject(o: Record<string, unknown>, base: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(o)) {
    if (v !== undefined) out[field] = normaliseValue(v, field, base);
  }
  return out;
}

/** Orders each run of kvs that tie on `field` by key; the order between runs is kept. */
function orderTies(kvs: Record<string, unknown>[], field: TieField): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let run: Record<string, unknown>[] = [];
  const flush = () => {
    run.sort((a, b) => (String(a['key']) < String(b['key']) ? -1 : 1));
    out.push(...run);
    run = [];
  };
  for (const kv of kvs) {
    if (run.length > 0 && run[0]![field] !== kv[field]) flush();
    run.push(kv);
  }
  flush();
  return out;
}

export function normaliseOutcome(outcome: Outcome, base: number, ties?: TieField): Normalised {
  if ('error' in outcome) return { error: { code: outcome.error.code, details: outcome.error.details } };
  const response = normaliseObject(outcome.response, base);
  if (ties && Array.isArray(response['kvs'])) response['kvs'] = orderTies(response['kvs'] as Record<string, unknown>[], ties);
  return { response };
}
