// The bundle through validators other than Redocly: the official OpenAPI 3.1 schema and Spectral's
// `spectral:oas` ruleset. Both must find nothing, warnings included.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import spectralCore from '@stoplight/spectral-core';
import { Json } from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { describe, expect, it } from 'vitest';
import { listActions } from '../lib/actions.js';
import { specDir } from './helpers.js';

const { Document, Spectral } = spectralCore;
const bundlePath = join(specDir, 'dist', 'openapi.json');

describe('independent validators', () => {
  it('the OpenAPI 3.1 schema accepts the bundle', async () => {
    const result = await new Validator().validate(bundlePath);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('spectral:oas reports nothing', async () => {
    const spectral = new Spectral();
    // The ruleset's declaration widens a rule's `severity: 'warn'` to string, which setRuleset's type refuses.
    spectral.setRuleset(/** @type {import('@stoplight/spectral-core').RulesetDefinition} */ (oas));
    const text = readFileSync(bundlePath, 'utf8');
    const results = await spectral.run(new Document(text, Json, bundlePath));
    // A component only an action's `request` or `response` pointer names (a GET's query, which has no body) is
    // used: Spectral sees `$ref`s, not the pointers of `x-qzz-actions`.
    const pointed = new Set(listActions(JSON.parse(text)).flatMap((a) => [a.request, a.response]));
    const used = (r) => r.code === 'oas3-unused-component' && pointed.has(`#/${r.path.join('/')}`);
    expect(results.filter((r) => !used(r)).map((r) => `${r.code} ${r.path.join('.')}: ${r.message}`)).toEqual([]);
  });
});
