// The NATS users of deploy/nats-server.conf and the password variables the
// server reads: every recipe's NATS server must be given each of them, and
// every user must be an app the recipes run.
import { deployedApps } from './deployed-apps.js';

export interface NatsUsers {
  readonly users: string[];
  readonly passwordVariables: string[];
}

export function natsUsers(natsConfig: string): NatsUsers {
  return {
    users: [...natsConfig.matchAll(/^\s*user: "([^"]+)"/gm)].map((m) => m[1]!),
    passwordVariables: [...new Set([...natsConfig.matchAll(/\$(ECKD_NATS_\w+_PASSWORD)\b/g)].map((m) => m[1]!))],
  };
}

/** Problems with a recipe (`where`) whose NATS server gets the variables `given`. */
export function checkNatsServerEnv(where: string, natsConfig: string, given: readonly string[]): string[] {
  const { users, passwordVariables } = natsUsers(natsConfig);
  const problems = passwordVariables.filter((v) => !given.includes(v)).map((v) => `${where}: the NATS server is not given ${v}`);
  for (const user of users) if (!(deployedApps as readonly string[]).includes(user)) problems.push(`nats-server.conf has user ${user}, which no recipe runs`);
  return problems;
}
