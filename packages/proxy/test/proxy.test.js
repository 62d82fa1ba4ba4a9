// The proxy in front of a stand-in gateway that answers real-shaped data (the spec's own examples) with drift,
// routes and actions the spec lacks, and slow and failing upstreams.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VALIDATED_BYTES, startProxy } from '../src/index.js';
import { json, startStandIn } from './standin.js';

const doc = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const example = (name) => structuredClone(doc.components.examples[name].value);

const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
const INSPECT = '/mxoc_qm/inspect_query';
const UNKNOWN = '/mxoc_widget/widget_query';
const CAPTURED = '/mxoc_widget/widget_list';
const DRIFT_ID = '1634800180022799999'; // the stand-in answers this bill with drift
// A token and a signature with every URL-special character, so each encoding of them differs.
const TOKEN = 'tok:/?#[]@!$&\'()*+,;=% "\\é-Zq81';
const SIGNATURE = 'sig+/=&?#%"\\ 9Xb';
const CREDENTIAL_HEADERS = {
  groupName: 'grp-7',
  accountid: '1700000000000000001',
  'X-GW-Router-Addr': 'https://tf.jdy.com',
  'X-Api-Signature': SIGNATURE,
};
const withToken = (path) => `${path}?access_token=${encodeURIComponent(TOKEN)}`;
const encodings = (s) => [s, encodeURIComponent(s), new URLSearchParams({ s }).toString().slice(2), JSON.stringify(s).slice(1, -1)];

/**
 * One HTTP exchange with full control of the headers and body bytes.
 * @param {string} base
 * @param {{ method?: string, path: string, headers?: import('node:http').OutgoingHttpHeaders, body?: string | Buffer }} exchange
 */
function send(base, { method = 'POST', path, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          statusMessage: res.statusMessage,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
const post = (base, path, value, headers = {}) =>
  send(base, {
    path: withToken(path),
    headers: { ...CREDENTIAL_HEADERS, 'content-type': 'application/json', ...headers },
    body: typeof value === 'string' ? value : JSON.stringify(value),
  });

// The stand-in gateway's routes.
const seedAnswer = () => example('pushOrderExecutionToSparePartsUse_response');
function drifted() {
  const answer = seedAnswer();
  answer.data.mxoc_newfield = 'added by the vendor'; // an added field
  answer.data.material_entity[0].qty = 5; // a number where the spec says string
  delete answer.data.billno; // a missing field
  return answer;
}
function gateway(req, body, res) {
  const url = new URL(req.url ?? '/', 'http://standin.invalid');
  let parsed;
  try {
    parsed = body.length && /json/.test(req.headers['content-type'] ?? '') ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    return json(res, 200, { success: false, reachPlugin: false, errorCode: 'error', message: 'bad JSON' });
  }
  const token = url.searchParams.get('access_token') ?? '';
  if (url.pathname === '/echo') {
    res.statusMessage = 'Echoed';
    res.writeHead(201, { 'X-Vendor-Trace': 'abc', 'content-type': 'application/octet-stream' });
    return res.end(createHash('sha256').update(body).digest());
  }
  if (url.pathname === '/slow') return setTimeout(() => json(res, 200, {}), 2000);
  if (url.pathname === '/stall') {
    // Headers and the start of a body, then nothing: the answer stalls half-way.
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.write('{"success": true, "data": ');
  }
  if (url.pathname === '/hangup') return res.socket?.destroy();
  if (url.pathname === SEED && parsed?.operation === 'push') return json(res, 200, parsed.entryPk === DRIFT_ID ? drifted() : seedAnswer());
  if (url.pathname === SEED && parsed && parsed.operation !== 'push') {
    return json(res, 200, {
      success: true,
      reachPlugin: true,
      errorCode: 'success',
      data: { id: parsed.billdata.id, billno: 'BJLL-20230306-0001', auditorid_name: '王二小', creatorid_phone: '13800138000' },
    });
  }
  if (url.pathname === INSPECT) return json(res, 503, { errcode: 503, description: 'busy' });
  if (url.pathname.startsWith('/mxoc_widget/')) {
    const rows = [
      {
        id: '1634800180022794240',
        creatorid_name: '王二小',
        creatorid_phone: '13800138000',
        qty: '1.5',
        note: `token was ${token}`,
        signed: `${encodeURIComponent(token)}|${new URLSearchParams({ t: token })}|${req.headers['x-api-signature']}`,
      },
    ];
    if (parsed?.pageIndex === '2') rows[0].extra_flag = true;
    return json(res, 200, { success: true, reachPlugin: true, errorCode: 'success', data: { rows, total: '1' } });
  }
  if (url.pathname === '/jdyconnector/app_management/kingdee_auth_token') return json(res, 200, { errcode: '0', description: '成功' });
  if (url.pathname === '/big') return json(res, 200, { blob: 'x'.repeat(MAX_VALIDATED_BYTES + 10) });
  json(res, 404, { errcode: 404, description: 'No Route' });
}

let standIn;
let proxy;
let captureDir;
let reportFile;
const reports = [];
const logs = [];

beforeAll(async () => {
  standIn = await startStandIn(gateway);
  captureDir = await mkdtemp(join(tmpdir(), 'qzz-proxy-capture-'));
  reportFile = join(captureDir, 'report.jsonl');
  proxy = await startProxy({
    upstream: standIn.url,
    port: 0,
    capture: join(captureDir, 'records'),
    report: reportFile,
    timeoutMs: 500,
    log: (l) => logs.push(l),
    onReport: (l) => reports.push(l),
  });
});
afterAll(async () => {
  await proxy?.close();
  await standIn?.close();
  await rm(captureDir, { recursive: true, force: true });
});

/** The report lines one exchange produced. */
async function reportOf(exchange) {
  const before = reports.length;
  const response = await exchange();
  await proxy.flush();
  return {
    response,
    lines: reports.slice(before).map(({ action, direction, pointer, kind }) => ({ action, direction, pointer, kind })),
    full: reports.slice(before),
  };
}

describe('forwarding', () => {
  it('forwards method, target, headers and body bytes unchanged, and the answer back unchanged', async () => {
    const body = Buffer.from([0x7b, 0xff, 0x00, 0xe5, 0x90, 0x8d, 0x7d]); // not even UTF-8
    const path = `/echo?access_token=${encodeURIComponent(TOKEN)}&b=%E4%B8%AD&c=1+2`;
    const response = await send(proxy.url, {
      method: 'PATCH',
      path,
      headers: { ...CREDENTIAL_HEADERS, 'Content-Type': 'application/x-custom', 'X-Odd': 'ä' },
      body,
    });
    const received = standIn.received.at(-1);
    expect(received.method).toBe('PATCH');
    expect(received.url).toBe(path);
    const pairs = (raw) => Object.fromEntries(raw.flatMap((v, i) => (i % 2 ? [] : [[v, raw[i + 1]]])));
    expect(pairs(received.rawHeaders)).toMatchObject({
      ...CREDENTIAL_HEADERS,
      'Content-Type': 'application/x-custom',
      'Content-Length': '7',
    });
    expect(received.body.equals(body)).toBe(true);
    expect(response.status).toBe(201);
    expect(response.statusMessage).toBe('Echoed');
    expect(response.headers['x-vendor-trace']).toBe('abc');
    expect(response.body.equals(createHash('sha256').update(body).digest())).toBe(true);
    await proxy.flush(); // its report (a route the spec lacks) belongs to this test
  });

  it('reports nothing for an exchange that fits the spec', async () => {
    const { response, lines } = await reportOf(() => post(proxy.url, SEED, example('pushOrderExecutionToSparePartsUse_request')));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString())).toEqual(seedAnswer());
    expect(lines).toEqual([]);
  });
});

describe('validation report', () => {
  it('reports each drift in the answer once, with the action and the JSON pointer', async () => {
    const body = { ...example('pushOrderExecutionToSparePartsUse_request'), entryPk: DRIFT_ID };
    const { response, lines, full } = await reportOf(() => post(proxy.url, SEED, body));
    expect(JSON.parse(response.body.toString())).toEqual(drifted()); // validation never changes the answer
    const action = 'pushOrderExecutionToSparePartsUse';
    expect(lines).toEqual(
      expect.arrayContaining([
        { action, direction: 'response', pointer: '/data/mxoc_newfield', kind: 'undocumented-field' },
        { action, direction: 'response', pointer: '/data/material_entity/0/qty', kind: 'type' },
        { action, direction: 'response', pointer: '/data/billno', kind: 'missing-field' },
      ]),
    );
    expect(lines, JSON.stringify(full)).toHaveLength(3);
    const type = full.find((l) => l.kind === 'type');
    expect(type).toMatchObject({ spec: 'type string', seen: 'integer', status: 200, route: `POST ${SEED}` });
    // The console line names the action, the pointer and both sides.
    expect(logs.some((l) => l.includes(`${action} response 200 /data/material_entity/0/qty type: spec type string; seen integer`))).toBe(
      true,
    );
    // The report file holds the same lines as JSON.
    const file = (await readFile(reportFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(file).toEqual(expect.arrayContaining(full));
  });

  it('reports drift in the request against the action the body selects', async () => {
    const body = { ...example('pushOrderExecutionToSparePartsUse_request'), entryPk: 1634800180022794240, extra: 'x' };
    const { lines, full } = await reportOf(() => post(proxy.url, SEED, body));
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        { action: 'pushOrderExecutionToSparePartsUse', direction: 'request', pointer: '/entryPk', kind: 'type' },
        { action: 'pushOrderExecutionToSparePartsUse', direction: 'request', pointer: '/extra', kind: 'undocumented-field' },
      ]),
    );
    expect(full.find((l) => l.pointer === '/extra').seen).toBe('string of 1 characters (letters)'); // shapes, not values
  });

  it('reports a body that is not JSON, or missing, against the route: no action can be picked without it', async () => {
    const broken = await reportOf(() => post(proxy.url, SEED, '{"operation": "push",'));
    expect(broken.full).toMatchObject([
      {
        action: null,
        direction: 'request',
        pointer: '',
        kind: 'not-json',
        spec: 'a JSON body',
        seen: expect.stringMatching(/^text that is not JSON/),
      },
    ]);
    const empty = await reportOf(() => post(proxy.url, SEED, ''));
    expect(empty.lines).toEqual([{ action: null, direction: 'request', pointer: '', kind: 'missing-body' }]);
  });

  it('reports drift against the action whose selector values the body carries, not a select-all sibling', async () => {
    // A spec where the receipt notice's save on om_operate (select {}) takes any object at all: a drifted push
    // body would fit it, yet the body asks for the push, and the push is what drifted.
    const loose = structuredClone(doc);
    loose.components.schemas.SaveAuditReceiptNoticeRequest = { type: 'object', title: 'SaveAuditReceiptNoticeRequest' };
    const specFile = join(captureDir, 'loose-openapi.json');
    await writeFile(specFile, JSON.stringify(loose));
    const lines = [];
    const looseProxy = await startProxy({
      upstream: standIn.url,
      port: 0,
      spec: specFile,
      onReport: ({ action, direction, pointer, kind }) => lines.push({ action, direction, pointer, kind }),
    });
    try {
      const action = 'pushReceiptNoticeToOutsourcedInStock';
      const body = example(`${action}_request`);
      body.billdata.id = 1487780914778882048;
      await post(looseProxy.url, '/mxoc_om_ext/om_operate', body);
      await looseProxy.flush();
      expect(lines).toEqual([{ action, direction: 'request', pointer: '/billdata/id', kind: 'type' }]);
    } finally {
      await looseProxy.close();
    }
  });

  it('checks the answer of an operation without a body (the gateway token call)', async () => {
    const { lines } = await reportOf(() =>
      send(proxy.url, { method: 'GET', path: '/jdyconnector/app_management/kingdee_auth_token?app_key=k&app_signature=s' }),
    );
    expect(lines).toEqual([{ action: 'getKingdeeAuthToken', direction: 'response', pointer: '/errcode', kind: 'type' }]);
  });

  it('reports an undocumented status and passes it through', async () => {
    const { response, lines } = await reportOf(() => post(proxy.url, INSPECT, example('getInspection_request')));
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body.toString())).toEqual({ errcode: 503, description: 'busy' });
    expect(lines).toEqual([{ action: 'getInspection', direction: 'response', pointer: '', kind: 'undocumented-status' }]);
  });

  it('reports a route the spec lacks, and a new action on a known route', async () => {
    const route = await reportOf(() => post(proxy.url, UNKNOWN, { formId: 'mxoc_widget', pageIndex: '1' }));
    expect(route.lines).toEqual([{ action: null, direction: 'request', pointer: '', kind: 'unknown-route' }]);
    expect(route.full[0]).toMatchObject({ spec: 'no such route', seen: `POST ${UNKNOWN}` });
    const method = await reportOf(() => send(proxy.url, { method: 'GET', path: withToken(SEED), headers: CREDENTIAL_HEADERS }));
    expect(method.response.status).toBe(404); // the stand-in's answer, passed through
    expect(method.full).toMatchObject([{ kind: 'unknown-route', spec: 'only POST on this path', seen: `GET ${SEED}` }]);
    const action = await reportOf(() => post(proxy.url, SEED, { operation: 'audit', billdata: { id: '1634800180022794240' } }));
    expect(action.lines).toEqual([{ action: null, direction: 'request', pointer: '', kind: 'unknown-action' }]);
    expect(action.full[0].seen).toBe('a body selecting operation="audit"');
  });

  it('forwards a body over the size limit untouched and reports it as not validated', async () => {
    const big = JSON.stringify({ operation: 'push', billdata: { id: '1' }, pad: 'y'.repeat(MAX_VALIDATED_BYTES) });
    const { response, lines } = await reportOf(() => post(proxy.url, '/echo', big));
    expect(response.body.equals(createHash('sha256').update(big).digest())).toBe(true);
    expect(lines).toContainEqual({ action: null, direction: 'request', pointer: '', kind: 'not-validated' });
    const answer = await reportOf(() => post(proxy.url, '/big', {}));
    expect(answer.response.body.length).toBeGreaterThan(MAX_VALIDATED_BYTES);
    expect(answer.lines).toContainEqual({ action: null, direction: 'response', pointer: '', kind: 'not-validated' });
  });
});

describe('failing upstreams', () => {
  it('answers 504 with the reason when the upstream is too slow', async () => {
    const response = await post(proxy.url, '/slow', {});
    expect(response.status).toBe(504);
    expect(JSON.parse(response.body.toString()).detail).toMatch(/sent no answer within 500 ms/);
  });

  it('cuts off an answer that stalls half-way, instead of leaving the caller hanging', async () => {
    const before = logs.length;
    const outcome = await post(proxy.url, '/stall', {}).then(
      () => 'answered',
      (error) => error.code ?? error.message,
    );
    expect(outcome).not.toBe('answered');
    expect(logs.slice(before).join('\n')).toMatch(/stalled for 500 ms/);
  });

  it('reports a body that is not JSON without quoting it', async () => {
    const secret = 'app_secret=S3cr3tValue&phone=13800138000';
    const { full } = await reportOf(() => post(proxy.url, SEED, secret, { 'content-type': 'application/json' }));
    expect(full.length).toBeGreaterThan(0);
    const text = JSON.stringify(full);
    expect(text).toMatch(/text that is not JSON \(40 characters\)/);
    for (const part of ['app_secret', 'S3cr3t', '13800138000']) expect(text).not.toContain(part);
  });

  it('answers 502 with the reason when the upstream hangs up or cannot be reached', async () => {
    const hangup = await post(proxy.url, '/hangup', {});
    expect(hangup.status).toBe(502);
    expect(JSON.parse(hangup.body.toString()).detail).toMatch(/could not be reached or broke off: ECONNRESET/);
    const gone = await startStandIn(() => {});
    await gone.close();
    const lonely = await startProxy({ upstream: gone.url, port: 0 });
    try {
      const response = await post(lonely.url, SEED, {});
      expect(response.status).toBe(502);
      const text = response.body.toString();
      expect(JSON.parse(text).detail).toMatch(/ECONNREFUSED/);
      for (const form of encodings(TOKEN)) expect(text).not.toContain(form);
    } finally {
      await lonely.close();
    }
  });

  it('survives malformed and hostile requests, answering each with a 4xx or a closed socket', async () => {
    const address = new URL(proxy.url);
    const raw = (payload) =>
      new Promise((resolve) => {
        const socket = connect(Number(address.port), address.hostname, () => socket.end(payload));
        let text = '';
        socket.on('data', (d) => (text += d));
        socket.on('error', () => resolve(text));
        socket.on('close', () => resolve(text));
        socket.setTimeout(3000, () => socket.destroy());
      });
    const hostile = [
      'NONSENSE\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n',
      'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
      'CONNECT elsewhere.invalid:443 HTTP/1.1\r\nHost: elsewhere.invalid:443\r\n\r\n',
      'GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
    ];
    const answers = [];
    for (const payload of hostile) answers.push((await raw(payload)).split('\r\n')[0]);
    // CONNECT and upgrades have no place here: Node closes those sockets; everything else gets a 4xx.
    expect(answers).toEqual([
      'HTTP/1.1 400 Bad Request',
      'HTTP/1.1 400 Bad Request',
      'HTTP/1.1 400 Bad Request',
      'HTTP/1.1 400 Bad Request',
      'HTTP/1.1 431 Request Header Fields Too Large',
      '',
      '',
      'HTTP/1.1 400 Bad Request',
    ]);
    expect((await post(proxy.url, SEED, example('pushOrderExecutionToSparePartsUse_request'))).status).toBe(200);
  });

  it('refuses a target that is not a path, and keeps serving', async () => {
    const address = new URL(proxy.url);
    const raw = await new Promise((resolve) => {
      const socket = connect(Number(address.port), address.hostname, () =>
        socket.end('GET http://elsewhere.invalid/x HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
    });
    expect(raw).toMatch(/^HTTP\/1.1 400/);
    expect((await post(proxy.url, SEED, example('pushOrderExecutionToSparePartsUse_request'))).status).toBe(200);
  });
});

describe('capture', () => {
  let records;
  beforeAll(async () => {
    await post(proxy.url, CAPTURED, { formId: 'mxoc_widget', pageIndex: '1' });
    await post(proxy.url, CAPTURED, { formId: 'mxoc_widget', pageIndex: '2', appSecret: 'app-secret-value-9' });
    await post(proxy.url, SEED, { operation: 'save', billdata: { id: '1634800180022794240' } });
    await post(proxy.url, SEED, { operation: 'save', billdata: { id: '1634800180022794240' } });
    await proxy.flush();
    const dir = join(captureDir, 'records');
    records = await Promise.all((await readdir(dir)).map(async (f) => ({ file: f, text: await readFile(join(dir, f), 'utf8') })));
  });

  it('writes one record per route and selector, fields united across exchanges', () => {
    const widget = records.map((r) => JSON.parse(r.text)).find((r) => r.path === CAPTURED);
    expect(records.filter((r) => JSON.parse(r.text).path === CAPTURED)).toHaveLength(1);
    expect(widget).toMatchObject({
      source_kind: 'captured',
      method: 'POST',
      body_content_type: 'application/json',
      exchanges: 2,
      select: {},
      response_envelope: true,
    });
    const field = (list, path) => list.find((f) => f.path_from_example === path);
    expect(field(widget.response_fields, 'rows.qty')).toMatchObject({ type: 'string', in_every_exchange: true });
    expect(field(widget.response_fields, 'rows.extra_flag')).toMatchObject({ type: 'boolean', in_every_exchange: false });
    expect(field(widget.body_fields, 'pageIndex')).toMatchObject({ type: 'string', in_every_exchange: true });
    expect(widget.query.map((q) => q.name)).toEqual(['access_token']);
    expect(widget.headers.map((h) => h.name)).toEqual(expect.arrayContaining(['groupName', 'accountid', 'X-GW-Router-Addr']));
    expect(JSON.parse(widget.request_example)).toEqual({ formId: 'mxoc_widget', pageIndex: '1' });
    const row = JSON.parse(widget.response_example).data.rows[0];
    expect(row).toMatchObject({
      creatorid_name: '王**',
      creatorid_phone: '138****8000',
      note: 'token was [redacted]',
      signed: '[redacted]|t=[redacted]|[redacted]',
    });
  });

  it('captures a new action on a known route with the values that select it and its module', () => {
    const audit = records.map((r) => JSON.parse(r.text)).find((r) => r.path === SEED && r.select.operation === 'save');
    expect(audit).toMatchObject({ select: { operation: 'save' }, module: '非标生产', exchanges: 2 });
    expect(JSON.parse(audit.response_example).data).toEqual({
      id: '1634800180022794240',
      billno: 'BJLL-20230306-0001',
      auditorid_name: '王**',
      creatorid_phone: '138****8000',
    });
  });

  it('keeps no token, signature or secret in any encoding, and no personal value', () => {
    expect(records.length).toBeGreaterThanOrEqual(2);
    for (const { file, text } of records) {
      for (const secret of [TOKEN, SIGNATURE, 'app-secret-value-9'])
        for (const form of encodings(secret)) expect(text, `${file} holds a secret`).not.toContain(form);
      expect(text, file).not.toMatch(/(?<![0-9])1[3-9][0-9]{9}(?![0-9])/);
      expect(text, file).not.toContain('王二小');
    }
  });

  it('refuses to start when the capture folder cannot be written', async () => {
    const file = join(captureDir, 'a-file');
    await writeFile(file, '');
    await expect(startProxy({ upstream: standIn.url, port: 0, capture: join(file, 'records') })).rejects.toThrow(
      /Cannot write captures to .*a-file.*: (ENOTDIR|EEXIST)/,
    );
  });
});
