// The version 1 messages of etcd's Maintenance service between processes
// (proto/eckd/wire/v1/maintenance.proto), and one codec each. Embedded etcd
// messages take etcd-proto's generated types, as in messages.ts.
import { varintBytes } from '@eckd/etcd-proto';
import type {
  AlarmRequest__Output,
  AlarmResponse,
  DefragmentRequest__Output,
  DefragmentResponse,
  DowngradeRequest__Output,
  DowngradeResponse,
  StatusRequest__Output,
} from '@eckd/etcd-proto';
import type { Int64, Sent, WireError } from './messages.js';
import { wireCodec } from './wire.js';

/** etcdserverpb.AlarmMember as decoded: memberID a decimal string, alarm a name. */
export interface AlarmMemberMessage {
  memberID: Int64;
  alarm: 'NONE' | 'NOSPACE' | 'CORRUPT' | number;
}

export interface DowngradeInfoMessage {
  enabled: boolean;
  targetVersion: string;
}

export interface MaintenanceRequest {
  op?: 'alarm' | 'status' | 'defragment' | 'downgrade';
  alarm?: Sent<AlarmRequest__Output> | null;
  status?: Sent<StatusRequest__Output> | null;
  defragment?: Sent<DefragmentRequest__Output> | null;
  downgrade?: Sent<DowngradeRequest__Output> | null;
}

export interface NodeStatus {
  db_size: Int64;
  db_size_in_use: Int64;
  /** 0: no quota */
  quota_bytes: Int64;
  alarms: AlarmMemberMessage[];
  downgrade: DowngradeInfoMessage | null;
  /** the backend's published revision */
  revision: Int64;
  /** the persister did not answer: the sizes are the last ones known */
  sizes_stale: boolean;
}

export interface MaintenanceReply {
  result?: 'alarm' | 'status' | 'defragment' | 'downgrade' | 'error';
  alarm?: AlarmResponse | null;
  status?: NodeStatus | null;
  defragment?: DefragmentResponse | null;
  downgrade?: DowngradeResponse | null;
  error?: WireError | null;
}

/** Node-wide maintenance state, stored by the persister (eckd_meta 'maintenance'). */
export interface MaintenanceState {
  alarms: AlarmMemberMessage[];
  downgrade: DowngradeInfoMessage | null;
}

export interface StorageRequest {
  op?: 'status' | 'save_state' | 'defragment';
  status?: Record<string, never> | null;
  save_state?: MaintenanceState | null;
  defragment?: Record<string, never> | null;
}

export interface StorageReply {
  db_size: Int64;
  db_size_in_use: Int64;
  state: MaintenanceState | null;
  error?: WireError | null;
}

/**
 * Without `window_bytes` the persister sends the whole file at once. With it,
 * it sends `window_bytes` from `offset` of the backup `session` (none: a new
 * backup) and waits for the next request, so the reader paces the stream.
 */
export interface BackupRequest {
  session?: string;
  offset?: Int64;
  window_bytes?: Int64;
}

export interface BackupChunk {
  index: number;
  done: boolean;
  total_bytes: Int64;
  data: Uint8Array;
  error?: WireError | null;
  /** the backup's session, when the request asked for a window */
  session?: string;
}

export interface BackupRows {
  table: string;
  row_count: number;
  /** JSON array of Postgres row_to_json objects */
  rows_json: Uint8Array;
}

export interface BackupFile {
  /** always backupFormat */
  format: string;
  format_version: number;
  schema_version: number;
  revision: Int64;
  compact_revision: Int64;
  created_unix_ms: Int64;
  rows: BackupRows[];
  padding?: Uint8Array;
}

/** `format` of every backup file, and the version this code writes and reads. */
export const backupFormat = 'eckd-backup';
export const backupFormatVersion = 1;

/** etcdctl (clientv3 hasChecksum) wants size % 512 === 32: the file itself is a multiple of this. */
export const backupSectorBytes = 512;

/** Encodes a backup file padded (field 15) to a multiple of backupSectorBytes. */
export function encodeBackupFile(file: Omit<BackupFile, 'padding'>): Uint8Array {
  const parts = [encodeBackupFileHead(file), ...file.rows.map(encodeBackupFileRows)];
  const length = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([...parts, encodeBackupFilePadding(length)]);
}

// A backup file written piece by piece (the persister streams it): the head,
// each BackupRows as its own field 7, then the padding. Protobuf reads
// concatenated fields as one message, so the pieces decode as encodeBackupFile's.

/** The file's fields but its rows and padding. */
export function encodeBackupFileHead(head: Omit<BackupFile, 'rows' | 'padding'>): Uint8Array {
  return maintenanceCodecs.backupFile.encode({ ...head, rows: [] });
}

/** One BackupRows as field 7 of the file. */
export function encodeBackupFileRows(rows: BackupRows): Uint8Array {
  return Buffer.concat([encodeBackupFileRowsHead(rows.table, rows.row_count, rows.rows_json.length), rows.rows_json]);
}

/**
 * A BackupRows field (7) up to its rows_json, which follows it:
 * `rowsJsonBytes` of JSON written by the caller without another copy.
 */
export function encodeBackupFileRowsHead(table: string, rowCount: number, rowsJsonBytes: number): Uint8Array {
  const tableBytes = Buffer.from(table);
  const fields = Buffer.from([
    0x0a, ...varint(tableBytes.length), ...tableBytes, // table = 1
    0x10, ...varint(rowCount), // row_count = 2
    0x1a, ...varint(rowsJsonBytes), // rows_json = 3
  ]);
  return Buffer.concat([Buffer.from([(7 << 3) | 2, ...varint(fields.length + rowsJsonBytes)]), fields]);
}

/** The padding field (15) that makes a file of `length` bytes a multiple of backupSectorBytes. */
export function encodeBackupFilePadding(length: number): Uint8Array {
  const short = (backupSectorBytes - (length % backupSectorBytes)) % backupSectorBytes;
  if (short === 0) return new Uint8Array(0);
  // The field costs a tag byte and its length's varint besides its zeros.
  for (let extra = short; ; extra += backupSectorBytes) {
    for (let lengthBytes = 1; lengthBytes <= 3; lengthBytes++) {
      const zeros = extra - 1 - lengthBytes;
      if (zeros >= 0 && varintBytes(zeros) === lengthBytes) return lengthDelimitedField(15, new Uint8Array(zeros));
    }
  }
}

function lengthDelimitedField(field: number, value: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(value.length)]), value]);
}

/** A non-negative safe integer as a protobuf varint. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  for (let n = value; ; n = Math.floor(n / 0x80)) {
    if (n < 0x80) return [...bytes, n];
    bytes.push((n % 0x80) | 0x80);
  }
}

export const maintenanceCodecs = Object.freeze({
  maintenanceRequest: wireCodec<MaintenanceRequest>('MaintenanceRequest'),
  maintenanceReply: wireCodec<MaintenanceReply>('MaintenanceReply'),
  maintenanceState: wireCodec<MaintenanceState>('MaintenanceState'),
  storageRequest: wireCodec<StorageRequest>('StorageRequest'),
  storageReply: wireCodec<StorageReply>('StorageReply'),
  backupRequest: wireCodec<BackupRequest>('BackupRequest'),
  backupChunk: wireCodec<BackupChunk>('BackupChunk'),
  backupFile: wireCodec<BackupFile>('BackupFile'),
});
