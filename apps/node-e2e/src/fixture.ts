// One eckd node on its own NATS server and a fresh Postgres database,
// stopped and dropped at the end.
import { createTestDatabase, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import type { EckdNode, NatsServer, NodeOptions, TestDatabase } from '@eckd/testing';

export interface NodeFixture {
  nats: NatsServer;
  db: TestDatabase;
  node: EckdNode;
  subjectPrefix: string;
  /** starts the node's processes again on the same NATS and database */
  restartNode(): Promise<EckdNode>;
  stop(): Promise<void>;
}

export async function startNodeFixture(opts: Partial<Omit<NodeOptions, 'natsUrl' | 'databaseUrl' | 'subjectPrefix'>> = {}): Promise<NodeFixture> {
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const nodeOpts: NodeOptions = { ...opts, natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: opts.nodeName ?? 'e2e' };
  let node: EckdNode;
  try {
    node = await startNode(nodeOpts);
  } catch (err) {
    await Promise.allSettled([nats.stop(), db.drop()]);
    throw err;
  }
  const fixture: NodeFixture = {
    nats,
    db,
    node,
    subjectPrefix: nodeOpts.subjectPrefix,
    async restartNode() {
      await fixture.node.stop();
      fixture.node = await startNode(nodeOpts);
      return fixture.node;
    },
    async stop() {
      await fixture.node.stop();
      await Promise.allSettled([nats.stop(), db.drop()]);
    },
  };
  return fixture;
}
