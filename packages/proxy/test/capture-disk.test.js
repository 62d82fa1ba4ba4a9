// The capture folder as a disk meets it: a write that fails (the disk is full) leaves no temporary file and costs
// only that record, never the exchange's report lines; a link planted where a record's temporary file goes is
// removed, never written through.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCapture } from '../src/capture.js';
import { startProxy } from '../src/index.js';
import { knownSecrets } from '../src/redact.js';
import { json, startStandIn } from './standin.js';

const run = promisify(execFile);

/** One successful exchange on a route the spec lacks, as the checker hands it to the store. */
const exchange = (note) => ({
  method: 'POST',
  path: '/mxoc_widget/list',
  selector: {},
  query: new URLSearchParams(),
  headers: {},
  headerNames: [],
  contentType: 'application/json',
  body: { note },
  status: 200,
  answer: { success: true, data: { note } },
  secrets: knownSecrets([]),
});

let dir;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-capture-disk-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("the capture's writes", () => {
  it('never write through a link planted at a temporary file: the link goes, the file it names stays as it was', async () => {
    const store = await openCapture(join(dir, 'records'));
    const file = await store.add(exchange('first'));
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'untouched');
    await symlink(victim, `${file}.${process.pid}.tmp`);
    await store.add(exchange('second'));
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    expect(JSON.parse(await readFile(file, 'utf8')).exchanges).toBe(2);
    expect(await readdir(join(dir, 'records'))).toEqual([file.split('/').at(-1)]);
  });

  it("removes at start the temporary files a proxy that died left, and keeps a running proxy's", async () => {
    const records = join(dir, 'records');
    await mkdir(records);
    const child = spawn(process.execPath, ['-e', '']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    const dead = `captured-list-1a2b3c4d.json.${child.pid}.tmp`;
    const alive = `captured-list-1a2b3c4d.json.${process.ppid}.tmp`;
    for (const name of [dead, alive, 'notes.json.1.tmp']) await writeFile(join(records, name), '{');
    await openCapture(records);
    expect((await readdir(records)).sort()).toEqual([alive, 'notes.json.1.tmp'].sort());
  });

  it('on a disk that fills (a 64 KiB tmpfs): no temporary file stays, the console says why, the report is whole', async (context) => {
    const disk = join(dir, 'disk');
    await mkdir(disk);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]);
    } catch (error) {
      return context.skip(`mounting a tmpfs needs root: ${error.message}`);
    }
    const upstream = await startStandIn((_req, _body, res) => json(res, 200, { success: true, data: { note: 'x'.repeat(200_000) } }));
    const lines = [];
    const reported = [];
    const proxy = await startProxy({
      upstream: upstream.url,
      port: 0,
      capture: disk,
      log: (line) => lines.push(line),
      onReport: (line) => reported.push(line),
    });
    try {
      const answer = await fetch(`${proxy.url}/mxoc_widget/list`, { method: 'POST', body: '{"a":"1"}' });
      expect(answer.status).toBe(200);
      await answer.arrayBuffer();
      await proxy.flush();
      expect(await readdir(disk)).toEqual([]);
      expect(lines).toContainEqual(expect.stringMatching(/POST \/mxoc_widget\/list could not be captured: ENOSPC$/));
      expect(reported).toContainEqual(expect.objectContaining({ kind: 'unknown-route', route: 'POST /mxoc_widget/list' }));
    } finally {
      await proxy.close();
      await upstream.close();
      await run('umount', [disk]);
    }
  });
});
