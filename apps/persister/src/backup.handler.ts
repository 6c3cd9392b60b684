// persister.backup: etcd's Maintenance.Snapshot. Every row of eckd's tables,
// read in one repeatable-read transaction (a consistent point in time, as
// etcd's bbolt snapshot is), encoded page by page into a spool file (so the
// size is known before the first chunk and memory holds one page), then sent
// in chunks; the frontend adds etcd's sha256 trailer.
//
// A request with window_bytes opens a session: the persister sends that many
// bytes and waits for the frontend to ask for the next window, so a client
// that reads slowly holds back the persister instead of filling the
// frontend's memory. A request without it (an older frontend) gets the whole
// file at once, paced only by NATS.
import { mkdtemp, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  backupFormat,
  backupFormatVersion,
  encodeBackupFileHead,
  encodeBackupFilePadding,
  encodeBackupFileRowsHead,
  maintenanceCodecs,
  unknownWireError,
  validators,
} from '@eckd/change-codec';
import type { BackupChunk, WireError } from '@eckd/change-codec';
import { streamBackup } from '@eckd/storage';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message, Messenger } from '@eckd/service-kit';
import type pg from 'pg';

export interface BackupLimits {
  /** bytes of one chunk, under NATS max_payload (ECKD_LOAD_CHUNK_BYTES) */
  chunkBytes: number;
  /** backups spooled at once (ECKD_BACKUP_SESSIONS_MAX) */
  sessionsMax: number;
  /** a session whose next window is not asked for within this is dropped (ECKD_BACKUP_IDLE_MS) */
  idleMs: number;
}

interface SpooledBackup {
  dir: string;
  file: FileHandle;
  bytes: number;
}

interface BackupSession {
  spool: SpooledBackup;
  idle: NodeJS.Timeout;
}

/** Chunks sent between waits for NATS to take them, in the all-at-once mode. */
const chunksPerFlush = 16;

class BackupRefused extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
  }
}

export function createBackupHandler(messenger: Messenger, pool: pg.Pool, limits: BackupLimits, log: Logger): (msg: Message) => Promise<void> {
  const sessions = new Map<string, BackupSession>();
  let spooling = 0;
  const drop = (id: string) => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    clearTimeout(session.idle);
    void discard(session.spool);
  };

  return async (msg) => {
    let id = '';
    try {
      const request = decodeChecked(msg, maintenanceCodecs.backupRequest, validators.backupRequest, log);
      const windowBytes = Number(request.window_bytes ?? 0);
      id = request.session ?? '';
      let spool: SpooledBackup;
      if (id === '') {
        if (sessions.size + spooling >= limits.sessionsMax) throw new BackupRefused({ name: 'TooManyRequests', message: 'etcdserver: too many requests' });
        spooling++;
        try {
          spool = await spoolBackup(pool, log);
        } finally {
          spooling--;
        }
        if (windowBytes === 0) {
          try {
            await sendRange(messenger, msg, spool, 0, spool.bytes, '', limits.chunkBytes);
          } finally {
            await discard(spool);
          }
          return;
        }
        id = randomUUID();
        sessions.set(id, { spool, idle: setTimeout(() => drop(id), limits.idleMs).unref() });
      } else {
        const session = sessions.get(id);
        if (!session) throw new Error(`backup session ${id} is gone (no window asked for within ${limits.idleMs} ms)`);
        session.idle.refresh();
        spool = session.spool;
      }
      const offset = Number(request.offset ?? 0);
      const end = Math.min(spool.bytes, offset + windowBytes);
      await sendRange(messenger, msg, spool, offset, end, id, limits.chunkBytes);
      if (end >= spool.bytes) drop(id);
    } catch (err) {
      if (id !== '') drop(id);
      if (!(err instanceof BackupRefused)) log.error('backup failed', { err });
      const error: BackupChunk = { index: 0, done: true, total_bytes: 0, data: Buffer.alloc(0), error: err instanceof BackupRefused ? err.wire : unknownWireError(err) };
      msg.respond(maintenanceCodecs.backupChunk.encode(error));
    }
  };
}

/** Characters of row text per file write (a larger row is written in slices of this). */
const spoolWriteChars = 1024 * 1024;

/** Writes the backup file to a private temporary file, one page in memory at a time. */
async function spoolBackup(pool: pg.Pool, log: Logger): Promise<SpooledBackup> {
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'eckd-backup-'));
  const spool: SpooledBackup = { dir, file: await open(join(dir, 'backup'), 'w+', 0o600), bytes: 0 };
  const append = async (bytes: Uint8Array | string) => {
    const { bytesWritten } = typeof bytes === 'string' ? await spool.file.write(bytes, spool.bytes) : await spool.file.write(bytes, 0, bytes.length, spool.bytes);
    spool.bytes += bytesWritten;
  };
  // A page's rows go to the file as the JSON array rows_json, written in
  // pieces rather than joined first: a large row is held once, as read, and
  // written in slices.
  const appendRows = async (table: string, rows: string[]) => {
    const rowsJsonBytes = rows.reduce((n, row) => n + Buffer.byteLength(row), 2 + rows.length - 1);
    await append(encodeBackupFileRowsHead(table, rows.length, rowsJsonBytes));
    let piece: string[] = [];
    let pieceLength = 0;
    const flush = async () => {
      await append(piece.join(''));
      piece = [];
      pieceLength = 0;
    };
    for (const [i, row] of rows.entries()) {
      piece.push(i === 0 ? '[' : ',');
      if (row.length >= spoolWriteChars) {
        await flush();
        for (const slice of slices(row, spoolWriteChars)) await append(slice);
        continue;
      }
      piece.push(row);
      pieceLength += row.length;
      if (pieceLength >= spoolWriteChars) await flush();
    }
    piece.push(']');
    await flush();
  };
  try {
    let pages = 0;
    const head = await streamBackup(
      pool,
      (h) =>
        append(
          encodeBackupFileHead({
            format: backupFormat,
            format_version: backupFormatVersion,
            schema_version: h.schemaVersion,
            revision: h.revision,
            compact_revision: h.compactRevision,
            created_unix_ms: Date.now(),
          }),
        ),
      (page) => {
        pages++;
        return appendRows(page.table, page.rows);
      },
    );
    await append(encodeBackupFilePadding(spool.bytes));
    log.info('backup read', { revision: head.revision, bytes: spool.bytes, pages, ms: Date.now() - started });
    return spool;
  } catch (err) {
    await discard(spool);
    throw err;
  }
}

/** Sends bytes [from, to) of the spooled file (never empty: it has a head); the chunk with its last byte says done. */
async function sendRange(messenger: Messenger, msg: Message, spool: SpooledBackup, from: number, to: number, session: string, chunkBytes: number): Promise<void> {
  let sent = 0;
  for (let offset = from; offset < to; offset += chunkBytes) {
    const data = Buffer.alloc(Math.min(chunkBytes, to - offset));
    await spool.file.read(data, 0, data.length, offset);
    const done = offset + data.length >= spool.bytes;
    msg.respond(maintenanceCodecs.backupChunk.encode({ index: Math.floor(offset / chunkBytes), done, total_bytes: spool.bytes, data, session }));
    // Let the socket drain now and then rather than buffering the whole range.
    if (++sent % chunksPerFlush === 0) await messenger.flush();
  }
  await messenger.flush();
}

/** `text` in slices of about `length` characters, never splitting a surrogate pair. */
function* slices(text: string, length: number): Generator<string> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield text.slice(start, end);
    start = end;
  }
}

async function discard(spool: SpooledBackup): Promise<void> {
  await spool.file.close().catch(() => undefined);
  await rm(spool.dir, { recursive: true, force: true });
}
