// A fresh Postgres database per test, created on the shared server and
// dropped (connections terminated first) when the test is done.
import pg from 'pg';
import type { Stoppable } from './dispose.js';
import { randomHex } from './free-port.js';

export const adminUrlDefault = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends Stoppable {
  /** Connection URL of the new database. */
  readonly url: string;
  readonly name: string;
  /** Terminates its connections and drops it; safe to call twice. */
  drop(): Promise<void>;
}

export function testPgAdminUrl(): string {
  return process.env['ECKD_TEST_PG_URL'] ?? adminUrlDefault;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testPgAdminUrl();
  // Names are generated here (lowercase letters, digits, underscore), so
  // quoting them as identifiers is safe.
  const name = `eckd_t_${randomHex(8)}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= withAdmin(adminUrl, async (c) => {
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
        name,
      ]);
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
    return dropped;
  };
  return { url: url.toString(), name, drop, stop: drop, [Symbol.asyncDispose]: drop };
}
