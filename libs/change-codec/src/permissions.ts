// Who may publish and subscribe what on a node's NATS, per service kind,
// derived from the subjects table. The supervisor's embedded nats-server and
// deploy/nats-server.conf grant exactly these (docs/ARCHITECTURE.md §4,
// "Trust and permissions").
import { clusterSubjects, nodeSubjects } from './subjects.js';
import type { ClusterSubjects, NodeSubjects } from './subjects.js';

export const natsServiceKinds = ['etcd-api', 'backend', 'persister', 'compactor'] as const;
export type NatsServiceKind = (typeof natsServiceKinds)[number];

/** Every reply subject; responders publish their (possibly chunked or fragmented) replies under it. */
export const replyInboxes = '_INBOX.>';

export interface NatsPermissions {
  /** the service's NATS_INBOX_PREFIX: it receives its replies under it, and nobody else may subscribe there */
  readonly inboxPrefix: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/** The reply-subject prefix of one service kind. */
export function serviceInboxPrefix(kind: NatsServiceKind): string {
  return `_INBOX.${kind}`;
}

/**
 * The permissions of each service kind on one node's subjects; with
 * `cluster`, the backend also replicates with its peers (it publishes and
 * subscribes every cluster subject: docs/ARCHITECTURE.md §8.3).
 */
export function nodePermissions(subjects: NodeSubjects, cluster?: ClusterSubjects): Readonly<Record<NatsServiceKind, NatsPermissions>> {
  const requester = (kind: NatsServiceKind) => ({ inboxPrefix: serviceInboxPrefix(kind), ownReplies: `${serviceInboxPrefix(kind)}.>` });
  const frontend = requester('etcd-api');
  const backend = requester('backend');
  const peers = cluster ? [cluster.all] : [];
  return Object.freeze({
    'etcd-api': {
      inboxPrefix: frontend.inboxPrefix,
      publish: [subjects.propose, subjects.readIndex, subjects.sync, subjects.maintenance, subjects.backup, subjects.conflicts, subjects.frontendApplied, subjects.frontends, subjects.members, subjects.memberChange, subjects.authState, subjects.tokenUses],
      subscribe: [subjects.patch, frontend.ownReplies, subjects.frontendApplied, subjects.peerStored, subjects.auth, subjects.tokenUses],
    },
    backend: {
      inboxPrefix: backend.inboxPrefix,
      publish: [subjects.patch, subjects.peerStored, subjects.auth, subjects.takeover, subjects.append, subjects.load, subjects.storage, subjects.compactorRun, replyInboxes, ...peers],
      subscribe: [subjects.propose, subjects.readIndex, subjects.sync, subjects.maintenance, subjects.takeover, subjects.conflicts, subjects.frontends, subjects.members, subjects.memberChange, subjects.authState, backend.ownReplies, ...peers],
    },
    persister: {
      inboxPrefix: serviceInboxPrefix('persister'),
      publish: [replyInboxes],
      subscribe: [subjects.append, subjects.load, subjects.storage, subjects.backup],
    },
    compactor: {
      inboxPrefix: serviceInboxPrefix('compactor'),
      publish: [replyInboxes],
      subscribe: [subjects.compactorRun],
    },
  });
}

/** A password written into the config, or a nats-server variable (read from its environment). */
export type NatsPassword = { readonly literal: string } | { readonly variable: string };

/** The `authorization` block of a nats-server config granting each service kind its permissions. */
export function natsAuthorizationConfig(options: {
  readonly subjectScope: { prefix: string; node: string };
  readonly passwords: Readonly<Record<NatsServiceKind, NatsPassword>>;
}): string {
  const permissions = nodePermissions(nodeSubjects(options.subjectScope), clusterSubjects(options.subjectScope.prefix));
  const list = (subjects: readonly string[]) => `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;
  const user = (kind: NatsServiceKind, granted: NatsPermissions) => {
    const password = options.passwords[kind];
    return [
      '    {',
      `      user: ${JSON.stringify(kind)}`,
      `      password: ${'literal' in password ? JSON.stringify(password.literal) : `$${password.variable}`}`,
      '      permissions: {',
      `        publish: { allow: ${list(granted.publish)} }`,
      `        subscribe: { allow: ${list(granted.subscribe)} }`,
      '      }',
      '    }',
    ].join('\n');
  };
  return [
    `# eckd node "${options.subjectScope.node}", subject prefix "${options.subjectScope.prefix}": one user per service kind.`,
    '# Replies: requesters subscribe under their own inbox prefix (NATS_INBOX_PREFIX);',
    '# responders publish to any _INBOX.> subject (chunked and fragmented replies are several messages).',
    'authorization {',
    '  users: [',
    natsServiceKinds.map((kind) => user(kind, permissions[kind])).join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
