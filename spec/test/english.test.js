// English beside the vendor's Chinese: every label and title in the bundle has exactly the glossary's English
// (spec/labels/en.yaml), in one form (`单据编号 · Bill number`), and the glossary holds nothing unused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listActions, listOperations, resolvePointer } from '../lib/actions.js';
import { applyEnglish, splitLabel, visitDescribed } from '../lib/english.js';
import { loadBundle, specDir } from './helpers.js';

const doc = loadBundle();
const glossary = parse(readFileSync(join(specDir, 'labels', 'en.yaml'), 'utf8'));
const CJK = /^[\u3400-\u9fff]/;
/**
 * The notes an unlabelled field may carry: what the evidence shows there (a value of an example, a place in the
 * table, a type the table writes), never what the field might mean.
 */
const EVIDENCE_NOTE =
  /^(`[^`]*` in the vendor's example|Empty in the vendor's example|Seen in the vendor's example|Listed |Typed |The vendor's example|The page labels)/;

/** Every description of the bundle a reader sees that starts with Chinese. */
function chineseDescriptions() {
  const found = [];
  visitDescribed(doc, (node) => {
    if (typeof node.description === 'string' && CJK.test(node.description)) found.push(node.description);
  });
  return found;
}

describe('English beside the vendor labels', () => {
  it('gives every description that starts with a vendor label the glossary English, as `label · English`', () => {
    const descriptions = chineseDescriptions();
    expect(descriptions.length).toBeGreaterThan(100);
    const wrong = descriptions.filter((d) => {
      const label = d.slice(0, d.indexOf(' · '));
      return !d.includes(' · ') || !Object.hasOwn(glossary.labels, label) || !d.startsWith(`${label} · ${glossary.labels[label]}`);
    });
    expect(wrong).toEqual([]);
  });

  it('uses every glossary label, and translates none with Chinese', () => {
    const used = new Set(chineseDescriptions().map((d) => d.slice(0, d.indexOf(' · '))));
    expect(Object.keys(glossary.labels).filter((label) => !used.has(label))).toEqual([]);
    const notEnglish = Object.entries({ ...glossary.labels, ...glossary.titles }).filter(
      ([, en]) => typeof en !== 'string' || /[\u3400-\u9fff]/.test(en) || !en.trim(),
    );
    expect(notEnglish).toEqual([]);
  });

  it("gives every vendor title an English one, in its operation's summary and in x-qzz-titles-en", () => {
    const operations = listOperations(doc).filter(({ actions }) => actions.some((a) => CJK.test(a.summary)));
    expect(operations.length).toBeGreaterThan(10);
    const titles = new Set();
    for (const { operation, actions } of operations) {
      const chinese = actions.map((a) => a.summary);
      for (const title of chinese) titles.add(title);
      expect(operation.summary).toBe(`${chinese.join('、')} · ${chinese.map((t) => glossary.titles[t]).join('; ')}`);
      for (const title of chinese) expect(doc['x-qzz-titles-en'][title], title).toBe(glossary.titles[title]);
    }
    expect(Object.keys(glossary.titles).filter((t) => !titles.has(t))).toEqual([]);
  });

  it('marks the fields the vendor never labelled with `x-qzz-label: none`, explained once in the info', () => {
    const markers = [];
    const sentences = [];
    visitDescribed(doc, (node) => {
      if ('x-qzz-label' in node) markers.push(node['x-qzz-label']);
      if (typeof node.description === 'string' && /^Not labelled on the vendor's page/.test(node.description))
        sentences.push(node.description);
    });
    expect(markers.length).toBeGreaterThan(100);
    expect(new Set(markers)).toEqual(new Set(['none']));
    // The sentence the marker replaced; after a merge brings it back, re-run the command in the marker's commit.
    expect(sentences).toEqual([]);
    expect(doc.info.description).toContain('`x-qzz-label: none`');
  });

  it('leaves a field the vendor never labelled unlabelled: the marker, and at most a note of what the evidence shows', () => {
    // Every property of the schemas the vendor's pages describe (requests and `data`; the envelope and the
    // gateway's own calls are described from prose, not labelled).
    /** @type {Map<object, string>} each schema, by where it was first reached */
    const schemas = new Map();
    const collect = (schema, where) => {
      const node = schema?.$ref ? resolvePointer(doc, schema.$ref) : schema;
      if (!node || typeof node !== 'object' || schemas.has(node)) return;
      const at = node.title ?? where;
      schemas.set(node, at);
      for (const [name, sub] of Object.entries(node.properties ?? {})) collect(sub, `${at}.${name}`);
      for (const sub of [node.items, node.contentSchema, ...(node.allOf ?? []), ...(node.anyOf ?? [])]) collect(sub, at);
    };
    for (const action of listActions(doc).filter((a) => a.source !== 'gateway'))
      for (const p of [action.request, action.response]) collect({ $ref: p }, action.name);
    const wrong = [];
    for (const [node, at] of schemas) {
      for (const [name, field] of Object.entries(node.properties ?? {})) {
        const where = `${at}.${name}`;
        const labelled = typeof field.description === 'string' && CJK.test(field.description);
        if (labelled && 'x-qzz-label' in field) wrong.push(`${where}: labelled and marked unlabelled`);
        if (labelled) continue;
        if (field['x-qzz-label'] !== 'none') wrong.push(`${where}: no vendor label and no \`x-qzz-label: none\``);
        else if (field.description !== undefined && !EVIDENCE_NOTE.test(field.description)) wrong.push(`${where}: ${field.description}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('translates a cut-off label as cut off, never completing a word another label spells out', () => {
    const cut = Object.entries(glossary.labels).filter(([label]) => label.endsWith('…'));
    expect(cut.length).toBeGreaterThan(3);
    const completed = [];
    for (const [label, english] of cut) {
      const stem = english.replace(/….*$/, '');
      if (!english.includes('…') && !/cut off/.test(english)) completed.push(`${label}: ${english} does not show the cut`);
      // `客户编…` → `Customer co…` completes 编 as 编码 (code): the English of a longer label must not go on
      // from the stem in the middle of a word.
      for (const [other, otherEnglish] of Object.entries(glossary.labels)) {
        if (other === label || !other.startsWith(label.slice(0, -1))) continue;
        const next = otherEnglish.toLowerCase().startsWith(stem.toLowerCase()) ? otherEnglish[stem.length] : undefined;
        if (stem && next !== undefined && /[A-Za-z]/.test(next) && /[A-Za-z]$/.test(stem))
          completed.push(`${label}: ${english} reads as a cut ${otherEnglish} (${other})`);
      }
    }
    expect(completed).toEqual([]);
  });

  it('keeps the translations a review corrected', () => {
    // Issue 16's review: each term as it means in this API, not a near miss.
    const reviewed = {
      领料人: 'Material requisitioner', // the person who requisitions or collects the materials, not a "picker"
      工单执行: 'Work order execution',
      费用收入单: 'Fee income bill', // a fee (charge) income bill, not an expense
      对象区分: 'Object type',
    };
    for (const [label, english] of Object.entries(reviewed)) expect(glossary.labels[label], label).toBe(english);
    for (const [title, english] of Object.entries(glossary.titles)) {
      if (title.includes('工单执行')) expect(english, title).toMatch(/work order execution/i);
      if (title.includes('费用收入')) expect(english, title).toMatch(/fee income/i);
    }
  });

  it('glosses a vendor term in prose with the glossary English', () => {
    // `… an after-sales order execution (工单执行) …`: the English before a parenthesised label is its English.
    const disagree = [];
    visitDescribed(doc, (node) => {
      if (typeof node.description !== 'string') return;
      for (const [, english, label] of node.description.matchAll(/([A-Za-z][A-Za-z -]*?) \(([\u3400-\u9fff]+)[,)]/g)) {
        const want = glossary.labels[label];
        const [have, term] = [english, want ?? ''].map((t) => t.toLowerCase().replace(/-/g, ' '));
        if (want && !have.endsWith(term) && !have.endsWith(`${term}s`)) disagree.push(`${english} (${label}): the glossary says ${want}`);
      }
    });
    expect(disagree).toEqual([]);
  });

  it('splits a label from its English note, and keeps a label whole', () => {
    expect(splitLabel('单据编号')).toEqual({ label: '单据编号', rest: '' });
    expect(splitLabel("目标单标识 — the target bill's form id.")).toEqual({ label: '目标单标识', rest: " — the target bill's form id." });
    expect(splitLabel('数量 (quantity)')).toEqual({ label: '数量', rest: ' (quantity)' });
    expect(splitLabel('单位 (id)')).toEqual({ label: '单位 (id)', rest: '' });
    expect(splitLabel('领料人 (编码)')).toEqual({ label: '领料人 (编码)', rest: '' });
    expect(splitLabel('申请人id. The vendor writes it so.')).toEqual({ label: '申请人id', rest: '. The vendor writes it so.' });
    expect(splitLabel('The source bill. 当前单据id in `id`.')).toBeUndefined();
  });

  it('adds the English once, drops a gloss that repeats it, and reports what the glossary lacks', () => {
    const sample = {
      components: {
        schemas: {
          Bill: {
            description: '单据 (bill, as sent)',
            properties: {
              qty: { description: '数量 (quantity)' },
              x: { description: '未知字段' },
              note: { description: 'Plain English.' },
            },
          },
        },
      },
      paths: { '/p': { post: { operationId: 'm_p', summary: '甲、乙', 'x-qzz-actions': [{ summary: '甲' }, { summary: '乙' }] } } },
    };
    const problems = applyEnglish(sample, { labels: { 单据: 'Bill', 数量: 'Quantity' }, titles: { 甲: 'A', 乙: 'B' } });
    const { Bill } = sample.components.schemas;
    expect(Bill.description).toBe('单据 · Bill (as sent)');
    expect(Bill.properties.qty.description).toBe('数量 · Quantity');
    expect(Bill.properties.x.description).toBe('未知字段');
    expect(Bill.properties.note.description).toBe('Plain English.');
    expect(sample.paths['/p'].post.summary).toBe('甲、乙 · A; B');
    expect(problems).toEqual(['label 未知字段']);
  });
});
