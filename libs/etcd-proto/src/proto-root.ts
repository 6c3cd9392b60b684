import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { etcdProtoFiles, protoDir } from './proto-files.js';

let etcdRoot: protobuf.Root | undefined;

/**
 * The etcd messages as a protobufjs Root (field names as in the .proto files),
 * loaded once, for code that encodes or decodes etcd messages itself.
 */
export function etcdProtoRoot(): protobuf.Root {
  etcdRoot ??= loadProtoWithEtcdImports([...etcdProtoFiles], []);
  return etcdRoot;
}

/**
 * Loads `files` into a fresh Root, resolving every file and import against
 * `extraIncludeDirs` first and then `protoDir`, the way protoc's `-I` works.
 * Lets other libs' protos `import "etcdserverpb/rpc.proto";`.
 */
export function loadProtoWithEtcdImports(files: string[], extraIncludeDirs: string[]): protobuf.Root {
  const includeDirs = [...extraIncludeDirs, protoDir];
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => resolveImport(includeDirs, origin, target);
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  return root;
}

function resolveImport(includeDirs: readonly string[], origin: string, target: string): string {
  if (isAbsolute(target)) return target;
  for (const dir of includeDirs) {
    const candidate = join(dir, target);
    if (existsSync(candidate)) return candidate;
  }
  // Not under an include dir: fall back to protobufjs' origin-relative rule,
  // which also reaches its bundled google/protobuf/*.proto definitions.
  return protobuf.util.path.resolve(origin, target);
}
