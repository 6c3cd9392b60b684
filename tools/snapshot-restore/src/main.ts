// eckd-snapshot-restore: restores a node's Postgres database from the file
// `etcdctl snapshot save` wrote from one of its frontends. The database must
// hold no eckd data yet (like etcdctl, it never overwrites); the schema is
// migrated first. Then start the node on that database.
//
//   eckd-snapshot-restore <file> [--database-url URL] [--skip-hash-check]
import { readFile } from 'node:fs/promises';
import { createPool, migrate, restoreBackup } from '@eckd/storage';
import { readBackupFile } from './backup-file.js';

const usage = 'usage: eckd-snapshot-restore <file> [--database-url URL (default $DATABASE_URL)] [--skip-hash-check]';

interface Options {
  file: string;
  databaseUrl: string;
  skipHashCheck: boolean;
}

function parseArgs(argv: readonly string[], env: Record<string, string | undefined>): Options {
  let file: string | undefined;
  let databaseUrl = env['DATABASE_URL'];
  let skipHashCheck = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--skip-hash-check') skipHashCheck = true;
    else if (arg === '--database-url') databaseUrl = argv[++i];
    else if (arg.startsWith('--database-url=')) databaseUrl = arg.slice('--database-url='.length);
    else if (!arg.startsWith('--') && file === undefined) file = arg;
    else throw new Error(`unexpected argument "${arg}"\n${usage}`);
  }
  if (!file || !databaseUrl) throw new Error(usage);
  return { file, databaseUrl, skipHashCheck };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2), process.env);
  const backup = readBackupFile(await readFile(opts.file), { skipHashCheck: opts.skipHashCheck });
  const pool = createPool(opts.databaseUrl, { max: 1, applicationName: 'eckd-snapshot-restore' });
  try {
    await migrate(pool);
    const pages = backup.rows.map((r) => ({ table: r.table, rowCount: r.row_count, rowsJson: Buffer.from(r.rows_json) }));
    const { rows } = await restoreBackup(pool, { schemaVersion: backup.schema_version, pages });
    const summary = { restored: opts.file, rows, revision: Number(backup.revision), compactRevision: Number(backup.compact_revision) };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
