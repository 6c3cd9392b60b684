// Checks on the watch scenario tables (no servers): enough of them, unique
// names, a docs/ETCD-BEHAVIOUR.md reference each, key prefixes of their own (also apart
// from the KV tables), well-formed watch steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReqValue } from '../harness/scenario.js';
import { allGroups } from './all.js';
import { scenarioIds } from './scenario-keys.js';
import { allWatchGroups } from './watch-all.js';

const watchScenarios = allWatchGroups.flatMap((g) => g.scenarios.map((s) => ({ area: g.area, s })));
const kvScenarios = allGroups.flatMap((g) => g.scenarios.map((s) => ({ area: g.area, s })));

test('at least 30 watch scenarios', () => {
  assert.ok(watchScenarios.length >= 30, `only ${watchScenarios.length} watch scenarios`);
});

test('watch scenario names are unique within an area, and cite docs/ETCD-BEHAVIOUR.md', () => {
  const seen = new Set<string>();
  for (const { area, s } of watchScenarios) {
    const id = `${area} / ${s.name}`;
    assert.ok(!seen.has(id), `duplicate scenario ${id}`);
    seen.add(id);
    assert.match(s.ref, /§\d/, `${s.name}: ref ${s.ref}`);
    for (const step of s.steps) if (step.differs) assert.match(step.differs.ref, /§\d/, `${s.name}: differs.ref`);
  }
});

test('each watch scenario has a key prefix of its own, apart from the KV tables', () => {
  const owner = new Map<string, string>();
  for (const { s } of kvScenarios) for (const id of scenarioIds(s)) owner.set(id, s.name);
  for (const { s } of watchScenarios) {
    const ids = scenarioIds(s);
    assert.ok(ids.size <= 1, `${s.name}: keys under several prefixes: ${[...ids].join(', ')}`);
    for (const id of ids) {
      assert.ok(!owner.has(id), `prefix ${id} is used by "${owner.get(id)}" and "${s.name}"`);
      owner.set(id, s.name);
    }
  }
});

test('watch steps are well formed; a mismatch marker is never a known difference', () => {
  for (const { s } of watchScenarios) {
    assert.ok(
      s.steps.some((step) => step.call === 'watch'),
      `${s.name}: no watch step`,
    );
    for (const step of s.steps.filter((x) => x.call === 'watch')) {
      const { stream, send, responses } = step.req;
      assert.equal(typeof stream, 'string', `${s.name}: stream name`);
      assert.ok(Array.isArray(send), `${s.name}: send is a list`);
      assert.ok(typeof responses === 'number' && responses >= 0, `${s.name}: responses`);
      for (const r of send as ReqValue[]) {
        const kinds = Object.keys(r as object).filter((k) => ['create_request', 'cancel_request', 'progress_request'].includes(k));
        assert.equal(kinds.length, 1, `${s.name}: a WatchRequest holds exactly one request`);
      }
    }
    if (s.mismatch) assert.ok(!s.steps.some((step) => step.differs), `${s.name}: both mismatch and differs`);
  }
});
