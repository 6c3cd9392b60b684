// What a coordinated cut reads from the history inside its cut point H
// (docs/ARCHITECTURE.md §8.10), the same on every member that holds H:
// - for every actor, its highest sequence inside H, which tells a
//   translator where each actor's changes outside H begin (a member that
//   lacks H is sent these with the base);
// - for every member, the highest origin revision (§8.3) of its changes
//   inside H, kept in the base as root entries `origin:<member id hex>`, so
//   that a member returning after the old lineage is gone knows which of its
//   writes the cluster holds.
import { AutomergeDocError } from './automerge-doc-error.js';
import { changeHeaderOf } from './change-header.js';
import { decodeChangeOrigin } from './change-origin.js';
import type { CutState, KvDocument } from './kv-document.js';

export const originWatermarkPrefix = 'origin:';
const decimal = /^(0|[1-9][0-9]*)$/;

export interface CutRecord {
  /** old actor → its highest sequence inside H */
  seqsInCut: Map<string, number>;
  /** member id (16 hex digits) → the highest origin revision of its changes inside H, the base's entries included */
  origins: Map<string, bigint>;
}

/** Reads the headers of the document's whole history since its base: O(changes). */
export function cutRecordOf(doc: KvDocument, heads: string[]): CutRecord {
  const outside = new Set(doc.changesSince(heads).map((bytes) => changeHeaderOf(bytes).hash));
  const seqsInCut = new Map<string, number>();
  const origins = new Map<string, bigint>();
  for (const bytes of doc.changesSince([])) {
    const { hash, actor, seq, message } = changeHeaderOf(bytes);
    if (outside.has(hash)) continue;
    if (seq > (seqsInCut.get(actor) ?? 0)) seqsInCut.set(actor, seq);
    const origin = originOf(message);
    if (origin === undefined) continue;
    const member = origin.member.toString(16).padStart(16, '0');
    if (origin.revision > (origins.get(member) ?? 0n)) origins.set(member, origin.revision);
  }
  return { seqsInCut, origins };
}

/** `state` with its `origin:` entries raised to `origins` (an entry the previous base holds stays when higher). */
export function withOriginWatermarks(state: CutState, origins: ReadonlyMap<string, bigint>): CutState {
  const merged = new Map(origins);
  const root = state.root.filter(({ key, value }) => {
    if (!key.startsWith(originWatermarkPrefix)) return true;
    const member = key.slice(originWatermarkPrefix.length);
    const held = decodeOriginWatermark(value);
    if (held > (merged.get(member) ?? 0n)) merged.set(member, held);
    return false;
  });
  for (const [member, revision] of merged) root.push({ key: originWatermarkPrefix + member, value: revision.toString() });
  root.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ...state, root };
}

/** The highest origin revision of `memberHex` a document's base names (0 when none). */
export function originWatermarkOf(state: CutState, memberHex: string): bigint {
  const entry = state.root.find(({ key }) => key === originWatermarkPrefix + memberHex);
  return entry === undefined ? 0n : decodeOriginWatermark(entry.value);
}

function decodeOriginWatermark(value: unknown): bigint {
  if (typeof value !== 'string' || !decimal.test(value)) throw new AutomergeDocError(`origin watermark is malformed: ${String(value)}`);
  return BigInt(value);
}

function originOf(message: string | null): ReturnType<typeof decodeChangeOrigin> {
  // A change whose message is not an origin (the base, a single node's) names no member.
  try {
    return decodeChangeOrigin(message);
  } catch {
    return undefined;
  }
}
