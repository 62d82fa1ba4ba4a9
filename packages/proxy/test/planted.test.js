// The planted-secrets replay (issue 16, item 5): secrets and personal values planted in every place an
// exchange carries them, sent through the real proxy (report and capture on) to a stand-in gateway that echoes
// each of them back in every encoding. Then every file name and every byte the proxy wrote is scanned for every
// planted value in every encoding: none may be there. The encodings are written here with Node's Buffer and URL
// functions, independently of the proxy's own list of forms.
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../src/index.js';
import { EXCHANGES, echoAnswer, filesUnder, findPlanted, PLANTED } from './planted.js';
import { json, startStandIn } from './standin.js';

function gateway(req, _body, res) {
  const names = String(req.headers['x-echo'] ?? '')
    .split(',')
    .filter((n) => n in PLANTED);
  const answer = echoAnswer(names);
  if (req.url?.startsWith('/mxoc_planted/text-answer')) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end(answer.data.sentence);
  }
  return json(res, 200, answer);
}

/** One exchange with full control of target, headers and body bytes. */
function send(base, { path, headers, body }) {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = request({ host: url.hostname, port: url.port, method: 'POST', path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the planted-secrets replay', () => {
  let standIn;
  let dir;
  let files;
  const reports = [];

  beforeAll(async () => {
    standIn = await startStandIn(gateway);
    dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-planted-'));
    const consoleLines = [];
    const proxy = await startProxy({
      upstream: standIn.url,
      port: 0,
      report: join(dir, 'report.jsonl'),
      capture: join(dir, 'records'),
      onReport: (line) => reports.push(line),
      log: (line) => consoleLines.push(line),
    });
    // The same requests to a proxy whose upstream cannot be reached: its console says which route failed.
    const unreachable = await startProxy({ upstream: 'http://127.0.0.1:9', port: 0, log: (line) => consoleLines.push(line) });
    try {
      for (const { path, headers, body, echo } of EXCHANGES) {
        expect(await send(proxy.url, { path, headers: { ...headers, 'x-echo': echo.join(',') }, body })).toBe(200);
        expect(await send(unreachable.url, { path, headers, body })).toBe(502);
      }
      await proxy.flush();
    } finally {
      await Promise.all([proxy.close(), unreachable.close()]);
    }
    // What the console showed counts as written: a proxy's console is often a log file.
    files = [...(await filesUnder(dir)), { file: 'console', text: consoleLines.join('\n') }];
  });
  afterAll(async () => {
    await standIn?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plants at least 27 values, and the proxy kept a record of every exchange it should and a report', () => {
    expect(Object.keys(PLANTED).length).toBeGreaterThanOrEqual(27);
    const records = files.filter((f) => f.file.startsWith('records/'));
    // Five unknown routes, three new actions of the seed route; the known push is reported, not captured.
    expect(records).toHaveLength(8);
    expect(reports.some((line) => line.kind === 'undocumented-field')).toBe(true);
    expect(
      files
        .find((f) => f.file === 'report.jsonl')
        ?.text.split('\n')
        .filter(Boolean).length,
    ).toBe(reports.length);
  });

  it('leaves no planted value, in any encoding, in any file name or byte on disk, nor on the console', () => {
    const found = findPlanted(files);
    console.info(`planted values found on disk: ${found.size} of ${Object.keys(PLANTED).length}`);
    expect(Object.fromEntries(found)).toEqual({});
  });
});
