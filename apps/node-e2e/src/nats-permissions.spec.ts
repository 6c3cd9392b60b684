// The node's NATS permission set (libs/change-codec permissions.ts, as the
// supervisor's embedded nats-server and deploy/nats-server.conf grant it)
// against a real nats-server: each service kind may do what its service
// does, and nothing else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsAuthorizationConfig, natsServiceKinds, nodePermissions, nodeSubjects } from '@eckd/change-codec';
import type { NatsPassword, NatsServiceKind } from '@eckd/change-codec';
import { startNatsServer } from '@eckd/testing';
import type { NatsServer } from '@eckd/testing';

const scope = { prefix: 'eckd', node: 'perm' };
const subjects = nodeSubjects(scope);
const permissions = nodePermissions(subjects);
const passwordOf = (kind: NatsServiceKind) => `pw-${kind}`;
/** How long a message that should not arrive is waited for. */
const silenceMs = 300;

let nats: NatsServer;
let configDir: string;
const connections: NatsConnection[] = [];

async function connectAs(kind: NatsServiceKind): Promise<NatsConnection> {
  const nc = await connect({ servers: nats.url, user: kind, pass: passwordOf(kind), inboxPrefix: permissions[kind].inboxPrefix });
  connections.push(nc);
  return nc;
}

/** The next permission error the server reports on this connection. */
function nextPermissionError(nc: NatsConnection): Promise<string> {
  return (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'error' && /permissions violation/i.test(String(s.error))) return String(s.error);
    }
    return 'closed';
  })();
}

function received(nc: NatsConnection, subject: string): Promise<boolean> {
  const sub = nc.subscribe(subject, { max: 1 });
  return Promise.race([
    (async () => {
      for await (const _ of sub) return true;
      return false;
    })(),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), silenceMs)),
  ]);
}

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'eckd-nats-perm-'));
  const passwords = Object.fromEntries(natsServiceKinds.map((kind) => [kind, { literal: passwordOf(kind) }])) as Record<NatsServiceKind, NatsPassword>;
  const configFile = join(configDir, 'nats-server.conf');
  writeFileSync(configFile, natsAuthorizationConfig({ subjectScope: scope, passwords }));
  nats = await startNatsServer({ args: ['-c', configFile] });
});

after(async () => {
  await Promise.allSettled(connections.map((nc) => nc.close()));
  await nats?.stop();
  rmSync(configDir, { recursive: true, force: true });
});

describe('NATS permissions of a node', () => {
  test('anonymous clients and wrong passwords are refused', async () => {
    await assert.rejects(connect({ servers: nats.url, reconnect: false }), /authorization|authentication/i);
    await assert.rejects(connect({ servers: nats.url, user: 'backend', pass: 'guess', reconnect: false }), /authorization|authentication/i);
  });

  test('allowed flows: propose from a frontend answered by the backend; append from the backend answered by the persister', async () => {
    const [frontend, backend, persister] = await Promise.all([connectAs('etcd-api'), connectAs('backend'), connectAs('persister')]);
    backend.subscribe(subjects.propose, { callback: (_err, msg) => void msg.respond(new TextEncoder().encode('proposed')) });
    persister.subscribe(subjects.append, { callback: (_err, msg) => void msg.respond(new TextEncoder().encode('appended')) });
    await Promise.all([backend.flush(), persister.flush()]);
    assert.equal((await frontend.request(subjects.propose, new Uint8Array(), { timeout: 2000 })).string(), 'proposed');
    assert.equal((await backend.request(subjects.append, new Uint8Array(), { timeout: 2000 })).string(), 'appended');
  });

  test('a frontend cannot publish on append, nor subscribe to load or to the backend\'s replies', async () => {
    const [frontend, persister] = await Promise.all([connectAs('etcd-api'), connectAs('persister')]);
    const appendSeen = received(persister, subjects.append);
    await persister.flush();
    const refused = nextPermissionError(frontend);
    frontend.publish(subjects.append, new TextEncoder().encode('forged'));
    assert.match(await refused, new RegExp(`publish.*${subjects.append.replaceAll('.', '\\.')}`, 'i'));
    assert.equal(await appendSeen, false, 'the persister never saw the forged append');

    for (const subject of [subjects.load, `${permissions.backend.inboxPrefix}.>`, '_INBOX.>']) {
      const sub = frontend.subscribe(subject);
      const closed = await sub.closed;
      assert.match(String(closed), /permissions violation.*subscription/i, subject);
    }
  });

  test('the persister and the compactor only answer: they cannot publish patches or proposals', async () => {
    for (const kind of ['persister', 'compactor'] as const) {
      const nc = await connectAs(kind);
      const refused = nextPermissionError(nc);
      nc.publish(subjects.patch, new Uint8Array([1]));
      assert.match(await refused, /publish/i, kind);
      const refusedPropose = nextPermissionError(nc);
      nc.publish(subjects.propose, new Uint8Array([1]));
      assert.match(await refusedPropose, /publish/i, kind);
    }
  });
});
