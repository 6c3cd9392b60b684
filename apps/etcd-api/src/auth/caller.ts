// Who sent a request, as the transport tells it: the token of gRPC
// metadata key `token` (etcd's clients; `authorization` with an optional
// "Bearer " as etcd's gateway), and a verified TLS client certificate's
// common name, which the TLS listener sets when --client-cert-auth is on.
// The token wins over the certificate (AuthGuard.authInfo).
import type { Metadata } from '@grpc/grpc-js';
import { callCommonName } from '../client-identity.js';

export interface Caller {
  token?: string;
  /** set only for a client certificate the server verified (etcd's AuthInfoFromTLS) */
  commonName?: string;
}

/**
 * The caller of a gRPC call: its token (metadata `token`, or the JSON
 * gateway's `authorization`), and the common name of the client
 * certificate the client port verified (client-identity.ts), which etcd
 * takes as the user when there is no token. A call with metadata
 * `grpcgateway-accept` says it is a gateway's proxied request, whose
 * certificate is the gateway's, not the client's: its common name is
 * ignored, as etcd's AuthInfoFromTLS does.
 */
export function callerOf(call: { metadata: Metadata } & Parameters<typeof callCommonName>[0]): Caller {
  const caller = callerOfMetadata(call.metadata);
  if (call.metadata.get(gatewayProxyMetadataKey).length > 0) return caller;
  const commonName = callCommonName(call);
  return commonName === undefined ? caller : { ...caller, commonName };
}

/** The metadata key grpc-gateway adds to the calls it proxies (etcd ignores the common name of such calls). */
const gatewayProxyMetadataKey = 'grpcgateway-accept';

export function callerOfMetadata(metadata: Metadata): Caller {
  const raw = metadata.get('token')[0] ?? metadata.get('authorization')[0];
  if (raw === undefined) return {};
  const token = String(raw);
  return { token: token.startsWith('Bearer ') ? token.slice('Bearer '.length) : token };
}
