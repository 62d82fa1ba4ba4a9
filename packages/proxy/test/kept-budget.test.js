// What the kept copies of exchanges in flight may hold together (`maxKeptBytes`): past it an exchange is still
// forwarded, but its copy is dropped and the report says why; once exchanges end, their bytes are given back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../src/index.js';
import { json, startStandIn } from './standin.js';

const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
/** A body of about 600 KiB on the seed push: within the 1 MiB a copy may keep, two of them past 1 MiB. */
const body = JSON.stringify({ operation: 'push', billdata: { id: '1634800180022794240' }, pad: 'x'.repeat(600 * 1024) });

let standIn;
let proxy;
const reports = [];
/** Requests the stand-in holds until `release()`: every body of a batch is in flight at once. */
let held = [];
let heldWanted = 0;
/** @type {(value?: unknown) => void} */
let allHeld = () => {};
beforeAll(async () => {
  standIn = await startStandIn((_req, _body, res) => {
    held.push(() => json(res, 200, { success: true, reachPlugin: true, errorCode: 'success', data: {} }));
    if (held.length === heldWanted) allHeld();
  });
  proxy = await startProxy({ upstream: standIn.url, port: 0, maxKeptBytes: 1024 * 1024, onReport: (line) => reports.push(line) });
});
afterAll(async () => {
  await proxy?.close();
  await standIn?.close();
});

/** Sends `count` requests at once; the stand-in answers them only once it has received all of them. */
async function inFlightTogether(count) {
  heldWanted = count;
  const arrived = new Promise((resolve) => {
    allHeld = resolve;
  });
  const sent = Array.from({ length: count }, () =>
    fetch(`${proxy.url}${SEED}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.status),
  );
  await arrived;
  for (const answer of held) answer();
  held = [];
  const statuses = await Promise.all(sent);
  await proxy.flush();
  return statuses;
}

const budgetLines = () => reports.filter((line) => line.kind === 'not-validated' && /exchanges in flight/.test(line.seen));

describe('the copies of exchanges in flight', () => {
  it('hold at most maxKeptBytes together: the exchange past it is forwarded, and reported as not validated', async () => {
    expect(await inFlightTogether(2)).toEqual([200, 200]);
    expect(budgetLines()).toEqual([
      expect.objectContaining({
        direction: 'request',
        seen: 'the copies of the exchanges in flight hold 1048576 bytes, the most they may, forwarded untouched',
      }),
    ]);
  });

  it('give their bytes back when their exchanges end: the next one is checked in full', async () => {
    const before = budgetLines().length;
    const start = reports.length;
    expect(await inFlightTogether(1)).toEqual([200]);
    expect(budgetLines()).toHaveLength(before);
    // Checked: its undocumented field is counted (a repeat of the first exchange's, summed up at the flush).
    expect(reports.slice(start)).toContainEqual(expect.objectContaining({ kind: 'undocumented-field', pattern: '/pad', count: 1 }));
  });
});
