export { AutomergeDocError } from './automerge-doc-error.js';
export { createKvDocument, loadKvDocument } from './kv-document.js';
export type { EncodedChange, KvDocument } from './kv-document.js';
export { keyFromBytes, keyToBytes } from './latin1-key.js';
export { baseChangeHash } from './base-change.js';
export { rebaseChange, rebaseChangeOf, rebaseMessage } from './rebase.js';
export type { RebaseState } from './rebase.js';
