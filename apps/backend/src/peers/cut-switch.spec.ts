// The coordinated cut's switch (ARCHITECTURE §8.10, rules 2 to 4) on three
// members' real documents, with the bundled worker (the backend's build:
// apps/backend/dist/cut-base.worker.js): concurrent writes to shared keys
// before and after the cut point H, a concurrent loser at H, a lease granted
// before H and revoked after it, and a member that lacks some of the changes
// after H. Every member's switch makes the same base; each new document shows
// what its old one showed; a change's translation is the same bytes whoever
// makes it; a second run makes the same bytes; the members converge by
// exchanging translations.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { baseChangeHash, changeHeaderOf, createKvDocument } from '@eckd/automerge-doc';
import type { KvDocument, TxnTag } from '@eckd/automerge-doc';
import type { CutProposal } from '@eckd/change-codec';
import { createLogger } from '@eckd/service-kit';
import type { Logger } from '@eckd/service-kit';
import { CutSwitch, isCutSwitchError } from './cut-switch.js';
import type { CutSwitched } from './cut-switch.js';

const log = createLogger('cut-switch-spec', { level: 'error' });
/** The build bundles the worker with the libraries it uses; run `npx nx run backend:build` first. */
export const builtCutWorker = new URL('../../dist/cut-base.worker.js', import.meta.url);
const opts = { documentBytesMax: 1 << 20, workerUrl: builtCutWorker, log };

const text = (s: string) => new TextEncoder().encode(s);
const hexOf = (id: bigint) => id.toString(16).padStart(16, '0');
const record = (name: string) => ({ name, band: 0, clientUrls: [], peerUrls: [], learner: false, removed: false });

/** One member writing tagged transactions with its origin, as a backend with peers does. */
class Writer {
  readonly own: Uint8Array[] = [];
  #revision: bigint;
  constructor(
    readonly id: bigint,
    readonly doc: KvDocument,
  ) {
    this.#revision = id * 1_000n;
  }
  get hex(): string {
    return hexOf(this.id);
  }
  tag(hlc: bigint): TxnTag {
    return { hlc, member: this.id };
  }
  write(fn: (doc: KvDocument, revision: bigint) => void): Uint8Array {
    this.#revision++;
    fn(this.doc, this.#revision);
    const bytes = this.doc.commit({ member: this.id, revision: this.#revision })!.bytes;
    this.own.push(bytes);
    return bytes;
  }
  receive(from: Writer): void {
    assert.equal(this.doc.applyPeerChanges(from.own).missingDeps, false);
  }
}

/** What a document shows: each key's visible value with its lease, tag and origin revision; the leases; the member table. */
function shown(doc: KvDocument): unknown {
  const keys = doc.keys().map((key) => {
    const v = doc.visibleValues(key).find((x) => x.visible)!;
    return [key, Buffer.from(v.value).toString(), v.lease, String(v.tag.hlc), String(v.tag.member), String(v.originRevision)];
  });
  return { keys, leases: doc.leases(), members: doc.members() };
}

function sameHeads(a: KvDocument, b: KvDocument): boolean {
  return [...a.heads()].sort().join() === [...b.heads()].sort().join();
}

/** Three members around a cut point: returns them and H. */
function cluster(): { writers: Writer[]; heads: string[] } {
  const writers = [1n, 2n, 3n].map((id) => new Writer(id, createKvDocument({ actorId: `${id}${id}`.repeat(16) })));
  const [one, two, three] = writers as [Writer, Writer, Writer];
  one.write((doc) => {
    for (const w of writers) doc.putMember(w.hex, record(`node${w.id}`));
    doc.putClockRecord(one.hex, 10n);
  });
  two.write((doc) => doc.putClockRecord(two.hex, 10n));
  three.write((doc) => doc.putClockRecord(three.hex, 10n));
  const exchange = (ws: Writer[]) => {
    for (const to of ws) for (const from of ws) if (to !== from) to.receive(from);
  };
  exchange(writers);
  // Before H: two concurrent writes of `shared` (member 1's loses by tag), a lease and its key, a delete.
  one.write((doc, r) => {
    doc.putTagged('shared', text('one before'), '0', one.tag(20n), r);
    doc.putTagged('leased', text('with lease'), '7', one.tag(20n), r);
    doc.putLease('7', 60, one.hex);
    doc.putTagged('deleted', text('soon gone'), '0', one.tag(20n), r);
  });
  two.write((doc, r) => doc.putTagged('shared', text('two before'), '0', two.tag(22n), r));
  two.write((doc, r) => {
    for (let i = 0; i < 200; i++) doc.putTagged(`k${String(i).padStart(3, '0')}`, text(`two ${i}`), '0', two.tag(22n), r);
  });
  three.write((doc, r) => doc.deleteTagged('deleted', three.tag(23n), r));
  exchange(writers);
  const heads = one.doc.heads();
  for (const w of writers) assert.ok(sameHeads(w.doc, one.doc));
  assert.equal(one.doc.visibleValues('shared').length, 2, 'a concurrent loser at H');

  // After H: the lease is revoked and its key deleted; concurrent writes, one losing by tag.
  one.write((doc, r) => {
    doc.deleteLease('7');
    doc.deleteTagged('leased', one.tag(30n), r);
    doc.putTagged('shared', text('one after'), '0', one.tag(31n), r);
  });
  two.write((doc, r) => doc.putTagged('b', text('two after'), '0', two.tag(32n), r));
  // Member 3's clock has seen every tag at H; its write of b is concurrent with member 2's higher one.
  three.write((doc, r) => doc.putTagged('b', text('three, concurrent and lower'), '0', three.tag(25n), r));
  three.write((doc, r) => doc.putTagged('deleted', text('three again'), '0', three.tag(33n), r));
  two.write((doc, r) => doc.putTagged('a', text('two again'), '0', two.tag(34n), r));
  three.write((doc, r) => {
    for (let i = 0; i < 200; i += 4) doc.deleteTagged(`k${String(i).padStart(3, '0')}`, three.tag(35n), r);
  });
  // Members 1 and 2 exchange what they wrote after H; member 3 hears nothing of it, and tells nobody.
  exchange([one, two]);
  return { writers, heads };
}

const proposalAt = (heads: string[]): CutProposal => ({ lineage: baseChangeHash, cut: '1', heads, floor_excluded: [], proposer: '1' });

async function switched(sw: CutSwitch | ReturnType<typeof CutSwitch.start>, doc: KvDocument): Promise<CutSwitched> {
  assert.ok(!isCutSwitchError(sw), `start: ${JSON.stringify(sw)}`);
  assert.equal(await sw.whenBuilt(), undefined);
  const result = await sw.switchAt(doc, doc.size());
  assert.ok(!isCutSwitchError(result), `switch: ${JSON.stringify(result)}`);
  return result;
}

const held: CutSwitch[] = [];
after(async () => {
  for (const sw of held) await sw.release();
});

describe('cut switch', () => {
  test('the bundled worker is built', () => {
    assert.ok(existsSync(fileURLToPath(builtCutWorker)), 'run the backend build first');
  });

  test('three members switch alike: one base, unchanged state, one translation per change, the same bytes again, convergence by translations', async () => {
    const { writers, heads } = cluster();
    const [one, two, three] = writers as [Writer, Writer, Writer];
    const proposal = proposalAt(heads);
    const switches = writers.map((w) => CutSwitch.start(w.doc, proposal, opts) as CutSwitch);
    held.push(...switches);
    // A change after the build started is translated at the switch.
    await switches[0]!.whenBuilt();
    const late = one.write((doc, r) => doc.putTagged('late', text('after the build'), '0', one.tag(40n), r));
    const before = writers.map((w) => shown(w.doc));
    const results: CutSwitched[] = [];
    for (const [i, w] of writers.entries()) results.push(await switched(switches[i]!, w.doc));

    // One base and one lineage everywhere, and the same record of the cut.
    const base = switches[0]!.base!;
    for (const [i, r] of results.entries()) {
      assert.deepEqual(switches[i]!.base!.bytes, base.bytes, `member ${i + 1}'s base`);
      assert.deepEqual(r.lineage, { id: base.lineage, cut: 1 });
      assert.equal(r.rebase.lineage, base.lineage);
      assert.equal(r.rebase.previous_lineage, '', 'the original lineage goes on the wire empty');
      assert.deepEqual(r.rebase.cut_record, results[0]!.rebase.cut_record);
      assert.equal(Buffer.compare(r.rebase.document.subarray(0, base.bytes.length), base.bytes), 0, 'the document starts with the base');
      assert.deepEqual(r.rebase.heads, r.doc.heads());
      assert.equal(r.rebase.key_count, writers[i]!.doc.size());
      assert.notEqual(r.doc.actorId, writers[i]!.doc.actorId, 'a fresh actor');
      assert.equal(r.previous, writers[i]!.doc, 'the old document is handed back, not freed');
    }
    assert.deepEqual(results[0]!.rebase.cut_record!.proposal, proposal);

    // Each new document shows exactly what its old one showed: the switch makes no revision and no event.
    for (const [i, r] of results.entries()) assert.deepEqual(shown(r.doc), before[i], `member ${i + 1}'s state`);
    assert.deepEqual(results[2]!.doc.leases(), [{ id: '7', ttl: 60, owner: one.hex }], 'member 3 never heard the revocation');
    assert.deepEqual(results[0]!.doc.leases(), []);
    assert.equal(results[0]!.doc.get('late')?.lease, '0');

    // A change held by members 1 and 2 is translated to the same bytes by both.
    const byOld = results.map((r) => new Map(r.translations.map((t) => [t.from, t.bytes])));
    const common = [...byOld[0]!.keys()].filter((h) => byOld[1]!.has(h));
    assert.ok(common.length >= 3, 'members 1 and 2 share their changes after H');
    for (const h of common) assert.deepEqual(byOld[1]!.get(h), byOld[0]!.get(h));

    // The switch run again on the same old document (a retry after a crash) makes the same bytes.
    const again = await switched(CutSwitch.start(one.doc, proposal, opts), one.doc);
    assert.deepEqual(again.rebase.document, results[0]!.rebase.document);
    assert.deepEqual(again.rebase.heads, results[0]!.rebase.heads);
    assert.deepEqual(again.rebase.cut_record, results[0]!.rebase.cut_record);

    // Member 3 gets members 1 and 2's old changes late (peers that had not switched, rule 4): applied
    // to its kept old document and translated there, they are the very changes member 1 made.
    assert.equal(three.doc.applyPeerChanges([...one.own, ...two.own]).missingDeps, false);
    const ofThree = new Set(three.own.map((c) => changeHeaderOf(c).hash));
    const arrived = three.doc.changesSince(heads).filter((c) => !ofThree.has(changeHeaderOf(c).hash));
    const translated = await switches[2]!.translate(arrived);
    assert.ok(!isCutSwitchError(translated));
    assert.deepEqual(translated.map((t) => t.from).sort(), [...byOld[0]!.keys()].sort(), 'member 1 held them all at its switch');
    assert.ok(translated.some((t) => t.from === changeHeaderOf(late).hash), 'the change made after the build too');
    for (const t of translated) assert.deepEqual(t.bytes, byOld[0]!.get(t.from), "member 3 makes member 1's translation");

    // Exchanging translations, the new documents converge on what the old lineage ends in once everything is exchanged.
    for (const to of results) for (const from of results) if (to !== from) assert.equal(to.doc.applyPeerChanges(from.doc.changesSince([base.lineage])).missingDeps, false);
    for (const to of writers) for (const from of writers) if (to !== from) to.receive(from);
    const final = shown(one.doc);
    for (const w of writers) assert.deepEqual(shown(w.doc), final);
    for (const [i, r] of results.entries()) {
      assert.deepEqual(shown(r.doc), final, `member ${i + 1}'s new lineage`);
      assert.ok(sameHeads(r.doc, results[0]!.doc), 'one set of changes: each translation once');
    }
    assert.equal(Buffer.from(results[0]!.doc.get('shared')!.value).toString(), 'one after');
    for (const r of [...results, again]) r.doc.free();
  });

  test('a proposal for another lineage, a cut point not held, a base larger than an append may carry or a failed worker is given up as a value', async () => {
    const { writers, heads } = cluster();
    const doc = writers[0]!.doc;
    const other = CutSwitch.start(doc, { ...proposalAt(heads), cut: '2' }, opts);
    assert.ok(isCutSwitchError(other) && other.reason === 'not-this-lineage');
    const lacking = CutSwitch.start(doc, proposalAt(['ab'.repeat(32)]), opts);
    assert.ok(isCutSwitchError(lacking) && lacking.reason === 'lacks-cut-point');
    const small = CutSwitch.start(doc, proposalAt(heads), { ...opts, documentBytesMax: 64 });
    assert.ok(!isCutSwitchError(small));
    held.push(small);
    const failed = await small.whenBuilt();
    assert.equal(failed?.reason, 'too-large');
    assert.equal(small.stage, 'failed');
    const result = await small.switchAt(doc, doc.size());
    assert.ok(isCutSwitchError(result) && result.reason === 'too-large');
    // A worker that cannot run: the build fails as a value too.
    const broken = CutSwitch.start(doc, proposalAt(heads), { ...opts, workerUrl: new URL('../../dist/no-such.worker.js', import.meta.url) });
    assert.ok(!isCutSwitchError(broken));
    held.push(broken);
    assert.equal((await broken.whenBuilt())?.reason, 'worker');
    assert.ok(isCutSwitchError(await broken.translate([])));
  });

  test('a switch released while a translation is with its worker answers that translation with an error and logs no failure', async () => {
    const { writers, heads } = cluster();
    const one = writers[0]!;
    const errors: string[] = [];
    const capturing: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (msg) => void errors.push(msg), child: () => capturing };
    const sw = CutSwitch.start(one.doc, proposalAt(heads), { ...opts, log: capturing });
    assert.ok(!isCutSwitchError(sw));
    assert.equal(await sw.whenBuilt(), undefined);
    const pending = sw.translate(one.doc.changesSince(heads));
    await sw.release();
    const answered = await pending;
    // Translated before the worker ended, or refused as released: either way nothing is logged as given up.
    if (isCutSwitchError(answered)) assert.match(answered.error, /exited|released/);
    assert.deepEqual(errors, []);
  });
});

