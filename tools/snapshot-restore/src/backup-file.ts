// Reads the file `etcdctl snapshot save` wrote from an eckd node: a
// BackupFile followed, as etcd's snapshots are, by the sha256 of the bytes
// before it.
import { createHash } from 'node:crypto';
import { backupFormat, backupFormatVersion, maintenanceCodecs } from '@eckd/change-codec';
import type { BackupFile } from '@eckd/change-codec';

export const sha256Bytes = 32;

export class BackupFileError extends Error {
  override name = 'BackupFileError';
}

/** Verifies the trailer (unless told not to) and decodes the file; throws BackupFileError. */
export function readBackupFile(bytes: Uint8Array, opts: { skipHashCheck?: boolean } = {}): BackupFile {
  if (bytes.length <= sha256Bytes) throw new BackupFileError('snapshot-restore: the file is too short to be a snapshot');
  const data = bytes.subarray(0, bytes.length - sha256Bytes);
  const expected = Buffer.from(bytes.subarray(bytes.length - sha256Bytes));
  const actual = createHash('sha256').update(data).digest();
  if (!actual.equals(expected) && !opts.skipHashCheck) {
    throw new BackupFileError(`snapshot-restore: expected sha256 ${expected.toString('hex')}, got ${actual.toString('hex')} (use --skip-hash-check for a file without it)`);
  }
  const file = decode(actual.equals(expected) ? data : bytes);
  if (file.format !== backupFormat) throw new BackupFileError(`snapshot-restore: not an eckd snapshot (an etcd one? restore it with etcdctl)`);
  if (file.format_version !== backupFormatVersion) {
    throw new BackupFileError(`snapshot-restore: snapshot format version ${file.format_version}, this tool reads ${backupFormatVersion}`);
  }
  return file;
}

function decode(bytes: Uint8Array): BackupFile {
  try {
    return maintenanceCodecs.backupFile.decode(bytes);
  } catch (cause) {
    throw new BackupFileError('snapshot-restore: not an eckd snapshot (it does not decode)', { cause });
  }
}
