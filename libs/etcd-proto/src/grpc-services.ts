import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { ProtoGrpcType as RpcGrpcType } from './generated/rpc.js';
import type { ProtoGrpcType as LockGrpcType } from './generated/v3lock.js';
import type { ProtoGrpcType as ElectionGrpcType } from './generated/v3election.js';
import type { KVDefinition } from './generated/etcdserverpb/KV.js';
import type { WatchDefinition } from './generated/etcdserverpb/Watch.js';
import type { LeaseDefinition } from './generated/etcdserverpb/Lease.js';
import type { ClusterDefinition } from './generated/etcdserverpb/Cluster.js';
import type { MaintenanceDefinition } from './generated/etcdserverpb/Maintenance.js';
import type { AuthDefinition } from './generated/etcdserverpb/Auth.js';
import type { LockDefinition } from './generated/v3lockpb/Lock.js';
import type { ElectionDefinition } from './generated/v3electionpb/Election.js';
import type { ProtoGrpcType as ConflictsGrpcType } from './generated/conflicts.js';
import type { ConflictsDefinition } from './generated/eckdserverpb/Conflicts.js';
import { eckdProtoFiles, etcdProtoFiles, protoLoaderOptions } from './proto-files.js';
import { responseEncoders } from './response-encoder.js';
import { presentEmptyRangeEnd } from './present-empty-range-end.js';

/** The loaded gRPC object: client constructors per package (`grpcObject.etcdserverpb.KV`). */
export type EtcdGrpcObject = RpcGrpcType & LockGrpcType & ElectionGrpcType & ConflictsGrpcType;

/** Service definitions for `grpc.Server#addService`, plus what they were loaded from. */
export interface EtcdGrpc {
  readonly packageDefinition: PackageDefinition;
  readonly grpcObject: EtcdGrpcObject;
  readonly KV: KVDefinition;
  readonly Watch: WatchDefinition;
  readonly Lease: LeaseDefinition;
  readonly Cluster: ClusterDefinition;
  readonly Maintenance: MaintenanceDefinition;
  readonly Auth: AuthDefinition;
  readonly Lock: LockDefinition;
  readonly Election: ElectionDefinition;
  /** eckd's own (eckdserverpb), loaded with etcd's protos it imports */
  readonly Conflicts: ConflictsDefinition;
}

let loaded: EtcdGrpc | undefined;

/** Loads the etcd protos (and eckd's own) once per process and returns the gRPC service definitions. */
export function loadEtcdGrpc(): EtcdGrpc {
  if (loaded) return loaded;
  const packageDefinition = protoLoader.loadSync([...etcdProtoFiles, ...eckdProtoFiles], { ...protoLoaderOptions });
  // The generated ProtoGrpcType describes exactly what loadPackageDefinition builds.
  const grpcObject = grpc.loadPackageDefinition(packageDefinition) as unknown as EtcdGrpcObject;
  const { etcdserverpb, v3lockpb, v3electionpb, eckdserverpb } = grpcObject;
  directResponses(etcdserverpb.KV.service, { Range: 'RangeResponse', Put: 'PutResponse', DeleteRange: 'DeleteRangeResponse', Txn: 'TxnResponse' });
  directResponses(etcdserverpb.Watch.service, { Watch: 'WatchResponse' });
  directResponses(etcdserverpb.Lease.service, { LeaseKeepAlive: 'LeaseKeepAliveResponse' });
  rangeEndPresence(etcdserverpb.KV.service, { Range: presentEmptyRangeEnd.range, DeleteRange: presentEmptyRangeEnd.range, Txn: presentEmptyRangeEnd.txn });
  rangeEndPresence(etcdserverpb.Watch.service, { Watch: presentEmptyRangeEnd.watch });
  loaded = Object.freeze({
    packageDefinition,
    grpcObject,
    KV: etcdserverpb.KV.service,
    Watch: etcdserverpb.Watch.service,
    Lease: etcdserverpb.Lease.service,
    Cluster: etcdserverpb.Cluster.service,
    Maintenance: etcdserverpb.Maintenance.service,
    Auth: etcdserverpb.Auth.service,
    Lock: v3lockpb.Lock.service,
    Election: v3electionpb.Election.service,
    Conflicts: eckdserverpb.Conflicts.service,
  });
  return loaded;
}

/**
 * The server side of the hot methods encodes responses directly (see
 * response-encoder.ts), and sends a Buffer as already encoded bytes, so a
 * response shared by many streams (a watch event) is encoded once.
 */
function directResponses(service: grpc.ServiceDefinition, methods: Record<string, keyof typeof responseEncoders>): void {
  for (const [method, message] of Object.entries(methods)) {
    const encode = responseEncoders[message];
    const definition = service[method] as { responseSerialize: (value: unknown) => Buffer };
    definition.responseSerialize = (value) => (Buffer.isBuffer(value) ? value : encode(value as Record<string, unknown>));
  }
}

/**
 * The server side of the methods carrying a range_end reads a present but
 * empty one as etcd does (see present-empty-range-end.ts).
 */
function rangeEndPresence(service: grpc.ServiceDefinition, methods: Record<string, (buf: Buffer, request: Record<string, unknown>) => void>): void {
  for (const [method, mark] of Object.entries(methods)) {
    const definition = service[method] as { requestDeserialize: (buf: Buffer) => unknown };
    const decode = definition.requestDeserialize;
    definition.requestDeserialize = (buf) => {
      const request = decode(buf);
      if (typeof request === 'object' && request !== null) mark(buf, request as Record<string, unknown>);
      return request;
    };
  }
}
