// The Coverage page: spec/coverage.yaml as Markdown, per module which vendor endpoints are specified.
import { listActions } from '@qzz/spec/actions';

/** Text made safe for a Markdown table cell. */
export const cell = (text) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

/** Redoc's anchor for an operation. */
const operationLink = (action) => `#operation/${action.operationId}`;

/**
 * @param {object} coverage parsed spec/coverage.yaml
 * @param {object} doc the bundle
 * @param {Map<string, string>} displayNames module slug → "中文 · English"
 */
export function coverageMarkdown(coverage, doc, displayNames) {
  const actions = new Map(listActions(doc).map((a) => [a.name, a]));
  const modules = Object.entries(coverage.modules);
  const count = (m) => m.endpoints.filter((e) => e.spec !== 'unspecified').length;
  const total = modules.reduce((n, [, m]) => n + m.endpoints.length, 0);
  const specified = modules.reduce((n, [, m]) => n + count(m), 0);

  const lines = [
    `The vendor's navigation lists **${total}** endpoint names across its 20 modules; **${specified}** of them are specified here, from the vendor pages that were captured. The rest are listed so you know they exist: their routes and fields were not captured, and nothing about them is guessed.`,
    '',
    "A group marked *(inferred)* is the module map's reading, not the vendor's own filing of the endpoint as its navigation shows it.",
    '',
    '| Module | Specified | Listed by the vendor |',
    '| --- | ---: | ---: |',
    ...modules.map(([slug, m]) => `| [${cell(displayNames.get(slug))}](#coverage-${slug}) | ${count(m)} | ${m.endpoints.length} |`),
    `| **All modules** | **${specified}** | **${total}** |`,
    '',
  ];
  for (const [slug, m] of modules) {
    lines.push(`<h3 id="coverage-${slug}">${cell(displayNames.get(slug))} — ${count(m)} of ${m.endpoints.length} specified</h3>`, '');
    if (m.groups.length) lines.push(`Groups: ${m.groups.map(cell).join('、')}.`, '');
    if (!m.endpoints.length) {
      lines.push("The vendor's navigation shows no endpoint names for this module.", '');
      continue;
    }
    lines.push('| Endpoint | Group | Vendor notes | Specified as |', '| --- | --- | --- | --- |');
    for (const e of m.endpoints) {
      const notes = [
        e.edition && `${e.edition} edition`,
        e.editions && `editions ${e.editions}`,
        e.aka && `also ${e.aka.join(', ')}`,
        e.vendorStatus,
        e.note,
      ]
        .filter(Boolean)
        .join('; ');
      const spec =
        e.spec === 'unspecified'
          ? 'not specified'
          : `[\`${e.spec.action}\`](${operationLink(actions.get(e.spec.action))}) (${e.spec.source})`;
      lines.push(
        `| ${cell(e.name)} | ${cell(e.group)}${e.groupConfidence === 'inferred' ? ' (inferred)' : ''} | ${cell(notes)} | ${spec} |`,
      );
    }
    lines.push('');
  }
  lines.push("### The gateway's own calls", '', "Not in the vendor's navigation; specified from public material on Kingdee's gateway.", '');
  lines.push('| Call | Specified as |', '| --- | --- |');
  for (const g of coverage.gateway)
    lines.push(`| ${cell(g.name)} | [\`${g.spec.action}\`](${operationLink(actions.get(g.spec.action))}) |`);
  return lines.join('\n');
}
