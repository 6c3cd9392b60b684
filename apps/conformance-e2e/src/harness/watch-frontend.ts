// One more etcd-api process for a running node, started with extra flags.
// startNode (libs/testing) passes no etcd-api flags, and the progress-notify
// interval is a flag only (--watch-progress-notify-interval, as in etcd), so
// watch scenarios that need it talk to a frontend started here, on the same
// NATS subjects and database as the node's own processes.
import { builtAppMain, freePort, isReadyLine, repoRoot, startProcess } from '@eckd/testing';
import type { NodeOptions } from '@eckd/testing';

export const frontendReadyTimeoutMs = 30_000;

export interface ExtraFrontend {
  /** 127.0.0.1:<port> */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startFrontendWithFlags(node: NodeOptions, flags: readonly string[]): Promise<ExtraFrontend> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeName = node.nodeName ?? 'conformance';
  const proc = await startProcess({
    name: `${nodeName}/etcd-api-flags`,
    command: process.execPath,
    args: ['--enable-source-maps', builtAppMain('etcd-api'), '--name', nodeName, '--listen-client-urls', url, '--advertise-client-urls', url, ...flags],
    env: {
      NATS_URL: node.natsUrl,
      ECKD_SUBJECT_PREFIX: node.subjectPrefix,
      ECKD_NODE_NAME: nodeName,
      DATABASE_URL: node.databaseUrl,
      ...node.env,
    },
    cwd: repoRoot(),
    readyLine: isReadyLine,
    readyTimeoutMs: frontendReadyTimeoutMs,
  });
  return { endpoint: `127.0.0.1:${port}`, stop: () => proc.stop() };
}
