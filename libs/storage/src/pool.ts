import pg from 'pg';

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  /** Postgres statement_timeout in ms: a statement running longer fails instead of holding its connection (0: none) */
  statementTimeoutMs?: number;
}

/** Idle time before TCP keep-alive probes start: a dead Postgres host is noticed instead of waited on for ever. */
const keepAliveInitialDelayMs = 10_000;

// bigint columns come back as strings (revisions may pass 2^31); callers convert.
export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: opts.max ?? 4,
    application_name: opts.applicationName ?? 'eckd',
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: keepAliveInitialDelayMs,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
}
