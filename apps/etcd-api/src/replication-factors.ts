// Replication factors (docs/ARCHITECTURE.md §3): how many of the node's
// frontends must have applied a write (internal) and how many other members
// must have stored it in Postgres (external) before it is acknowledged. The
// node's defaults come from the config; a request may name its own in gRPC
// metadata. The counting itself is the acknowledger's; this module brings
// it what the other frontends and the backend say on NATS.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Metadata } from '@grpc/grpc-js';
import { codecs, validators } from '@eckd/change-codec';
import type { NodeSubjects } from '@eckd/change-codec';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import type { Acknowledger } from './acknowledger.js';

export interface ReplicationFactors {
  /** frontends of this node that applied the write, the proposing one included (at least 1) */
  internal: number;
  /** other members that stored the write in their Postgres */
  external: number;
}

/** The gRPC metadata keys a request names its own factors with. */
export const factorMetadataKeys = Object.freeze({ internal: 'eckd-internal-factor', external: 'eckd-external-factor' });

/** A factor in metadata that is not a whole number in range: answered with INVALID_ARGUMENT. */
export class FactorMetadataError extends Error {
  override name = 'FactorMetadataError';
}

/** The factors a request's metadata names (none, one or both). */
export function factorsOfMetadata(metadata: Metadata): Partial<ReplicationFactors> {
  const factors: Partial<ReplicationFactors> = {};
  const internal = metadataInt(metadata, factorMetadataKeys.internal, 1);
  if (internal !== undefined) factors.internal = internal;
  const external = metadataInt(metadata, factorMetadataKeys.external, 0);
  if (external !== undefined) factors.external = external;
  return factors;
}

function metadataInt(metadata: Metadata, key: string, min: number): number | undefined {
  const values = metadata.get(key);
  if (values.length === 0) return undefined;
  const raw = String(values[values.length - 1]);
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) throw new FactorMetadataError(`${key} must be a whole number of at least ${min}, got "${raw}"`);
  return Number(raw);
}

const requestFactors = new AsyncLocalStorage<Partial<ReplicationFactors>>();

/**
 * Runs one request's handler with the factors its metadata named. A request
 * that names none runs outside the store: once an AsyncLocalStorage has run
 * anything, Node tracks the context of every promise of the process (async
 * hooks), a cost every request then pays; without a store `requestedFactors`
 * answers undefined, which is what an empty store meant.
 */
export function withRequestFactors<T>(factors: Partial<ReplicationFactors>, fn: () => T): T {
  if (factors.internal === undefined && factors.external === undefined) return fn();
  return requestFactors.run(factors, fn);
}

/** The factors the current request named, if any. */
export function requestedFactors(): Partial<ReplicationFactors> | undefined {
  return requestFactors.getStore();
}

/**
 * Publishes this frontend's applied revision to the node's other frontends
 * (at most once per interval, only when it moved) and hands theirs, and the
 * backend's member watermarks, to the acknowledger.
 */
export class FactorLink {
  readonly #subscriptions: { unsubscribe(): void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #published: number | undefined;

  constructor(
    private readonly opts: {
      messenger: Messenger;
      subjects: NodeSubjects;
      frontendId: string;
      acknowledger: Acknowledger;
      /** ECKD_FRONTEND_APPLIED_INTERVAL_MS */
      publishIntervalMs: number;
      log: Logger;
    },
  ) {}

  start(): void {
    const { subjects, acknowledger } = this.opts;
    this.#receive(subjects.frontendApplied, codecs.frontendApplied, validators.frontendApplied, (m) => acknowledger.frontendApplied(m.frontend_id, Number(m.revision)));
    this.#receive(subjects.peerStored, codecs.peerStoredRevisions, validators.peerStoredRevisions, (m) => {
      for (const s of m.members) acknowledger.peerStored(String(s.member), Number(s.origin_revision));
    });
    this.#timer = setInterval(() => this.#publish(), this.opts.publishIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const s of this.#subscriptions.splice(0)) s.unsubscribe();
  }

  #receive<T>(subject: string, codec: { decode(bytes: Uint8Array): T }, validate: (message: T) => Error | undefined, handle: (message: T) => void): void {
    this.#subscriptions.push(
      this.opts.messenger.subscribe(subject, (msg) => {
        let message: T;
        try {
          message = decodeChecked(msg, codec, validate, this.opts.log);
        } catch {
          return; // logged and counted by decodeChecked
        }
        handle(message);
      }),
    );
  }

  #publish(): void {
    const applied = this.opts.acknowledger.appliedRevision;
    if (applied === undefined || applied === this.#published) return;
    this.#published = applied;
    this.opts.messenger.publish(this.opts.subjects.frontendApplied, codecs.frontendApplied.encode({ frontend_id: this.opts.frontendId, revision: applied }));
  }
}
