// The frontend's health as /health reports it. Minimal for now: healthy
// when a linearizable read barrier (a read-index round trip to the backend
// and the replica catching up to it) completes within the request timeout.
// The health and metrics work replaces the checks behind this interface
// (alarms, etcd's reasons); /health only formats what it returns.
export interface FrontendHealth {
  health: boolean;
  /** etcd 3.5+'s reason: "" when healthy, e.g. "RANGE ERROR:…" when not */
  reason: string;
}

export interface HealthDeps {
  readIndex: { linearizableBarrier(): Promise<void> };
}

export async function frontendHealth(deps: HealthDeps): Promise<FrontendHealth> {
  try {
    await deps.readIndex.linearizableBarrier();
    return { health: true, reason: '' };
  } catch (err) {
    return { health: false, reason: `RANGE ERROR:${err instanceof Error ? err.message : String(err)}` };
  }
}
