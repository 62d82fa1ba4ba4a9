// The bill-flow diagram: which bill each push action turns into which, drawn as SVG from `x-qzz-actions`.
// Bill names are the vendor's, read from the action titles (「X下推Y」); form ids come from `from`/`to`.

const PUSH = '下推';

/** The source and target bill names of a push action's vendor title; the source may be missing (「下推生产报废单」). */
export function billNames(summary) {
  const at = summary.indexOf(PUSH);
  if (at < 0) return { from: undefined, to: undefined };
  const clean = (name) => name.replace(/操作$/, '').trim() || undefined;
  return { from: clean(summary.slice(0, at)), to: clean(summary.slice(at + PUSH.length)) };
}

/** True when two bill names name one bill: one extends the other (备品备件 → 备品备件领用单). */
export const sameBillName = (a, b) => a.startsWith(b) || b.startsWith(a);

/**
 * Nodes (bills) and edges (push actions). A bill is known by its form id where the evidence gives one, else by
 * its name; a name that extends another bill's name (备品备件 → 备品备件领用单) is the same bill.
 */
export function billGraph(actions) {
  const nodes = [];
  const find = (id, name) => nodes.find((n) => (id && n.id === id) || (name && n.names.some((m) => sameBillName(m, name))));
  const node = (id, name) => {
    let found = find(id, name);
    if (!found) {
      found = { id, names: [] };
      nodes.push(found);
    }
    found.id ??= id;
    if (name && !found.names.includes(name)) found.names.push(name);
    return found;
  };
  const edges = actions
    .filter((a) => a.kind === 'push')
    .map((action) => {
      const { from, to } = billNames(action.summary);
      return { action, from: node(action.from, from), to: node(action.to, to) };
    });
  for (const n of nodes) n.label = n.names.toSorted((a, b) => b.length - a.length)[0] ?? n.id;
  return { nodes, edges };
}

/** Column of each node: the length of the longest chain of pushes that leads to it. */
function layers({ nodes, edges }) {
  const depth = new Map(nodes.map((n) => [n, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    for (const { from, to } of edges) depth.set(to, Math.max(depth.get(to), depth.get(from) + 1));
  }
  return depth;
}

const escapeXml = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** The diagram as a standalone SVG document. */
export function billFlowSvg(actions) {
  const graph = billGraph(actions);
  const depth = layers(graph);
  const columns = [];
  for (const n of graph.nodes) {
    const column = depth.get(n);
    columns[column] ??= [];
    columns[column].push(n);
  }
  const W = 220,
    H = 52,
    GAP_X = 170,
    GAP_Y = 26,
    PAD = 24;
  const place = new Map();
  columns.forEach((column, x) => {
    column.forEach((n, y) => {
      place.set(n, { x: PAD + x * (W + GAP_X), y: PAD + 30 + y * (H + GAP_Y) });
    });
  });
  const width = PAD * 2 + columns.length * W + (columns.length - 1) * GAP_X;
  const height = PAD * 2 + 30 + Math.max(...columns.map((c) => c.length)) * (H + GAP_Y) + 30;

  const boxes = graph.nodes.map((n) => {
    const { x, y } = place.get(n);
    // A bill shows its vendor name over its form id; one known only by its form id shows just that.
    const twoLines = n.id && n.names.length > 0;
    return `  <g class="bill"${n.id ? ` data-form="${escapeXml(n.id)}"` : ''}>
    <rect x="${x}" y="${y}" width="${W}" height="${H}" rx="8"/>
    <text x="${x + W / 2}" y="${y + (twoLines ? 22 : 31)}" class="${n.names.length ? 'name' : 'form'}">${escapeXml(n.label)}</text>${
      twoLines ? `\n    <text x="${x + W / 2}" y="${y + 40}" class="form">${escapeXml(n.id)}</text>` : ''
    }
  </g>`;
  });
  // Edges into one bill fan out over its left side so their arrows stay apart.
  const incoming = new Map();
  const arrows = graph.edges.map(({ action, from, to }) => {
    const a = place.get(from);
    const b = place.get(to);
    const siblings = graph.edges.filter((e) => e.to === to);
    const slot = (incoming.get(to) ?? 0) + 1;
    incoming.set(to, slot);
    const [x1, y1] = [a.x + W, a.y + H / 2];
    const [x2, y2] = [b.x - 4, b.y + (H * slot) / (siblings.length + 1)];
    const mid = (x1 + x2) / 2;
    const dashed = action.status === 'in-development' ? ' dev' : '';
    return `  <path class="push${dashed}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" marker-end="url(#arrow)"><title>${escapeXml(`${action.summary} (${action.name}${action.status === 'in-development' ? ', 开发中' : ''})`)}</title></path>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Bill flow: push-down actions">
  <title>Bill flow (单据下推)</title>
  <style>
    .bill rect { fill: #f5f7fb; stroke: #32329f; stroke-width: 1.5; }
    .bill .name { font: 600 15px sans-serif; fill: #1f2340; text-anchor: middle; }
    .bill .form { font: 11px monospace; fill: #5a5f7a; text-anchor: middle; }
    .push { fill: none; stroke: #32329f; stroke-width: 1.6; }
    .push.dev { stroke-dasharray: 6 4; stroke: #a0712b; }
    .legend { font: 12px sans-serif; fill: #5a5f7a; }
  </style>
  <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#32329f"/></marker></defs>
  <text x="${PAD}" y="${PAD + 8}" class="legend">源单 (source bill) → 目标单 (target bill); dashed: 开发中 (in development). Hover an arrow for its action.</text>
${boxes.join('\n')}
${arrows.join('\n')}
</svg>
`;
}
