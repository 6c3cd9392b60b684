import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

// Ports handed out by this process: the kernel may offer a just-closed port
// again before the caller has bound it, so never return one twice.
const handedOut = new Set<number>();
const freePortAttemptsMax = 20;

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < freePortAttemptsMax; attempt++) {
    const port = await kernelPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('testing: no unused free port found');
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('testing: no port assigned'))));
    });
  });
}

/** Lowercase hex of `bytes` random bytes. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A NATS subject prefix unique to this test run: a letter then hex digits. */
export function subjectPrefix(): string {
  return `t${randomHex(6)}`;
}
