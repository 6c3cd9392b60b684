// The workloads: put, range, txn-cas (the Kubernetes update shape), watch
// (delivery latency from a put's acknowledgement to each watcher's event)
// and lease keep-alive.
import { randomBytes } from 'node:crypto';
import type { Connection } from './clients.js';
import { runLoops } from './loops.js';
import type { BenchOptions } from './options.js';
import type { RunStats } from './stats.js';
import { summarize } from './stats.js';

type Any = Record<string, unknown>;

function keyMaker(o: BenchOptions, prefix = ''): (n: number) => Buffer {
  return (n) => {
    const id = o.sequentialKeys ? n % o.keySpaceSize : Math.floor(Math.random() * o.keySpaceSize);
    return Buffer.concat([Buffer.from(prefix), Buffer.from(String(id).padStart(o.keySize, '0'))]);
  };
}

export function putWorkload(o: BenchOptions, conns: Connection[]): Promise<RunStats> {
  const value = randomBytes(o.valSize);
  const key = keyMaker(o);
  return runLoops(o, conns, 'put', (c, n, done) => c.kv.Put({ key: key(n), value }, (err) => done(err)));
}

export function rangeWorkload(o: BenchOptions, conns: Connection[]): Promise<RunStats> {
  const req = { key: Buffer.from(o.rangeKey), range_end: Buffer.from(o.rangeEnd), serializable: o.consistency === 's' };
  return runLoops(o, conns, `range-${o.consistency}`, (c, _n, done) => c.kv.Range(req, (err) => done(err)));
}

/** Read, compare mod_revision, put, retry on a lost race: one operation each. */
export function txnCasWorkload(o: BenchOptions, conns: Connection[]): Promise<RunStats> {
  const value = randomBytes(o.valSize);
  const key = keyMaker(o, 'cas/');
  return runLoops(o, conns, 'txn-cas', (c, n, done) => {
    const k = key(n);
    const attempt = (tries: number) =>
      c.kv.Range({ key: k }, (err, res) => {
        if (err) return done(err);
        const mod = (res?.kvs?.[0]?.mod_revision as string | undefined) ?? '0';
        const txn = {
          compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: mod }],
          success: [{ request_put: { key: k, value } }],
          failure: [{ request_range: { key: k } }],
        };
        c.kv.Txn(txn as never, (e, t) => {
          if (e) return done(e);
          if (t?.succeeded || tries >= 20) return done(t?.succeeded ? null : new Error('cas: too many retries'));
          attempt(tries + 1);
        });
      });
    attempt(1);
  });
}

/** W watchers on a prefix, P writers putting under it: delivery latency from each put's ack to each event. */
export async function watchWorkload(o: BenchOptions, conns: Connection[]): Promise<{ puts: RunStats; delivery: RunStats }> {
  const prefix = `bench-watch/${randomBytes(3).toString('hex')}/`;
  const ackedAt = new Map<string, number>();
  const early = new Map<string, number[]>(); // events that arrived before their put's ack
  const delivery: number[] = [];
  let expectedPerEvent = 0;
  const streams = conns.map((c) => {
    const stream = c.watch.Watch();
    stream.on('error', () => undefined); // ends with the run (or the server) — counted as missing events
    return stream;
  });
  const created: Promise<void>[] = [];
  streams.forEach((stream, s) => {
    const mine = Math.floor(o.watchers / streams.length) + (s < o.watchers % streams.length ? 1 : 0);
    expectedPerEvent += mine;
    let waiting = mine;
    created.push(
      new Promise((resolve) => {
        if (mine === 0) resolve();
        stream.on('data', (res: Any) => {
          if (res['created']) {
            if (--waiting === 0) resolve();
            return;
          }
          const now = performance.now();
          for (const ev of (res['events'] as Any[] | undefined) ?? []) {
            const rev = String((ev['kv'] as Any)['mod_revision']);
            const acked = ackedAt.get(rev);
            if (acked === undefined) (early.get(rev) ?? early.set(rev, []).get(rev)!).push(now);
            else delivery.push(Math.max(0, now - acked));
          }
        });
      }),
    );
    for (let i = 0; i < mine; i++) stream.write({ create_request: { key: Buffer.from(prefix), range_end: prefixEnd(prefix) } });
  });
  await Promise.all(created);
  const value = randomBytes(o.valSize);
  const writerOpts = { ...o, clients: o.writers };
  const puts = await runLoops(writerOpts, conns, 'watch-put', (c, n, done) =>
    c.kv.Put({ key: Buffer.from(`${prefix}${n % o.keySpaceSize}`), value }, (err, res) => {
      if (!err) {
        const rev = String((res?.header as Any | undefined)?.['revision']);
        const now = performance.now();
        ackedAt.set(rev, now);
        for (const _ of early.get(rev) ?? []) delivery.push(0);
        early.delete(rev);
      }
      done(err);
    }),
  );
  const expected = puts.requests * expectedPerEvent;
  const deadline = performance.now() + 10_000;
  while (delivery.length < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const s of streams) s.cancel();
  const missing = expected - delivery.length;
  return { puts, delivery: summarize(`watch-delivery (${o.watchers} watchers)`, delivery, missing, puts.seconds) };
}

/** Keep-alives over one stream per connection, for `leases` leases granted first. */
export async function leaseKeepAliveWorkload(o: BenchOptions, conns: Connection[]): Promise<RunStats> {
  const ids = await Promise.all(
    Array.from({ length: o.leases }, (_, i) =>
      new Promise<string>((resolve, reject) =>
        conns[i % conns.length]!.lease.LeaseGrant({ TTL: 60 }, (err, res) => (err ? reject(err) : resolve(String(res!.ID)))),
      ),
    ),
  );
  const streams = conns.map((c) => {
    const stream = c.lease.LeaseKeepAlive();
    const waiting: ((err: Error | null) => void)[] = [];
    stream.on('data', () => waiting.shift()?.(null));
    stream.on('error', (err: Error) => waiting.splice(0).forEach((w) => w(err)));
    return { stream, waiting };
  });
  const stats = await runLoops(o, conns, 'lease-keepalive', (_c, n, done) => {
    const s = streams[n % streams.length]!;
    s.waiting.push(done);
    s.stream.write({ ID: ids[n % ids.length] });
  });
  for (const s of streams) s.stream.cancel();
  await Promise.all(ids.map((ID, i) => new Promise<void>((r) => conns[i % conns.length]!.lease.LeaseRevoke({ ID }, () => r()))));
  return stats;
}

function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]! += 1;
  return end;
}
