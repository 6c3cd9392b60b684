// A two-member cluster exporting to an OTLP receiver: the backends' peer
// sync rounds and applied pushes are spans (ARCHITECTURE §4, trace context).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startCluster, startOtlpReceiver } from '@eckd/testing';
import type { Cluster, OtlpReceiver } from '@eckd/testing';

let cluster: Cluster;
let otlp: OtlpReceiver;

before(async () => {
  otlp = await startOtlpReceiver();
  cluster = await startCluster({
    nodes: 2,
    jetstream: false,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_EXPORTER: 'otlp' },
    nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: 'node1,node2' }),
  });
}, { timeout: 120_000 });

after(async () => {
  await cluster?.stop();
  await otlp?.stop();
});

test("the backends' peer sync rounds and applied pushes are spans", async () => {
  const client = new Etcd3({ hosts: `http://${cluster.members[0]!.endpoints[0]!}` });
  try {
    await client.put('traced/peer').value('yes');
  } finally {
    client.close();
  }
  // node2 applies node1's pushes (the put's among them); node1 applies node2's too.
  const fromNode1 = (s: { name: string; attributes: Record<string, unknown> }) => s.name === 'peer push applied' && s.attributes['eckd.peer'] === 'node1';
  const spans = await otlp.waitForSpans((all) => all.some((s) => s.name === 'peer sync') && all.some(fromNode1), 30_000);
  const round = spans.find((s) => s.name === 'peer sync')!;
  assert.equal(round.serviceName, 'eckd-backend');
  assert.match(String(round.attributes['eckd.peer']), /^node[12]$/);
  const push = spans.find(fromNode1)!;
  assert.equal(push.serviceName, 'eckd-backend');
  assert.ok(Number(push.attributes['eckd.peer_push.changes']) >= 1);
});
