import pg from 'pg';

// bigint columns come back as strings (revisions may pass 2^31); callers convert.
export function createPool(url: string, opts: { max?: number; applicationName?: string } = {}): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: opts.max ?? 4,
    application_name: opts.applicationName ?? 'eckd',
    connectionTimeoutMillis: 5_000,
  });
}
