// nx `test` target: runs one project's spec files.
import { join } from 'node:path';
import { findSpecs } from './find-specs.mjs';
import { runSpecs } from './run-specs.mjs';

const projectRoot = process.argv[2];
const files = findSpecs([join(projectRoot, 'src'), join(projectRoot, 'test')]);
process.exit(await runSpecs(files));
