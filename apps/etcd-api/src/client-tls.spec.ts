// Start-up checks of the client TLS settings (flags and their environment variables).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@eckd/service-kit';
import { makeTestCertificates } from '@eckd/testing';
import type { TestCertificates } from '@eckd/testing';
import { readClientTls } from './client-tls.js';

let certs: TestCertificates;
before(async () => {
  certs = await makeTestCertificates();
});
after(() => certs.stop());

const https = [{ scheme: 'https' as const }];
const http = [{ scheme: 'http' as const }];
const flags = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('client TLS settings', () => {
  test('none: plaintext only', () => {
    assert.equal(readClientTls(flags({}), {}, http), undefined);
    assert.throws(() => readClientTls(flags({}), {}, https), /https:\/\/ client URL needs --cert-file and --key-file/);
  });

  test('flags, or the environment: files checked, key matched to the certificate', () => {
    const files = readClientTls(flags({ 'cert-file': certs.server.cert, 'key-file': certs.server.key }), {}, https);
    assert.deepEqual(files, { certFile: certs.server.cert, keyFile: certs.server.key, trustedCaFile: undefined, clientCertAuth: false });
    const fromEnv = readClientTls(flags({}), { ECKD_CERT_FILE: certs.server.cert, ECKD_KEY_FILE: certs.server.key, ECKD_TRUSTED_CA_FILE: certs.caFile, ECKD_CLIENT_CERT_AUTH: 'true' }, https);
    assert.equal(fromEnv?.clientCertAuth, true);
  });

  test('bad settings stop start-up with the reason', async () => {
    const other = await certs.client('x');
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'cert-file': certs.server.cert }, /go together/],
      [{ 'cert-file': certs.server.cert, 'key-file': '/nonexistent/key.pem' }, /--key-file \/nonexistent\/key.pem/],
      [{ 'cert-file': certs.server.cert, 'key-file': other.key }, /client TLS/],
      [{ 'cert-file': certs.server.cert, 'key-file': certs.server.key, 'client-cert-auth': 'true' }, /needs --trusted-ca-file/],
      [{ 'cert-file': certs.server.cert, 'key-file': certs.server.key, 'client-cert-auth': 'yes' }, /true or false/],
      [{ 'client-cert-auth': 'true' }, /need --cert-file/],
    ];
    for (const [given, reason] of cases) assert.throws(() => readClientTls(flags(given), {}, http), (err: unknown) => err instanceof ConfigError && reason.test(err.message), JSON.stringify(given));
  });
});
