// The deterministic base every eckd document starts from. Automerge objects
// are identified by the op that made them, so two nodes that each created
// their own `kv` map would hold two different maps under one root key and
// their writes would never meet. Instead every document begins with this one
// fixed change (actor all zeros, time 0, fixed message) that makes the `kv`
// map; its bytes are a constant so no library upgrade can silently alter them
// (base-change.spec.ts rebuilds them and checks a golden hash).
//
// The base actor writes nothing else: no document may use it as its actor.

export const baseActorId = '00000000000000000000000000000000';
export const baseMessage = 'eckd kv base v1';
/** Automerge hash of the base change. */
export const baseChangeHash = '9d68c68dab2d42a9cf900375a816d183a4d8cf3ef593ac45671ec1865bdc5de1';
/** The id of the `kv` map: op 1 of the base actor. */
export const kvMapId = `1@${baseActorId}`;
export const kvMapKey = 'kv';

const baseChangeHex =
  '856f4a839d68c68d013c0010000000000000000000000000000000000101000f65636b64206b7620626173652076310005150434014202560270027f026b76017f007f007f00';

/** A fresh copy each call: Automerge may keep or detach what it is given. */
export function baseChangeBytes(): Uint8Array {
  return new Uint8Array(Buffer.from(baseChangeHex, 'hex'));
}
