// `pnpm release:version`: after `changeset version` has bumped the packages, make the spec's info.version
// match @qzz/spec's version, bundle, and record the bundle as the released contract (spec/released/): the
// contract it replaces moves to spec/released/history/<version>.json and the release's date goes into
// spec/released/releases.json (the docs' changelog is made from them).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
const released = join(root, 'spec', 'released');
const previous = JSON.parse(readFileSync(join(released, 'openapi.json'), 'utf8')).info.version;
if (previous !== version && !existsSync(join(released, 'history', `${previous}.json`))) {
  renameSync(join(released, 'openapi.json'), join(released, 'history', `${previous}.json`));
}
copyFileSync(join(root, 'spec', 'dist', 'openapi.json'), join(released, 'openapi.json'));
const dates = JSON.parse(readFileSync(join(released, 'releases.json'), 'utf8'));
dates[version] = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
writeFileSync(join(released, 'releases.json'), `${JSON.stringify(dates, null, 2)}\n`);
console.log(`info.version is ${version}; spec/released/openapi.json now holds this release's bundle.`);
