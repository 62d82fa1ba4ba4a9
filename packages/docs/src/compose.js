// The document Redoc renders: the bundle plus what a reader needs beyond the reference — module names in
// Chinese and English, the actions of each operation, and the guide pages (as Redoc trait tags).
import { listActions, listOperations } from '@qzz/spec/actions';
import { billGraph } from './billflow.js';
import { changelogMarkdown } from './changelog.js';
import { cell, coverageMarkdown } from './coverage.js';
import { codeSamples } from './samples.js';

export const GUIDES = {
  gettingStarted: 'Getting started',
  authentication: 'Authentication',
  coverage: 'Coverage',
  billFlow: 'Bill flow',
};

/** The changelog's page, in a group of its own after the modules: Redoc lays pages out in the group order, and a
 * long changelog before the modules would push the first operation out of the landing page's first render. */
export const CHANGELOG = { group: 'Releases', tag: 'Changelog' };

/** Redoc's anchor for a tag. */
export const tagAnchor = (name) => `#tag/${encodeURIComponent(name.replace(/ /g, '-'))}`;

/** A guide from docs/: its title line dropped (the tag names it) and links to other guides made in-page. */
export function guideMarkdown(markdown) {
  const pages = { 'getting-started.md': GUIDES.gettingStarted, 'authentication.md': GUIDES.authentication };
  return markdown.replace(/^# .*\n+/, '').replace(/\[([^\]]+)\]\(([^)]+)\)/g, (link, text, target) => {
    if (/^https?:|^#/.test(target)) return link;
    const page = pages[target.split('/').at(-1)];
    // Files of the repository are not part of the site: keep the words, drop the link.
    return page ? `[${text}](${tagAnchor(page)})` : text;
  });
}

const code = (value) => `\`${JSON.stringify(value)}\``;

/** An action's title as the docs show it: the vendor's, and its English from the bundle (`x-qzz-titles-en`). */
export const titleOf = (doc, action) => {
  const english = doc['x-qzz-titles-en']?.[action.summary];
  return english ? `${action.summary} · ${english}` : action.summary;
};

/** The Markdown list of an operation's actions. */
export function actionsMarkdown(actions, title = (action) => action.summary) {
  const items = actions.map((a) => {
    const flow = a.kind === 'push' && (a.from || a.to) ? ` \`${a.from ?? '?'}\` → \`${a.to ?? '?'}\`` : '';
    const status = a.status === 'in-development' ? '**开发中** (in development)' : 'stable';
    const selected = Object.keys(a.select).length ? `selected by ${code(a.select)}` : "selected by the body's shape";
    const examples = [a.examples.request, a.examples.response]
      .filter(Boolean)
      .map((e) => `\`${e}\``)
      .join(', ');
    return [
      `- **${cell(title(a))}** — \`${a.name}\``,
      `  - ${a.kind}${flow} · ${status} · ${selected} · source ${a.source}`,
      `  - request \`${a.request.split('/').at(-1)}\`, data \`${a.response.split('/').at(-1)}\` · examples ${examples}`,
    ].join('\n');
  });
  return [
    `**Vendor actions on this route (${actions.length}).** Each has its own request schema and examples; the samples on the right are named after them.`,
    '',
    ...items,
  ].join('\n');
}

/** The Bill flow page: the diagram (dist/bill-flow.svg, written by the build) and the same flows as a table. */
export function billFlowMarkdown(actions) {
  const { edges } = billGraph(actions);
  const bill = (node) => (node.names.length ? `${node.label}${node.id ? ` (\`${node.id}\`)` : ''}` : `\`${node.id}\``);
  const alt = edges.map(({ from, to }) => `${from.label} → ${to.label}`).join('; ');
  return [
    'Which bill each push-down action (下推) turns into which, drawn at build time from the actions of the spec. Each arrow is one vendor action; the form ids are those the evidence names; dashed arrows are actions the vendor marks 开发中 (in development).',
    '',
    `<img class="qzz-bill-flow" src="bill-flow.svg" alt="Bill flow: ${alt}" style="width: 100%">`,
    '',
    '| Source bill | Target bill | Action | Status |',
    '| --- | --- | --- | --- |',
    ...edges.map(
      ({ action, from, to }) =>
        `| ${bill(from)} | ${bill(to)} | [${action.summary}](#operation/${action.operationId}) \`${action.name}\` | ${action.status === 'in-development' ? '开发中' : 'stable'} |`,
    ),
  ].join('\n');
}

/** The site's downloads as a paragraph of the page's introduction: links to files beside index.html. */
export const downloadsMarkdown = (downloads) => `**Downloads.** ${downloads.map(({ file, label }) => `[${label}](${file})`).join(' · ')}`;

/**
 * @param {object} doc the bundle (not modified)
 * @param {{ gettingStarted: string, authentication: string, coverage: object, changelog: import('./changelog.js').Changelog,
 *   downloads?: { file: string, label: string }[], checkVerdicts?: string }} pages
 */
export function composeDocsDocument(doc, { gettingStarted, authentication, coverage, changelog, downloads = [], checkVerdicts = '' }) {
  const out = structuredClone(doc);
  if (downloads.length) out.info.description = `${out.info.description}\n\n${downloadsMarkdown(downloads)}`;
  const displayNames = new Map(out.tags.map((t) => [t['x-qzz-module'], `${t.name} · ${t['x-displayName']}`]));
  for (const tag of out.tags) tag['x-displayName'] = displayNames.get(tag['x-qzz-module']);

  const title = (action) => titleOf(doc, action);
  const samples = codeSamples(doc, title);
  for (const { operation, actions } of listOperations(out)) {
    operation.description = `${operation.description}\n\n${actionsMarkdown(actions, title)}`;
    operation['x-codeSamples'] = samples.get(operation.operationId);
  }

  const guide = (name, description) => ({ name, 'x-traitTag': true, description });
  out.tags.unshift(
    guide(GUIDES.gettingStarted, guideMarkdown(gettingStarted)),
    guide(GUIDES.authentication, guideMarkdown(authentication)),
    guide(GUIDES.coverage, coverageMarkdown(coverage, doc, displayNames) + checkVerdicts),
    guide(GUIDES.billFlow, billFlowMarkdown(listActions(doc))),
    guide(CHANGELOG.tag, changelogMarkdown(changelog)),
  );
  out['x-tagGroups'] = [
    { name: 'Guides', tags: Object.values(GUIDES) },
    ...out['x-tagGroups'],
    { name: CHANGELOG.group, tags: [CHANGELOG.tag] },
  ];
  return out;
}
