// No error surface holds a secret, or any 8-character fragment of one, in any form the client itself sent it:
// whatever a server quotes back (whole, cut, encoded, at the cut of a long answer) or a fetch throws.
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cachedCredentials, createQzzClient, percentEncode, QzzError, type QzzLogFields } from '../src/index.js';
import { secretForms } from '../src/secrets.js';

/** Every URL-special character, a space, and non-ASCII, beside plain ones: what a token may hold. */
const SPECIAL = [...` !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`, 'é', '令', '😀'];
const secretArb = fc
  .array(fc.oneof(fc.constantFrom(...SPECIAL), fc.constantFrom(...'abcdefghijKLMNOPQR0123456789')), { minLength: 12, maxLength: 40 })
  .map((chars) => chars.join(''));

/**
 * The forms in which the client sends a secret: raw, encodeURIComponent, that as a URL parser writes it in a
 * query (`'` as `%27`: the access token's form on the wire), URLSearchParams, the signers' encoding, JSON.
 */
const forms = (secret: string) => [
  secret,
  encodeURIComponent(secret),
  new URL(`http://h/?${encodeURIComponent(secret)}`).search.slice(1),
  new URLSearchParams({ s: secret }).toString().slice(2),
  percentEncode(secret),
  JSON.stringify(secret).slice(1, -1),
];

/** A client whose calls carry `secret` as their access token, sent through `fetch`, never retried. */
const clientWith = (secret: string, fetch: typeof globalThis.fetch) =>
  createQzzClient({
    baseUrl: 'http://127.0.0.1:9',
    credentials: { accessToken: secret, groupName: 'g', accountId: 'a', routerAddr: 'https://tf.jdy.com' },
    fetch,
    retries: 0,
  });

/** The first fragment of secret found on any surface of `error`, or undefined. */
const leakIn = (error: unknown, secret: string): string | undefined =>
  surfaces(error)
    .map((text) => leak(text, secret))
    .find(Boolean);

/** The first fragment of 8 characters (or a whole shorter form) of `secret` that `text` holds. */
function leak(text: string, secret: string): string | undefined {
  for (const form of forms(secret)) {
    if (form.length <= 8) {
      if (text.includes(form)) return form;
      continue;
    }
    for (let i = 0; i + 8 <= form.length; i++) if (text.includes(form.slice(i, i + 8))) return form.slice(i, i + 8);
  }
  return undefined;
}

/** Everything an error shows: message, String, JSON, inspect, stack, and the same for its whole cause chain. */
function surfaces(error: unknown): string[] {
  const out: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    out.push(String(e), JSON.stringify(e) ?? '', inspect(e, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
    if (e instanceof Error) out.push(e.message, e.stack ?? '');
  }
  return out;
}

type Echo = (form: string, url: string) => Response | never;
const json = (body: unknown, status: number, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });
/** How a server (or a fetch) may quote a secret back. */
const ECHOES: Record<string, Echo> = {
  gatewayDescription: (form) => json({ errcode: 40001, description: `token ${form} is not valid` }, 401),
  businessMessage: (form) => json({ success: false, errorCode: 'E1', message: `bad token: ${form}`, data: { token: form } }, 200),
  problemValidation: (form) =>
    json(
      {
        title: 'Invalid request',
        status: 422,
        validation: [{ location: ['query', 'access_token'], message: `access_token ${form} is malformed` }],
      },
      422,
      'application/problem+json',
    ),
  textStraddlingTheCut: (form) => new Response(`${'x'.repeat(195)}${form}${'y'.repeat(50)}`, { status: 500 }),
  fragmentOnly: (form) => json({ errcode: 40001, description: `token starting ${form.slice(2, 12)}… rejected` }, 401),
  urlQuoted: (_form, url) => new Response(`upstream refused ${url}`, { status: 502 }),
  thrown: (_form, url) => {
    throw new TypeError(`fetch failed: ${url}`, { cause: new Error(`connect ECONNREFUSED for ${url}`) });
  },
};

describe('secrets in errors', () => {
  it('no fragment of the access token, in any form, reaches any error surface', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, fc.constantFrom(...Object.keys(ECHOES)), fc.nat(5), async (secret, echo, formIndex) => {
        const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
          const url = new Request(input, init).url;
          return ECHOES[echo]!(forms(secret)[formIndex]!, url);
        }) as typeof globalThis.fetch;
        const client = clientWith(secret, fetch);
        const error = await client.workshop.getInspection({ id: '1' }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(QzzError);
        const found = leakIn(error, secret);
        expect(found, `${echo} form ${formIndex}`).toBeUndefined();
      }),
      { numRuns: 500, seed: 20261129 },
    );
  });

  it("no fragment of the app's client secret reaches an error of the gateway's signed calls", async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        fc.constantFrom('gatewayDescription', 'textStraddlingTheCut', 'fragmentOnly', 'thrown'),
        fc.nat(5),
        async (secret, echo, formIndex) => {
          const fetch = (async (input: RequestInfo | URL, init?: RequestInit) =>
            ECHOES[echo]!(forms(secret)[formIndex]!, new Request(input, init).url)) as typeof globalThis.fetch;
          const client = createQzzClient({
            baseUrl: 'http://127.0.0.1:9',
            credentials: { accessToken: 'unused-token', groupName: 'g', accountId: 'a', routerAddr: 'r' },
            gateway: { clientId: 'cid', clientSecret: secret },
            fetch,
            retries: 0,
          });
          const error = await client.system.pushAppAuthorize({ outerInstanceId: 'OI' }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(QzzError);
          expect(leakIn(error, secret)).toBeUndefined();
        },
      ),
      { numRuns: 200, seed: 20261129 },
    );
  });

  it('redacts a short leftover that escaping would stretch to 8 characters of the JSON-escaped form', async () => {
    const secret = 'tok-"\\"\\"\\"-SECRET-0123456789';
    const fetch = (async () =>
      json({ errcode: 40001, description: `token part ${secret.slice(3, 10)} rejected` }, 401)) as typeof globalThis.fetch;
    const client = clientWith(secret, fetch);
    const error = await client.workshop.getInspection({ id: '1' }).catch((e: unknown) => e);
    expect(leakIn(error, secret)).toBeUndefined();
  });

  it('redacts the token as a URL quoted by the server carries it', async () => {
    const secret = "tok'en!ab'cd(ef'gh)ij'kl*mn'op~qr";
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) =>
      json({ errcode: 40001, description: `bad request ${new Request(input, init).url}` }, 401)) as typeof globalThis.fetch;
    const client = clientWith(secret, fetch);
    const error = await client.workshop.getInspection({ id: '1' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/access_token=\[redacted\]$/);
    expect(leakIn(error, secret)).toBeUndefined();
  });

  it('no fragment of the token leaves the raw client when its fetch throws quoting the URL', async () => {
    const secret = 'tok-RAW-0123456789abcdef';
    const fetch = (async (input: RequestInfo | URL) => {
      const url = input instanceof Request ? input.url : String(input);
      throw Object.assign(new Error(`request to ${url} failed, reason: connect ECONNREFUSED`), {
        name: 'FetchError',
        cause: new Error(url),
      });
    }) as typeof globalThis.fetch;
    const client = clientWith(secret, fetch);
    const error = await client.raw.POST('/mxoc_qm/inspect_query', { body: { id: '1' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('FetchError');
    expect((error as Error).message).toContain('access_token=[redacted]');
    expect(leakIn(error, secret)).toBeUndefined();
  });

  it('a thrown value whose getters or toString throw never escapes with what they say', async () => {
    const secret = 'tok-GETTER-0123456789abcdef';
    const throwing = [
      (url: string) =>
        Object.defineProperty(new Error('x'), 'message', {
          get: () => {
            throw new Error(`cannot describe ${url}`);
          },
        }),
      (url: string) => ({
        toString: () => {
          throw new Error(`cannot print ${url}`);
        },
      }),
      (url: string) =>
        new Proxy(
          {},
          {
            getPrototypeOf: () => {
              throw new Error(`no prototype for ${url}`);
            },
          },
        ),
    ];
    for (const make of throwing) {
      const fetch = (async (input: RequestInfo | URL) => {
        throw make(input instanceof Request ? input.url : String(input));
      }) as typeof globalThis.fetch;
      const client = clientWith(secret, fetch);
      const error = await client.workshop.getInspection({ id: '1' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QzzError);
      expect(leakIn(error, secret)).toBeUndefined();
    }
  });

  it('keeps what is not secret: the rest of the answer is quoted as it was', async () => {
    const secret = 'tok-(quoted)!~*';
    const fetch = (async () =>
      json({ errcode: 40001, description: `token ${encodeURIComponent(secret)} expired at 12:00` }, 401)) as typeof globalThis.fetch;
    const client = clientWith(secret, fetch);
    const error = await client.workshop.getInspection({ id: '1' }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('workshop.getInspection failed: HTTP 401, errcode 40001: token [redacted] expired at 12:00');
  });
});

describe('secrets in log lines', () => {
  /** The first fragment of 8 characters (or a whole shorter form) of any form the redactor knows that `text` holds. */
  const leakOfAnyForm = (text: string, secret: string) => {
    for (const form of secretForms(secret)) {
      if (form.length <= 8 && text.includes(form)) return form;
      for (let i = 0; i + 8 <= form.length; i++) if (text.includes(form.slice(i, i + 8))) return form.slice(i, i + 8);
    }
    return undefined;
  };
  /** How a server (or a fetch) may put a secret where the log reads: the envelope's errorCode, a description, the URL. */
  const LOG_ECHOES: Record<string, (form: string, url: string, n: number) => Response> = {
    successErrorCode: (form) => json({ success: true, errorCode: form, data: {} }, 200),
    businessErrorCode: (form) => json({ success: false, errorCode: form, message: `bad token ${form}` }, 200),
    retriedThenErrorCode: (form, _url, n) =>
      n === 1 ? json({ errcode: 1, description: `busy ${form}` }, 503) : json({ success: true, errorCode: form, data: {} }, 200),
    rotatedThenErrorCode: (form, _url, n) =>
      n === 1
        ? json({ errcode: 1030002006, description: `token ${form} rotated` }, 401)
        : json({ success: true, errorCode: `ok ${form}`, data: {} }, 200),
    thrown: (_form, url) => {
      throw new TypeError(`fetch failed: ${url}`, { cause: new Error(`connect ECONNREFUSED for ${url}`) });
    },
  };

  it('no fragment of the access token, in any form the redactor knows, reaches a line at any level', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, fc.constantFrom(...Object.keys(LOG_ECHOES)), fc.nat(), async (secret, echo, pick) => {
        const forms = secretForms(secret);
        const form = forms[pick % forms.length]!;
        const lines: string[] = [];
        const keep = (fields: QzzLogFields, message: string) => void lines.push(message, JSON.stringify(fields), inspect(fields));
        let n = 0;
        const fetch = (async (input: RequestInfo | URL, init?: RequestInit) =>
          LOG_ECHOES[echo]!(form, new Request(input, init).url, ++n)) as typeof globalThis.fetch;
        const client = createQzzClient({
          baseUrl: 'http://127.0.0.1:9',
          credentials: cachedCredentials(async () => ({ accessToken: secret, groupName: 'g', accountId: 'a', routerAddr: 'r' })),
          fetch,
          logger: { debug: keep, info: keep, warn: keep, error: keep },
          logLevel: 'debug',
          retries: 1,
          retryDelayMs: 0,
        });
        await client.workshop.getInspection({ id: '1' }).catch(() => undefined);
        // A route of the caller's that holds the token is redacted too (a route cannot hold `?` or `#`).
        n = 0;
        if (!/[?#]/.test(form)) await client.call(`/r/${form}`, {}).catch(() => undefined);
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(leakOfAnyForm(line, secret), `${echo}: ${line}`).toBeUndefined();
        // What is not secret stays: the action and the route of the call are in the lines.
        expect(lines.join('\n')).toContain('workshop.getInspection');
      }),
      { numRuns: 300, seed: 20261205 },
    );
  });
});

describe('the forms a secret travels in (@qzz/client/secrets)', () => {
  it('hold every form a client, server or proxy writes a secret in, each once', () => {
    const secret = 'a/b c+é"令?';
    const bytes = Buffer.from(secret);
    const all = secretForms(secret);
    for (const form of [
      ...forms(secret),
      encodeURI(secret),
      percentEncode(percentEncode(secret)),
      bytes.toString('base64'),
      bytes.toString('base64').replace(/=/g, ''),
      bytes.toString('base64url'),
      bytes.toString('hex'),
      bytes.toString('hex').toUpperCase(),
      JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'),
      JSON.stringify(secret)
        .slice(1, -1)
        .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    ])
      expect(all).toContain(form);
    expect(new Set(all).size).toBe(all.length);
    expect(secretForms('')).toEqual([]);
    // A lone surrogate cannot be percent-encoded: the other forms are still there.
    expect(secretForms('tok\ud800en')).toContain('tok\ud800en');
  });

  it('keep a token a server quotes back in base64 or hex out of every error', async () => {
    const secret = 'tok-B64-0123456789abcdef';
    for (const encoding of ['base64', 'base64url', 'hex'] as const) {
      const quoted = Buffer.from(secret).toString(encoding);
      const fetch = (async () => json({ errcode: 40001, description: `credential ${quoted} refused` }, 401)) as typeof globalThis.fetch;
      const error = await clientWith(secret, fetch)
        .workshop.getInspection({ id: '1' })
        .catch((e: unknown) => e);
      expect((error as Error).message, encoding).toBe(
        'workshop.getInspection failed: HTTP 401, errcode 40001: credential [redacted] refused',
      );
    }
  });
});
