// TLS for the client port with etcd's flags: --cert-file and --key-file
// (the server's certificate), --trusted-ca-file (the CA client certificates
// must be signed by) and --client-cert-auth (refuse clients without one).
// Each flag also has an environment variable (ECKD_CERT_FILE, ...), so
// `npm start` can pass them to every frontend. Checked at start-up: the
// files are read and the key must match the certificate.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';
import { ConfigError } from '@eckd/service-kit';

export interface ClientTlsFiles {
  certFile: string;
  keyFile: string;
  trustedCaFile: string | undefined;
  clientCertAuth: boolean;
}

/** What tls.createServer needs: the files' contents. */
export interface ClientTlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  clientCertAuth: boolean;
}

const envNames = {
  'cert-file': 'ECKD_CERT_FILE',
  'key-file': 'ECKD_KEY_FILE',
  'trusted-ca-file': 'ECKD_TRUSTED_CA_FILE',
  'client-cert-auth': 'ECKD_CLIENT_CERT_AUTH',
} as const;

export function readClientTls(
  flags: ReadonlyMap<string, string>,
  env: Record<string, string | undefined>,
  listen: readonly { scheme: 'http' | 'https' }[],
): ClientTlsFiles | undefined {
  const setting = (flag: keyof typeof envNames) => {
    const value = flags.get(flag) ?? env[envNames[flag]];
    return value === undefined || value === '' ? undefined : value;
  };
  const certFile = setting('cert-file');
  const keyFile = setting('key-file');
  const trustedCaFile = setting('trusted-ca-file');
  const clientCertAuthText = setting('client-cert-auth') ?? 'false';
  if (clientCertAuthText !== 'true' && clientCertAuthText !== 'false') {
    throw new ConfigError(`--client-cert-auth (${envNames['client-cert-auth']}) must be true or false, got "${clientCertAuthText}"`);
  }
  const clientCertAuth = clientCertAuthText === 'true';
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError('--cert-file and --key-file go together (ECKD_CERT_FILE, ECKD_KEY_FILE)');
  if (certFile === undefined || keyFile === undefined) {
    if (listen.some((url) => url.scheme === 'https')) throw new ConfigError('an https:// client URL needs --cert-file and --key-file');
    if (clientCertAuth || trustedCaFile !== undefined) throw new ConfigError('--client-cert-auth and --trusted-ca-file need --cert-file and --key-file');
    return undefined;
  }
  if (clientCertAuth && trustedCaFile === undefined) throw new ConfigError('--client-cert-auth needs --trusted-ca-file (the CA that signs client certificates)');
  const files = { certFile, keyFile, trustedCaFile, clientCertAuth };
  // Fails start-up on an unreadable file, a malformed PEM or a key that does not match the certificate.
  try {
    createSecureContext(secureContextOptions(loadClientTls(files)));
  } catch (err) {
    throw new ConfigError(`client TLS: ${err instanceof Error ? err.message : String(err)}`);
  }
  return files;
}

export function loadClientTls(files: ClientTlsFiles): ClientTlsMaterial {
  const read = (flag: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`${flag} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    cert: read('--cert-file', files.certFile),
    key: read('--key-file', files.keyFile),
    ca: files.trustedCaFile === undefined ? undefined : read('--trusted-ca-file', files.trustedCaFile),
    clientCertAuth: files.clientCertAuth,
  };
}

/** The options of tls.createServer for the client port. */
export function secureContextOptions(material: ClientTlsMaterial): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    // etcd asks for a client certificate only with --client-cert-auth, and then requires one the CA signed.
    requestCert: material.clientCertAuth,
    rejectUnauthorized: material.clientCertAuth,
  };
}
