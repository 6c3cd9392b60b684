// The bytes a client sent for a write (Put, DeleteRange, Txn), kept beside
// the decoded request, so the proposal to the backend embeds them as they
// came instead of encoding the decoded object again (propose-encoding.ts).
// The backend decodes them with the same .proto as this frontend did, so it
// reads the request the handler checked. Requests built here (Lock,
// Election) have no bytes and are encoded from the object.
import type { MethodDefinition } from '@grpc/grpc-js';

const bytesOfRequest = new WeakMap<object, Buffer>();

/** The encoded form of a decoded client request, if it came from a client. */
export function requestBytes(request: object): Buffer | undefined {
  return bytesOfRequest.get(request);
}

/** `definition` with `methods` deserializing requests that remember their bytes. */
export function keepingRequestBytes<D extends Record<string, MethodDefinition<object, unknown>>>(definition: D, methods: readonly (keyof D & string)[]): D {
  const kept: Record<string, MethodDefinition<object, unknown>> = { ...definition };
  for (const name of methods) {
    const method = definition[name]!;
    kept[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        const request = method.requestDeserialize(bytes);
        bytesOfRequest.set(request, bytes);
        return request;
      },
    };
  }
  return kept as D;
}
