// A local cluster on one Postgres server (DATABASE_URL): each member has
// its own database, `<db>_node<i>`, created here when it does not exist yet
// (the persister migrates it, as it does any database).
import pg from 'pg';

/** The server's maintenance database, which `createdb` also connects to. */
const maintenanceDatabase = 'postgres';
const connectTimeoutMs = 10_000;

/** Creates the database of memberUrl unless it exists; resolves true when it created it. */
export async function ensureDatabase(memberUrl: string): Promise<boolean> {
  const url = new URL(memberUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = `/${maintenanceDatabase}`;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: connectTimeoutMs, application_name: 'eckd-supervisor' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount !== 0) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    } catch (error) {
      // Another start created it meanwhile: what was wanted.
      if (isDuplicateDatabase(error)) return false;
      throw error;
    }
    return true;
  } finally {
    await client.end();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function isDuplicateDatabase(error: unknown): boolean {
  // SQLSTATE 42P04 duplicate_database
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '42P04';
}
