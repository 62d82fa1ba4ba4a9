// Run by sandbox-state.test.js in a child process whose files may not pass 64 KiB (`ulimit -f 64`), so that a
// write past that fails for real (EFBIG, as on a full disk): drives the state log and the store as the sandbox's
// answers do (index.js), then ends without closing the log, as a crash right after the last answer would. Prints
// the changes answered and those refused (a 503), as JSON. `node state-log-failures.js <scenario> <state file>`.
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StateLog } from '../src/sandbox/persistence.js';
import { resetRecord } from '../src/sandbox/records.js';
import { BillStore } from '../src/sandbox/store.js';

const [scenario, file] = process.argv.slice(2);
const store = new BillStore({ startingBills: [], prefixOf: () => 'SBX' });
/** Runs when the log reads the store to write the file anew: the moment a test lets other requests arrive. */
let onRewrite = () => {};
const log = await StateLog.open(file, {
  load: (record) => store.load(record),
  records: () => {
    onRewrite();
    return store.records();
  },
});

const out = {
  /** @type {{ group: string, id: string }[]} */ answered: [],
  /** @type {{ group: string, id: string }[]} */ refused: [],
  /** @type {string[]} the account sets whose reset was refused */ refusedResets: [],
  raced: false,
};
const nameOf = (group) => ({ groupName: group, accountid: '7' });

/** A save as the sandbox answers one: held, then answered once written, or refused. */
function save(group, remark) {
  const name = nameOf(group);
  const { bill, line } = store.save(name, { form: null, bill: { remark }, example: {} });
  return log
    .save(line, () => store.unsave(name, bill.id))
    .then(
      () => out.answered.push({ group, id: bill.id }),
      () => out.refused.push({ group, id: bill.id }),
    );
}

/** A reset as the sandbox answers one: the account set emptied, then answered once written, or refused. */
function reset(group) {
  const name = nameOf(group);
  const { removed, freed } = store.reset(name);
  if (!removed) throw new Error(`${group} holds nothing to reset`);
  return log.reset(resetRecord(name), freed, () => store.putBack(removed)).catch(() => out.refusedResets.push(group));
}

/** The changes that arrived while the file was written anew (see raceTheRewrite): settled once answered. */
let arrived = Promise.resolve();

/**
 * Saves to `s`, then leaves the file for the next write to repair by writing it anew: the file and its folder are
 * removed (so a save to `x` fails, and so does its repair), and the folder is put back. `arriving` makes the
 * changes that arrive when that rewrite reads the store.
 * @param {() => Promise<unknown>} arriving
 */
async function raceTheRewrite(arriving) {
  await save('s', 'answered before');
  await rm(dirname(file), { recursive: true });
  await save('x', 'the file is gone');
  await mkdir(dirname(file));
  onRewrite = () => {
    onRewrite = () => {};
    out.raced = true;
    arrived = arriving().then(() => {});
  };
}

const SCENARIOS = {
  /**
   * The rewrite copies changes that arrive meanwhile (a 40 KiB save to `t`, a reset of `s`) into the file; their
   * own write then passes the limit and is refused.
   */
  async rewrite() {
    await raceTheRewrite(() => Promise.all([save('t', 'y'.repeat(40 * 1024)), reset('s')]));
    await save('a', 'answered after');
    await arrived;
  },
  /**
   * A write fails (its rewrite, holding a 70 KiB save that arrived meanwhile, passes the limit) while changes made
   * on top of its own wait behind it: the 70 KiB save and a reset of the account set it saved into.
   */
  async behind() {
    await raceTheRewrite(() => Promise.all([reset('s'), save('t', 'y'.repeat(70 * 1024))]));
    await save('s', 'on top');
    await arrived;
    await save('u', 'answered after');
  },
  /** One write of two records: the first fits below the limit, the second passes it. */
  async partial() {
    await save('s', 'answered before');
    await Promise.all([save('p', 'small'), save('p', 'z'.repeat(80 * 1024))]);
  },
};

await SCENARIOS[scenario]();
process.stdout.write(JSON.stringify(out));
