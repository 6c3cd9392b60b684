// Helper shared by the peers' spec files (not used by the backend itself).
import type { PeerConfig } from './peer-config.js';

/** Settings whose timers never fire within a test: rounds and publications run only where the test says. */
export function quietPeerConfig(members: readonly string[]): PeerConfig {
  return {
    start: { state: 'new', members, band: 0 },
    syncIntervalMs: 3_600_000,
    syncTimeoutMs: 3_600_000,
    syncStoreIntervalMs: 3_600_000,
    conflictsKept: 10,
    conflictLogIntervalMs: 0,
    inboxMax: 100,
    storedPublishIntervalMs: 3_600_000,
    bandReserveTimeoutMs: 1_000,
    snapshot: { bytesMax: 1024 * 1024, chunkTimeoutMs: 2_000, attempts: 1, servesMax: 1 },
    leaseForward: { forwardsMax: 10, timeoutMs: 2_000 },
    cut: { roundTimeoutMs: 1_000, retryMs: 50, roundsMax: 2 },
    cutWithPeers: false,
    cutOps: 50_000,
    cutLaggardHoldMs: 600_000,
    cutCatchUpMs: 10_000,
  };
}
