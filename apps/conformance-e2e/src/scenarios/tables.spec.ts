// Checks on the scenario tables themselves (no servers): enough scenarios,
// unique names, a docs/ETCD-BEHAVIOUR.md reference each, one key prefix per scenario.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allGroups } from './all.js';
import { scenarioIds } from './scenario-keys.js';

const scenarios = allGroups.flatMap((g) => g.scenarios.map((s) => ({ area: g.area, s })));

test('at least 100 scenarios', () => {
  assert.ok(scenarios.length >= 100, `only ${scenarios.length} scenarios`);
});

test('scenario names are unique within an area', () => {
  const seen = new Set<string>();
  for (const { area, s } of scenarios) {
    const id = `${area} / ${s.name}`;
    assert.ok(!seen.has(id), `duplicate scenario ${id}`);
    seen.add(id);
  }
});

test('every scenario and known difference cites docs/ETCD-BEHAVIOUR.md', () => {
  for (const { s } of scenarios) {
    assert.match(s.ref, /§\d/, `${s.name}: ref ${s.ref}`);
    for (const step of s.steps) if (step.differs) assert.match(step.differs.ref, /§\d/, `${s.name}: differs.ref`);
  }
});

test('each scenario writes under a key prefix of its own', () => {
  const owner = new Map<string, string>();
  for (const { s } of scenarios) {
    const ids = scenarioIds(s);
    assert.ok(ids.size <= 1, `${s.name}: keys under several prefixes: ${[...ids].join(', ')}`);
    for (const id of ids) {
      assert.ok(!owner.has(id), `prefix ${id} is used by "${owner.get(id)}" and "${s.name}"`);
      owner.set(id, s.name);
    }
  }
});

test('a mismatch marker is never a known difference', () => {
  for (const { s } of scenarios) {
    if (s.mismatch) assert.ok(!s.steps.some((step) => step.differs), `${s.name}: both mismatch and differs`);
  }
});
