// Throwaway Postgres databases for this lib's specs, each with a pool on it.
import type pg from 'pg';
import { createTestDatabase } from '@eckd/testing';
import type { TestDatabase } from '@eckd/testing';
import { migrate } from '../src/migrations.js';
import { createPool } from '../src/pool.js';

export interface SpecDatabases {
  /** A pool on a new database, migrated unless told otherwise. */
  fresh(opts?: { migrate?: boolean }): Promise<pg.Pool>;
  /** Ends every pool and drops every database made. */
  dropAll(): Promise<void>;
}

export function specDatabases(): SpecDatabases {
  const databases: TestDatabase[] = [];
  const pools: pg.Pool[] = [];
  return {
    async fresh(opts = {}) {
      const database = await createTestDatabase();
      databases.push(database);
      const pool = createPool(database.url);
      // Dropped WITH (FORCE) at the end: a connection the server terminates then is not an uncaught error.
      pool.on('error', () => undefined);
      pools.push(pool);
      if (opts.migrate !== false) await migrate(pool);
      return pool;
    },
    async dropAll() {
      await Promise.all(pools.splice(0).map((p) => p.end()));
      await Promise.all(databases.splice(0).map((d) => d.drop()));
    },
  };
}
