import './dispose.js';

export type { Stoppable } from './dispose.js';
export { freePort, randomHex, subjectPrefix } from './free-port.js';
export { waitUntil, tcpAccepts } from './wait.js';
export { startProcess } from './process.js';
export type { ProcessSpec, ProcessHandle, ExitStatus } from './process.js';
export { startNatsServer } from './nats-server.js';
export type { NatsServer, NatsServerOptions, NatsRestartOptions } from './nats-server.js';
export { createTestDatabase, testPgAdminUrl } from './test-database.js';
export { startPostgresServer } from './postgres-server.js';
export type { PostgresServer } from './postgres-server.js';
export type { TestDatabase } from './test-database.js';
export { startEtcd, etcdctl } from './etcd.js';
export type { EtcdServer, EtcdOptions, EtcdctlOptions, EtcdctlResult } from './etcd.js';
export { startNode, startExtraFrontend, repoRoot, builtAppMain, isReadyLine } from './node.js';
export type { EckdNode, ExtraFrontend, NodeOptions, NodeRole } from './node.js';
export { startOtlpReceiver, parseOtlpTraces } from './otlp-receiver.js';
export type { OtlpReceiver, ReceivedSpan, AttributeValue } from './otlp-receiver.js';
