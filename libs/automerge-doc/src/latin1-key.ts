// Automerge map keys must be valid Unicode or they are silently altered, so
// byte keys are carried as Latin-1 strings: one char (U+0000..U+00FF) per
// byte. Automerge sorts map keys by code point, which for such strings is the
// byte order etcd needs.
import { AutomergeDocError } from './automerge-doc-error.js';

const nonLatin1 = /[^\u0000-\u00ff]/;

export function keyFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function keyToBytes(key: string): Uint8Array {
  assertLatin1Key(key);
  return new Uint8Array(Buffer.from(key, 'latin1'));
}

export function assertLatin1Key(key: string): void {
  if (typeof key !== 'string' || nonLatin1.test(key)) {
    throw new AutomergeDocError('key must be a Latin-1 string (one char per byte)');
  }
}
