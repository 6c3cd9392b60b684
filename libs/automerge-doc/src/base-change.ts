// The deterministic base every eckd document starts from. Automerge objects
// are identified by the op that made them, so two nodes that each created
// their own `kv` map would hold two different maps under one root key and
// their writes would never meet. Instead every document begins with this one
// fixed change (actor all zeros, time 0, fixed message) that makes the `kv`
// map and the `leases` map (granted leases); its bytes are a constant so no
// library upgrade can silently alter them
// (base-change.spec.ts rebuilds them and checks a golden hash).
//
// The base actor writes nothing else: no document may use it as its actor.

export const baseActorId = '00000000000000000000000000000000';
export const baseMessage = 'eckd kv base v2';
/** Automerge hash of the base change. */
export const baseChangeHash = '998eaa9333d6839d32cd4fa502808f6c45fa81ce7ee71f125bf204fdaeeb1277';
/** The id of the `kv` map: op 1 of the base actor. */
export const kvMapId = `1@${baseActorId}`;
export const kvMapKey = 'kv';
/** The id of the `leases` map (lease id → granted TTL): op 2 of the base actor. */
export const leasesMapId = `2@${baseActorId}`;
export const leasesMapKey = 'leases';

const baseChangeHex =
  '856f4a83998eaa9301430010000000000000000000000000000000000101000f65636b64206b7620626173652076320005150b34014202560270027e026b76066c656173657302020002000200';

/** A fresh copy each call: Automerge may keep or detach what it is given. */
export function baseChangeBytes(): Uint8Array {
  return new Uint8Array(Buffer.from(baseChangeHex, 'hex'));
}
