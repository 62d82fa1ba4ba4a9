// @ts-check
// The changelog of the API's contract: per release, per action, what was added, removed or changed, breaking
// changes marked, made from the released contracts (spec/released/: the last one, and history/<version>.json
// for those before it, dated in releases.json) with the diff the release guard uses (`@qzz/spec/breaking`),
// and the release notes of @qzz/spec (its CHANGELOG.md, and the changesets not released yet). Written three
// ways: the Changelog page of the site (Markdown in a guide tag), changelog.json and an Atom feed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listActions, listOperations } from '@qzz/spec/actions';
import { changeLine, contractChanges } from '@qzz/spec/breaking';
import { maskPersonalText } from '@qzz/spec/personal';

/**
 * @typedef {{ version: string, date: string, doc: any }} Release
 * @typedef {import('@qzz/spec/breaking').ContractChange & { title?: string, operationId?: string }} Change
 * @typedef {{ version: string, previous: string | null, date: string | null, breaking: number, changes: Change[], notes: string }} Entry
 * @typedef {{ title: string, releases: Entry[], unreleased: Entry | null }} Changelog
 */

/** The URL of the feed and the JSON, relative to the site's root; and the page's anchor. */
export const CHANGELOG_FILES = { json: 'changelog.json', atom: 'changelog.atom' };

/** Semver order of plain `x.y.z` versions (what releases are named). */
const bySemver = (/** @type {string} */ a, /** @type {string} */ b) => {
  const [x, y] = [a, b].map((v) => v.split(/[.-]/).map((n) => Number(n) || 0));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
};

/**
 * The released contracts, oldest first: spec/released/history/*.json and spec/released/openapi.json.
 * @param {string} releasedDir spec/released
 * @returns {Release[]}
 */
export function loadReleases(releasedDir) {
  const read = (/** @type {string} */ path) => JSON.parse(readFileSync(path, 'utf8'));
  const dates = existsSync(join(releasedDir, 'releases.json')) ? read(join(releasedDir, 'releases.json')) : {};
  const historyDir = join(releasedDir, 'history');
  const files = existsSync(historyDir) ? readdirSync(historyDir).filter((f) => /^\d+\.\d+\.\d+\.json$/.test(f)) : [];
  const docs = [...files.map((f) => read(join(historyDir, f))), read(join(releasedDir, 'openapi.json'))];
  const byVersion = new Map(docs.map((doc) => [String(doc.info.version), doc]));
  return [...byVersion.keys()].sort(bySemver).map((version) => ({ version, date: dates[version] ?? null, doc: byVersion.get(version) }));
}

/**
 * The release notes per version from a changesets CHANGELOG.md (`## 0.3.0` sections), headings demoted below
 * the page's, the commit ids changesets put before each entry dropped.
 * @param {string} markdown
 * @returns {Map<string, string>}
 */
export function releaseNotes(markdown) {
  /** @type {Map<string, string>} */
  const notes = new Map();
  for (const section of markdown.split(/^## /m).slice(1)) {
    const [version, ...body] = section.split('\n');
    notes.set(version.trim(), tidyNotes(body.join('\n')));
  }
  return notes;
}

// The notes quote example values (a mobile number's writings); published, they are masked like any other text.
const tidyNotes = (/** @type {string} */ text) =>
  maskPersonalText(text)
    .replace(/^### (.*)$/gm, '**$1**')
    .replace(/^- [0-9a-f]{7}: /gm, '- ')
    .trim();

/**
 * The notes of the changesets not released yet that name @qzz/spec (`.changeset/*.md`, front matter first).
 * @param {string} changesetDir
 */
export function pendingNotes(changesetDir) {
  if (!existsSync(changesetDir)) return '';
  return readdirSync(changesetDir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .sort()
    .map((f) => /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(readFileSync(join(changesetDir, f), 'utf8')))
    .filter((m) => m !== null && /^['"]?@qzz\/spec['"]?\s*:/m.test(m[1]))
    .map((m) => `- ${tidyNotes(/** @type {RegExpExecArray} */ (m)[2]).replace(/\n/g, '\n  ')}`)
    .join('\n');
}

/** A contract with nothing in it: what the first release is compared with. */
const EMPTY = { openapi: '3.1.0', info: { version: '0.0.0' }, paths: {}, components: {} };

/**
 * One entry: the changes from `before` to `after`, each with the action's title (as the later contract gives it)
 * and the operation's id in `current` (the site's document), where the page still has it.
 * @param {any} before @param {any} after @param {any} current
 * @param {(doc: any, action: any) => string} titleOf
 * @returns {Change[]}
 */
function changesBetween(before, after, current, titleOf) {
  const titles = new Map([...listActions(before), ...listActions(after)].map((a) => [a.name, titleOf(after, a)]));
  const actionPages = new Map(listActions(current).map((a) => [a.name, a.operationId]));
  const operationPages = new Map(listOperations(current).map((o) => [`${o.method.toUpperCase()} ${o.path}`, o.operation.operationId]));
  return contractChanges(before, after).map((change) => ({
    ...change,
    ...(change.action && { title: titles.get(change.action) }),
    operationId: change.action ? actionPages.get(change.action) : operationPages.get(change.operation),
  }));
}

/**
 * The changelog: every release, newest first, and what is not released yet (the current bundle against the
 * last release, and the pending changesets), or null when nothing is.
 * @param {{ releases: Release[], current: any, notes: Map<string, string>, pending: string, titleOf: (doc: any, action: any) => string }} input
 * @returns {Changelog}
 */
export function buildChangelog({ releases, current, notes, pending, titleOf }) {
  /** @type {Entry[]} */
  const entries = releases.map((release, i) => {
    const previous = releases[i - 1];
    const changes = changesBetween(previous?.doc ?? EMPTY, release.doc, current, titleOf);
    return {
      version: release.version,
      previous: previous?.version ?? null,
      date: release.date,
      breaking: previous ? changes.filter((c) => c.breaking).length : 0,
      changes,
      notes: notes.get(release.version) ?? '',
    };
  });
  const last = releases.at(-1);
  const unreleasedChanges = last ? changesBetween(last.doc, current, current, titleOf) : [];
  const unreleased =
    unreleasedChanges.length || pending
      ? {
          version: String(current.info.version),
          previous: last?.version ?? null,
          date: null,
          breaking: unreleasedChanges.filter((c) => c.breaking).length,
          changes: unreleasedChanges,
          notes: pending,
        }
      : null;
  return { title: `${current.info.title}: changelog`, releases: entries.reverse(), unreleased };
}

/** Text safe inside Markdown prose: the characters that would start markup are escaped. */
const prose = (/** @type {string} */ text) => text.replace(/[\\`*_{}[\]<>|#!~]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
/** Text as a Markdown code span, whatever backticks it holds. */
const codeSpan = (/** @type {string} */ text) => {
  const run = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(run + 1);
  const pad = run ? ' ' : '';
  return `${fence}${pad}${text.replace(/\n/g, ' ')}${pad}${fence}`;
};
const day = (/** @type {string | null} */ date) => (date ? date.slice(0, 10) : 'not released yet');

/**
 * Groups an entry's changes by what they belong to: each action, then each operation's own (its route, answers).
 * @param {Change[]} changes
 */
export function groupChanges(changes) {
  /** @type {Map<string, { action?: string, operation: string, title?: string, operationId?: string, changes: Change[] }>} */
  const groups = new Map();
  for (const change of changes) {
    const key = change.action ? `action ${change.action}` : `operation ${change.operation}`;
    if (!groups.has(key))
      groups.set(key, {
        action: change.action,
        operation: change.operation,
        title: change.title,
        operationId: change.operationId,
        changes: [],
      });
    groups.get(key)?.changes.push(change);
  }
  return [...groups.values()].sort((a, b) => Number(Boolean(b.action)) - Number(Boolean(a.action)));
}

/** The Markdown of one entry's changes, per action. */
function changesMarkdown(/** @type {Entry} */ entry) {
  if (!entry.changes.length) return 'The contract did not change.';
  return groupChanges(entry.changes)
    .map((group) => {
      const name = group.action
        ? `${prose(group.title ?? group.action)} ${codeSpan(group.action)}`
        : `${codeSpan(group.operation)}, the operation itself`;
      const head = group.operationId ? `[${name}](#operation/${encodeURIComponent(group.operationId)})` : `${name} (no longer in the API)`;
      const lines = group.changes.map(
        (c) => `  - ${c.breaking ? '**Breaking:** ' : ''}${c.where ? `${codeSpan(c.where)}: ` : ''}${prose(c.change)}`,
      );
      return [`- ${head}`, ...lines].join('\n');
    })
    .join('\n');
}

/** One entry as Markdown: its heading, its counts, its changes per action, its release notes. */
function entryMarkdown(/** @type {Entry} */ entry) {
  const title = entry.date ? `${entry.version} · ${day(entry.date)}` : `Not released yet (${entry.version} → next)`;
  const since = entry.previous ? `since ${entry.previous}` : 'the first release';
  const actions = new Set(entry.changes.filter((c) => c.action).map((c) => c.action)).size;
  const summary = entry.previous
    ? `${entry.changes.length} contract changes ${since} in ${actions} actions, **${entry.breaking} breaking**.`
    : `The first release: ${entry.changes.filter((c) => c.action && c.change === 'added').length} actions.`;
  return [
    `## ${title}`,
    '',
    summary,
    '',
    changesMarkdown(entry),
    ...(entry.notes
      ? ['', `**Release notes of \`@qzz/spec\`${entry.date ? ` ${entry.version}` : ' (changesets not released yet)'}**`, '', entry.notes]
      : []),
  ].join('\n');
}

/** The Changelog page. */
export function changelogMarkdown(/** @type {Changelog} */ changelog) {
  return [
    `What changed in the contract, per release and per action: fields, types, requiredness, answers and actions added or removed. **Breaking** marks what a team pinned to the release before would trip over (the release guard's rules, docs/releasing.md). Made from the released contracts; also as [${CHANGELOG_FILES.json}](${CHANGELOG_FILES.json}) and an Atom feed, [${CHANGELOG_FILES.atom}](${CHANGELOG_FILES.atom}).`,
    '',
    ...[changelog.unreleased, ...changelog.releases].filter((e) => e !== null).map((e) => `${entryMarkdown(e)}\n`),
  ].join('\n');
}

/** True for a code point XML 1.0 allows (control characters, lone surrogates, U+FFFE and U+FFFF it does not). */
const allowedInXml = (/** @type {number} */ code) =>
  code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000;

/** Text safe in XML (content and attribute values): the five special characters escaped, forbidden ones replaced. */
const xml = (/** @type {string} */ text) =>
  Array.from(text, (c) => (allowedInXml(c.codePointAt(0) ?? 0) ? c : '\uFFFD'))
    .join('')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

/**
 * The Atom feed (RFC 4287): one entry per release, newest first. Links are relative to the feed's address
 * (the site's root).
 * @param {Changelog} changelog
 */
export function changelogAtom(changelog) {
  const dated = changelog.releases.filter((e) => e.date);
  const updated = dated[0]?.date ?? '1970-01-01T00:00:00Z';
  const entries = dated.map((entry) => {
    const items = groupChanges(entry.changes).map((group) => {
      const name = group.action ? `${group.title ?? group.action} (${group.action})` : `${group.operation}, the operation itself`;
      const changes = group.changes.map((c) => `<li>${c.breaking ? '<strong>Breaking:</strong> ' : ''}${xml(changeLine(c))}</li>`);
      return `<li>${xml(name)}<ul>${changes.join('')}</ul></li>`;
    });
    const html = `<p>${entry.changes.length} contract changes${entry.previous ? ` since ${entry.previous}, ${entry.breaking} breaking` : ''}.</p><ul>${items.join('')}</ul>`;
    return [
      '  <entry>',
      `    <id>urn:qzz:api:release:${xml(entry.version)}</id>`,
      `    <title>${xml(`${entry.version}: ${entry.breaking} breaking of ${entry.changes.length} changes`)}</title>`,
      `    <updated>${xml(String(entry.date))}</updated>`,
      `    <link rel="alternate" type="text/html" href="./#tag/Changelog"/>`,
      `    <content type="html">${xml(html)}</content>`,
      '  </entry>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>urn:qzz:api:changelog</id>`,
    `  <title>${xml(changelog.title)}</title>`,
    `  <updated>${xml(updated)}</updated>`,
    '  <author><name>轻智造 API kit</name></author>',
    `  <link rel="self" type="application/atom+xml" href="${CHANGELOG_FILES.atom}"/>`,
    `  <link rel="alternate" type="text/html" href="./#tag/Changelog"/>`,
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
