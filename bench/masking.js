// The proxy's masking on hostile and large input (issue 16, items 3 and 5): the e-mail pattern before and after
// on one long string without `@`, and the cleaning of a large body and a long text with secrets to look for.
// `node bench/masking.js` prints these figures alone; `pnpm bench` includes them.
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { EMAIL } from '@qzz/spec/personal';
// The proxy exports only startProxy: its masking module is measured where it lives.
import { cleanValue, secretsOf } from '../packages/proxy/src/redact.js';

/** The capture's e-mail pattern before issue 16: quadratic on a run of address characters without `@`. */
const OLD_EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

const ms = (start) => Number((performance.now() - start).toFixed(1));
const timed = (work) => {
  const start = performance.now();
  work();
  return ms(start);
};

export function maskingCost() {
  // 80,000 characters without `@`: the worst of a plain run and one with dots.
  const texts = ['a'.repeat(80_000), 'a.'.repeat(40_000)];
  const emailOld = Math.max(...texts.map((text) => timed(() => text.replace(OLD_EMAIL, '$1***@$2'))));
  const emailNew = Math.max(...texts.map((text) => timed(() => text.replace(EMAIL, '$1***@$2'))));
  // 80,000 fields of an answer (about 850 KiB as JSON) with personal data, and secrets to look for.
  const rows = Array.from({ length: 20_000 }, (_, i) => ({ name: '王二小', phone: '13800138000', qty: i, note: 'ok' }));
  const body = { success: true, data: { rows } };
  const bytes = Buffer.byteLength(JSON.stringify(body));
  const secrets = secretsOf({
    query: new URLSearchParams({ access_token: 'bench-access-token-0123456789' }),
    headers: { authorization: 'Bearer bench-bearer-0123456789', cookie: 'SID=bench-session-01; theme=dark-mode-1' },
    body: { creatorid_name: '王二小', client_secret: 'bench-client-secret-9' },
  });
  const cleanBody = timed(() => cleanValue(body, secrets));
  const text = JSON.stringify(body);
  const scrubText = timed(() => secrets.scrub(text));
  return { emailOld, emailNew, bytes, fields: rows.length * 4, cleanBody, textBytes: Buffer.byteLength(text), scrubText };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(maskingCost());
