// Whether this member's document holds a set of heads a peer named (a push's
// heads, a cut point). A head that is no change hash (a bad or forged
// message) counts as not held, so the caller waits or asks, and never throws.
import { AutomergeDocError } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';

export function holdsHeads(doc: KvDocument, heads: readonly string[]): boolean {
  return heads.every((head) => {
    try {
      return doc.hasChange(head);
    } catch (err) {
      if (!(err instanceof AutomergeDocError)) throw err;
      return false;
    }
  });
}
