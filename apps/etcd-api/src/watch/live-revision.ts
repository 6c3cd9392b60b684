// One applied revision on its way to every watcher of this frontend. With
// many watchers on the same keys (the common shape: W watchers of one
// prefix), every one of them gets the same events at the same header: the
// keys are decoded once, the header and each distinct event selection are
// encoded once, and each watcher's response is those bytes plus its
// watch_id.
import { encodeEmbedded, encodeIntField, responseEncoders } from '@eckd/etcd-proto';
import type { RevisionPatch } from '@eckd/mvcc';
import type { WatchId } from './watcher.js';

/** WatchResponse field numbers (etcdserverpb/rpc.proto). */
const headerField = 1;
const watchIdField = 2;
const eventsField = 11;

export class LiveRevision {
  /** The events' keys as Latin-1 strings, the form watch ranges compare. */
  readonly keys: string[];
  #header: Buffer | undefined;
  readonly #events = new Map<string, Buffer>();

  constructor(
    readonly patch: RevisionPatch,
    private readonly header: (revision: number) => Record<string, unknown>,
  ) {
    this.keys = patch.events.map((e) => e.kv.key.toString('latin1'));
  }

  /**
   * The encoded WatchResponse for `watchId` with the events `selection`
   * (indices into the patch; `prevKv` says whether they carry prev_kv),
   * built by `events` the first time this selection is asked for.
   */
  response(watchId: WatchId, selection: readonly number[], prevKv: boolean, events: () => Record<string, unknown>[]): Buffer {
    this.#header ??= encodeEmbedded(headerField, responseEncoders.ResponseHeader(this.header(this.patch.revision)));
    const signature = prevKv ? `${selection.join(',')}+prev` : selection.join(',');
    let encoded = this.#events.get(signature);
    if (!encoded) {
      encoded = Buffer.concat(events().map((e) => encodeEmbedded(eventsField, responseEncoders.Event(e))));
      this.#events.set(signature, encoded);
    }
    return Buffer.concat([this.#header, encodeIntField(watchIdField, watchId), encoded]);
  }
}
