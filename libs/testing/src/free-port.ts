import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Ports come from below the kernel's ephemeral range: a port the kernel
// picks for `listen(0)` is also one it may give any process as the source
// port of an outgoing connection (a NATS or Postgres client) before the
// caller binds it, which under load made servers fail with EADDRINUSE.
// Below the range only another test's own choice can clash, and the choice
// is random over about 20,000 ports and checked by binding it.
const lowestPort = 10_000;
const ephemeralLowDefault = 32_768;
const freePortAttemptsMax = 200;

// Ports handed out by this process, never returned twice.
const handedOut = new Set<number>();

/** First port of the kernel's ephemeral range (Linux), or 32768 where it cannot be read. */
export function ephemeralRangeLow(): number {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0] ?? '', 10);
    return Number.isInteger(low) && low > lowestPort + 1000 ? low : ephemeralLowDefault;
  } catch {
    return ephemeralLowDefault;
  }
}

/** A TCP port on 127.0.0.1, outside the ephemeral range, that could be bound a moment ago. */
export async function freePort(): Promise<number> {
  const high = ephemeralRangeLow();
  for (let attempt = 0; attempt < freePortAttemptsMax; attempt++) {
    const port = randomInt(lowestPort, high);
    if (handedOut.has(port)) continue;
    // Taken before the check so a concurrent call cannot pick it too; a port
    // that cannot be bound stays excluded.
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
  throw new Error('testing: no unused free port found');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
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
