// @ts-check
// YAML text that every loader reads as the same document. The `yaml` package writes YAML 1.2, where a plain
// `2023-03-06 15:06:04`, `yes`, `1_000` or `1:20` is a string; a YAML 1.1 loader (PyYAML, SnakeYAML, go-yaml v2,
// Ruby's Psych, and the tools built on them) reads a date, `true`, 1000 and 80. So every string that either
// version would read as anything else is written quoted.
import { Document, isScalar, parse, visit } from 'yaml';

/** `=` is YAML 1.1's value key and `<<` its merge key: some 1.1 loaders refuse or expand them when plain. */
const SPECIAL_IN_1_1 = new Set(['=', '<<']);

/**
 * True when `text`, written plain, might be read as something other than this string: a YAML 1.1 or 1.2
 * loader resolves it to another type or value, or it is not a plain scalar at all.
 * @param {string} text
 */
function needsQuotes(text) {
  if (SPECIAL_IN_1_1.has(text)) return true;
  for (const version of /** @type {const} */ (['1.1', '1.2'])) {
    try {
      // A warning (an unknown `!tag`) is not printed; such text resolves to something else and is quoted.
      if (parse(text, { version, logLevel: 'error' }) !== text) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * `value` as YAML text, with every string (values and keys) that a YAML 1.1 or 1.2 loader would read as another
 * type written in double quotes.
 * @param {unknown} value
 * @returns {string}
 */
export function yamlText(value) {
  const document = new Document(value);
  // A bundle repeats the same few strings (types, names, refs) thousands of times: each is tried once.
  /** @type {Map<string, boolean>} */
  const quoted = new Map();
  const mustQuote = (/** @type {string} */ text) => quoted.get(text) ?? quoted.set(text, needsQuotes(text)).get(text);
  visit(document, {
    Scalar(_key, node) {
      // A string of several lines is written as a block (or quoted): a string to every loader.
      if (isScalar(node) && typeof node.value === 'string' && !node.value.includes('\n') && mustQuote(node.value))
        node.type = 'QUOTE_DOUBLE';
    },
  });
  return document.toString({ lineWidth: 0 });
}
