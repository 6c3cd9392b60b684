// The embedded nats-server's users: one per service kind, each with a
// password generated at start-up and only the subjects its service needs
// (libs/change-codec/src/permissions.ts). No user means no connection: an
// anonymous client cannot publish on the node's subjects.
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsAuthorizationConfig, nodePermissions, nodeSubjects } from '@eckd/change-codec';
import type { NatsPassword, NatsServiceKind } from '@eckd/change-codec';

export const natsServerConfigFile = 'nats-server.conf';
const passwordBytes = 24;

export interface NatsUser {
  readonly user: NatsServiceKind;
  readonly password: string;
  readonly inboxPrefix: string;
}

export type NatsUsers = Readonly<Record<NatsServiceKind, NatsUser>>;

/** One user per service kind with a fresh random password. */
export function generateNatsUsers(subjectScope: { prefix: string; node: string }): NatsUsers {
  const permissions = nodePermissions(nodeSubjects(subjectScope));
  return Object.freeze(
    byKind((kind) => ({ user: kind, password: randomBytes(passwordBytes).toString('base64url'), inboxPrefix: permissions[kind].inboxPrefix })),
  );
}

function byKind<T>(make: (kind: NatsServiceKind) => T): Record<NatsServiceKind, T> {
  return { 'etcd-api': make('etcd-api'), backend: make('backend'), persister: make('persister'), compactor: make('compactor') };
}

/** Writes the embedded server's config (readable by its owner only) into the data dir; returns its path. */
export function writeEmbeddedNatsConfig(dataDir: string, subjectScope: { prefix: string; node: string }, users: NatsUsers): string {
  const path = join(dataDir, natsServerConfigFile);
  const passwords = byKind((kind): NatsPassword => ({ literal: users[kind].password }));
  const text = `# Written by the eckd supervisor at every start (new passwords each time).\n${natsAuthorizationConfig({ subjectScope, passwords })}`;
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** The env that makes a service connect as its own user (other credential settings cleared). */
export function natsUserEnv(user: NatsUser): Record<string, string | undefined> {
  return {
    NATS_USER: user.user,
    NATS_PASSWORD: user.password,
    NATS_INBOX_PREFIX: user.inboxPrefix,
    NATS_TOKEN: undefined,
    NATS_NKEY: undefined,
    NATS_CREDS: undefined,
  };
}
