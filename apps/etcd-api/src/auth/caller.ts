// Who sent a request, as the transport tells it: the token of gRPC
// metadata key `token` (etcd's clients; `authorization` with an optional
// "Bearer " as etcd's gateway), and a verified TLS client certificate's
// common name, which the TLS listener sets when --client-cert-auth is on.
import type { Metadata } from '@grpc/grpc-js';

export interface Caller {
  token?: string;
  /** set only for a client certificate the server verified (etcd's AuthInfoFromTLS) */
  commonName?: string;
}

export function callerOfMetadata(metadata: Metadata): Caller {
  const raw = metadata.get('token')[0] ?? metadata.get('authorization')[0];
  if (raw === undefined) return {};
  const token = String(raw);
  return { token: token.startsWith('Bearer ') ? token.slice('Bearer '.length) : token };
}
