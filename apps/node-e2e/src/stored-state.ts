// Checks on one running node's state, shared by the specs that cut or
// compact what it stores: the key space as etcdctl prints it, the stored
// row counts, and a backend restart that must bring back all of it.
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { Etcd3 } from 'etcd3';
import { etcdctl } from '@eckd/testing';
import type { EckdNode } from '@eckd/testing';

export interface StoredState {
  counts(): Promise<{ changes: number; log: number; snapshots: number }>;
  /** Every live key with its value, create/mod revision, version and lease, as etcdctl prints them (at a revision, if given). */
  keyspace(rev?: number): Promise<{ kvs: unknown[]; count: unknown }>;
  revision(): Promise<number>;
  compactAt(rev: number): Promise<void>;
  /** Puts `total` keys `${prefix}${i % keys}` with `concurrency` writers (so batches form as in production). */
  writeMany(keyPrefix: string, total: number, keys: number, concurrency?: number): Promise<void>;
  /** The backend comes back from Postgres; a read through the frontend proves it serves again. */
  restartBackend(): Promise<void>;
  /** After a backend restart the key space, the history at `history` and the revision are as before, and revisions go on. */
  assertSurvivesRestart(history: number[]): Promise<void>;
}

export function storedState(node: () => EckdNode, client: Etcd3, sql: pg.Client): StoredState {
  const state: StoredState = {
    async counts() {
      const { rows } = await sql.query(
        `select (select count(*) from eckd_changes) as changes, (select count(*) from eckd_log) as log, (select count(*) from eckd_snapshots) as snapshots`,
      );
      return { changes: Number(rows[0].changes), log: Number(rows[0].log), snapshots: Number(rows[0].snapshots) };
    },

    async keyspace(rev) {
      const args = ['get', '', '--prefix', '-w', 'json', ...(rev ? [`--rev=${rev}`] : [])];
      const r = await etcdctl(node().endpoints[0]!, args);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { kvs?: unknown[]; count?: unknown };
      return { kvs: out.kvs ?? [], count: out.count };
    },

    async revision() {
      return Number((await client.get('any').exec()).header.revision);
    },

    async compactAt(rev) {
      const r = await etcdctl(node().endpoints[0]!, ['compaction', String(rev)]);
      assert.equal(r.code, 0, r.stderr);
    },

    async writeMany(keyPrefix, total, keys, concurrency = 32) {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = next++; i < total; i = next++) await client.put(`${keyPrefix}${i % keys}`).value(`v${i}-${'x'.repeat(64)}`).exec();
        }),
      );
    },

    async restartBackend() {
      await node().processes.backend.restart();
      const until = Date.now() + 20_000;
      for (;;) {
        try {
          await client.get('probe').exec();
          return;
        } catch (err) {
          if (Date.now() > until) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },

    async assertSurvivesRestart(history) {
      const last = await state.revision();
      const expected = await state.keyspace();
      const past = await Promise.all(history.map((rev) => state.keyspace(rev)));
      await state.restartBackend();
      assert.equal(await state.revision(), last, 'the revision is recovered');
      assert.deepEqual(await state.keyspace(), expected);
      for (const [i, rev] of history.entries()) assert.deepEqual(await state.keyspace(rev), past[i], `history at ${rev}`);
      const put = await client.put('after-restart').value('1').exec();
      assert.equal(Number(put.header.revision), last + 1, 'revisions continue');
    },
  };
  return state;
}
