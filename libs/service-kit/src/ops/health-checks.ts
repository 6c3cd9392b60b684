// etcd 3.6's /livez and /readyz checks: each named check passes or fails
// with a reason; the report is etcd's text ("[+]name ok", "[-]name failed:
// reason"), and the whole passes when every check does.

/** Resolves when healthy; rejects with the reason otherwise. */
export type HealthCheck = () => Promise<void>;
export type HealthChecks = Readonly<Record<string, HealthCheck>>;

export interface CheckReport {
  readonly ok: boolean;
  /** One line per check, etcd's shape; what `?verbose` shows. */
  readonly text: string;
  /** The first failure's reason, for /health. */
  readonly firstFailure: string | undefined;
}

/** A check that has not answered by then fails: a probe must get an answer. */
export async function runHealthChecks(checks: HealthChecks, names: readonly string[], timeoutMs: number): Promise<CheckReport> {
  const results = await Promise.all(names.map((name) => outcome(checks[name], timeoutMs)));
  let text = '';
  let firstFailure: string | undefined;
  results.forEach((failure, i) => {
    if (failure === undefined) text += `[+]${names[i]} ok\n`;
    else {
      text += `[-]${names[i]} failed: ${failure}\n`;
      firstFailure ??= failure;
    }
  });
  return { ok: firstFailure === undefined, text, firstFailure };
}

async function outcome(check: HealthCheck | undefined, timeoutMs: number): Promise<string | undefined> {
  if (check === undefined) return 'not registered';
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const checked = check().then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
  try {
    return await Promise.race([checked, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
