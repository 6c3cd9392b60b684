// Small TCP probes: is a NATS server answering there, and which port is free.
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export type NatsProbeResult = 'nats' | 'other' | 'none';

/** Connects and reads the greeting: a NATS server speaks first, with "INFO ". */
export function probeNats(host: string, port: number, timeoutMs: number): Promise<NatsProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const finish = (result: NatsProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    let connected = false;
    const timer = setTimeout(() => finish(connected ? 'other' : 'none'), timeoutMs);
    socket.once('connect', () => (connected = true));
    socket.once('data', (chunk: Buffer) => finish(chunk.toString('latin1').startsWith('INFO ') ? 'nats' : 'other'));
    socket.once('error', () => finish(connected ? 'other' : 'none'));
    socket.once('close', () => finish(connected ? 'other' : 'none'));
  });
}

/** A port that was free a moment ago on host (the OS picks it). */
export async function findFreePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
