// English beside the vendor's Chinese: every label and title in the bundle has exactly the glossary's English
// (spec/labels/en.yaml), in one form (`单据编号 · Bill number`), and the glossary holds nothing unused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listOperations } from '../lib/actions.js';
import { applyEnglish, splitLabel, visitDescribed } from '../lib/english.js';
import { loadBundle, specDir } from './helpers.js';

const doc = loadBundle();
const glossary = parse(readFileSync(join(specDir, 'labels', 'en.yaml'), 'utf8'));
const CJK = /^[\u3400-\u9fff]/;

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
