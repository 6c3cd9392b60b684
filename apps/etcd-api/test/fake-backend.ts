// A node's backend as the etcd-api core sees it over NATS, for unit tests on
// a MemoryNetwork: it answers read-index and sync requests (the whole state,
// or the revisions after the replica's when it asks with this backend's
// epoch and they are kept), and publishes a PatchBatch for every put.
import { codecs, nodeSubjects } from '@eckd/change-codec';
import type { NodeIdentity, RevisionPatch, SyncRequest } from '@eckd/change-codec';
import { createLogger, MemoryNetwork } from '@eckd/service-kit';
import type { Messenger } from '@eckd/service-kit';
import { Acknowledger } from '../src/acknowledger.js';
import { Replica } from '../src/replica.js';

export const subjects = nodeSubjects({ prefix: 'test', node: 'n1' });
export const quietLog = createLogger('spec', { level: 'error' });

export class FakeBackend {
  readonly messenger: Messenger;
  readonly syncRequests: SyncRequest[] = [];
  identity: NodeIdentity = { cluster_id: '1', member_id: '2', raft_term: '1', epoch: 'epoch-1' };
  revision = 1;
  /** Revisions whose patches the backend no longer keeps (as if compacted). */
  keptAfter = 0;
  patches: RevisionPatch[] = [];

  constructor(network: MemoryNetwork) {
    this.messenger = network.messenger(quietLog);
    this.messenger.subscribe(subjects.readIndex, (m) => m.respond(codecs.readIndexReply.encode({ revision: this.revision, epoch: this.identity.epoch })));
    this.messenger.subscribe(subjects.sync, (m) => this.#sync(m.data, m.respond));
  }

  /** A put at the next revision, published unless told otherwise. */
  put(key: string, value: string): number {
    const revision = ++this.revision;
    const patch: RevisionPatch = {
      revision,
      events: [{ type: 'PUT', kv: { key: Buffer.from(key), create_revision: revision, mod_revision: revision, version: 1, value: Buffer.from(value), lease: 0 } }],
    };
    this.patches.push(patch);
    this.messenger.publish(subjects.patch, codecs.patchBatch.encode({ patches: [patch], identity: this.identity, compact_revision: 0 }));
    return revision;
  }

  /** A restart that kept the revisions up to `revision` (asynchronous persistence can lose the rest). */
  restart(revision: number): void {
    this.identity = { ...this.identity, epoch: `${this.identity.epoch}'` };
    this.revision = revision;
    this.patches = this.patches.filter((p) => Number(p.revision) <= revision);
  }

  #sync(data: Uint8Array, respond: (payload: Uint8Array) => void): void {
    const request = codecs.syncRequest.decode(data);
    this.syncRequests.push(request);
    const after = Number(request.after_revision);
    const incremental = after > 0 && after >= this.keptAfter && request.epoch === this.identity.epoch;
    const patches = this.patches.filter((p) => Number(p.revision) > (incremental ? after : 0));
    respond(codecs.syncChunk.encode({ index: 0, done: true, identity: this.identity, revision: this.revision, compact_revision: -1, base: [], patches, incremental }));
  }
}

/** A frontend's acknowledger and replica on `net` (stall resync after 50 ms), and what the replica told its listeners. */
export function frontend(net: MemoryNetwork) {
  const acknowledger = new Acknowledger({
    frontendId: 'f1',
    factors: { internal: 1, external: 0 },
    timeoutMs: 2_000,
    waitsMax: 1_000,
    stallResyncMs: 50,
    log: quietLog,
  });
  const replica = new Replica({ messenger: net.messenger(quietLog), subjects, syncChunkTimeoutMs: 1_000, acknowledger, log: quietLog });
  const events: string[] = [];
  replica.listen({ applied: (from, to) => events.push(`applied ${from}..${to}`), replaced: (revision) => events.push(`replaced ${revision}`) });
  return { acknowledger, replica, events };
}

/** Waits, turn by turn, until `condition` holds. */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 10_000) throw new Error('condition not met');
    await new Promise((r) => setImmediate(r));
  }
}

/** A backend with `keys` put, and a started replica of it. */
export async function started(...keys: string[]) {
  const net = new MemoryNetwork();
  const backend = new FakeBackend(net);
  for (const key of keys) backend.put(key, 'before');
  const f = frontend(net);
  await f.replica.start();
  return { net, backend, ...f };
}

/** A put whose patch is lost on the way. */
export async function lostPut(net: MemoryNetwork, backend: FakeBackend, key = 'lost'): Promise<void> {
  const restore = net.drop((e) => e.subject === subjects.patch);
  backend.put(key, 'x');
  await net.settle();
  restore();
}
