import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConflictKind, KeyConflict, TaggedStoredValue } from '@eckd/automerge-doc';
import { createLogger } from '@eckd/service-kit';
import type { Logger } from '@eckd/service-kit';
import { ConflictLog, conflictListing } from './conflicts.js';

const log = createLogger('conflicts-spec', { level: 'warn' });

function written(member: bigint, hlc: bigint, originRevision: bigint, tombstone = false): TaggedStoredValue {
  return { value: new Uint8Array(), lease: '0', tag: { hlc, member }, originRevision, tombstone };
}

function conflict(key: string, kind: ConflictKind, loserHlc: bigint): KeyConflict {
  return { key, kind, winner: written(2n, 1000n, 7n), loser: written(1n, loserHlc, 5n, kind === 'put/delete') };
}

/** A log with a (1 put/put), b (put/delete), a again (a later loser), detected at revisions 10, 11, 12 and times 100, 200, 300. */
function filledLog(kept = 10): ConflictLog {
  let now = 0;
  const conflicts = new ConflictLog(kept, log, { nowMs: () => (now += 100) });
  conflicts.record([conflict('a', 'put/put', 1n)], 10);
  conflicts.record([conflict('b', 'put/delete', 2n)], 11);
  conflicts.record([conflict('a', 'put/put', 3n)], 12);
  return conflicts;
}

const summary = (listing: ReturnType<typeof conflictListing>) =>
  (listing.conflicts ?? []).map((c) => `${Buffer.from(c.key ?? []).toString()} ${c.kind} ${c.detected_revision}`);

describe('conflictListing', () => {
  test('lists newest first with both sides, the revision and time of detection, and totals by kind', () => {
    const listing = conflictListing(filledLog(), {});
    assert.deepEqual(summary(listing), ['a put/put 12', 'b put/delete 11', 'a put/put 10']);
    assert.deepEqual(listing.conflicts?.[1], {
      key: Buffer.from('b'),
      kind: 'put/delete',
      winner: { member_id: '2', origin_revision: '7', tag: '1000' },
      loser: { member_id: '1', origin_revision: '5', tag: '2' },
      detected_revision: '11',
      detected_at_unix_ms: '200',
    });
    assert.deepEqual(listing.total_by_kind, { 'put/put': '2', 'put/delete': '1', 'delete/put': '0' });
  });

  test('filters by key and kind, and stops at the limit', () => {
    const conflicts = filledLog();
    assert.deepEqual(summary(conflictListing(conflicts, { key: Buffer.from('a') })), ['a put/put 12', 'a put/put 10']);
    assert.deepEqual(summary(conflictListing(conflicts, { kind: 'put/delete' })), ['b put/delete 11']);
    assert.deepEqual(summary(conflictListing(conflicts, { kind: 'delete/put' })), []);
    assert.deepEqual(summary(conflictListing(conflicts, { limit: '2' })), ['a put/put 12', 'b put/delete 11']);
    assert.deepEqual(summary(conflictListing(conflicts, { key: Buffer.from('a'), limit: '1' })), ['a put/put 12']);
  });

  test('the ring keeps the newest; the totals count every conflict seen', () => {
    const listing = conflictListing(filledLog(2), {});
    assert.deepEqual(summary(listing), ['a put/put 12', 'b put/delete 11']);
    assert.deepEqual(listing.total_by_kind, { 'put/put': '2', 'put/delete': '1', 'delete/put': '0' });
  });

  test('a member without peers lists none', () => {
    assert.deepEqual(conflictListing(undefined, { limit: '5' }), { conflicts: [], total_by_kind: { 'put/put': '0', 'put/delete': '0', 'delete/put': '0' } });
  });
});

describe('conflict log lines', () => {
  /** A logger that keeps its lines. */
  function keptLines(): { log: Logger; lines: { level: string; msg: string; fields: Record<string, unknown> }[] } {
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => lines.push({ level, msg, fields });
    const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
    return { log, lines };
  }

  test('each conflict at debug; at info one line per interval, counting those since the last', () => {
    const { log: kept, lines } = keptLines();
    let now = 0;
    const conflicts = new ConflictLog(10, kept, { infoIntervalMs: 250, nowMs: () => (now += 100) });
    conflicts.record([conflict('a', 'put/put', 1n)], 10); // t=100: the first, logged at info
    conflicts.record([conflict('b', 'put/delete', 2n)], 11); // t=200
    conflicts.record([conflict('c', 'put/put', 3n)], 12); // t=300
    conflicts.record([conflict('d', 'put/put', 4n)], 13); // t=400: 300 ms after the last info line
    assert.deepEqual(lines.filter((l) => l.level === 'debug').map((l) => l.fields['key']), ['a', 'b', 'c', 'd']);
    const info = lines.filter((l) => l.level === 'info');
    assert.deepEqual(info.map((l) => l.msg), ['conflicts', 'conflicts']);
    assert.deepEqual(info.map((l) => l.fields['since']), [{ 'put/put': 1, 'put/delete': 0, 'delete/put': 0 }, { 'put/put': 2, 'put/delete': 1, 'delete/put': 0 }]);
    assert.deepEqual(info.map((l) => (l.fields['latest'] as { key: string }).key), ['a', 'd']);
    assert.deepEqual(info[1]!.fields['eckd_conflicts_total'], { 'put/put': 3, 'put/delete': 1, 'delete/put': 0 });
  });

  test('an interval of 0 writes an info line for every conflict', () => {
    const { log: kept, lines } = keptLines();
    const conflicts = new ConflictLog(10, kept, { infoIntervalMs: 0, nowMs: () => 5 });
    conflicts.record([conflict('a', 'put/put', 1n), conflict('b', 'put/put', 2n)], 10);
    assert.equal(lines.filter((l) => l.level === 'info').length, 2);
  });
});
