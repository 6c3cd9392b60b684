// The workloads: put, range, txn-cas (the Kubernetes update shape), watch
// (delivery latency from a put's acknowledgement to each watcher's event)
// lease keep-alive and lock (v3lockpb Lock then Unlock).
import { randomBytes } from 'node:crypto';
import type { Connection } from './clients.js';
import { decodeMessage, encodeMessage, encodeRequest, paths } from './clients.js';
import { runLoops } from './loops.js';
import type { BenchOptions } from './options.js';
import { firstModRevision, forEachField, headerRevision, readWatchResponse, txnSucceeded } from './proto-reader.js';
import { runPaced } from './paced.js';
import type { RunStats } from './stats.js';
import { summarize } from './stats.js';

function keyMaker(o: BenchOptions, prefix = ''): (n: number) => Buffer {
  return (n) => {
    const id = o.sequentialKeys ? n % o.keySpaceSize : Math.floor(Math.random() * o.keySpaceSize);
    return Buffer.concat([Buffer.from(prefix), Buffer.from(String(id).padStart(o.keySize, '0'))]);
  };
}

export function putWorkload(o: BenchOptions, conns: Connection[]): Promise<RunStats> {
  const value = randomBytes(o.valSize);
  const key = keyMaker(o);
  return runLoops(o, conns, 'put', (c, n, done) => c.unary(paths.put, encodeRequest('PutRequest', { key: key(n), value }), (err) => done(err)));
}

export function rangeWorkload(o: BenchOptions, conns: Connection[]): Promise<RunStats> {
  // No END: no range_end at all. An empty one on the wire would mean every key from KEY on (etcd reads it as "\0"),
  // so a one-key read would return whatever other cases wrote above the key.
  const end = o.rangeEnd === '' ? {} : { range_end: Buffer.from(o.rangeEnd) };
  const req = encodeRequest('RangeRequest', { key: Buffer.from(o.rangeKey), ...end, serializable: o.consistency === 's' });
  return runLoops(o, conns, `range-${o.consistency}`, (c, _n, done) => c.unary(paths.range, req, (err) => done(err)));
}

/** Read, compare mod_revision, put, retry on a lost race: one operation each. */
export function txnCasWorkload(o: BenchOptions, conns: Connection[]): Promise<RunStats> {
  const value = randomBytes(o.valSize);
  const key = keyMaker(o, 'cas/');
  return runLoops(o, conns, 'txn-cas', (c, n, done) => {
    const k = key(n);
    const read = encodeRequest('RangeRequest', { key: k });
    const attempt = (tries: number) =>
      c.unary(paths.range, read, (err, res) => {
        if (err) return done(err);
        const txn = encodeRequest('TxnRequest', {
          compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: firstModRevision(res!) }],
          success: [{ request_put: { key: k, value } }],
          failure: [{ request_range: { key: k } }],
        });
        c.unary(paths.txn, txn, (e, t) => {
          if (e) return done(e);
          const succeeded = txnSucceeded(t!);
          if (succeeded || tries >= 20) return done(succeeded ? null : new Error('cas: too many retries'));
          attempt(tries + 1);
        });
      });
    attempt(1);
  });
}

/**
 * W watchers on a prefix (spread over the connections, one stream each),
 * writers putting under it, at `--put-rate` puts/s when given (etcd's
 * `benchmark watch-latency` puts at 100/s) or as fast as they can: delivery
 * latency from each put's ack to each watcher's event. Replies are read only
 * for the created flag and the events' mod_revisions.
 */
export async function watchWorkload(o: BenchOptions, conns: Connection[]): Promise<{ puts: RunStats; delivery: RunStats }> {
  const prefix = `bench-watch/${randomBytes(3).toString('hex')}/`;
  const ackedAt = new Map<number, number>();
  const early = new Map<number, number[]>(); // arrival times of events whose put's ack is still on its way
  const delivery: number[] = [];
  let expectedPerEvent = 0;
  const created: Promise<void>[] = [];
  const streams = conns.map((c, s) => {
    const mine = Math.floor(o.watchers / conns.length) + (s < o.watchers % conns.length ? 1 : 0);
    expectedPerEvent += mine;
    let waiting = mine;
    let resolveCreated = () => undefined as void;
    created.push(new Promise<void>((resolve) => (mine === 0 ? resolve() : (resolveCreated = resolve))));
    const stream = c.bidi(
      paths.watch,
      (message) => {
        const now = performance.now();
        const res = readWatchResponse(message);
        if (res.created) {
          if (--waiting === 0) resolveCreated();
          return;
        }
        for (const rev of res.modRevisions) {
          const acked = ackedAt.get(rev);
          if (acked === undefined) (early.get(rev) ?? early.set(rev, []).get(rev)!).push(now);
          else delivery.push(now - acked);
        }
      },
      () => undefined, // a stream that ends early shows as missing events
    );
    const create = encodeMessage('WatchRequest', { create_request: { key: Buffer.from(prefix), range_end: prefixEnd(prefix) } });
    for (let i = 0; i < mine; i++) stream.write(create);
    return stream;
  });
  await Promise.all(created);
  const value = randomBytes(o.valSize);
  const put = (c: Connection, n: number, done: (err: Error | null) => void) =>
    c.unary(paths.put, encodeRequest('PutRequest', { key: Buffer.from(`${prefix}${n % o.keySpaceSize}`), value }), (err, res) => {
      if (!err) {
        const rev = headerRevision(res!);
        const now = performance.now();
        ackedAt.set(rev, now);
        // An event can beat its put's reply; it counts as delivered at once.
        for (const _ of early.get(rev) ?? []) delivery.push(0);
        early.delete(rev);
      }
      done(err);
    });
  const writerOpts = { ...o, clients: o.writers };
  const puts = o.putRate === undefined ? await runLoops(writerOpts, conns, 'watch-put', put) : await runPaced(writerOpts, o.putRate, conns, 'watch-put', put);
  const expected = puts.requests * expectedPerEvent;
  const deadline = performance.now() + 10_000;
  while (delivery.length < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const s of streams) s.close();
  const missing = expected - delivery.length;
  return { puts, delivery: summarize(`watch-delivery (${o.watchers} watchers)`, delivery, missing, puts.seconds) };
}

/** Keep-alives over one stream per connection, for `leases` leases granted first. */
export async function leaseKeepAliveWorkload(o: BenchOptions, conns: Connection[]): Promise<RunStats> {
  const ids = await Promise.all(
    Array.from({ length: o.leases }, (_, i) =>
      new Promise<unknown>((resolve, reject) =>
        // Lease ids use all 63 bits: decoded whole, not read as a JS number.
        conns[i % conns.length]!.unary(paths.leaseGrant, encodeRequest('LeaseGrantRequest', { TTL: 60 }), (err, res) =>
          err ? reject(err) : resolve(decodeMessage('LeaseGrantResponse', res!)['ID']),
        ),
      ),
    ),
  );
  const keepAlives = ids.map((ID) => encodeMessage('LeaseKeepAliveRequest', { ID }));
  const streams = conns.map((c) => {
    const waiting: ((err: Error | null) => void)[] = [];
    const stream = c.bidi(
      paths.leaseKeepAlive,
      () => waiting.shift()?.(null),
      (err) => waiting.splice(0).forEach((w) => w(err ?? new Error('keep-alive stream ended'))),
    );
    return { stream, waiting };
  });
  const stats = await runLoops(o, conns, 'lease-keepalive', (_c, n, done) => {
    const s = streams[n % streams.length]!;
    s.waiting.push(done);
    s.stream.write(keepAlives[n % keepAlives.length]!);
  });
  for (const s of streams) s.stream.close();
  await Promise.all(ids.map((ID, i) => new Promise<void>((r) => conns[i % conns.length]!.unary(paths.leaseRevoke, encodeRequest('LeaseRevokeRequest', { ID }), () => r()))));
  return stats;
}

/**
 * Lock then Unlock of one of `--key-space-size` names (1: every client
 * contends for one lock, so each Lock waits for the holders before it),
 * each client with a lease of its own, granted first: one operation is the
 * pair, its latency from the Lock's request to the Unlock's reply.
 */
export async function lockWorkload(o: BenchOptions, conns: Connection[]): Promise<RunStats> {
  const free = await Promise.all(
    Array.from({ length: o.clients }, (_, i) =>
      new Promise<unknown>((resolve, reject) =>
        conns[i % conns.length]!.unary(paths.leaseGrant, encodeRequest('LeaseGrantRequest', { TTL: 60 }), (err, res) =>
          err ? reject(err) : resolve(decodeMessage('LeaseGrantResponse', res!)['ID']),
        ),
      ),
    ),
  );
  const leases = [...free];
  const stats = await runLoops(o, conns, `lock (${o.keySpaceSize} names)`, (c, n, done) => {
    // A lease is one contender: two loops sharing one would share its key.
    const lease = free.pop();
    const name = Buffer.from(`bench-lock/${n % o.keySpaceSize}`);
    c.unary(paths.lock, encodeRequest('v3lockpb.LockRequest', { name, lease }), (err, res) => {
      if (err) {
        free.push(lease);
        return done(err);
      }
      c.unary(paths.unlock, encodeRequest('v3lockpb.UnlockRequest', { key: bytesField(res!, 2) }), (e) => {
        free.push(lease);
        done(e);
      });
    });
  });
  await Promise.all(leases.map((ID, i) => new Promise<void>((r) => conns[i % conns.length]!.unary(paths.leaseRevoke, encodeRequest('LeaseRevokeRequest', { ID }), () => r()))));
  return stats;
}

/** The first length-delimited field `field` of a message. */
function bytesField(buf: Uint8Array, field: number): Uint8Array {
  let found: Uint8Array | undefined;
  forEachField(buf, (f, _varint, bytes) => {
    if (f === field && bytes && !found) found = bytes;
  });
  return found ?? new Uint8Array();
}

export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]! += 1;
  return end;
}
