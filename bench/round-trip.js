// The round trip from traffic to a typed client function, per step, in two copies of the repository (the real
// spec/ is never touched), each built first as a user's checkout is:
//   full      — capture, `pnpm spec:add`, `pnpm lint`, `pnpm build --force` (every task re-run: what a build
//               that does not know what changed does, as `pnpm build` did before it built only what a change
//               touches);
//   fast path — capture, `pnpm spec:add` (which lints what it wrote and bundles), `pnpm build --filter=@qzz/client`.
// Wall time and CPU time (user + system of every process a step started) per step. Runs alone too:
// `pnpm exec node bench/round-trip.js` (or `node bench/round-trip.js`, which runs pnpm through npx).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { captureWidget, copyRepository, WIDGET } from '../scripts/round-trip.js';

/** Linux's clock ticks per second for /proc times (USER_HZ, 100 on every Linux Node supports). */
const TICKS = 100;

/** CPU seconds of every child this process has waited for (and, through them, theirs): /proc/self/stat. */
function childrenCpu() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces): cutime and cstime are 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

/**
 * Wall and CPU seconds of `step`.
 * @param {() => Promise<unknown>} step
 */
async function timed(step) {
  const [wall, cpu] = [performance.now(), childrenCpu()];
  await step();
  return { wall: (performance.now() - wall) / 1000, cpu: childrenCpu() - cpu };
}

/**
 * One way through the round trip in a fresh, built copy.
 * @param {'full' | 'fast'} way
 */
async function oneWay(way) {
  const copy = await copyRepository();
  try {
    await copy.pnpm(['build', '--output-logs=errors-only']); // the user's checkout, built
    /** @type {string} */
    let record = '';
    const steps = {
      capture: await timed(async () => {
        record = await captureWidget(copy.root, join(copy.root, '..', 'captures'));
      }),
      'spec:add': await timed(() => copy.pnpm(['spec:add', record, '--module', WIDGET.module])),
      lint: way === 'full' ? await timed(() => copy.pnpm(['lint'])) : undefined,
      build: await timed(() =>
        copy.pnpm(['build', ...(way === 'full' ? ['--force'] : ['--filter=@qzz/client']), '--output-logs=errors-only']),
      ),
    };
    await callable(copy.root);
    return steps;
  } finally {
    await copy.remove();
  }
}

/**
 * The round trip's end: the copy's client has the new action's function.
 * @param {string} root
 */
async function callable(root) {
  const { createQzzClient } = await import(pathToFileURL(join(root, 'packages', 'client', 'dist', 'index.js')).href);
  const client = createQzzClient({
    baseUrl: 'http://127.0.0.1:9',
    credentials: { accessToken: 't', groupName: 'g', accountId: 'a', routerAddr: 'https://tf.jdy.com' },
  });
  if (typeof client[WIDGET.module]?.[WIDGET.action] !== 'function') throw new Error(`the client lacks ${WIDGET.module}.${WIDGET.action}`);
}

/** Both ways, the full one first. */
export async function roundTrip() {
  const load = loadavg()[0] ?? 0;
  const full = await oneWay('full');
  const fast = await oneWay('fast');
  return { full, fast, load: [load, loadavg()[0] ?? 0] };
}

/**
 * The section of bench/results.md.
 * @param {Awaited<ReturnType<typeof roundTrip>>} result
 * @param {(head: string[], rows: unknown[][]) => string} table
 */
export function roundTripSection({ full, fast, load }, table) {
  /** @typedef {{ wall: number, cpu: number }} Time */
  const s = (/** @type {Time | undefined} */ t) => (t ? `${t.wall.toFixed(1)} s (${t.cpu.toFixed(1)} s CPU)` : '—');
  /** @param {Record<string, Time | undefined>} steps @returns {Time} */
  const total = (steps) => {
    const sum = { wall: 0, cpu: 0 };
    for (const t of Object.values(steps)) if (t) [sum.wall, sum.cpu] = [sum.wall + t.wall, sum.cpu + t.cpu];
    return sum;
  };
  const fullTotal = total(full);
  const fastTotal = total(fast);
  return `## The round trip: captured traffic to a typed client function

In a copy of the repository, built first: two queries of a route the spec lacks (\`${WIDGET.path}\`) through the
proxy's \`--capture\` in front of a stand-in gateway, \`pnpm spec:add <record>\`, then the build, until
\`client.${WIDGET.module}.${WIDGET.action}\` exists. The full way lints everything and rebuilds every package
(\`pnpm build --force\`); the fast path lints what spec:add wrote (in spec:add) and builds the client only, reusing
the bundle spec:add made. CPU time sums every process of the step (pnpm, turbo, the tools): unlike the wall
time, it does not grow with the machine's load (its 1-minute average was ${load.map((l) => l.toFixed(1)).join(' and ')} at the start and the end).

${table(
  ['step', 'full: lint all, rebuild all', 'fast path'],
  [
    ['capture (`pnpm proxy --capture`, two exchanges)', s(full.capture), s(fast.capture)],
    ['`pnpm spec:add <record>`', s(full['spec:add']), s(fast['spec:add'])],
    ['`pnpm lint`', s(full.lint), 'in spec:add'],
    ['build: `pnpm build --force` / `pnpm build --filter=@qzz/client`', s(full.build), s(fast.build)],
    ['**total**', `**${s(fullTotal)}**`, `**${s(fastTotal)}**`],
  ],
)}

Goal: the fast path in at most 15 s — ${fastTotal.wall <= 15 ? 'met' : '**not met**'} (${(fullTotal.wall / fastTotal.wall).toFixed(1)}× faster than the full way).`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const table = (/** @type {string[]} */ head, /** @type {unknown[][]} */ rows) =>
    [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  console.log(roundTripSection(await roundTrip(), table));
}
