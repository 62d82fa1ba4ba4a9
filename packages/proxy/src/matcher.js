// Replacing many strings in a text at once, in time linear in the text (an Aho–Corasick automaton): the proxy
// looks for every form of every secret an exchange carries in every string it keeps, so the cost of one scan
// must not grow with the number of forms, and no text (however long, however close to a form) makes it slow.

/** Letters, digits and `_`: the characters that join a word. */
const isWordCode = (code) => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;

/** Edges of the automaton are keyed by node and UTF-16 code unit in one number. */
const UNITS = 0x10000;

/**
 * A function that replaces every occurrence of the given patterns in a text. A pattern shorter than
 * `anywhereFrom` counts only where it is delimited — where neither end of it continues a word (a short token
 * `dev` is replaced in `/dev/` and `"dev"`, not in `device`); a longer one counts wherever it occurs. Where
 * occurrences overlap, the longest one that ends at a place wins; occurrences that still overlap are replaced
 * together by `overlap`.
 *
 * Building costs time and memory linear in the patterns' total length. A scan costs time linear in the text,
 * plus, at a place where patterns end, one step per pattern that ends there and fails its delimiter test.
 * @param {Map<string, string>} replacements pattern → its replacement
 * @param {{ anywhereFrom: number, overlap: string }} options
 * @returns {(text: string) => string}
 */
export function createReplacer(replacements, { anywhereFrom, overlap }) {
  const automaton = buildAutomaton(replacements);
  if (automaton.size === 1) return (text) => text;
  return (text) => {
    const found = findOccurrences(automaton, text, anywhereFrom);
    return found.length === 0 ? text : replaceOccurrences(automaton, text, found, overlap);
  };
}

/** The trie of the patterns, with each node's failure link and nearest pattern-ending suffix (`out`). */
function buildAutomaton(replacements) {
  /** @type {Map<number, number>} */
  const edges = new Map();
  const depth = [0];
  const parent = [0];
  const unit = [0];
  /** @type {(string | undefined)[]} the replacement of the pattern that ends at a node */
  const replacement = [undefined];
  for (const [pattern, replaceWith] of replacements) {
    let node = 0;
    for (let i = 0; i < pattern.length; i++) {
      const key = node * UNITS + pattern.charCodeAt(i);
      let next = edges.get(key);
      if (next === undefined) {
        next = depth.length;
        edges.set(key, next);
        depth.push(depth[node] + 1);
        parent.push(node);
        unit.push(pattern.charCodeAt(i));
        replacement.push(undefined);
      }
      node = next;
    }
    if (node !== 0) replacement[node] ??= replaceWith;
  }
  const size = depth.length;
  // The root's edges in an array as well: a scan is at the root for most characters, and an index is faster.
  const fromRoot = new Int32Array(UNITS);
  for (let node = 1; node < size; node++) if (parent[node] === 0) fromRoot[unit[node]] = node;
  const fail = new Array(size).fill(0);
  const out = new Array(size).fill(-1);
  // Failure links need every shallower node's: nodes are visited by depth (a counting sort).
  for (const node of byDepth(depth)) {
    if (node === 0 || parent[node] === 0) continue;
    let from = fail[parent[node]];
    let next = edges.get(from * UNITS + unit[node]);
    while (next === undefined && from !== 0) {
      from = fail[from];
      next = edges.get(from * UNITS + unit[node]);
    }
    fail[node] = next ?? 0;
    out[node] = replacement[fail[node]] !== undefined ? fail[node] : out[fail[node]];
  }
  return { size, edges, fromRoot, depth, fail, out, replacement };
}

function byDepth(depth) {
  /** @type {number[][]} */
  const buckets = [];
  for (let node = 0; node < depth.length; node++) {
    buckets[depth[node]] ??= [];
    buckets[depth[node]].push(node);
  }
  return buckets.flat();
}

/** Each occurrence that counts, as [start, end, node] triples in the order they end: at most one per end. */
function findOccurrences({ edges, fromRoot, depth, fail, out, replacement }, text, anywhereFrom) {
  const found = [];
  let node = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let next = node === 0 ? undefined : edges.get(node * UNITS + code);
    while (next === undefined && node !== 0) {
      node = fail[node];
      next = node === 0 ? undefined : edges.get(node * UNITS + code);
    }
    node = next ?? fromRoot[code];
    let match = replacement[node] !== undefined ? node : out[node];
    if (match === -1) continue;
    const end = i + 1;
    const joinedAfter = end < text.length && isWordCode(code) && isWordCode(text.charCodeAt(end));
    for (; match !== -1; match = out[match]) {
      const start = end - depth[match];
      const joinedBefore = start > 0 && isWordCode(text.charCodeAt(start)) && isWordCode(text.charCodeAt(start - 1));
      if (depth[match] >= anywhereFrom || !(joinedBefore || joinedAfter)) {
        found.push(start, end, match);
        break;
      }
    }
  }
  return found;
}

/** `text` with each run of overlapping occurrences replaced: by its pattern's replacement, or `overlap`. */
function replaceOccurrences({ replacement }, text, found, overlap) {
  const order = Array.from({ length: found.length / 3 }, (_, i) => i * 3);
  // By start, the longest first: an occurrence inside an earlier one is covered by it.
  order.sort((a, b) => found[a] - found[b] || found[b + 1] - found[a + 1]);
  let result = '';
  let kept = 0;
  let run;
  const flush = () => {
    if (!run) return;
    result += text.slice(kept, run.start) + run.with;
    kept = run.end;
  };
  for (const at of order) {
    const [start, end, node] = [found[at], found[at + 1], found[at + 2]];
    if (!run || start >= run.end) {
      flush();
      run = { start, end, with: /** @type {string} */ (replacement[node]) };
    } else if (end > run.end) {
      run.end = end;
      run.with = overlap;
    }
  }
  flush();
  return result + text.slice(kept);
}
