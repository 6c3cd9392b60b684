// Who the client is, as far as the client port knows: the common name of
// the certificate it presented, verified against --trusted-ca-file (only
// with --client-cert-auth; without it no certificate is asked for). etcd
// takes this name as the user of a request when auth is enabled and the
// request carries no token; the auth check calls these, for gRPC calls and
// for the JSON gateway's requests alike.
import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { PeerCertificate } from 'node:tls';

/** The verified client certificate's common name of a gRPC call, or undefined (plaintext, no certificate). */
export function callCommonName(call: Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>): string | undefined {
  return commonNameOf(call.getAuthContext().sslPeerCertificate);
}

/** The verified client certificate's common name of a gateway (HTTP/1.1) request, or undefined. */
export function requestCommonName(request: Pick<IncomingMessage, 'socket'>): string | undefined {
  const socket = request.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  return commonNameOf(socket.getPeerCertificate());
}

function commonNameOf(certificate: PeerCertificate | undefined): string | undefined {
  // An empty object when the peer sent none; CN may repeat (a string array), etcd takes the first.
  const cn: string | string[] | undefined = certificate?.subject?.CN;
  const first = Array.isArray(cn) ? cn[0] : cn;
  return first === undefined || first === '' ? undefined : first;
}
