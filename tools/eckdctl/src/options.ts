// eckdctl's command line, in etcdctl's spelling where etcdctl has the flag.
export const usage = [
  'usage: eckdctl conflicts [--endpoints host:port[,...]] [--limit N] [--key K] [--kind put/put|put/delete|delete/put]',
  '                         [-w table|json] [--command-timeout MS]',
  'Lists the values the member at the first endpoint saw lose to a concurrent write of another member, newest first.',
].join('\n');

export interface ConflictsOptions {
  command: 'conflicts';
  /** the first one is asked, as etcdctl does for a member-local answer */
  endpoints: string[];
  limit: number;
  key: string;
  kind: string;
  output: 'table' | 'json';
  commandTimeoutMs: number;
}

/** etcdctl's default endpoint and --command-timeout (5 s). */
export const defaultEndpoint = '127.0.0.1:2379';
export const defaultCommandTimeoutMs = 5_000;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseOptions(argv: readonly string[]): ConflictsOptions {
  const [command, ...rest] = argv;
  if (command !== 'conflicts') throw new UsageError(command === undefined ? usage : `unknown command "${command}"\n${usage}`);
  const options: ConflictsOptions = { command, endpoints: [defaultEndpoint], limit: 0, key: '', kind: '', output: 'table', commandTimeoutMs: defaultCommandTimeoutMs };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value\n${usage}`);
      return v;
    };
    if (flag === '--endpoints') options.endpoints = value().split(',').filter((e) => e.length > 0).map(withoutScheme);
    else if (flag === '--limit') options.limit = count(flag, value());
    else if (flag === '--key') options.key = value();
    else if (flag === '--kind') options.kind = value();
    else if (flag === '--command-timeout') options.commandTimeoutMs = count(flag, value());
    else if (flag === '-w' || flag === '--write-out') options.output = outputOf(value());
    else throw new UsageError(`unexpected argument "${arg}"\n${usage}`);
  }
  if (options.endpoints.length === 0) throw new UsageError(`--endpoints names no endpoint\n${usage}`);
  return options;
}

/** etcdctl takes http://host:port; gRPC wants host:port. */
function withoutScheme(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, '');
}

function count(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`${flag} wants a whole number, not "${value}"`);
  return n;
}

function outputOf(value: string): ConflictsOptions['output'] {
  if (value === 'table' || value === 'json') return value;
  throw new UsageError(`-w: "${value}" is not table or json`);
}
