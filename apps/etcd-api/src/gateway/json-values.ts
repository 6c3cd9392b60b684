// Splits a request body into its top-level JSON values as the bytes arrive
// (a Watch or LeaseKeepAlive body is a sequence of requests, written while
// the stream runs). Each value is bounded: a value longer than `maxBytes`
// is refused before it is buffered whole.
import { GatewayInputError } from './proto-json.js';

export class JsonValueSplitter {
  #pending = '';
  #depth = 0;
  #inString = false;
  #escaped = false;
  #scanned = 0;

  constructor(private readonly maxBytes: number) {}

  /** The complete values this chunk finished, parsed. */
  push(chunk: string): unknown[] {
    this.#pending += chunk;
    const values: unknown[] = [];
    let start = 0;
    for (let i = this.#scanned; i < this.#pending.length; i++) {
      const c = this.#pending[i]!;
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === '\\') this.#escaped = true;
        else if (c === '"') this.#inString = false;
        continue;
      }
      if (this.#depth === 0) {
        if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
          start = i + 1;
          continue;
        }
        if (c !== '{') throw new GatewayInputError(`expected a JSON object, got ${JSON.stringify(c)}`);
      }
      if (c === '"') this.#inString = true;
      else if (c === '{' || c === '[') this.#depth++;
      else if (c === '}' || c === ']') {
        this.#depth--;
        if (this.#depth === 0) {
          values.push(parseJson(this.#pending.slice(start, i + 1)));
          start = i + 1;
        }
      }
    }
    this.#pending = this.#pending.slice(start);
    this.#scanned = this.#pending.length;
    if (Buffer.byteLength(this.#pending) > this.maxBytes) throw new GatewayInputError('etcdserver: request is too large');
    return values;
  }

  /** Throws when the body ended inside a value. */
  end(): void {
    if (this.#pending.trim() !== '') throw new GatewayInputError('unexpected EOF');
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GatewayInputError(err instanceof Error ? err.message : String(err));
  }
}
