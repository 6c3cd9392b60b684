// Test support (not part of the app bundle): a stand-in for the backend
// that writes the rows the persister would, and a rebuild of the state from
// a snapshot plus the rows after it, the way the backend recovers.
import type pg from 'pg';
import { createKvDocument, loadKvDocument } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import { codecs } from '@eckd/change-codec';
import { keyValueFromWire, MvccStore, revisionPatchFromWire } from '@eckd/mvcc';
import type { KeyValue, RevisionPatch, WriteOp } from '@eckd/mvcc';
import { appendBatch, latestSnapshotInfo, readCompactRevision, readLatestSnapshot, readLogRows, readStoredChanges } from '@eckd/storage';

export type Op = { put: [string, string] } | { del: string };

/** Writes batches as the backend and persister would: one change and one log row per batch. */
export class SimulatedBackend {
  doc: KvDocument = createKvDocument();
  readonly store = new MvccStore();

  constructor(private readonly pool: pg.Pool) {}

  async batch(ops: Op[]): Promise<void> {
    const first = this.store.revision + 1;
    const patches: RevisionPatch[] = [];
    for (const op of ops) {
      const writeOp: WriteOp = 'put' in op ? { put: { key: Buffer.from(op.put[0]), value: Buffer.from(op.put[1]) } } : { delete_range: { key: Buffer.from(op.del) } };
      const write = this.store.write(writeOp, { leaseExists: () => true });
      if (!write.changed) continue;
      patches.push({ revision: write.revision, events: write.events });
      for (const e of write.events) {
        const key = Buffer.from(e.kv.key).toString('latin1');
        if (e.type === 'PUT') this.doc.put(key, e.kv.value, String(e.kv.lease));
        else this.doc.delete(key);
      }
    }
    await this.#append(first, patches.length > 0 ? codecs.patchBatch.encode({ patches, identity: null, compact_revision: this.store.compactRevision }) : undefined);
  }

  /** A lease grant: an Automerge change but no revision. */
  async grantLease(id: string, ttl: number): Promise<void> {
    this.doc.putLease(id, ttl);
    await this.#append(this.store.revision + 1, undefined);
  }

  async compact(revision: number): Promise<void> {
    this.store.compact(revision);
    await appendBatch(this.pool, [{ firstRevision: 0, lastRevision: this.store.revision, compactRevision: revision }]);
  }

  /** A backend restart: the same document under a fresh actor. */
  restart(): void {
    this.doc = loadKvDocument({ saved: this.doc.save() });
  }

  async #append(first: number, patchBatch: Uint8Array | undefined): Promise<void> {
    const c = this.doc.commit();
    await appendBatch(this.pool, [
      {
        change: c && { actor: Buffer.from(c.actorId, 'hex'), seq: c.seq, bytes: c.bytes },
        firstRevision: first,
        lastRevision: this.store.revision,
        patchBatch,
      },
    ]);
  }
}

/** The node's state rebuilt from the latest snapshot plus the rows after it (what the backend's recovery does). */
export async function rebuildFromStorage(pool: pg.Pool): Promise<{ doc: KvDocument; store: MvccStore }> {
  const snapshot = await readLatestSnapshot(pool);
  const changes: Uint8Array[] = [];
  for await (const page of readStoredChanges(pool)) changes.push(...page.map((c) => c.change));
  const doc = loadKvDocument({ saved: snapshot?.document, changes });
  let store = new MvccStore();
  const base = snapshot?.indexRevision ?? 0;
  const basePatches: RevisionPatch[] = [];
  const later: RevisionPatch[] = [];
  for await (const page of readLogRows(pool, { fromRevision: base })) {
    for (const row of page) {
      for (const p of codecs.patchBatch.decode(row.patches).patches) {
        const patch = revisionPatchFromWire(p);
        if (Number(p.revision) > base) later.push(patch);
        else if (Number(p.revision) === base) basePatches.push(patch);
      }
    }
  }
  if (snapshot && base > 0) {
    const index = codecs.snapshotIndex.decode(snapshot.keyIndex);
    store = MvccStore.fromState({ revision: base, baseRevision: base, compactRevision: Number(index.compact_revision), base: index.kvs.map(keyValueFromWire), patches: basePatches });
  }
  for (const p of later) store.applyRevision(p);
  const compact = await readCompactRevision(pool);
  if (compact !== undefined && compact > store.compactRevision) store.compact(compact);
  return { doc, store };
}

export async function rowCounts(pool: pg.Pool): Promise<{ changes: number; log: number; snapshots: number; snapshotRevision: number }> {
  const count = async (table: string) => Number((await pool.query(`select count(*) as n from ${table}`)).rows[0].n);
  return {
    changes: await count('eckd_changes'),
    log: await count('eckd_log'),
    snapshots: await count('eckd_snapshots'),
    snapshotRevision: (await latestSnapshotInfo(pool))?.throughRevision ?? 0,
  };
}

/** Every live kv at a revision (0: newest). */
export function allKvs(store: MvccStore, revision = 0): KeyValue[] {
  return store.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), revision }).kvs;
}
