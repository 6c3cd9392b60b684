// Writers under faults: fresh keys put in a loop, each acknowledged write
// recorded, and the checks that none of them was lost.
import assert from 'node:assert/strict';
import type { Etcd3, IKeyValue } from 'etcd3';

export interface Acked {
  key: string;
  value: string;
  revision: number;
}

export interface Writers {
  /** acknowledged writes, in the order their acks came */
  acked: Acked[];
  failed(): number;
  /** stops the writers and waits for their last requests */
  stop(): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `count` writers putting fresh keys `<prefix><writer>/<n>`, writer w through clients[w % clients.length]; a failed put waits `failurePauseMs`. */
export function startWriters(clients: readonly Etcd3[], count: number, prefix: string, failurePauseMs: number): Writers {
  const acked: Acked[] = [];
  let failed = 0;
  let running = true;
  const writer = async (w: number) => {
    const client = clients[w % clients.length]!;
    for (let n = 0; running; n++) {
      const key = `${prefix}${w}/${n}`;
      try {
        const res = await client.put(key).value(`v${n}`).exec();
        acked.push({ key, value: `v${n}`, revision: Number(res.header.revision) });
      } catch {
        failed++;
        await pause(failurePauseMs);
      }
    }
  };
  const all = Array.from({ length: count }, (_, w) => writer(w));
  return {
    acked,
    failed: () => failed,
    stop: async () => {
      running = false;
      await Promise.all(all);
    },
  };
}

/** Puts `<key><i>` through each client until one succeeds; fails after `boundMs`. Returns the time it took. */
export async function putUntilServed(clients: readonly Etcd3[], key: string, boundMs: number): Promise<number> {
  const since = Date.now();
  for (const [i, client] of clients.entries()) {
    for (;;) {
      try {
        await client.put(`${key}${i}`).value('ok').exec();
        break;
      } catch (err) {
        if (Date.now() - since > boundMs) throw err;
        await pause(200);
      }
    }
  }
  return Date.now() - since;
}

/** Every acknowledged write is stored with its value and the revision its ack said. */
export function assertAckedStored(kvs: readonly IKeyValue[], acked: readonly Acked[]): void {
  const byKey = new Map(kvs.map((kv) => [kv.key.toString(), kv]));
  for (const a of acked) {
    const kv = byKey.get(a.key);
    assert.ok(kv, `acknowledged write ${a.key} at revision ${a.revision} is missing`);
    assert.equal(kv.value.toString(), a.value);
    assert.equal(Number(kv.mod_revision), a.revision, `${a.key} has the revision its ack said`);
  }
}
