// Messages larger than the NATS server's max_payload travel as fragments:
// consecutive messages on the same subject, each with the header
// `Eckd-Frag: <message id>;<index>;<count>`. NATS keeps the order of one
// publisher's messages, so a receiver reassembles them in arrival order.
// Reassembly is bounded in bytes and time; a message that does not complete
// is dropped (its sender times out and retries, as with any lost message).

export const fragmentHeader = 'Eckd-Frag';

export interface FragmentInfo {
  id: string;
  index: number;
  count: number;
}

export function formatFragment(f: FragmentInfo): string {
  return `${f.id};${f.index};${f.count}`;
}

export function parseFragment(value: string | undefined): FragmentInfo | undefined {
  if (!value) return undefined;
  const [id, index, count] = value.split(';');
  const i = Number(index);
  const n = Number(count);
  if (!id || !Number.isInteger(i) || !Number.isInteger(n) || n < 1 || i < 0 || i >= n) return undefined;
  return { id, index: i, count: n };
}

/** Splits `payload` into pieces of at most `pieceBytes`. */
export function splitPayload(payload: Uint8Array, pieceBytes: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += pieceBytes) pieces.push(payload.subarray(at, at + pieceBytes));
  return pieces;
}

interface Partial {
  pieces: Uint8Array[];
  bytes: number;
  next: number;
  started: number;
}

export class FragmentAssembler {
  readonly #partials = new Map<string, Partial>();
  #bytes = 0;

  constructor(
    private readonly opts: { pendingBytesMax: number; timeoutMs: number; now?: () => number },
  ) {}

  /**
   * Adds one fragment; returns the whole payload when it was the last one,
   * undefined otherwise. Out-of-order, oversize or stale fragments drop the
   * message they belong to.
   */
  accept(info: FragmentInfo, data: Uint8Array): Uint8Array | undefined {
    const now = (this.opts.now ?? Date.now)();
    this.#expire(now);
    let partial = this.#partials.get(info.id);
    if (!partial) {
      if (info.index !== 0) return undefined;
      partial = { pieces: [], bytes: 0, next: 0, started: now };
      this.#partials.set(info.id, partial);
    }
    if (info.index !== partial.next || this.#bytes + data.length > this.opts.pendingBytesMax) {
      this.#drop(info.id);
      return undefined;
    }
    partial.pieces.push(data);
    partial.bytes += data.length;
    partial.next++;
    this.#bytes += data.length;
    if (partial.next < info.count) return undefined;
    this.#drop(info.id);
    return Buffer.concat(partial.pieces, partial.bytes);
  }

  get pendingBytes(): number {
    return this.#bytes;
  }

  #drop(id: string): void {
    const p = this.#partials.get(id);
    if (!p) return;
    this.#bytes -= p.bytes;
    this.#partials.delete(id);
  }

  #expire(now: number): void {
    for (const [id, p] of this.#partials) if (now - p.started > this.opts.timeoutMs) this.#drop(id);
  }
}
