// persister.storage: what the backend needs for etcd's Maintenance service
// — the size of eckd's tables (Status, the space quota), the node's stored
// maintenance state (alarms, a downgrade) and defragmentation.
import { maintenanceCodecs, unknownWireError, validators } from '@eckd/change-codec';
import type { MaintenanceState, StorageReply, StorageRequest } from '@eckd/change-codec';
import { readMeta, storageSizes, vacuumFull, writeMeta } from '@eckd/storage';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message } from '@eckd/service-kit';
import type pg from 'pg';

/** eckd_meta key of the maintenance state (JSON of MaintenanceState). */
export const maintenanceMetaKey = 'maintenance';

export function createStorageHandler(pool: pg.Pool, log: Logger): (msg: Message) => Promise<void> {
  return async (msg) => {
    let reply: StorageReply;
    try {
      const request = decodeChecked(msg, maintenanceCodecs.storageRequest, validators.storageRequest, log);
      await perform(pool, request, log);
      const sizes = await storageSizes(pool);
      reply = { db_size: sizes.dbSize, db_size_in_use: sizes.dbSizeInUse, state: await readState(pool, log) };
    } catch (err) {
      log.warn('storage request failed', { err });
      reply = { db_size: 0, db_size_in_use: 0, state: null, error: unknownWireError(err) };
    }
    msg.respond(maintenanceCodecs.storageReply.encode(reply));
  };
}

async function perform(pool: pg.Pool, request: StorageRequest, log: Logger): Promise<void> {
  if (request.op === 'save_state') {
    await writeMeta(pool, maintenanceMetaKey, JSON.stringify(request.save_state ?? { alarms: [], downgrade: null }));
  } else if (request.op === 'defragment') {
    const started = Date.now();
    await vacuumFull(pool);
    log.info('defragmented', { ms: Date.now() - started });
  }
}

/** The stored state; a value that does not decode is logged and read as "no alarms". */
async function readState(pool: pg.Pool, log: Logger): Promise<MaintenanceState> {
  const raw = await readMeta(pool, maintenanceMetaKey);
  if (raw === undefined) return { alarms: [], downgrade: null };
  try {
    const codec = maintenanceCodecs.maintenanceState;
    return codec.decode(codec.encode(JSON.parse(raw) as MaintenanceState));
  } catch (err) {
    log.warn('stored maintenance state unreadable, ignored', { err, raw });
    return { alarms: [], downgrade: null };
  }
}
