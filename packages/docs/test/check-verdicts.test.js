// The Coverage page's check section: each action's last verdict and its day, nothing else of the report.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkVerdictsMarkdown } from '../src/check-verdicts.js';

const doc = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));

describe('checked against a tenant', () => {
  it("shows each action's last verdict and date, and no reason, code or tenant name", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qzz-docs-check-'));
    const file = join(dir, 'check.jsonl');
    const lines = [
      {
        time: '2030-01-01T10:00:00.000Z',
        route: 'POST /mxoc_qm/inspect_query',
        action: 'getInspection',
        verdict: 'matches',
        source: 'upstream',
      },
      {
        time: '2030-02-03T10:00:00.000Z',
        route: 'POST /mxoc_qm/inspect_query',
        action: 'getInspection',
        verdict: 'refused',
        source: 'upstream',
        errorCode: 'ACME_CORP_TENANT',
        reason: 'tenant Acme Corp said no',
      },
      { time: '2030-01-01T10:00:00.000Z', route: 'POST /x', action: 'notAnAction', verdict: 'matches', source: 'upstream' },
      { time: '2030-01-01T10:00:00.000Z', route: 'POST /x', action: 'getSparePartsUse', kind: 'type', seen: 'integer' },
    ];
    await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const markdown = await checkVerdictsMarkdown(doc, file);
    expect(markdown).toMatch(/getInspection`\]\(#operation\/[A-Za-z_]+\) \| refused \| 2030-02-03 \|/);
    expect(markdown).toMatch(/getSparePartsUse`\]\([^)]*\) \| never checked \|/);
    expect(markdown).not.toMatch(/Acme|ACME|notAnAction/);
  });
});
