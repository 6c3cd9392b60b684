// persister.backup: etcd's Maintenance.Snapshot. Every row of eckd's tables,
// read in one repeatable-read transaction (a consistent point in time, as
// etcd's bbolt snapshot is), encoded as one BackupFile and streamed in
// chunks; the frontend adds etcd's sha256 trailer.
import { backupFormat, backupFormatVersion, encodeBackupFile, maintenanceCodecs, unknownWireError } from '@eckd/change-codec';
import type { BackupChunk } from '@eckd/change-codec';
import { readBackup } from '@eckd/storage';
import type { Logger, Message, Messenger } from '@eckd/service-kit';
import type pg from 'pg';

export function createBackupHandler(messenger: Messenger, pool: pg.Pool, chunkBytes: number, log: Logger): (msg: Message) => Promise<void> {
  return async (msg) => {
    let file: Uint8Array;
    try {
      const started = Date.now();
      const backup = await readBackup(pool);
      file = encodeBackupFile({
        format: backupFormat,
        format_version: backupFormatVersion,
        schema_version: backup.schemaVersion,
        revision: backup.revision,
        compact_revision: backup.compactRevision,
        created_unix_ms: Date.now(),
        rows: backup.pages.map((p) => ({ table: p.table, row_count: p.rowCount, rows_json: p.rowsJson })),
      });
      log.info('backup read', { revision: backup.revision, bytes: file.length, pages: backup.pages.length, ms: Date.now() - started });
    } catch (err) {
      log.error('backup failed', { err });
      const error: BackupChunk = { index: 0, done: true, total_bytes: 0, data: Buffer.alloc(0), error: unknownWireError(err) };
      msg.respond(maintenanceCodecs.backupChunk.encode(error));
      return;
    }
    const count = Math.max(1, Math.ceil(file.length / chunkBytes));
    for (let i = 0; i < count; i++) {
      const data = file.subarray(i * chunkBytes, (i + 1) * chunkBytes);
      msg.respond(maintenanceCodecs.backupChunk.encode({ index: i, done: i === count - 1, total_bytes: file.length, data }));
      // Let the socket drain now and then rather than buffering the whole file.
      if (i % 16 === 15) await messenger.flush();
    }
  };
}
