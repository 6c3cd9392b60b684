// Messages larger than the NATS server's max_payload travel as fragments:
// consecutive messages on the same subject, each with the header
// `Eckd-Frag: <message id>;<index>;<count>`. NATS keeps the order of one
// publisher's messages, so a receiver reassembles them in arrival order.
// The message id is `<sender>.<serial>` (the sending messenger's id first),
// so reassembly is bounded per sender as well as per process, and in time
// (a timer expires what stalls); a message that does not complete is dropped
// (its sender times out and retries, as with any lost message).
import { envInt } from './config.js';

export const fragmentHeader = 'Eckd-Frag';

export interface FragmentInfo {
  id: string;
  index: number;
  count: number;
}

/** Bounds of reassembly; see `readFragmentLimits` for their env vars and defaults. */
export interface FragmentLimits {
  /** bytes of unfinished messages held for all senders together */
  processBytesMax: number;
  /** bytes of unfinished messages held for one sender */
  senderBytesMax: number;
  /** an unfinished message older than this is dropped */
  timeoutMs: number;
}

export const defaultFragmentLimits: FragmentLimits = {
  processBytesMax: 256 * 1024 * 1024,
  senderBytesMax: 64 * 1024 * 1024,
  timeoutMs: 30_000,
};

export function readFragmentLimits(env: Record<string, string | undefined>): FragmentLimits {
  return {
    processBytesMax: envInt(env, 'ECKD_FRAGMENT_PROCESS_BYTES_MAX', defaultFragmentLimits.processBytesMax, { min: 1 }),
    senderBytesMax: envInt(env, 'ECKD_FRAGMENT_SENDER_BYTES_MAX', defaultFragmentLimits.senderBytesMax, { min: 1 }),
    timeoutMs: envInt(env, 'ECKD_FRAGMENT_TIMEOUT_MS', defaultFragmentLimits.timeoutMs, { min: 1 }),
  };
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

/** The sender part of a message id (an id without one is its own sender). */
export function fragmentSender(id: string): string {
  const dot = id.lastIndexOf('.');
  return dot > 0 ? id.slice(0, dot) : id;
}

/** Splits `payload` into pieces of at most `pieceBytes`. */
export function splitPayload(payload: Uint8Array, pieceBytes: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += pieceBytes) pieces.push(payload.subarray(at, at + pieceBytes));
  return pieces;
}

/** Why a message being reassembled was dropped. */
export type FragmentDropReason = 'out-of-order' | 'sender-bound' | 'process-bound' | 'expired';

interface Partial {
  sender: string;
  pieces: Uint8Array[];
  bytes: number;
  next: number;
  started: number;
}

export class FragmentAssembler {
  readonly #partials = new Map<string, Partial>();
  readonly #senderBytes = new Map<string, number>();
  #bytes = 0;
  #dropped = 0;

  constructor(
    private readonly opts: FragmentLimits & { now?: () => number; onDrop?: (reason: FragmentDropReason, id: string, bytes: number) => void },
  ) {}

  /**
   * Adds one fragment; returns the whole payload when it was the last one,
   * undefined otherwise. Out-of-order, over-bound or stale fragments drop
   * the message they belong to.
   */
  accept(info: FragmentInfo, data: Uint8Array): Uint8Array | undefined {
    const now = (this.opts.now ?? Date.now)();
    this.expire(now);
    let partial = this.#partials.get(info.id);
    if (!partial) {
      if (info.index !== 0) return undefined;
      partial = { sender: fragmentSender(info.id), pieces: [], bytes: 0, next: 0, started: now };
      this.#partials.set(info.id, partial);
    }
    const reason: FragmentDropReason | undefined =
      info.index !== partial.next
        ? 'out-of-order'
        : (this.#senderBytes.get(partial.sender) ?? 0) + data.length > this.opts.senderBytesMax
          ? 'sender-bound'
          : this.#bytes + data.length > this.opts.processBytesMax
            ? 'process-bound'
            : undefined;
    if (reason) {
      this.#drop(info.id, reason);
      return undefined;
    }
    partial.pieces.push(data);
    partial.bytes += data.length;
    partial.next++;
    this.#bytes += data.length;
    this.#senderBytes.set(partial.sender, (this.#senderBytes.get(partial.sender) ?? 0) + data.length);
    if (partial.next < info.count) return undefined;
    this.#drop(info.id);
    return Buffer.concat(partial.pieces, partial.bytes);
  }

  get pendingBytes(): number {
    return this.#bytes;
  }

  /** Messages dropped unfinished so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Drops the messages that started more than `timeoutMs` ago (called on a timer too). */
  expire(now = (this.opts.now ?? Date.now)()): void {
    for (const [id, p] of this.#partials) if (now - p.started > this.opts.timeoutMs) this.#drop(id, 'expired');
  }

  /** Removes a message: completed (no reason) or dropped unfinished. */
  #drop(id: string, reason?: FragmentDropReason): void {
    const p = this.#partials.get(id);
    if (!p) return;
    this.#bytes -= p.bytes;
    const senderBytes = (this.#senderBytes.get(p.sender) ?? 0) - p.bytes;
    if (senderBytes > 0) this.#senderBytes.set(p.sender, senderBytes);
    else this.#senderBytes.delete(p.sender);
    this.#partials.delete(id);
    if (reason) {
      this.#dropped++;
      this.opts.onDrop?.(reason, id, p.bytes);
    }
  }
}
