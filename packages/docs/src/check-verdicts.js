// The Coverage page's section on checks against a tenant: each action's last verdict and its date, from a report
// of `pnpm check` (QZZ_CHECK_REPORT at build time). Only the verdict and the day: no reason, code, value or tenant.
import { lastVerdicts, readReport } from '@qzz/check/coverage';
import { listActions } from '@qzz/spec/actions';
import { cell } from './coverage.js';

/**
 * The section's Markdown.
 * @param {any} doc the bundle
 * @param {string} file a check report (JSON Lines)
 */
export async function checkVerdictsMarkdown(doc, file) {
  const verdicts = lastVerdicts(doc, await readReport(file));
  const rows = listActions(doc).map((a) => {
    const last = verdicts.get(a.name);
    return `| [\`${cell(a.name)}\`](#operation/${a.operationId}) | ${last ? cell(last.verdict) : 'never checked'} | ${last ? cell(last.date) : ''} |`;
  });
  return [
    '',
    '### Checked against a tenant',
    '',
    "Each action's last verdict from `pnpm check` (the guide *first day at a tenant* in `docs/` describes it): matched, drifted, refused or not run, and the day.",
    '',
    '| Action | Last verdict | Date |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
