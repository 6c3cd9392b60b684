// Randomized: run a random sequence through the model, give each operation
// an interval around its position in that sequence (so real-time order never
// contradicts it), and the checker must find a linearization. Then make one
// read stale and the checker must refuse.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizable } from './checker.js';
import type { Operation } from './history.js';
import { createKvModel, emptyKvState, stepKv } from './kv-model.js';
import type { KvRequest, KvResponse, KvState } from './kv-types.js';

type Op = Operation<KvRequest, KvResponse>;
/** nanoseconds between consecutive linearization points */
const spacingNs = 1000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomRequest(rand: () => number, state: KvState, seq: number): KvRequest {
  const key = `k${Math.floor(rand() * 3)}`;
  const other = `k${Math.floor(rand() * 3)}`;
  const value = `v${seq}`;
  const r = rand();
  if (r < 0.35) return { type: 'range', key };
  if (r < 0.6) return { type: 'put', key, value, prevKv: rand() < 0.3 };
  if (r < 0.68) return { type: 'delete', key };
  const current = state.keys.get(key)?.modRevision ?? 0;
  const expected = rand() < 0.7 ? current : Math.max(0, current - 1);
  const writes = other === key ? [{ type: 'put' as const, key, value }] : [{ type: 'put' as const, key, value }, { type: 'delete' as const, key: other }];
  return { type: 'txn', compare: [{ key, target: 'mod', result: 'equal', value: expected }], success: writes, failure: [{ type: 'range', key }] };
}

/** A history whose every interval contains its position in a sequential run; some writes end unknown. */
function generate(seed: number, count: number, jitterNs: number): { history: Op[]; states: KvState[] } {
  const rand = mulberry32(seed);
  const history: Op[] = [];
  const states: KvState[] = [];
  let state = emptyKvState();
  for (let i = 0; i < count; i++) {
    const t = (i + 1) * spacingNs;
    const input = randomRequest(rand, state, i);
    const call = t - Math.floor(rand() * jitterNs);
    const isWrite = input.type !== 'range';
    if (isWrite && rand() < 0.03) {
      // a write whose client gave up; half of them never reached the store
      if (rand() < 0.5) {
        history.push({ clientId: i % 8, call, return: Infinity, input, output: undefined });
        continue;
      }
      states.push(state);
      state = stepKv(state, input).state;
      history.push({ clientId: i % 8, call, return: Infinity, input, output: undefined });
      continue;
    }
    states.push(state);
    const step = stepKv(state, input);
    state = step.state;
    history.push({ clientId: i % 8, call, return: t + Math.floor(rand() * jitterNs), input, output: step.output });
  }
  return { history, states };
}

describe('randomized histories', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    test(`seed ${seed}: 400 jittered operations are linearizable`, () => {
      const { history } = generate(seed, 400, spacingNs * 4);
      const res = checkLinearizable(history, createKvModel(), { timeoutMs: 20_000 });
      assert.equal(res.result, 'ok', res.result === 'illegal' ? res.reason : undefined);
    });
  }

  // The check's speed is not asserted (the machine may be loaded); the
  // diagnostic shows it. The budget is only there so a regression to an
  // exponential search ends the test instead of hanging the run.
  test('2,000 operations, up to ~8 overlapping, are linearizable', (t) => {
    const { history } = generate(42, 2000, spacingNs * 4);
    const res = checkLinearizable(history, createKvModel(), { timeoutMs: 300_000 });
    assert.equal(res.result, 'ok', res.result === 'illegal' ? res.reason : undefined);
    t.diagnostic(`checked in ${res.stats.elapsedMs} ms`);
  });

  test('a stale read planted in a random history is caught', () => {
    const { history } = generate(7, 300, spacingNs * 4);
    // the first read that started after some write finished, answered as if that write had not happened
    const victim = history.findIndex((o, i) => o.input.type === 'range' && history.some((w, j) => j < i && w.input.type === 'put' && w.return < o.call && w.output !== undefined));
    assert.ok(victim > 0);
    const read = history[victim]!;
    const stale: KvResponse = { revision: 1, type: 'range', kvs: [] };
    const mutated = history.map((o, i) => (i === victim ? { ...read, output: stale } : o));
    const res = checkLinearizable(mutated, createKvModel(), { timeoutMs: 20_000 });
    assert.equal(res.result, 'illegal');
  });
});
