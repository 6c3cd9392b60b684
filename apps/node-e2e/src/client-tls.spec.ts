// TLS on the client port with etcd's flags (--cert-file, --key-file,
// --trusted-ca-file, --client-cert-auth, https:// client URLs), against a
// whole node: etcdctl and the etcd3 client with certificates made at run
// time; clients without a CA-signed certificate and plaintext clients are
// refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { etcdctl, makeTestCertificates } from '@eckd/testing';
import type { CertificatePair, TestCertificates } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let certs: TestCertificates;
let f: NodeFixture | undefined;
let alice: CertificatePair;
let endpoint: string;

before(async () => {
  certs = await makeTestCertificates();
  alice = await certs.client('alice');
  f = await startNodeFixture({
    clientScheme: 'https',
    frontendArgs: certs.frontendArgs({ clientCertAuth: true }),
  });
  endpoint = `https://${f.node.endpoints[0]!}`;
});
after(async () => {
  await f?.stop();
  await certs?.stop();
});

const tlsFlags = (pair: CertificatePair) => certs.etcdctlArgs(pair);

describe('client TLS with --client-cert-auth', () => {
  test('etcdctl --cacert --cert --key: put and get', async () => {
    const put = await etcdctl(endpoint, [...tlsFlags(alice), 'put', 'tls/k', 'v1']);
    assert.equal(put.code, 0, put.stderr);
    const get = await etcdctl(endpoint, [...tlsFlags(alice), 'get', 'tls/k', '--print-value-only']);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, 'v1\n');
  });

  test('the etcd3 client with a client certificate: put and get', async () => {
    const client = new Etcd3({
      hosts: endpoint,
      credentials: { rootCertificate: readFileSync(certs.caFile), certChain: readFileSync(alice.cert), privateKey: readFileSync(alice.key) },
    });
    try {
      await client.put('tls/js').value('v2');
      assert.equal(await client.get('tls/js').string(), 'v2');
    } finally {
      client.close();
    }
  });

  test('etcdctl without a client certificate, or with one another CA signed, is refused', async () => {
    const noCert = await etcdctl(endpoint, [`--cacert=${certs.caFile}`, '--command-timeout=3s', '--dial-timeout=3s', 'get', 'tls/k']);
    assert.notEqual(noCert.code, 0);
    const stranger = await certs.stranger('alice');
    const wrongCa = await etcdctl(endpoint, [...tlsFlags(stranger), '--command-timeout=3s', '--dial-timeout=3s', 'get', 'tls/k']);
    assert.notEqual(wrongCa.code, 0);
  });

  test('plaintext to the https port fails', async () => {
    const plain = await etcdctl(`http://${f!.node.endpoints[0]!}`, ['--command-timeout=3s', '--dial-timeout=3s', 'get', 'tls/k']);
    assert.notEqual(plain.code, 0);
  });
});
