// Maintenance requests to the backend, which holds the node-wide state
// (alarms, quota, downgrade) and reaches the persister for sizes and
// defragmentation.
import { maintenanceCodecs, validated, validators } from '@eckd/change-codec';
import type { MaintenanceReply, MaintenanceRequest } from '@eckd/change-codec';
import type { Messenger } from '@eckd/service-kit';
import { EtcdRpcError } from '../to-grpc-error.js';

export async function askBackend(messenger: Messenger, subject: string, request: MaintenanceRequest, timeoutMs: number): Promise<MaintenanceReply> {
  let reply: MaintenanceReply;
  try {
    const msg = await messenger.request(subject, maintenanceCodecs.maintenanceRequest.encode(request), { timeoutMs });
    reply = validated(maintenanceCodecs.maintenanceReply.decode(msg.data), validators.maintenanceReply);
  } catch (err) {
    throw new EtcdRpcError('Timeout', `backend maintenance: ${(err as Error).message}`);
  }
  if (reply.error) throw new EtcdRpcError(reply.error.name, reply.error.message);
  return reply;
}
