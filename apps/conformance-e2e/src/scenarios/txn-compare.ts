// Txn compares: every target and result, missing keys, range_end compares,
// unset operands (docs/ETCD-BEHAVIOUR.md §2.6, §8.9).
import { cmp, del, fails, ok, op, put, rev, txn } from '../harness/dsl.js';
import type { CmpResult, CmpTarget } from '../harness/dsl.js';
import type { ReqObject, ReqValue, Scenario, ScenarioGroup, Step } from '../harness/scenario.js';

// if <compare> then put <key>/won = yes else range <key>/ — the branch taken shows in the answer.
const branch = (p: string, compare: ReturnType<typeof cmp>[]): Step =>
  txn({ compare, success: [op.put(`${p}won`, 'yes')], failure: [op.range(p, { range_end: `${p.slice(0, -1)}0` })] });

const succeeds = (step: Step): Step => ok(step, { succeeded: true });
const failsCompare = (step: Step): Step => ok(step, { succeeded: false });

interface Case {
  name: string;
  setup: Step[];
  target: CmpTarget;
  result: CmpResult;
  operand?: ReqValue;
  key?: string;
  rangeEnd?: string;
  /** fields set on the Compare by hand */
  extra?: ReqObject;
  /** the branch etcd takes; undefined: not asserted, only compared */
  want?: boolean;
}

function caseScenario(c: Case, n: number): Scenario {
  const p = `tc${String(n).padStart(2, '0')}/`;
  const prefixed = (s: Step): Step => JSON.parse(JSON.stringify(s).replaceAll('"P/', `"${p}`)) as Step;
  const key = `${p}${c.key ?? 'k'}`;
  const rangeEnd = c.rangeEnd === undefined ? undefined : c.rangeEnd === '\0' ? '\0' : `${p}${c.rangeEnd}`;
  const step = branch(p, [{ ...cmp(c.target, key, c.result, c.operand, rangeEnd), ...c.extra }]);
  const judged = c.want === undefined ? step : (c.want ? succeeds : failsCompare)(step);
  return { name: c.name, ref: '§2.6', steps: [...c.setup.map(prefixed), judged] };
}

// Setups write under "P/", replaced by the scenario's prefix.
const kv = (v: string): Step[] => [put('P/k', v)];
const twice: Step[] = [put('P/k', '1'), put('P/k', '2')];
const three: Step[] = [put('P/a', 'x'), put('P/b', 'x'), put('P/c', 'x')];

const cases: Case[] = [
  { name: 'VALUE EQUAL holds', setup: kv('v'), target: 'VALUE', result: 'EQUAL', operand: 'v', want: true },
  { name: 'VALUE EQUAL fails', setup: kv('v'), target: 'VALUE', result: 'EQUAL', operand: 'w', want: false },
  { name: 'VALUE GREATER compares bytes', setup: kv('b'), target: 'VALUE', result: 'GREATER', operand: 'a', want: true },
  { name: 'VALUE GREATER: a longer value with the same prefix is greater', setup: kv('ab'), target: 'VALUE', result: 'GREATER', operand: 'a', want: true },
  { name: 'VALUE LESS', setup: kv('a'), target: 'VALUE', result: 'LESS', operand: 'b', want: true },
  { name: 'VALUE LESS with high bytes (unsigned)', setup: kv('\x7f'), target: 'VALUE', result: 'LESS', operand: '\x80', want: true },
  { name: 'VALUE NOT_EQUAL holds', setup: kv('v'), target: 'VALUE', result: 'NOT_EQUAL', operand: 'w', want: true },
  { name: 'VALUE NOT_EQUAL on a missing key is false', setup: [], target: 'VALUE', result: 'NOT_EQUAL', operand: 'w', want: false },
  { name: 'VALUE EQUAL "" on a missing key is false', setup: [], target: 'VALUE', result: 'EQUAL', operand: '', want: false },
  { name: 'VALUE EQUAL "" on an empty value holds', setup: kv(''), target: 'VALUE', result: 'EQUAL', operand: '', want: true },
  { name: 'VALUE with no operand compares with ""', setup: kv(''), target: 'VALUE', result: 'EQUAL', want: true },
  { name: 'VERSION EQUAL 0 on a missing key holds', setup: [], target: 'VERSION', result: 'EQUAL', operand: 0, want: true },
  { name: 'VERSION EQUAL 2 after two puts', setup: twice, target: 'VERSION', result: 'EQUAL', operand: 2, want: true },
  { name: 'VERSION GREATER', setup: twice, target: 'VERSION', result: 'GREATER', operand: 1, want: true },
  { name: 'VERSION LESS fails', setup: twice, target: 'VERSION', result: 'LESS', operand: 2, want: false },
  { name: 'VERSION NOT_EQUAL 0 on a missing key fails', setup: [], target: 'VERSION', result: 'NOT_EQUAL', operand: 0, want: false },
  { name: 'CREATE EQUAL 0 on a missing key holds (create if absent)', setup: [], target: 'CREATE', result: 'EQUAL', operand: 0, want: true },
  { name: 'CREATE EQUAL 0 on an existing key fails', setup: kv('v'), target: 'CREATE', result: 'EQUAL', operand: 0, want: false },
  { name: 'CREATE EQUAL its create revision', setup: twice, target: 'CREATE', result: 'EQUAL', operand: rev(1), want: true },
  { name: 'CREATE LESS a later revision', setup: twice, target: 'CREATE', result: 'LESS', operand: rev(2), want: true },
  { name: 'MOD EQUAL its mod revision (optimistic update)', setup: twice, target: 'MOD', result: 'EQUAL', operand: rev(2), want: true },
  { name: 'MOD EQUAL a stale revision fails', setup: twice, target: 'MOD', result: 'EQUAL', operand: rev(1), want: false },
  { name: 'MOD EQUAL 0 on a missing key holds', setup: [], target: 'MOD', result: 'EQUAL', operand: 0, want: true },
  { name: 'MOD GREATER', setup: twice, target: 'MOD', result: 'GREATER', operand: rev(1), want: true },
  { name: 'MOD NOT_EQUAL', setup: twice, target: 'MOD', result: 'NOT_EQUAL', operand: rev(2), want: false },
  { name: 'LEASE EQUAL 0 on a key without lease', setup: kv('v'), target: 'LEASE', result: 'EQUAL', operand: 0, want: true },
  { name: 'LEASE EQUAL 0 on a missing key', setup: [], target: 'LEASE', result: 'EQUAL', operand: 0, want: true },
  { name: 'LEASE GREATER 0 on a key without lease fails', setup: kv('v'), target: 'LEASE', result: 'GREATER', operand: 0, want: false },
  { name: 'LEASE NOT_EQUAL 5', setup: kv('v'), target: 'LEASE', result: 'NOT_EQUAL', operand: 5, want: true },
  { name: 'operand unset compares with 0', setup: kv('v'), target: 'VERSION', result: 'GREATER', want: true },
  { name: 'range_end: VERSION EQUAL 1 holds for every key', setup: three, target: 'VERSION', result: 'EQUAL', operand: 1, key: 'a', rangeEnd: 'd', want: true },
  { name: 'range_end: CREATE GREATER must hold for every key', setup: three, target: 'CREATE', result: 'GREATER', operand: rev(1), key: 'a', rangeEnd: 'd', want: false },
  { name: 'range_end: VALUE EQUAL over keys with the same value', setup: three, target: 'VALUE', result: 'EQUAL', operand: 'x', key: 'a', rangeEnd: 'd', want: true },
  { name: 'range_end: empty range compares MOD with 0', setup: three, target: 'MOD', result: 'EQUAL', operand: 0, key: 'x', rangeEnd: 'z', want: true },
  { name: 'range_end: empty range with a VALUE compare', setup: three, target: 'VALUE', result: 'NOT_EQUAL', operand: 'y', key: 'x', rangeEnd: 'z', want: false },
  { name: 'range_end "\\0": every key from key on', setup: three, target: 'VERSION', result: 'GREATER', operand: 0, key: 'b', rangeEnd: '\0', want: true },
  { name: 'compare on a deleted key sees it missing', setup: [put('P/k', 'v'), del('P/k')], target: 'VERSION', result: 'EQUAL', operand: 0, want: true },
  { name: 'operand in a union field that does not match the target', setup: kv('v'), target: 'VERSION', result: 'EQUAL', extra: { value: 'v' } },
];

export const txnCompare: ScenarioGroup = {
  area: 'Txn: compares',
  scenarios: [
    ...cases.map((c, i) => caseScenario(c, i + 1)),
    {
      name: 'compares are ANDed: one false compare takes the failure branch',
      ref: '§2.6',
      steps: [put('tc40/a', '1'), put('tc40/b', '2'), failsCompare(branch('tc40/', [cmp('VALUE', 'tc40/a', 'EQUAL', '1'), cmp('VALUE', 'tc40/b', 'EQUAL', '9')]))],
    },
    {
      name: 'all compares true',
      ref: '§2.6',
      steps: [put('tc41/a', '1'), put('tc41/b', '2'), succeeds(branch('tc41/', [cmp('VALUE', 'tc41/a', 'EQUAL', '1'), cmp('MOD', 'tc41/b', 'EQUAL', rev(2))]))],
    },
    {
      name: 'no compares: the success branch',
      ref: '§2.6',
      steps: [succeeds(branch('tc42/', []))],
    },
    {
      name: 'unknown compare result enum holds (no case matches)',
      ref: '§2.6',
      steps: [put('tc44/k', 'v'), txn({ compare: [{ key: 'tc44/k', target: 'VERSION', result: 9, version: 5 }], success: [op.put('tc44/won', 'yes')] })],
    },
    {
      name: 'unknown compare target enum compares as equal',
      ref: '§2.6',
      steps: [
        put('tc45/k', 'v'),
        txn({ compare: [{ key: 'tc45/k', target: 9, result: 'EQUAL', version: 5 }], success: [op.put('tc45/a', 'yes')] }),
        txn({ compare: [{ key: 'tc45/k', target: 9, result: 'NOT_EQUAL', version: 5 }], success: [op.put('tc45/b', 'yes')] }),
      ],
    },
    {
      name: 'LEASE compare over a range',
      ref: '§2.6',
      steps: [put('tc46/a', '1'), put('tc46/b', '2'), ok(txn({ compare: [cmp('LEASE', 'tc46/a', 'EQUAL', 0, 'tc46/c')], success: [op.range('tc46/a')] }), { succeeded: true })],
    },
    {
      name: 'VERSION LESS over an empty range compares with 0',
      ref: '§2.6',
      steps: [put('tc47/a', '1'), ok(txn({ compare: [cmp('VERSION', 'tc47/x', 'LESS', 1, 'tc47/z')] }), { succeeded: true })],
    },
    {
      name: 'compare with an empty key',
      ref: '§1.5 §2.6',
      steps: [fails(branch('tc48/', [cmp('VERSION', '', 'EQUAL', 0)]), 'EmptyKey')],
    },
  ],
};
