import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { backupFormat, maintenanceCodecs } from '@eckd/change-codec';
import { BackupFileError, readBackupFile } from './backup-file.js';

const file = (format = backupFormat) =>
  Buffer.from(
    maintenanceCodecs.backupFile.encode({
      format,
      format_version: 1,
      schema_version: 2,
      revision: 9,
      compact_revision: -1,
      created_unix_ms: 1,
      rows: [{ table: 'eckd_meta', row_count: 1, rows_json: Buffer.from('[{"key":"k","value":"v"}]') }],
    }),
  );
const withSha = (data: Buffer) => Buffer.concat([data, createHash('sha256').update(data).digest()]);

describe('readBackupFile', () => {
  test('a file with its sha256 trailer decodes', () => {
    const back = readBackupFile(withSha(file()));
    assert.equal(back.revision, '9');
    assert.equal(back.rows[0]!.table, 'eckd_meta');
  });

  test('a damaged file is refused, unless the check is skipped for a file without trailer', () => {
    const damaged = withSha(file());
    damaged[5] = damaged[5]! ^ 0xff;
    assert.throws(() => readBackupFile(damaged), /expected sha256/);
    assert.equal(readBackupFile(file(), { skipHashCheck: true }).revision, '9');
  });

  test('an etcd (bbolt) snapshot or another format is recognised as not eckd', () => {
    assert.throws(() => readBackupFile(withSha(Buffer.alloc(4096, 0))), BackupFileError);
    assert.throws(() => readBackupFile(withSha(file('other'))), /not an eckd snapshot/);
    assert.throws(() => readBackupFile(Buffer.alloc(10)), /too short/);
  });
});
