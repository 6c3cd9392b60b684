// The repository root: src/ and dist/ both sit three levels below it.
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
