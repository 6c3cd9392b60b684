// The version 1 messages of eckd's Conflicts service between processes
// (proto/eckd/wire/v1/conflicts.proto). The listing itself takes
// etcd-proto's generated eckdserverpb types, as messages.ts does etcd's.
import type { ConflictListRequest__Output, ConflictListResponse__Output } from '@eckd/etcd-proto';
import type { Sent, WireError } from './messages.js';
import { wireCodec } from './wire.js';

export interface ConflictsRequest {
  list: Sent<ConflictListRequest__Output> | null;
}

export interface ConflictsReply {
  /** without its header: the frontend sets its own */
  list?: Omit<ConflictListResponse__Output, 'header'> | null;
  error?: WireError | null;
}

export const conflictsCodecs = Object.freeze({
  conflictsRequest: wireCodec<ConflictsRequest>('ConflictsRequest'),
  conflictsReply: wireCodec<ConflictsReply>('ConflictsReply'),
});
