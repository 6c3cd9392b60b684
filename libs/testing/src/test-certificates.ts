// A throwaway CA, a server certificate for 127.0.0.1/localhost and client
// certificates, made with openssl at run time in a temporary directory
// (no private key is checked in). For TLS tests of the client port.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Stoppable } from './dispose.js';

const run = promisify(execFile);

export interface CertificatePair {
  cert: string;
  key: string;
}

export interface TestCertificates extends Stoppable {
  readonly dir: string;
  /** the CA's certificate (for --trusted-ca-file and clients' --cacert) */
  readonly caFile: string;
  /** the server's certificate and key (CN and SANs 127.0.0.1, localhost) */
  readonly server: CertificatePair;
  /** a client certificate signed by the CA, with common name `commonName` */
  client(commonName: string): Promise<CertificatePair>;
  /** a client certificate signed by another CA (refused under --client-cert-auth) */
  stranger(commonName: string): Promise<CertificatePair>;
  /** etcd-api's TLS flags for these certificates; with `clientCertAuth`, also the CA and --client-cert-auth */
  frontendArgs(opts?: { clientCertAuth?: boolean }): string[];
  /** etcdctl's --cacert/--cert/--key for a client certificate */
  etcdctlArgs(pair: CertificatePair): string[];
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makeCa(dir: string, name: string): Promise<CertificatePair> {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', pair.key, '-out', pair.cert, '-days', '2', '-subj', `/CN=${name}`]);
  return pair;
}

async function signed(dir: string, ca: CertificatePair, name: string, commonName: string, extensions: string): Promise<CertificatePair> {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', pair.key, '-out', csr, '-subj', `/CN=${commonName}`]);
  await openssl(dir, ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', pair.cert, '-days', '2', '-extfile', ext]);
  return pair;
}

export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'eckd-certs-'));
  try {
    const ca = await makeCa(dir, 'ca');
    const server = await signed(dir, ca, 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
    let other: CertificatePair | undefined;
    let serial = 0;
    const stop = () => rm(dir, { recursive: true, force: true });
    return {
      dir,
      caFile: ca.cert,
      server,
      client: (commonName) => signed(dir, ca, `client-${serial++}`, commonName, 'extendedKeyUsage=clientAuth\n'),
      async stranger(commonName) {
        other ??= await makeCa(dir, 'other-ca');
        return signed(dir, other, `stranger-${serial++}`, commonName, 'extendedKeyUsage=clientAuth\n');
      },
      frontendArgs: ({ clientCertAuth = false } = {}) => [
        '--cert-file', server.cert, '--key-file', server.key,
        ...(clientCertAuth ? ['--trusted-ca-file', ca.cert, '--client-cert-auth'] : []),
      ],
      etcdctlArgs: (pair) => [`--cacert=${ca.cert}`, `--cert=${pair.cert}`, `--key=${pair.key}`],
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
