// `pnpm release:version`: after `changeset version` has bumped the packages, make the spec's info.version
// match @qzz/spec's version, bundle, and record the bundle as the released contract (spec/released/).
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'spec', 'package.json'), 'utf8'));
const rootFile = join(root, 'spec', 'openapi.yaml');
const source = readFileSync(rootFile, 'utf8');
const updated = source.replace(/^(info:\n(?: {2}.*\n)*? {2}version: ).*$/m, `$1${version}`);
if (!updated.includes(`  version: ${version}\n`)) throw new Error('Could not find info.version in spec/openapi.yaml');
writeFileSync(rootFile, updated);
execFileSync(process.execPath, [join(root, 'spec', 'scripts', 'bundle.js')], { stdio: 'inherit' });
copyFileSync(join(root, 'spec', 'dist', 'openapi.json'), join(root, 'spec', 'released', 'openapi.json'));
console.log(`info.version is ${version}; spec/released/openapi.json now holds this release's bundle.`);
