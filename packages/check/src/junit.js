// The JUnit XML CI systems read: one test case per action. `drift` and `refused` fail, `not run` is skipped with
// its reason, `matches` passes.
import { writeFile } from 'node:fs/promises';

/** Text fit for XML: the five special characters escaped, characters XML 1.0 cannot hold dropped. */
export function xmlText(/** @type {string} */ text) {
  // Characters XML 1.0 cannot hold: control characters other than tab, line feed and carriage return, U+FFFE,
  // U+FFFF and lone surrogates.
  const kept = [...text]
    .filter((c) => {
      const code = /** @type {number} */ (c.codePointAt(0));
      return (
        (code >= 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) &&
        code !== 0xfffe &&
        code !== 0xffff &&
        !(code >= 0xd800 && code <= 0xdfff)
      );
    })
    .join('');
  return kept.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** What a refusal or drift says beside its reason: the code, the status and errcode. */
const refusalParts = (/** @type {import('./verdict.js').VerdictLine} */ v) =>
  [
    v.errorCode && `errorCode ${v.errorCode}`,
    v.status !== undefined && `status ${v.status}`,
    v.errcode !== undefined && `errcode ${v.errcode}`,
  ]
    .filter(Boolean)
    .join(', ');

/**
 * One test case.
 * @param {import('./verdict.js').VerdictLine} v
 */
function testCase(v) {
  const open = `    <testcase classname="${xmlText(v.route)}" name="${xmlText(v.action)}"`;
  const detail = [refusalParts(v), v.reason].filter(Boolean).join('; ');
  if (v.verdict === 'matches') return `${open}/>`;
  if (v.verdict === 'not-run') return `${open}>\n      <skipped message="${xmlText(`not run: ${v.reason ?? ''}`)}"/>\n    </testcase>`;
  return `${open}>\n      <failure type="${v.verdict}" message="${xmlText(`${v.verdict}: ${detail}`)}">${xmlText(detail)}</failure>\n    </testcase>`;
}

/**
 * The JUnit XML of a run's verdicts.
 * @param {import('./verdict.js').VerdictLine[]} verdicts
 */
export function junitXml(verdicts) {
  const failures = verdicts.filter((v) => v.verdict === 'drift' || v.verdict === 'refused').length;
  const skipped = verdicts.filter((v) => v.verdict === 'not-run').length;
  const source = verdicts[0]?.source ?? 'upstream';
  const counts = `tests="${verdicts.length}" failures="${failures}" errors="0" skipped="${skipped}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="qzz-check" ${counts}>`,
    `  <testsuite name="qzz-check ${source}" ${counts} timestamp="${new Date().toISOString().slice(0, 19)}">`,
    ...verdicts.map(testCase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * Writes the JUnit XML of a run's verdicts to `file`.
 * @param {string} file
 * @param {import('./verdict.js').VerdictLine[]} verdicts
 */
export const writeJunit = (file, verdicts) => writeFile(file, junitXml(verdicts));
