// The keys a scenario writes and the scenario ids their prefixes name, for
// the table checks (tables.spec.ts, watch-tables.spec.ts).
import type { ReqValue, Scenario } from '../harness/scenario.js';

// "rk04/a", "rk040", "zz/rk06/a" and "zz/~de06/a" all belong to one scenario id.
const prefixId = /^(?:zz\/~?)?([a-z]{2}\d{2})/;

/** Every `key` field in `v`, at any depth. A work list, not recursion: the nested-Txn edge scenarios are deeper than the call stack. */
export function keysOf(v: ReqValue): string[] {
  const out: string[] = [];
  const pending: ReqValue[] = [v];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (Array.isArray(next)) pending.push(...next);
    else if (typeof next === 'object') {
      for (const [field, x] of Object.entries(next)) {
        if (field === 'key' && typeof x === 'string') out.push(x);
        else pending.push(x);
      }
    }
  }
  return out;
}

export function scenarioIds(s: Scenario): Set<string> {
  const keys = s.steps.flatMap((step) => keysOf(step.req)).filter((k) => k !== '' && k !== '\0');
  return new Set(keys.map((k) => prefixId.exec(k)?.[1] ?? `unprefixed key ${JSON.stringify(k)}`));
}
