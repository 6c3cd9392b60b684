// Which lineage a document is on (docs/ARCHITECTURE.md §8.10): the history
// that starts at its base, the one change without dependencies every
// document holds (the original base, a coordinated cut's base or a single
// node's rebase). Its hash is the lineage id; its number is the cut that made
// it, read from the base's message (0 for any base that is no cut's).
import type { getBackend } from '@automerge/automerge';
import { AutomergeDocError } from './automerge-doc-error.js';
import { baseChangeHash } from './base-change.js';
import { changeHeaderOf } from './change-header.js';
import { decodeCutMessage } from './cut-base.js';

export interface Lineage {
  /** the base's hash (baseChangeHash for a cluster that never cut) */
  id: string;
  /** the number of the cut that made it; 0: the original base, or a single node's rebase */
  cut: number;
}

export const originalLineage: Lineage = Object.freeze({ id: baseChangeHash, cut: 0 });

/** The id as messages and storage carry it: empty for the original base, so what a member that never cut sends and stores does not change. */
export function lineageIdOnWire(lineage: Lineage): string {
  return lineage.id === baseChangeHash ? '' : lineage.id;
}

type Handle = ReturnType<typeof getBackend>;

/**
 * The lineage of the document `handle` holds. O(1) for the original base;
 * otherwise one walk of the change graph's hashes (its first hash in
 * topological order is the base), so callers keep the answer: a document
 * never changes lineage (another base is a duplicate sequence of the base actor).
 */
export function lineageOfHandle(handle: Handle): Lineage {
  if (!handle.getMissingDeps([baseChangeHash]).includes(baseChangeHash)) return originalLineage;
  const base = handle.topoHistoryTraversal()[0];
  const bytes = base === undefined ? null : handle.getChangeByHash(base);
  // The header only: decoding a base's ops would build every key's value in JS.
  const header = bytes === null ? undefined : changeHeaderOf(bytes);
  if (base === undefined || header === undefined || header.deps.length > 0) throw new AutomergeDocError('document has no base change');
  return { id: base, cut: decodeCutMessage(header.message)?.cut ?? 0 };
}
