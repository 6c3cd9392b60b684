// The switch of a coordinated history cut (ARCHITECTURE.md §8.10, rules 2 to
// 4): once a cut is decided and this member holds its cut point H, it builds
// the base at H and the translations of the changes outside H, and at a batch
// boundary moves to the new lineage: a document loaded from base ‖
// translations (a fresh actor), and the `Rebase` the batch's append carries.
// Called by the backend after a decision (cut-coordinator.ts: started once
// the document holds H, switched by the apply loop at a batch boundary).
//
// What runs where, and why:
// - the apply loop's thread (`CutSwitch.start`): only the document's changes
//   and those outside H (`changesSince`, tens of milliseconds: each change
//   copied out as stored), posted to the worker.
//   Reading the state at H on this thread stopped the writes for as long as
//   it took (docs/BENCHMARKS.md, "The coordinated cut's write pause");
// - the worker (`cut-base.worker.ts`, bundled beside main.js): loads the
//   changes inside H (the history less those outside) into a copy, which is the document at H, and reads its
//   state (`cutStateAt`, read as it is: a read at given heads walks the
//   change graph once per read, minutes at 100,000 keys), the sequences and
//   origins inside H (`cutRecordOf`), then frees the copy; builds the
//   tombstone floor, the base (`buildCutBase`, O(live keys) Automerge
//   writes) and the translator with its scratch documents, which translates
//   the changes outside H. The translator stays in the worker: later changes
//   (at the switch, and old-lineage changes arriving after it, rule 4) are
//   translated there, by the one translator whose chains hold the earlier
//   translations. The copy costs the worker the document's memory once,
//   during the build;
// - at the switch (`switchAt`, the apply loop awaiting it between batches, so
//   the document does not change meanwhile): the changes outside H that
//   arrived since the build go to the worker (a few, milliseconds), then the
//   new document is loaded from base ‖ translations on the loop's thread
//   (it is the document the loop goes on with): about 0.5 s per 100,000 keys.
//
// The tombstone floor counts the member table at H (the state's member
// records and clock records), not this member's current table, and the
// proposal's floor_excluded: the same on every member holding H.
//
// Deterministic: the base is a function of the state at H and the decision;
// each translation of the base and of its writer's earlier changes; the
// document lists the base, then the translations by actor and sequence (each
// actor's are one chain), so the same decision and the same old changes give
// the same bytes, also after a crash before the append committed.
import { Worker } from 'node:worker_threads';
import { changeHeaderOf, lineageIdOnWire, loadKvDocument, memberIdHexOf } from '@eckd/automerge-doc';
import type { CutIdentity, KvDocument, Lineage, TranslatedChange } from '@eckd/automerge-doc';
import { messageLimits } from '@eckd/change-codec';
import type { CutProposal, CutRecord, Rebase } from '@eckd/change-codec';
import type { Logger } from '@eckd/service-kit';

/** What the worker is asked: one request at a time, answered in order. */
export type CutWorkerRequest =
  | { op: 'build'; history: Uint8Array[]; outside: Uint8Array[]; heads: string[]; identity: CutIdentity; floorExcluded: string[]; cutActorsMax: number }
  | { op: 'translate'; changes: Uint8Array[] };

export type CutWorkerReply =
  | { base: Uint8Array; lineage: string; translations: TranslatedChange[]; seqsInCut: [string, number][]; steps: Record<string, number> }
  | { translations: TranslatedChange[] }
  | { error: string; reason?: CutSwitchError['reason'] };

/** Why a switch cannot go on; the member stays on its lineage (a later try starts over). */
export interface CutSwitchError {
  reason: 'not-this-lineage' | 'lacks-cut-point' | 'too-large' | 'too-many-actors' | 'worker' | 'state';
  error: string;
}

export interface CutSwitchOptions {
  /** the largest document an append may carry (§5b: half the append bound); a larger base or switch document gives the cut up */
  documentBytesMax: number;
  /** the bundled worker; default: beside the backend's main.js (tools/scripts/build-project.mjs) */
  workerUrl?: URL;
  log: Logger;
}

/** What the switch hands back: the append's rebase, the document to swap in, and the old one, kept (rule 5). */
export interface CutSwitched {
  rebase: Rebase;
  /** the new document (base ‖ translations, a fresh actor) */
  doc: KvDocument;
  lineage: Lineage;
  /** the old document, not freed: old-lineage sync rounds and late changes need it until the hold ends */
  previous: KvDocument;
  /** the translations in the document, in its order */
  translations: TranslatedChange[];
}

export type CutSwitchStage = 'building' | 'built' | 'switching' | 'switched' | 'failed' | 'released';

export function isCutSwitchError(value: unknown): value is CutSwitchError {
  return typeof value === 'object' && value !== null && 'reason' in value && 'error' in value;
}

/** One member's switch to the lineage of one decided cut. */
export class CutSwitch {
  readonly proposal: CutProposal;
  readonly #opts: CutSwitchOptions;
  readonly #doc: KvDocument;
  readonly #heads: string[];
  /** the append's cut record, once built */
  #cutRecord: CutRecord | undefined;
  /** the apply loop's share of the build: reading the history out */
  #historyMs = 0;
  readonly #worker: Worker;
  /** the worker's requests, one at a time */
  #queue: Promise<unknown> = Promise.resolve();
  #stage: CutSwitchStage = 'building';
  /** set when the worker is gone: a request then gets its error at once */
  #workerGone: string | undefined;
  #base: { bytes: Uint8Array; lineage: string } | undefined;
  /** old change hash → its translation, every one the worker made */
  readonly #translated = new Map<string, TranslatedChange>();
  readonly #built: Promise<CutSwitchError | undefined>;
  readonly #startedMs = performance.now();

  /**
   * Starts the build for `proposal` on `doc`, the current document (on the
   * lineage the proposal cuts, holding H). The reads of the document run
   * here; the base and the translations on the worker.
   */
  static start(doc: KvDocument, proposal: CutProposal, opts: CutSwitchOptions): CutSwitch | CutSwitchError {
    const lineage = doc.lineage();
    if (proposal.lineage !== lineage.id || Number(proposal.cut) !== lineage.cut + 1) {
      return { reason: 'not-this-lineage', error: `cut ${proposal.cut} of lineage ${proposal.lineage} is not the next cut of this document's lineage ${lineage.id} (cut ${lineage.cut})` };
    }
    const missing = proposal.heads.filter((h) => !doc.hasChange(h));
    if (missing.length > 0) return { reason: 'lacks-cut-point', error: `the document lacks ${missing.length} of the cut point's heads, e.g. ${missing[0]}` };
    return new CutSwitch(doc, proposal, opts);
  }

  private constructor(doc: KvDocument, proposal: CutProposal, opts: CutSwitchOptions) {
    this.proposal = proposal;
    this.#opts = opts;
    this.#doc = doc;
    this.#heads = [...proposal.heads];
    this.#worker = new Worker(opts.workerUrl ?? new URL('./cut-base.worker.js', import.meta.url));
    // The process may exit while a switch is held (its owner stops it first).
    this.#worker.unref();
    this.#worker.once('exit', (code) => (this.#workerGone ??= `the cut worker exited (code ${code})`));
    const identity: CutIdentity = { cut: Number(proposal.cut), previousLineage: proposal.lineage };
    // Copied out as stored; the worker keeps those inside H (their headers read there, not on this thread).
    const history = doc.changesSince([]);
    const outside = doc.changesSince(this.#heads);
    this.#historyMs = Math.round(performance.now() - this.#startedMs);
    const request: CutWorkerRequest = { op: 'build', history, outside, heads: this.#heads, identity, floorExcluded: proposal.floor_excluded.map(memberIdHexOf), cutActorsMax: messageLimits.cutActorsMax };
    this.#built = this.#ask(request).then((reply) => this.#onBuilt(reply));
  }

  /** 'built' once the base and the first translations are ready. */
  get stage(): CutSwitchStage {
    return this.#stage;
  }

  /** The base (bytes and the new lineage id), once built. */
  get base(): { bytes: Uint8Array; lineage: string } | undefined {
    return this.#base;
  }

  /** Resolves when the build ends: undefined when built, else why not (the switch is then failed). */
  whenBuilt(): Promise<CutSwitchError | undefined> {
    return this.#built;
  }

  /**
   * The switch, at a batch boundary: `doc` must be the document the build
   * started from (now perhaps holding more changes), and no batch may run
   * until this resolves. Translates what arrived since the build, loads the
   * new document and returns the append's rebase with it; `keyCount` is the
   * key index's live key count (the new document shows the same keys).
   * The old document is not freed: it is handed back as `previous`.
   */
  async switchAt(doc: KvDocument, keyCount: number): Promise<CutSwitched | CutSwitchError> {
    const failed = await this.#built;
    if (failed) return failed;
    if (this.#stage !== 'built') return { reason: 'state', error: `a switch ${this.#stage} cannot switch` };
    if (doc !== this.#doc) return { reason: 'state', error: 'the switch is given another document than its build read' };
    this.#stage = 'switching';
    const started = performance.now();
    const outside = doc.changesSince(this.#heads).map((bytes) => ({ bytes, hash: changeHeaderOf(bytes).hash }));
    const late = outside.filter(({ hash }) => !this.#translated.has(hash)).map(({ bytes }) => bytes);
    const translated = late.length === 0 ? [] : await this.#translate(late);
    if (isCutSwitchError(translated)) return translated;
    const base = this.#base!;
    // Exactly the translations of what the old document holds, by actor and sequence.
    const translations = outside
      .map(({ hash }) => this.#translated.get(hash)!)
      .map((t) => ({ t, header: changeHeaderOf(t.bytes) }))
      .sort((a, b) => (a.header.actor < b.header.actor ? -1 : a.header.actor > b.header.actor ? 1 : a.header.seq - b.header.seq))
      .map(({ t }) => t);
    const documentBytes = base.bytes.length + translations.reduce((n, t) => n + t.bytes.length, 0);
    if (documentBytes > this.#opts.documentBytesMax) {
      return this.#fail({ reason: 'too-large', error: `the switch's document is ${documentBytes} bytes, more than an append may carry (${this.#opts.documentBytesMax})` });
    }
    let next: KvDocument;
    try {
      next = loadKvDocument({ base: base.bytes, changes: translations.map((t) => t.bytes) });
    } catch (err) {
      return this.#fail({ reason: 'state', error: `cannot load the new lineage: ${(err as Error).message}` });
    }
    this.#stage = 'switched';
    const lineage = next.lineage();
    const document = Buffer.concat([base.bytes, ...translations.map((t) => t.bytes)]);
    const rebase: Rebase = {
      document,
      heads: next.heads(),
      key_count: keyCount,
      lineage: lineageIdOnWire(lineage),
      cut_record: this.#cutRecord!,
      previous_lineage: lineageIdOnWire(doc.lineage()),
    };
    this.#opts.log.info('switched to a cut\'s lineage', {
      lineage: lineage.id,
      cut: lineage.cut,
      previousLineage: this.proposal.lineage,
      translations: translations.length,
      lateTranslations: late.length,
      documentBytes,
      switchMs: Math.round(performance.now() - started),
    });
    return { rebase, doc: next, lineage, previous: doc, translations };
  }

  /**
   * Translations of old-lineage changes outside H, ancestors first (as
   * `changesSince` lists them): at the switch, and after it for changes from
   * peers that have not switched (rule 4). A change translated before gets
   * the same translation.
   */
  async translate(changes: Uint8Array[]): Promise<TranslatedChange[] | CutSwitchError> {
    if (this.#stage !== 'built' && this.#stage !== 'switched') return { reason: 'state', error: `a switch ${this.#stage} translates nothing` };
    return this.#translate(changes);
  }

  async #translate(changes: Uint8Array[]): Promise<TranslatedChange[] | CutSwitchError> {
    const reply = await this.#ask({ op: 'translate', changes });
    // A translation that failed half-way may have left ops in a chain's scratch document: nothing more is made there.
    if ('error' in reply) return this.#fail({ reason: 'worker', error: reply.error });
    for (const t of reply.translations) this.#translated.set(t.from, t);
    return reply.translations;
  }

  /** Ends the worker (its translator and scratch documents): the old lineage is let go. The documents are the caller's. */
  async release(): Promise<void> {
    this.#stage = 'released';
    this.#translated.clear();
    await this.#worker.terminate();
  }

  #onBuilt(reply: CutWorkerReply): CutSwitchError | undefined {
    if ('error' in reply) return this.#fail({ reason: reply.reason ?? 'worker', error: reply.error });
    if (!('base' in reply)) return this.#fail({ reason: 'worker', error: 'the worker answered a build without its base' });
    if (reply.base.length > this.#opts.documentBytesMax) {
      // No proposal should have been made for it (ARCHITECTURE §8.10, Limits): logged as the failure it is.
      return this.#fail({ reason: 'too-large', error: `the cut's base is ${reply.base.length} bytes, more than an append may carry (${this.#opts.documentBytesMax})` });
    }
    this.#base = { bytes: reply.base, lineage: reply.lineage };
    // Sorted by the worker, so the record (and the append) is the same on every member.
    this.#cutRecord = { proposal: this.proposal, seqs_in_cut: reply.seqsInCut.map(([actor, seq]) => ({ actor, seq: String(seq) })) };
    for (const t of reply.translations) this.#translated.set(t.from, t);
    this.#stage = 'built';
    this.#opts.log.info('cut base built', {
      lineage: reply.lineage,
      cut: this.proposal.cut,
      baseBytes: reply.base.length,
      translations: reply.translations.length,
      historyMs: this.#historyMs,
      buildMs: Math.round(performance.now() - this.#startedMs),
      ...reply.steps,
    });
    return undefined;
  }

  #fail(error: CutSwitchError): CutSwitchError {
    // Released by its owner (the old lineage let go, or the member stopping) while a request was with the
    // worker: terminate() ends it with code 1, and nothing is given up that was still wanted.
    if (this.#stage === 'released') return error;
    const fields = { lineage: this.proposal.lineage, cut: this.proposal.cut, reason: error.reason, error: error.error };
    // After the switch the member is on the new lineage: what is lost is translating old-lineage changes that arrive late.
    if (this.#stage === 'switched') this.#opts.log.error('cut translator given up; old-lineage changes arriving now are not carried to the new lineage', fields);
    else this.#opts.log.error('cut switch given up; this member stays on its lineage', fields);
    this.#stage = 'failed';
    void this.#worker.terminate();
    return error;
  }

  /** One request to the worker after the previous one's answer; a worker that dies answers every request with its error. */
  #ask(request: CutWorkerRequest): Promise<CutWorkerReply> {
    const asked = this.#queue.then(
      () =>
        new Promise<CutWorkerReply>((resolve) => {
          if (this.#workerGone !== undefined) return resolve({ error: this.#workerGone });
          const settle = (reply: CutWorkerReply) => {
            this.#worker.off('message', settle);
            this.#worker.off('error', fail);
            this.#worker.off('exit', exited);
            resolve(reply);
          };
          const fail = (err: Error) => settle({ error: err.message });
          const exited = (code: number) => settle({ error: `the cut worker exited (code ${code})` });
          this.#worker.on('message', settle);
          this.#worker.on('error', fail);
          this.#worker.on('exit', exited);
          this.#worker.postMessage(request, transferOf(request));
        }),
    );
    this.#queue = asked;
    return asked;
  }
}

/**
 * A build's changes move to the worker instead of being copied, so the apply
 * loop's heap does not hold the whole history while the worker builds (each
 * change Automerge hands out has a buffer of its own). Translations are
 * copied: their changes are also a peer's push the caller may still use.
 */
function transferOf(request: CutWorkerRequest): ArrayBuffer[] {
  if (request.op !== 'build') return [];
  const buffers = new Set<ArrayBuffer>();
  for (const c of [...request.history, ...request.outside]) if (c.buffer instanceof ArrayBuffer && c.byteOffset === 0 && c.byteLength === c.buffer.byteLength) buffers.add(c.buffer);
  return [...buffers];
}
