// Helpers shared by the spec files (not exported from the library).
import type { KvDocument } from './kv-document.js';

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Every key with its value (hex) and lease, plus the sorted heads. */
export function snapshot(doc: KvDocument): { entries: string[]; heads: string[] } {
  const entries = doc.keys().map((k) => {
    const got = doc.get(k);
    return `${JSON.stringify(k)}=${Buffer.from(got!.value).toString('hex')}/${got!.lease}`;
  });
  return { entries, heads: [...doc.heads()].sort() };
}
