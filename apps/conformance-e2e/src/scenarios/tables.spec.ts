// Checks on the scenario tables themselves (no servers): enough scenarios,
// unique names, a docs/ETCD-BEHAVIOUR.md reference each, one key prefix per scenario.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReqValue, Scenario } from '../harness/scenario.js';
import { allGroups } from './all.js';

const scenarios = allGroups.flatMap((g) => g.scenarios.map((s) => ({ area: g.area, s })));
// "rk04/a", "rk040", "zz/rk06/a" and "zz/~de06/a" all belong to one scenario id.
const prefixId = /^(?:zz\/~?)?([a-z]{2}\d{2})/;

function keysOf(v: ReqValue, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => keysOf(x, out));
  else if (typeof v === 'object') {
    for (const [field, x] of Object.entries(v)) {
      if (field === 'key' && typeof x === 'string') out.push(x);
      else keysOf(x, out);
    }
  }
  return out;
}

function scenarioIds(s: Scenario): Set<string> {
  const keys = s.steps.flatMap((step) => keysOf(step.req)).filter((k) => k !== '' && k !== '\0');
  return new Set(keys.map((k) => prefixId.exec(k)?.[1] ?? `unprefixed key ${JSON.stringify(k)}`));
}

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
