// The bundle through validators other than Redocly: the official OpenAPI 3.1 schema and Spectral's
// `spectral:oas` ruleset. Both must find nothing, warnings included.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import spectralCore from '@stoplight/spectral-core';
import { Json } from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { describe, expect, it } from 'vitest';
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
    spectral.setRuleset(oas);
    const results = await spectral.run(new Document(readFileSync(bundlePath, 'utf8'), Json, bundlePath));
    expect(results.map((r) => `${r.code} ${r.path.join('.')}: ${r.message}`)).toEqual([]);
  });
});
