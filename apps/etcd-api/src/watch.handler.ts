// etcdserverpb.Watch: one bidirectional stream per client connection, many
// watches per stream. Requests are create, cancel and progress; responses
// are created/canceled notices, events and progress notifications.
import type { handleBidiStreamingCall } from '@grpc/grpc-js';
import type { Replica } from './replica.js';
import type { WatchHub } from './watch/watch-hub.js';
import { responseEncoders } from '@eckd/etcd-proto';
import type { WatchRequest__Output } from '@eckd/etcd-proto';
import { responseWriter } from './batched-writer.js';
import type { StreamResponse } from './batched-writer.js';
import { WatchStream } from './watch/watch-stream.js';

/** Watch's serializer also takes encoded bytes (etcd-proto's directResponses): an event encoded once for many watchers. */
type WatchService = { Watch: handleBidiStreamingCall<WatchRequest__Output, StreamResponse> };

export interface WatchDeps {
  replica: Replica;
  hub: WatchHub;
  header(revision: number): Record<string, unknown>;
  fragmentBytes: number;
}

export function watchHandlers(deps: WatchDeps): WatchService {
  return {
    Watch: (call) => {
      const out = responseWriter(call, responseEncoders.WatchResponse, () => stream.drained());
      const stream = new WatchStream({
        store: () => deps.replica.store,
        header: deps.header,
        write: (response) => out.write(response),
        fragmentBytes: deps.fragmentBytes,
      });
      deps.hub.add(stream);
      call.on('data', (req: WatchRequest__Output) => {
        // A watch needs a synced replica; requests wait for it in order.
        void deps.replica.waitFor(0, 60_000).then(
          () => handle(stream, req),
          () => undefined,
        );
      });
      const end = () => deps.hub.remove(stream);
      call.on('end', () => {
        end();
        out.flush();
        call.end();
      });
      call.on('cancelled', end);
      call.on('error', end);
      call.on('close', end);
    },
  };
}

function handle(stream: WatchStream, req: WatchRequest__Output): void {
  if (req.create_request) stream.create(req.create_request);
  else if (req.cancel_request) stream.cancel(Number(req.cancel_request.watch_id));
  else if (req.progress_request) stream.requestProgress();
}
