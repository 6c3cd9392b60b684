// etcd's auth flags for the frontends from npm start's environment:
// ECKD_AUTH_TOKEN → --auth-token, ECKD_AUTH_TOKEN_TTL → --auth-token-ttl,
// ECKD_BCRYPT_COST → --bcrypt-cost. Unset ones are left out (the frontends'
// defaults: simple tokens, 300 s, cost 10). The numbers are checked here
// with the frontends' bounds so a mistake stops the start at once; the
// token's options (jwt keys) are checked by each frontend at its start.

type Env = Readonly<Record<string, string | undefined>>;

/** etcd's bcrypt bounds (golang.org/x/crypto/bcrypt MinCost, MaxCost), as apps/etcd-api checks them. */
const bcryptCostMin = 4;
const bcryptCostMax = 31;

export function frontendAuthFlags(env: Env, problems: string[]): string[] {
  const flags: string[] = [];
  const value = (name: string) => env[name]?.trim() ?? '';
  const token = value('ECKD_AUTH_TOKEN');
  if (token !== '') {
    if (!/^(simple|jwt)(,|$)/.test(token)) problems.push(`ECKD_AUTH_TOKEN must be simple or jwt,<options> (etcd's --auth-token), got "${token}"`);
    flags.push('--auth-token', token);
  }
  const ttl = value('ECKD_AUTH_TOKEN_TTL');
  if (ttl !== '') {
    if (!/^\d+$/.test(ttl) || Number(ttl) < 1) problems.push(`ECKD_AUTH_TOKEN_TTL must be a whole number of seconds from 1 (etcd's --auth-token-ttl), got "${ttl}"`);
    flags.push('--auth-token-ttl', ttl);
  }
  const cost = value('ECKD_BCRYPT_COST');
  if (cost !== '') {
    if (!/^\d+$/.test(cost) || Number(cost) < bcryptCostMin || Number(cost) > bcryptCostMax) {
      problems.push(`ECKD_BCRYPT_COST must be a whole number from ${bcryptCostMin} to ${bcryptCostMax} (etcd's --bcrypt-cost), got "${cost}"`);
    }
    flags.push('--bcrypt-cost', cost);
  }
  return flags;
}
