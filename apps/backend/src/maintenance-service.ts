// The backend's part of etcd's Maintenance service. The backend is the one
// place where a node's writes are evaluated, so it owns the node-wide
// maintenance state: alarms (every frontend asks here, so all agree), the
// space quota (checked where proposals enter, see maintenance-quota.ts) and a
// downgrade flag. The state is stored by the persister (eckd_meta) and read
// back at start-up, so it survives a restart of any process. The stored
// size is read every quota-check interval; a size at the quota raises NOSPACE.
import { codecs, maintenanceCodecs, unknownWireError, validated, validators } from '@eckd/change-codec';
import type { MaintenanceReply, MaintenanceRequest, MaintenanceState, NodeStatus, StorageReply, StorageRequest, WireError } from '@eckd/change-codec';
import type { EtcdErrorName } from '@eckd/etcd-proto';
import type { Logger, Message, Messenger } from '@eckd/service-kit';
import { MessengerTimeoutError, decodeChecked, retry } from '@eckd/service-kit';
import type { AlarmOutcome } from './maintenance-alarms.js';
import { activateAlarm, alarmTypeOf, deactivateAlarm, downgrade, getAlarms, hasAlarm } from './maintenance-alarms.js';
import type { MaintenanceConfig } from './maintenance-config.js';
import { gateProposals, proposalCost, proposalCostMaxBytes, refusedWhenCorrupt } from './maintenance-quota.js';
import type { Refusal } from './maintenance-quota.js';

export interface NodeMaintenanceOptions {
  messenger: Messenger;
  subjects: { storage: string; compactorRun: string };
  memberId: string;
  /** the backend's revisions: evaluated (store) and durable and published (loop) */
  store: { readonly revision: number };
  loop: { readonly publishedRevision: number };
  config: MaintenanceConfig;
  log: Logger;
}

/** An etcd error (rpcErrors name) for the frontend to translate. */
export class MaintenanceError extends Error {
  override name = 'MaintenanceError';
  constructor(
    readonly rpcName: EtcdErrorName,
    message: string,
  ) {
    super(`backend: ${message}`);
  }
}

const emptyState: MaintenanceState = { alarms: [], downgrade: null };

export class NodeMaintenance {
  readonly #opts: NodeMaintenanceOptions;
  #state: MaintenanceState = emptyState;
  #sizes = { dbSize: 0, dbSizeInUse: 0 };
  /** state changes, one at a time, each stored before the next */
  #chain: Promise<unknown> = Promise.resolve();
  /** an automatic alarm is applied but its state not yet stored */
  #dirty = false;
  /** a NOSPACE alarm is being raised: refuse as if it were active */
  #raising = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #pollFailing = false;

  private constructor(opts: NodeMaintenanceOptions) {
    this.#opts = opts;
  }

  /** Reads the stored state (retrying until the persister answers), then checks the quota periodically. */
  static async start(opts: NodeMaintenanceOptions): Promise<NodeMaintenance> {
    const m = new NodeMaintenance(opts);
    // Unbounded: proposals are gated on this state (alarms, quota), and the
    // persister may start after the backend.
    await retry(
      async () => {
        const reply = await m.#storage({ status: {} }, opts.config.storageTimeoutMs);
        m.#accept(reply);
        m.#state = reply.state ?? emptyState;
      },
      {
        attemptsMax: Infinity,
        delayInitialMs: 250,
        delayMaxMs: 2_000,
        onRetry: (err, attempt) => opts.log.warn('maintenance state not read yet, retrying', { attempt, err }),
      },
    );
    opts.log.info('maintenance state', { alarms: m.#state.alarms, quotaBytes: opts.config.quotaBytes, dbSize: m.#sizes.dbSize });
    m.#schedule();
    return m;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Wraps the propose handler: refused proposals are answered here, the others go on. */
  gate(next: (msg: Message) => void): (msg: Message) => void {
    return (msg) => {
      if (this.#open()) return next(msg);
      let request;
      try {
        request = codecs.proposeRequest.decode(msg.data);
      } catch {
        return next(msg); // the propose handler answers malformed requests
      }
      gateProposals(msg, request, (p) => this.#refusal(p), this.#opts.store.revision, next);
    };
  }

  /** The backend.maintenance subject. */
  async handle(msg: Message): Promise<void> {
    let reply: MaintenanceReply;
    try {
      reply = await this.#dispatch(decodeChecked(msg, maintenanceCodecs.maintenanceRequest, validators.maintenanceRequest, this.#opts.log));
    } catch (err) {
      if (!(err instanceof MaintenanceError)) this.#opts.log.warn('maintenance request failed', { err });
      reply = { error: toWireError(err) };
    }
    msg.respond(maintenanceCodecs.maintenanceReply.encode(reply));
  }

  async #dispatch(request: MaintenanceRequest): Promise<MaintenanceReply> {
    switch (request.op) {
      case 'alarm':
        return { alarm: { alarms: await this.#alarm(request.alarm ?? {}) } };
      case 'status':
        return { status: await this.#status() };
      case 'defragment':
        await this.#defragment();
        return { defragment: {} };
      case 'downgrade':
        await this.#downgrade(request.downgrade ?? {});
        return { downgrade: {} };
      default:
        throw new MaintenanceError('NotCapable', 'unknown maintenance request');
    }
  }

  async #alarm(req: NonNullable<MaintenanceRequest['alarm']>): Promise<AlarmOutcome['alarms']> {
    const memberID = BigInt(req.memberID ?? '0').toString();
    const alarm = alarmTypeOf(req.alarm);
    switch (req.action ?? 'GET') {
      case 'GET':
        return getAlarms(this.#visibleState(), alarm);
      case 'ACTIVATE':
        return (await this.#mutate((s) => activateAlarm(s, memberID, alarm), true)).alarms;
      case 'DEACTIVATE': {
        const outcome = await this.#mutate((s) => deactivateAlarm(s, memberID, alarm), true);
        // The gate must judge the next write by the size now: still above the quota, it raises NOSPACE again.
        if (outcome.next && alarm === 'NOSPACE') await this.#refreshSizes().catch(() => undefined);
        return outcome.alarms;
      }
      default:
        throw new MaintenanceError('NotCapable', `unknown alarm action ${String(req.action)}`);
    }
  }

  async #status(): Promise<NodeStatus> {
    let stale = false;
    try {
      await this.#refreshSizes(Math.min(this.#opts.config.storageTimeoutMs, 2_000));
    } catch {
      stale = true;
    }
    return {
      db_size: this.#sizes.dbSize,
      db_size_in_use: this.#sizes.dbSizeInUse,
      quota_bytes: this.#opts.config.quotaBytes,
      alarms: this.#visibleState().alarms,
      downgrade: this.#state.downgrade ?? { enabled: false, targetVersion: '' },
      revision: this.#opts.loop.publishedRevision,
      sizes_stale: stale,
    };
  }

  /**
   * etcd's defragment gives freed space back. Here the compactor (when one
   * runs) first folds the history into its snapshot and deletes the rows it
   * covers; then the persister rewrites the tables (VACUUM FULL).
   */
  async #defragment(): Promise<void> {
    const { messenger, subjects, config, log } = this.#opts;
    try {
      const msg = await messenger.request(subjects.compactorRun, codecs.compactorRunRequest.encode({}), { timeoutMs: config.defragmentTimeoutMs });
      const reply = decodeChecked(msg, codecs.compactorRunReply, validators.compactorRunReply, log);
      log.info('defragment: compaction', { ran: reply.ran, reason: reply.reason, error: reply.error });
    } catch (err) {
      log.info('defragment: no compaction', { err: (err as Error).message });
    }
    this.#accept(await this.#storage({ defragment: {} }, config.defragmentTimeoutMs));
  }

  async #downgrade(req: NonNullable<MaintenanceRequest['downgrade']>): Promise<void> {
    const action = req.action ?? 'VALIDATE';
    const outcome = await this.#mutate((s) => downgrade(s, action, req.version ?? ''), true);
    if (outcome.error) throw new MaintenanceError(outcome.error, 'a downgrade is in progress');
  }

  /** The state with a NOSPACE alarm being raised already in it: it refuses writes from the moment it is raised. */
  #visibleState(): MaintenanceState {
    return this.#raising ? (activateAlarm(this.#state, this.#opts.memberId, 'NOSPACE').next ?? this.#state) : this.#state;
  }

  #open(): boolean {
    if (this.#raising || hasAlarm(this.#state, 'NOSPACE') || hasAlarm(this.#state, 'CORRUPT')) return false;
    const quota = this.#opts.config.quotaBytes;
    return quota === 0 || this.#sizes.dbSize + proposalCostMaxBytes < quota;
  }

  #refusal(p: Parameters<typeof proposalCost>[0]): Refusal | undefined {
    if (hasAlarm(this.#state, 'CORRUPT') && refusedWhenCorrupt(p)) return 'Corrupt';
    const cost = proposalCost(p);
    if (cost === 0) return undefined;
    if (this.#raising || hasAlarm(this.#state, 'NOSPACE')) return 'NoSpace';
    const quota = this.#opts.config.quotaBytes;
    if (quota > 0 && this.#sizes.dbSize + cost >= quota) {
      this.#raiseNoSpace();
      return 'NoSpace';
    }
    return undefined;
  }

  /** NOSPACE for this member: refused at once, stored as soon as the persister takes it. */
  #raiseNoSpace(): void {
    if (this.#raising || hasAlarm(this.#state, 'NOSPACE')) return;
    this.#raising = true;
    this.#opts.log.warn('alarm raised', { alarm: 'NOSPACE', dbSize: this.#sizes.dbSize, quotaBytes: this.#opts.config.quotaBytes });
    void this.#mutate((s) => activateAlarm(s, this.#opts.memberId, 'NOSPACE'), false).finally(() => (this.#raising = false));
  }

  /** Runs one state change after the previous ones; a change is stored before it takes effect (unless `mustStore` is false). */
  #mutate<T extends { next?: MaintenanceState }>(change: (s: MaintenanceState) => T, mustStore: boolean): Promise<T> {
    const run = async (): Promise<T> => {
      const outcome = change(this.#state);
      if (outcome.next) {
        try {
          await this.#storage({ save_state: outcome.next }, this.#opts.config.storageTimeoutMs);
          this.#dirty = false;
        } catch (err) {
          if (mustStore) throw err;
          this.#dirty = true;
          this.#opts.log.warn('maintenance state not stored yet', { err });
        }
        this.#state = outcome.next;
      }
      return outcome;
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => undefined);
    return result;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#poll().finally(() => this.#schedule()), this.#opts.config.quotaCheckIntervalMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      if (this.#dirty) await this.#mutate((s) => ({ next: s }), false);
      await this.#refreshSizes();
      if (this.#pollFailing) this.#opts.log.info('storage sizes readable again');
      this.#pollFailing = false;
      const quota = this.#opts.config.quotaBytes;
      if (quota > 0 && this.#sizes.dbSize >= quota) this.#raiseNoSpace();
    } catch (err) {
      if (!this.#pollFailing) this.#opts.log.warn('storage sizes not readable', { err });
      this.#pollFailing = true;
    }
  }

  /** Readiness: the persister answers a sizes request within `timeoutMs` (Postgres behind it too). */
  checkPersister(timeoutMs: number): Promise<void> {
    return this.#refreshSizes(timeoutMs);
  }

  /** The stored size last read (etcd_mvcc_db_total_size_in_bytes). */
  get dbSize(): number {
    return this.#sizes.dbSize;
  }

  async #refreshSizes(timeoutMs = this.#opts.config.storageTimeoutMs): Promise<void> {
    this.#accept(await this.#storage({ status: {} }, timeoutMs));
  }

  #accept(reply: StorageReply): void {
    this.#sizes = { dbSize: Number(reply.db_size), dbSizeInUse: Number(reply.db_size_in_use) };
  }

  async #storage(request: StorageRequest, timeoutMs: number): Promise<StorageReply> {
    const msg = await this.#opts.messenger.request(this.#opts.subjects.storage, maintenanceCodecs.storageRequest.encode(request), { timeoutMs });
    const reply = validated(maintenanceCodecs.storageReply.decode(msg.data), validators.storageReply);
    if (reply.error) throw new MaintenanceError('Timeout', `persister: ${reply.error.message}`);
    return reply;
  }
}

function toWireError(err: unknown): WireError {
  if (err instanceof MaintenanceError) return { name: err.rpcName, message: err.message };
  if (err instanceof MessengerTimeoutError) return { name: 'Timeout', message: err.message };
  return unknownWireError(err);
}
