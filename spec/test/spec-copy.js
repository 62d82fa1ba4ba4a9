// A throwaway copy of the spec's sources in a temporary folder, with the tools to take one action out of it,
// bundle it and lint it exactly as the repository does (same redocly.yaml, same project rules). Used by the
// spec:add tests here and by @qzz/proxy's leave-one-out test (from the workspace: it copies the repository's
// sources, which the published package does not carry).
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';

const run = promisify(execFile);
const specDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const style = { lineWidth: 120, indentSeq: false, singleQuote: true };

/**
 * A YAML document of the repository's own sources, whose shape is known: yaml's `Strict = false` lets
 * `get`/`getIn` answer `any` instead of `unknown`.
 * @param {string} text
 * @returns {import('yaml').Document.Parsed<import('yaml').ParsedNode, false>}
 */
const parseSource = (text) => parseDocument(text);

/** Copies spec sources (and redocly.yaml) into a temporary folder; `dir` is the copy's spec folder. */
export async function copySpec() {
  const root = await mkdtemp(join(tmpdir(), 'qzz-spec-copy-'));
  const dir = join(root, 'spec');
  await mkdir(dir);
  for (const entry of ['openapi.yaml', 'paths', 'components', 'examples', 'labels', 'coverage.yaml', 'lint', 'lib', 'scripts'])
    await cp(join(specDir, entry), join(dir, entry), { recursive: true });
  await cp(join(specDir, '..', 'redocly.yaml'), join(root, 'redocly.yaml'));
  await symlink(join(specDir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const redocly = join(dir, 'node_modules', '.bin', 'redocly');
  return {
    dir,
    bundle: async () => {
      await run(process.execPath, [join(dir, 'scripts', 'bundle.js')], { cwd: dir });
      return join(dir, 'dist', 'openapi.json');
    },
    /** Redocly's lint with the project's rules: resolves with its output, rejects when it finds a problem. */
    lint: () =>
      run(redocly, ['lint', '--config', '../redocly.yaml', '--format', 'stylish'], { cwd: dir }).then(
        ({ stdout, stderr }) => stdout + stderr,
      ),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * Edits one source file of a copy (YAML, or JSON, which YAML reads too) through `edit(doc)`; resolves with the
 * text it had, to put back.
 * @param {string} dir
 * @param {string} file relative to `dir`
 * @param {(doc: import('yaml').Document.Parsed<import('yaml').ParsedNode, false>) => void} edit
 */
export async function editSource(dir, file, edit) {
  const path = join(dir, file);
  const before = await readFile(path, 'utf8');
  const doc = parseSource(before);
  edit(doc);
  await writeFile(path, file.endsWith('.json') ? `${JSON.stringify(doc.toJSON(), null, 2)}\n` : doc.toString(style));
  return before;
}

/** Takes a route with its one action out of the copy: its line in openapi.yaml, its path file, its coverage entry. */
export async function removeRoute(dir, path, actionName) {
  const rootFile = join(dir, 'openapi.yaml');
  const root = parseSource(await readFile(rootFile, 'utf8'));
  const ref = root.getIn(['paths', path, '$ref']);
  root.deleteIn(['paths', path]);
  await writeFile(rootFile, root.toString(style));
  await rm(join(dir, ref));
  await unmap(dir, actionName);
}

/** Takes one action out of a shared route: its `x-qzz-actions` entry, its request and data branches, its examples. */
export async function removeAction(dir, routeFile, actionName) {
  const file = join(dir, routeFile);
  const doc = parseSource(await readFile(file, 'utf8'));
  const op = doc.get('post');
  const actions = op.get('x-qzz-actions');
  const index = actions.items.findIndex((a) => a.get('name') === actionName);
  const action = actions.items[index].toJSON();
  actions.delete(index);
  const schemaName = (pointer) => pointer.split('/').at(-1);
  const dropBranch = (seq, name) =>
    seq.items.splice(
      seq.items.findIndex((b) => b.get('$ref').endsWith(`/${name}.yaml`)),
      1,
    );
  const media = op.getIn(['requestBody', 'content']).items[0].value;
  dropBranch(media.getIn(['schema', 'oneOf']), schemaName(action.request));
  media.get('examples').delete(action.examples.request);
  const data = op
    .getIn(['responses', '200', 'content'])
    .items[0].value.getIn(['schema', 'oneOf', 0, 'allOf', 1, 'properties', 'data', 'anyOf']);
  dropBranch(data, schemaName(action.response));
  op.set(
    'summary',
    op
      .get('summary')
      .split('、')
      .filter((t) => t !== action.summary)
      .join('、'),
  );
  await writeFile(file, doc.toString(style));
  await unmap(dir, actionName);
  return action;
}

async function unmap(dir, actionName) {
  const file = join(dir, 'coverage.yaml');
  const coverage = parseSource(await readFile(file, 'utf8'));
  for (const module of coverage.get('modules').items) {
    for (const entry of module.value.get('endpoints')?.items ?? [])
      if (entry.toJSON().spec?.action === actionName) entry.set('spec', 'unspecified');
  }
  await writeFile(file, coverage.toString(style));
}
