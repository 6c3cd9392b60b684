// Throwaway Postgres databases for this lib's specs (libs/testing is not a
// dependency of this infra lib). Not exported by index.ts.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from './migrations.js';
import { createPool } from './pool.js';

const adminUrl = process.env['ECKD_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface SpecDatabases {
  /** A pool on a new database, migrated unless told otherwise. */
  fresh(opts?: { migrate?: boolean }): Promise<pg.Pool>;
  /** Ends every pool and drops every database made. */
  dropAll(): Promise<void>;
}

export function specDatabases(label: string): SpecDatabases {
  const created: string[] = [];
  const pools: pg.Pool[] = [];
  const withAdmin = async (fn: (admin: pg.Client) => Promise<void>) => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await fn(admin);
    } finally {
      await admin.end();
    }
  };
  return {
    async fresh(opts = {}) {
      const name = `eckd_t_${label}_${randomBytes(4).toString('hex')}`;
      await withAdmin((admin) => admin.query(`create database ${name}`).then(() => undefined));
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const pool = createPool(url.toString());
      // Dropped WITH (FORCE) at the end: a connection the server terminates then is not an uncaught error.
      pool.on('error', () => undefined);
      pools.push(pool);
      if (opts.migrate !== false) await migrate(pool);
      return pool;
    },
    async dropAll() {
      await Promise.all(pools.splice(0).map((p) => p.end()));
      await withAdmin(async (admin) => {
        for (const name of created.splice(0)) await admin.query(`drop database if exists ${name} with (force)`);
      });
    },
  };
}
