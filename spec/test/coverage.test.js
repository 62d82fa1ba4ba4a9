// spec/coverage.yaml maps every endpoint name of the vendor's navigation to the action that specifies it,
// or to `unspecified`, and agrees with the spec.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listActions } from '../lib/actions.js';
import { hasReference, loadBundle, loadRecords, referenceDir, specDir } from './helpers.js';

const doc = loadBundle();
const coverage = parse(readFileSync(join(specDir, 'coverage.yaml'), 'utf8'));
const actions = listActions(doc);
const entries = Object.entries(coverage.modules).flatMap(([slug, m]) => m.endpoints.map((e) => ({ ...e, slug })));

describe('coverage.yaml', () => {
  it('lists the 20 modules under their tags', () => {
    const tags = doc.tags.map((t) => [t['x-qzz-module'], t.name]);
    expect(Object.entries(coverage.modules).map(([slug, m]) => [slug, m.name])).toEqual(tags);
  });

  it('maps every action of the spec exactly once, by name and source', () => {
    const mapped = [...entries, ...coverage.gateway].filter((e) => e.spec !== 'unspecified').map((e) => e.spec);
    expect(mapped.map((s) => s.action).sort()).toEqual(actions.map((a) => a.name).sort());
    for (const { action, source } of mapped) expect(actions.find((a) => a.name === action).source).toBe(source);
  });

  it("files each specified endpoint under its action's module", () => {
    for (const entry of entries.filter((e) => e.spec !== 'unspecified')) {
      const action = actions.find((a) => a.name === entry.spec.action);
      expect(coverage.modules[entry.slug].name, entry.name).toBe(action.tag);
      expect(action.summary, entry.name).toBe(entry.name);
    }
  });

  it('says `unspecified` or names an action, nothing else', () => {
    for (const entry of entries) {
      if (entry.spec !== 'unspecified') expect(Object.keys(entry.spec).sort(), entry.name).toEqual(['action', 'source']);
    }
  });
});

/** The endpoint names of modules.md: its list lines, with annotations and the other editions' names split off. */
function namesInModulesMd(text) {
  const names = [];
  const splitTop = (s) => s.split(/, (?![^()]*\))/);
  const clean = (s) =>
    s
      .replace(/ \[[^\]]*\]/g, '')
      .replace(/ \((old|new|开发中|old, 废弃|the seed page|from a third-party guide|refers to [^)]*|single endpoint)\)/g, '')
      .trim();
  for (const line of text.split('\n')) {
    let items;
    if (line.startsWith('groups:')) {
      const singles = line.split(', and single endpoints ')[1];
      items = [...splitTop(line).filter((x) => x.includes('(single endpoint)')), ...(singles ? splitTop(singles) : [])];
    } else if (line.startsWith('- ') && line.includes(': ')) {
      items = splitTop(line.slice(line.indexOf(': ') + 2)).filter((x) => x.trim() !== '...');
    } else continue;
    for (const item of items) names.push(...item.split(' / ').map(clean));
  }
  return names;
}

describe.skipIf(!hasReference)('coverage.yaml against modules.md', () => {
  const text = hasReference ? readFileSync(join(referenceDir, 'modules.md'), 'utf8') : '';

  it('holds exactly the endpoint names the vendor shows', () => {
    const ours = entries.flatMap((e) => [e.name, ...(e.aka ?? [])]);
    expect(ours.sort()).toEqual(namesInModulesMd(text).sort());
  });

  it('marks every endpoint of a group only the old navigation shows as `edition: old`', () => {
    const oldGroups = [...text.matchAll(/^- ([^:(]+?) \(old\):/gm)].map((m) => m[1]);
    expect(oldGroups.length).toBeGreaterThan(0);
    for (const entry of entries.filter((e) => oldGroups.includes(e.group))) {
      expect(entry.edition, entry.name).toBe('old');
    }
  });

  it('marks the endpoints whose group the module map infers, and no other, as `groupConfidence: inferred`', () => {
    // `## 普通生产 (…)` opens a module; `- 生产入库单 (group inferred): a, b` lists a group's endpoints.
    const inferred = new Set();
    let module;
    for (const line of text.split('\n')) {
      const heading = /^## (\S+)/.exec(line);
      if (heading) module = heading[1];
      const group = /^- (.+?) \(group inferred\): (.*)$/.exec(line);
      if (group) for (const name of group[2].split(', ')) inferred.add(`${module} ${group[1]} ${name.replace(/ [[(].*$/, '')}`);
    }
    expect(inferred.size).toBeGreaterThan(5);
    const marked = entries
      .filter((e) => e.groupConfidence === 'inferred')
      .map((e) => `${coverage.modules[e.slug].name} ${e.group} ${e.name}`);
    expect(marked.sort()).toEqual([...inferred].sort());
    for (const e of entries) expect(['inferred', undefined], e.name).toContain(e.groupConfidence);
  });

  it('agrees with the records on which groups are inferred', () => {
    const records = hasReference ? loadRecords() : [];
    for (const record of records) {
      const entry = entries.find((e) => e.spec !== 'unspecified' && e.spec.source === record.source_page);
      expect(entry?.groupConfidence === 'inferred', record.source_page).toBe(record.module_group_confidence === 'inferred');
    }
  });

  it('maps every captured endpoint ([api-N]) to the action from that record', () => {
    const marks = [...text.matchAll(/(?:, |: )([^,:]+?) \[((?:api|ext)-[a-z0-9-]+)\]/g)].map((m) => [
      /** @type {string} */ (m[1].split(' / ').at(-1)).trim(), // split gives at least one part
      m[2],
    ]);
    expect(marks).toHaveLength(17);
    for (const [name, source] of marks) {
      expect(entries.find((e) => e.name === name)?.spec, name).toEqual({ action: actions.find((a) => a.source === source).name, source });
    }
  });
});
