// compactor.run: runs a compaction now (e.g. for Maintenance.Defragment)
// and answers with what it did. A failure is an error value in the reply.
import { codecs, unknownWireError, validators } from '@eckd/change-codec';
import type { CompactorRunReply } from '@eckd/change-codec';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message } from '@eckd/service-kit';
import { contextFromHeaders, withSpan } from '@eckd/telemetry';
import type { CompactionOutcome } from './compaction.js';

export function createRunHandler(runNow: () => Promise<CompactionOutcome>, log: Logger): (msg: Message) => Promise<void> {
  return async (msg) => {
    let reply: CompactorRunReply;
    try {
      decodeChecked(msg, codecs.compactorRunRequest, validators.compactorRunRequest, log);
      const outcome = await withSpan('compactor.run', { parent: contextFromHeaders(msg.header) }, () => runNow());
      reply = toReply(outcome);
    } catch (err) {
      log.warn('requested compaction failed', { err });
      reply = { ...toReply({ ran: false, reason: 'failed' }), error: unknownWireError(err) };
    }
    msg.respond(codecs.compactorRunReply.encode(reply));
  };
}

export function toReply(outcome: CompactionOutcome): CompactorRunReply {
  if (!outcome.ran) {
    return {
      ran: false, reason: outcome.reason, through_revision: 0, index_revision: 0, changes_deleted: 0,
      log_rows_deleted: 0, document_bytes: 0, index_bytes: 0, duration_ms: 0,
    };
  }
  return {
    ran: true,
    reason: '',
    through_revision: outcome.throughRevision,
    index_revision: outcome.indexRevision,
    changes_deleted: outcome.changesDeleted,
    log_rows_deleted: outcome.logRowsDeleted,
    document_bytes: outcome.documentBytes,
    index_bytes: outcome.indexBytes,
    duration_ms: outcome.durationMs,
  };
}
