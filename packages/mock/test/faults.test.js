// The gateway's failures on demand: rule files checked with the line and field of each mistake, rules that fire
// as written (every Nth, after N, N times; by action, route and account set), each fault's answer marked and valid
// against the spec, the rate limit exact per account set, and the transport faults (delay, stall, reset) over HTTP.
// How the client reacts to each: packages/client/test/faults.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deref, listActions } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaults, FaultRulesError, MAX_TRACKED_ACCOUNT_SETS } from '../src/faults/index.js';
import { createMockFetch, startMock } from '../src/index.js';

const doc = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const validator = schemaValidator(doc);
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const business = listActions(doc).filter((a) => !a.signed);
const byName = (name) => business.find((a) => a.name === name);

let dir;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-mock-faults-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The documented request of an action, as JSON text. */
function exampleBody(action) {
  const media = Object.values(doc.paths[action.path][action.method].requestBody.content)[0];
  const value = deref(doc, media.examples[action.examples.request]).value;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Sends an action's documented request as account set `groupName`/`accountid` with `token`; resolves with the
 * status, headers and body text, or `{ broken: true }` when the connection breaks before the answer ends.
 */
function call(url, name, { groupName = 'g', accountid = 'a', token = 't' } = {}) {
  const action = byName(name);
  const body = exampleBody(action);
  const contentType = Object.keys(doc.paths[action.path][action.method].requestBody.content)[0];
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${action.wirePath}?access_token=${encodeURIComponent(token)}`,
      {
        method: 'POST',
        headers: { 'content-type': contentType, groupName, accountid, 'X-GW-Router-Addr': 'https://tf.jdy.com' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
        res.on('aborted', () => resolve({ broken: true, status: res.statusCode, headers: res.headers }));
        res.on('error', () => resolve({ broken: true, status: res.statusCode, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The statuses of `count` calls, one after another. */
async function statuses(url, name, count, who) {
  const out = [];
  for (let i = 0; i < count; i++) out.push((await call(url, name, who)).status);
  return out;
}

/**
 * The faults of `options` (which name some): createFaults without its `undefined` for none.
 * @param {Parameters<typeof createFaults>[0]} options
 */
const faultsOf = async (options) => /** @type {NonNullable<Awaited<ReturnType<typeof createFaults>>>} */ (await createFaults(options));

/** Writes a rule file and reads it back through createFaults: its rules, or the error it raises. */
async function loadFile(name, text) {
  const file = join(dir, name);
  await writeFile(file, text);
  return faultsOf({ doc, faults: file }).catch((error) => error);
}

describe('rule files', () => {
  it.each([
    ['not an object', 'faults.yaml', '- fault: stall\n', /faults\.yaml:1: the rules must be an object with a "faults" list/],
    [
      'an unknown fault',
      'faults.yaml',
      'faults:\n  - fault: stall\n  - fault: explode\n',
      /faults\.yaml:3: faults\[1\]\.fault must be one of rate-limited, .*not "explode"/,
    ],
    [
      'a misspelt field',
      'faults.yaml',
      'faults:\n  - fault: delay\n    ms: 10\n    evry: 2\n',
      /faults\.yaml:4: faults\[0\]\.evry is not a field of a delay rule/,
    ],
    [
      'a field of another fault',
      'faults.yaml',
      'faults:\n  - fault: stall\n    ms: 10\n',
      /faults\.yaml:3: faults\[0\]\.ms is not a field of a stall rule/,
    ],
    [
      'a count that is not whole',
      'faults.yaml',
      'faults:\n  - fault: stall\n    every: 1.5\n',
      /faults\.yaml:3: faults\[0\]\.every must be a whole number from 1/,
    ],
    ['every 0', 'faults.yaml', 'faults:\n  - fault: stall\n    every: 0\n', /faults\[0\]\.every must be a whole number from 1/],
    ['a missing delay', 'faults.yaml', 'faults:\n  - fault: delay\n    jitter: 5\n', /faults\.yaml:2: faults\[0\]\.ms is required/],
    [
      'a delay past ten minutes',
      'faults.yaml',
      'faults:\n  - fault: delay\n    ms: 600001\n',
      /faults\[0\]\.ms must be a whole number from 0 to 600000/,
    ],
    ['a missing errorCode', 'faults.yaml', 'faults:\n  - fault: business-failure\n', /faults\.yaml:2: faults\[0\]\.errorCode is required/],
    [
      'an unknown action',
      'faults.yaml',
      'faults:\n  - fault: stall\n    match:\n      action: getNothing\n',
      /faults\.yaml:4: faults\[0\]\.match\.action names no action of the spec: "getNothing"/,
    ],
    [
      'an unknown route',
      'faults.yaml',
      'faults:\n  - fault: stall\n    match: { route: /nowhere }\n',
      /faults\[0\]\.match\.route names no route of the spec/,
    ],
    [
      'a match on something else',
      'faults.yaml',
      'faults:\n  - fault: stall\n    match: { __proto__: x }\n',
      /faults\[0\]\.match\.__proto__ is not something a rule matches on/,
    ],
    [
      'an empty match value',
      'faults.yaml',
      "faults:\n  - fault: stall\n    match: { groupName: '' }\n",
      /faults\[0\]\.match\.groupName must be a non-empty string/,
    ],
    ['YAML it cannot read', 'faults.yaml', 'faults:\n  - fault: [stall\n', /faults\.yaml:\d+: not YAML or JSON/],
    ['a repeated key', 'faults.json', '{"faults": [{"fault": "stall", "fault": "reset"}]}', /faults\.json:1: not YAML or JSON: .*unique/i],
    ['aliases', 'faults.yaml', 'base: &b {fault: stall}\nfaults: [*b, *b]\n', /faults\.yaml: .*aliases/],
    [
      'JSON with a mistake',
      'faults.json',
      '{\n  "faults": [\n    {"fault": "rejected", "times": -1}\n  ]\n}\n',
      /faults\.json:3: faults\[0\]\.times must be a whole number from 1/,
    ],
  ])('refuses %s, naming the line and the field', async (_what, name, text, message) => {
    const error = await loadFile(name, text);
    expect(error).toBeInstanceOf(FaultRulesError);
    expect(error.message).toMatch(message);
  });

  it('refuses a file it cannot read, and rules given in code as it refuses a file', async () => {
    expect((await faultsOf({ doc, faults: join(dir, 'missing.yaml') }).catch((e) => e)).message).toMatch(/cannot be read/);
    const error = await faultsOf({ doc, faults: { faults: [{ fault: 'rate-limited', retryAfter: -1 }] } }).catch((e) => e);
    expect(error.message).toMatch(/^the faults option: faults\[0\]\.retryAfter must be a whole number/);
  });

  it('reads YAML and JSON alike', async () => {
    const yaml = await loadFile('ok.yaml', 'faults:\n  - fault: delay\n    ms: 5\n    match: { action: getInspection }\n');
    const json = await loadFile('ok.json', '{"faults": [{"fault": "delay", "ms": 5, "match": {"action": "getInspection"}}]}');
    const at = { action: 'getInspection', route: byName('getInspection').wirePath, groupName: 'g', accountid: 'a', token: 't' };
    expect(yaml.pick(at)).toMatchObject({ name: 'delay', delayMs: 5 });
    expect(json.pick(at)).toMatchObject({ name: 'delay', delayMs: 5 });
  });

  it('stops the CLI with the reason (exit 1), and refuses a --rate-limit it cannot read (exit 2)', async () => {
    const file = join(dir, 'cli.yaml');
    await writeFile(file, 'faults:\n  - fault: stall\n    times: x\n');
    const bad = spawnSync(process.execPath, [CLI, '--port', '0', '--faults', file], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${file}:3: faults[0].times must be a whole number`);
    for (const rate of ['5/hour', '0/s']) {
      const refused = spawnSync(process.execPath, [CLI, '--port', '0', '--rate-limit', rate], { encoding: 'utf8' });
      expect(refused.status, rate).toBe(2);
      expect(refused.stderr).toMatch(/--rate-limit takes <calls>\/<s\|min>/);
    }
  });
});

describe('when rules fire, and on what', () => {
  const inspection = (groupName, token = 't') => ({
    action: 'getInspection',
    route: byName('getInspection').wirePath,
    groupName,
    accountid: 'a',
    token,
  });
  const fired = (faults, calls) => calls.map((at) => faults.pick(at)?.name ?? 'ok');

  it('fires on every Nth call, after N calls, N times, and these together', async () => {
    const faults = await faultsOf({
      doc,
      faults: {
        faults: [
          { fault: 'stall', match: { groupName: 'every' }, every: 3 },
          { fault: 'stall', match: { groupName: 'after' }, after: 2 },
          { fault: 'stall', match: { groupName: 'times' }, times: 2 },
          { fault: 'stall', match: { groupName: 'all' }, after: 1, every: 2, times: 2 },
        ],
      },
    });
    const eight = (group) =>
      fired(
        faults,
        Array.from({ length: 8 }, () => inspection(group)),
      );
    expect(eight('every')).toEqual(['ok', 'ok', 'stall', 'ok', 'ok', 'stall', 'ok', 'ok']);
    expect(eight('after')).toEqual(['ok', 'ok', 'stall', 'stall', 'stall', 'stall', 'stall', 'stall']);
    expect(eight('times')).toEqual(['stall', 'stall', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(eight('all')).toEqual(['ok', 'ok', 'stall', 'ok', 'stall', 'ok', 'ok', 'ok']);
  });

  it('matches by action, route and account set; each rule counts the calls it matches; the first due answers', async () => {
    const faults = await faultsOf({
      doc,
      faults: {
        faults: [
          { fault: 'rejected', match: { action: 'getInspection', groupName: 'g1', accountid: 'a' }, every: 2 },
          { fault: 'no-route', match: { route: byName('getInspection').wirePath } },
        ],
      },
    });
    expect(fired(faults, [inspection('g1'), inspection('g1'), inspection('g2'), inspection('g1')])).toEqual([
      'no-route',
      'rejected',
      'no-route',
      'no-route',
    ]);
    const push = {
      ...inspection('g1'),
      action: 'pushOrderExecutionToSparePartsUse',
      route: byName('pushOrderExecutionToSparePartsUse').wirePath,
    };
    expect(faults.pick(push)).toBeUndefined();
  });

  it('refuses a rotated token until the account set sends another, and counts none of those calls', async () => {
    const faults = await faultsOf({ doc, faults: { faults: [{ fault: 'secret-rotated', times: 1 }] } });
    expect(
      fired(faults, [
        inspection('g', 'old'),
        inspection('g', 'old'),
        inspection('other', 'old'),
        inspection('g', 'new'),
        inspection('g', 'old'),
      ]),
    ).toEqual(['secret-rotated', 'secret-rotated', 'ok', 'ok', 'ok']);
  });

  it('delays by ms, plus up to jitter', async () => {
    for (const [random, delay] of [
      [0, 100],
      [0.5, 125],
      [0.9999, 150],
    ]) {
      const faults = await faultsOf({ doc, faults: { faults: [{ fault: 'delay', ms: 100, jitter: 50 }] }, random: () => random });
      expect(faults.pick(inspection('g'))?.delayMs).toBe(delay);
    }
  });
});

describe('each fault answers as the spec says the gateway does, marked as the mock’s own', () => {
  let mock;
  beforeAll(async () => {
    const rule = (fault, settings = {}) => ({ fault, match: { groupName: fault }, ...settings });
    mock = await startMock({
      port: 0,
      faults: {
        faults: [
          rule('rate-limited', { retryAfter: 7 }),
          rule('rejected'),
          rule('no-route'),
          rule('secret-rotated'),
          rule('business-failure', { errorCode: 'E-42' }),
          rule('delay', { ms: 1 }),
          rule('reset'),
        ],
      },
    });
  });
  afterAll(() => mock?.close());

  /** The schema the operation of `action` declares for `status`. */
  const declared = (action, status) =>
    deref(doc, doc.paths[action.path][action.method].responses[String(status)])?.content?.['application/json']?.schema;

  it.each(business.map((a) => [a.name]))('%s: 429, 519, 404 and the business failure fit the operation’s responses', async (name) => {
    const action = byName(name);
    for (const [fault, status] of /** @type {[string, number][]} */ ([
      ['rate-limited', 429],
      ['rejected', 519],
      ['no-route', 404],
      ['business-failure', 200],
    ])) {
      const answer = await call(mock.url, name, { groupName: fault });
      expect([answer.status, answer.headers['x-qzz-fault']], fault).toEqual([status, fault]);
      const schema = declared(action, status);
      expect(schema, `${name} declares ${status}`).toBeDefined();
      const validate = validator.compile(schema);
      expect(validate(JSON.parse(answer.body)), `${fault}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('says only what the sources show: the 519’s and the 404’s messages, the rotation’s code; the 429 its Retry-After', async () => {
    const name = 'getInspection';
    expect(JSON.parse((await call(mock.url, name, { groupName: 'rejected' })).body)).toEqual({ description: 'X-Api-Signature is invalid' });
    expect(JSON.parse((await call(mock.url, name, { groupName: 'no-route' })).body)).toEqual({ description: 'No Route' });
    expect(JSON.parse((await call(mock.url, name, { groupName: 'business-failure' })).body)).toEqual({ success: false, errorCode: 'E-42' });
    const limited = await call(mock.url, name, { groupName: 'rate-limited' });
    expect(limited.headers['retry-after']).toBe('7');
    // The rotation: the gateway's envelope, whose HTTP status the sources do not give (the spec declares none).
    const rotated = await call(mock.url, name, { groupName: 'secret-rotated' });
    expect([rotated.status, rotated.headers['x-qzz-fault']]).toEqual([200, 'secret-rotated']);
    const body = JSON.parse(rotated.body);
    expect(body).toEqual({ errcode: 1030002006, description: '授权密钥校验失败' });
    expect(validator.compile('#/components/schemas/GatewayError')(body)).toBe(true);
  });

  it('marks a delayed answer and a reset one; the reset breaks off half-way', async () => {
    const delayed = await call(mock.url, 'getInspection', { groupName: 'delay' });
    expect([delayed.status, delayed.headers['x-qzz-fault'], delayed.headers['x-qzz-action']]).toEqual([200, 'delay', 'getInspection']);
    expect(JSON.parse(delayed.body).success).toBe(true);
    const reset = await call(mock.url, 'getInspection', { groupName: 'reset' });
    expect(reset).toMatchObject({ broken: true, status: 200, headers: { 'x-qzz-fault': 'reset' } });
  });

  it('never touches the gateway’s own signed calls, nor the answers of other account sets', async () => {
    expect((await call(mock.url, 'getInspection', { groupName: 'nobody' })).headers['x-qzz-fault']).toBeUndefined();
    const signed = listActions(doc).find((a) => a.signed && a.method === 'get');
    const res = await fetch(`${mock.url}${signed.wirePath}?app_key=k&app_signature=s`, {
      headers: {
        'X-Api-ClientID': 'c',
        'X-Api-Signature': 's',
        'X-Api-Auth-Version': '2.0',
        'X-Api-TimeStamp': '1',
        'X-Api-Nonce': '1',
        'X-Api-SignHeaders': 'X-Api-TimeStamp,X-Api-Nonce',
        groupName: 'rejected',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-qzz-fault')).toBeNull();
  });
});

describe('--rate-limit', () => {
  it('answers each account set its budget exactly, then 429 with Retry-After, and other account sets as before', async () => {
    const mock = await startMock({ port: 0, rateLimit: '3/min' });
    try {
      expect(await statuses(mock.url, 'getInspection', 5, { groupName: 'one' })).toEqual([200, 200, 200, 429, 429]);
      // A refused request counts too: the gateway counts calls, not successes.
      expect((await call(mock.url, 'getInspection', { groupName: 'two', accountid: 'x' })).status).toBe(200);
      expect(await statuses(mock.url, 'getInspection', 3, { groupName: 'two', accountid: 'y' })).toEqual([200, 200, 200]);
      const limited = await call(mock.url, 'pushOrderExecutionToSparePartsUse', { groupName: 'one' });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(limited.headers['x-qzz-fault']).toBe('rate-limited');
      expect(validator.compile('#/components/schemas/GatewayError')(JSON.parse(limited.body))).toBe(true);
    } finally {
      await mock.close();
    }
  });

  it('opens a new window once the last has passed, with the seconds left as Retry-After', async () => {
    let now = 1_000_000;
    const faults = await faultsOf({ doc, rateLimit: '2/s', now: () => now });
    const at = { route: '/x', groupName: 'g', accountid: 'a', token: 't' };
    expect([faults.limited(at), faults.limited(at)]).toEqual([undefined, undefined]);
    now += 100;
    expect(faults.limited(at)?.headers['retry-after']).toBe('1');
    now += 900;
    expect(faults.limited(at)).toBeUndefined();
  });

  it(`keeps count of at most ${MAX_TRACKED_ACCOUNT_SETS} account sets, forgetting the oldest`, async () => {
    const faults = await faultsOf({ doc, rateLimit: '1/min' });
    const at = (i) => ({ route: '/x', groupName: `g${i}`, accountid: 'a', token: 't' });
    expect(faults.limited(at(0))).toBeUndefined();
    expect(faults.limited(at(0))?.status).toBe(429);
    for (let i = 1; i <= MAX_TRACKED_ACCOUNT_SETS; i++) faults.limited(at(i));
    // The first account set's window is forgotten: it gets a new budget (the bound costs the limit's exactness only then).
    expect(faults.limited(at(0))).toBeUndefined();
    expect(faults.limited(at(MAX_TRACKED_ACCOUNT_SETS))?.status).toBe(429);
  });
});

describe('faults and the sandbox', () => {
  it('a save the gateway refuses is not kept; a save whose answer is cut off is', async () => {
    const mock = await startMock({
      port: 0,
      sandbox: true,
      faults: {
        faults: [
          { fault: 'rate-limited', match: { groupName: 'refused' } },
          { fault: 'reset', match: { groupName: 'cut' } },
        ],
      },
    });
    try {
      const held = async (groupName) => {
        const res = await fetch(`${mock.url}/__sandbox/bills?access_token=t`, {
          headers: { groupName, accountid: 'a', 'X-GW-Router-Addr': 'https://tf.jdy.com' },
        });
        return (await res.json()).bills.length;
      };
      const before = await held('refused');
      expect((await call(mock.url, 'saveOrderExecution', { groupName: 'refused' })).status).toBe(429);
      expect(await held('refused')).toBe(before);
      expect((await call(mock.url, 'saveOrderExecution', { groupName: 'cut' })).broken).toBe(true);
      expect(await held('cut')).toBe(before + 1);
    } finally {
      await mock.close();
    }
  });
});

describe('stall', () => {
  it('answers nothing until the caller gives up, and does not hold the mock open at close', async () => {
    const mock = await startMock({ port: 0, faults: { faults: [{ fault: 'stall', times: 1 }] } });
    const action = byName('getInspection');
    const stalled = fetch(`${mock.url}${action.wirePath}?access_token=t`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', groupName: 'g', accountid: 'a', 'X-GW-Router-Addr': 'r' },
      body: exampleBody(action),
      signal: AbortSignal.timeout(300),
    });
    await expect(stalled).rejects.toMatchObject({ name: 'TimeoutError' });
    // Only the first call stalls; a stalled one that is still open does not keep close() waiting.
    expect((await call(mock.url, 'getInspection')).status).toBe(200);
    const open = call(mock.url, 'getInspection').catch((error) => error);
    const second = await startMock({ port: 0, faults: { faults: [{ fault: 'stall' }] } });
    const hanging = call(second.url, 'getInspection').catch((error) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await second.close();
    expect(await hanging).toBeInstanceOf(Error);
    await open;
    await mock.close();
  });
});

describe('in-process (createMockFetch): the same faults, and the same answers', () => {
  /**
   * An action's documented request as fetch takes it, as account set `groupName`.
   * @param {string} name @param {string} groupName @param {AbortSignal} [signal]
   * @returns {[string, RequestInit]}
   */
  const init = (name, groupName, signal) => {
    const action = byName(name);
    return [
      `http://mock.invalid${action.wirePath}?access_token=t`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', groupName, accountid: 'a', 'X-GW-Router-Addr': 'r' },
        body: exampleBody(action),
        signal,
      },
    ];
  };
  /** @type {{ faults: Record<string, unknown>[] }} */
  const rules = {
    faults: [
      ...['rate-limited', 'rejected', 'no-route', 'secret-rotated', 'stall', 'reset'].map((fault) => ({
        fault,
        match: { groupName: fault },
      })),
      { fault: 'business-failure', match: { groupName: 'business-failure' }, errorCode: 'E-1' },
      { fault: 'delay', match: { groupName: 'delay' }, ms: 1 },
    ],
  };

  it('answers each fault that answers as the HTTP mock does: status, headers that mark it, body', async () => {
    const mockFetch = await createMockFetch({ faults: rules });
    const mock = await startMock({ port: 0, faults: rules });
    try {
      for (const fault of ['rate-limited', 'rejected', 'no-route', 'secret-rotated', 'business-failure', 'delay']) {
        const inProcess = await mockFetch(...init('getInspection', fault));
        const overHttp = await call(mock.url, 'getInspection', { groupName: fault });
        expect(inProcess.status, fault).toBe(overHttp.status);
        expect(inProcess.headers.get('x-qzz-fault')).toBe(fault);
        expect(inProcess.headers.get('retry-after')).toBe(overHttp.headers['retry-after'] ?? null);
        expect(await inProcess.text()).toBe(overHttp.body);
      }
    } finally {
      await Promise.all([mockFetch.close(), mock.close()]);
    }
  });

  it('rejects a reset with a network-like TypeError, and a stall when the signal aborts', async () => {
    const mockFetch = await createMockFetch({ faults: rules });
    try {
      const reset = await mockFetch(...init('getInspection', 'reset')).catch((error) => error);
      expect(reset).toBeInstanceOf(TypeError);
      expect(reset.cause.code).toBe('UND_ERR_SOCKET');
      const controller = new AbortController();
      const stalled = mockFetch(...init('getInspection', 'stall', controller.signal));
      // Nothing answers a stall: only the abort ends it (a timer would only say that nothing came in time).
      const settled = await Promise.race([
        stalled.then(
          () => 'answered',
          () => 'rejected',
        ),
        mockFetch(...init('getInspection', 'other')).then(() => 'other first'),
      ]);
      expect(settled).toBe('other first');
      controller.abort(new DOMException('gave up', 'AbortError'));
      await expect(stalled).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await mockFetch.close();
    }
  });

  it('keeps the rate limit exactly, per account set', async () => {
    const mockFetch = await createMockFetch({ rateLimit: '2/min' });
    try {
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await mockFetch(...init('getInspection', 'limited'))).status);
      expect(codes).toEqual([200, 200, 429, 429]);
      expect((await mockFetch(...init('getInspection', 'another'))).status).toBe(200);
    } finally {
      await mockFetch.close();
    }
  });
});

describe('through MSW handlers', () => {
  it('a reset is a network error for the caller, not an answer; a stall ends with the caller’s signal', async () => {
    const { setupServer } = await import('msw/node');
    const { createMockHandlers } = await import('../src/msw.js');
    const baseUrl = 'https://gateway.msw.test';
    const server = setupServer(
      ...(await createMockHandlers({
        baseUrl,
        faults: {
          faults: [
            { fault: 'reset', match: { groupName: 'reset' } },
            { fault: 'stall', match: { groupName: 'stall' } },
          ],
        },
      })),
    );
    server.listen({ onUnhandledRequest: 'error' });
    try {
      const action = byName('getInspection');
      const send = (groupName, signal) =>
        fetch(`${baseUrl}${action.wirePath}?access_token=t`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', groupName, accountid: 'a', 'X-GW-Router-Addr': 'r' },
          body: exampleBody(action),
          signal,
        });
      expect((await send('other')).status).toBe(200);
      await expect(send('reset')).rejects.toBeInstanceOf(TypeError);
      const controller = new AbortController();
      const stalled = send('stall', controller.signal);
      controller.abort();
      await expect(stalled).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      server.close();
    }
  });
});
