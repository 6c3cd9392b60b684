// persister.append: one backend batch → one Postgres transaction → ack with
// the highest durable revision. Appends are handled one at a time, in
// arrival order (the backend may send the next before this ack: pipelined
// appends). Stored only while the sender's fencing epoch is the current one
// (ARCHITECTURE §6a) and right after its predecessor (the append chain, §2).
import { SpanKind } from '@opentelemetry/api';
import { codecs, cutCodecs, unknownWireError, validators } from '@eckd/change-codec';
import type { AppendRequest, AppendReply, CutAcceptorState } from '@eckd/change-codec';
import type { CutAcceptorRow, StoredCutRecord } from '@eckd/storage';
import { ConflictingAppendError, FencedAppendError, appendBatch } from '@eckd/storage';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message } from '@eckd/service-kit';
import { commitSecondsBuckets, contextFromHeaders, histogram, withSpan } from '@eckd/telemetry';
import type pg from 'pg';

// etcd's bbolt commit is eckd's Postgres transaction of one append.
const commitSeconds = histogram('etcd_disk_backend_commit_duration_seconds', 'The latency distributions of commit called by backend.', commitSecondsBuckets);

export function createAppendHandler(pool: pg.Pool, log: Logger): (msg: Message) => Promise<void> {
  return async (msg) => {
    let reply: AppendReply;
    try {
      const request = decodeChecked(msg, codecs.appendRequest, validators.appendRequest, log);
      reply = await withSpan(
        'persister.append',
        { kind: SpanKind.CONSUMER, parent: contextFromHeaders(msg.header), attributes: { 'eckd.revision.last': String(request.last_revision) } },
        () => persist(pool, request),
      );
    } catch (err) {
      log.warn('append failed', { err });
      const fenced = err instanceof FencedAppendError || err instanceof ConflictingAppendError;
      reply = { durable_revision: 0, error: unknownWireError(err), fenced };
    }
    msg.respond(codecs.appendReply.encode(reply));
  };
}

const automergeHash = /^[0-9a-f]{64}$/;

async function persist(pool: pg.Pool, request: AppendRequest): Promise<AppendReply> {
  // A malformed cut would replace the stored history with something no recovery can load.
  const rebase = request.rebase;
  if (rebase && (rebase.document.length === 0 || rebase.heads.length === 0 || !rebase.heads.every((h) => automergeHash.test(h)))) {
    throw new Error('persister: a rebase needs its document and its Automerge heads');
  }
  const hasChange = request.actor.length > 0 && request.change.length > 0;
  const started = performance.now();
  const durable = await withSpan(
    'postgres insert',
    { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.operation': 'insert' } },
    () =>
      appendBatch(pool, [
        {
          change: hasChange ? { actor: request.actor, seq: Number(request.seq), bytes: request.change } : undefined,
          firstRevision: Number(request.first_revision),
          lastRevision: Number(request.last_revision),
          patchBatch: request.patch_batch.length > 0 ? request.patch_batch : undefined,
          compactRevision: request.compacted ? Number(request.compact_revision) : undefined,
          lineage: request.lineage ?? '',
          rebase: rebase ? { document: rebase.document, heads: rebase.heads, keyCount: Number(rebase.key_count), lineage: rebase.lineage ?? '', cut: cutRecordOf(rebase) } : undefined,
          dropLineage: request.drop_lineage ? request.drop_lineage.lineage : undefined,
          peerChanges: (request.peer_changes ?? []).map((c) => ({ actor: c.actor, seq: Number(c.seq), bytes: c.change })),
          peerSyncStates: (request.peer_sync_states ?? []).map((s) => ({ member: String(s.member), state: s.state })),
          cutAcceptor: request.cut_acceptor ? acceptorRowOf(request.cut_acceptor) : undefined,
        },
      ], { fencingEpoch: Number(request.fencing_epoch), appendIndex: Number(request.append_index ?? 0) }),
  );
  commitSeconds.record((performance.now() - started) / 1000);
  return { durable_revision: durable };
}

/** A coordinated switch's record as stored (none for a single node's rebase). */
function cutRecordOf(rebase: NonNullable<AppendRequest['rebase']>): StoredCutRecord | undefined {
  const record = rebase.cut_record;
  if (!record?.proposal) return undefined;
  return { cut: Number(record.proposal.cut), previousLineage: rebase.previous_lineage ?? '', record: cutCodecs.cutRecord.encode(record) };
}

/** A voter's state as stored: keyed by its cut, ordered by its promise (the validator checked both are there). */
function acceptorRowOf(state: CutAcceptorState): CutAcceptorRow {
  const promised = state.promised!;
  return { lineage: state.lineage, cut: Number(state.cut), promisedRound: String(promised.round), promisedMember: String(promised.member), state: cutCodecs.cutAcceptorState.encode(state) };
}
