// The persister's append against the history Postgres already holds: a
// fresh database per size, `rows` one-revision log rows and changes stored
// first (as a node that wrote one put per batch that often), then
// `appends` single-put batches appended one after another through
// libs/storage, as the persister appends them. Its latency must not grow
// with the history kept (docs/BENCHMARKS.md, "The append and the history kept").
import { appendBatch, claimFencingEpoch, createPool, migrate } from '@eckd/storage';
import { createTestDatabase } from '@eckd/testing';
import { summarize, formatTable } from './stats.js';

export interface AppendHistoryOptions {
  /** stored log rows before the timed appends, one run per size */
  rows: number[];
  appends: number;
}

export async function runAppendHistory(o: AppendHistoryOptions): Promise<void> {
  for (const rows of o.rows) {
    const db = await createTestDatabase();
    const pool = createPool(db.url);
    try {
      await migrate(pool);
      const epoch = await claimFencingEpoch(pool);
      await pool.query(`insert into eckd_log (first_revision, last_revision, patches) select g, g, '\\x00' from generate_series(1, $1::bigint) g`, [rows]);
      await pool.query(`insert into eckd_changes (actor, seq, revision, change, lineage) select '\\x01', g, g, '\\x00', '' from generate_series(1, $1::bigint) g`, [rows]);
      await pool.query('analyze');
      const latencies: number[] = [];
      const started = performance.now();
      for (let i = 1; i <= o.appends; i++) {
        const revision = rows + i;
        const t0 = performance.now();
        await appendBatch(
          pool,
          [{ change: { actor: Buffer.alloc(16, 7), seq: i, bytes: Buffer.alloc(120, 3) }, firstRevision: revision, lastRevision: revision, patchBatch: Buffer.alloc(80, 1), lineage: '' }],
          { fencingEpoch: epoch, appendIndex: i },
        );
        latencies.push(performance.now() - t0);
      }
      console.log(formatTable(summarize(`append after ${rows} stored rows`, latencies, 0, (performance.now() - started) / 1000)));
    } finally {
      await pool.end();
      await db.drop();
    }
  }
}
