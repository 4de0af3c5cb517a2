import { describe, expect, it } from 'vitest';
import { readLenientJson } from './lenient-json.js';

const read = (text: string) => readLenientJson(text, text.indexOf('{'))?.value;

describe('readLenientJson', () => {
  it('reads standard JSON, including escapes, numbers and literals', () => {
    const json = { a: 'x\n"y"\u00e9', b: [1, -2.5, 3e2], c: true, d: null, e: {} };
    expect(read(JSON.stringify(json))).toEqual(json);
  });

  it('reports where the value ends so surrounding chatter can be ignored', () => {
    const text = 'Here you go: {"a": [1, 2]} hope it helps {"b": 1}';
    expect(readLenientJson(text, text.indexOf('{'))).toEqual({ value: { a: [1, 2] }, end: 26 });
  });

  it('accepts trailing commas, single quotes, unquoted keys and Python literals', () => {
    expect(read("{a: 'it's fine', 'b': [True, None,],}")).toEqual({ a: "it's fine", b: [true, null] });
  });

  it('accepts curly quotes and full-width separators as punctuation', () => {
    expect(read('{“a”：[“一”，“二”]，‘b’：‘三’}')).toEqual({ a: ['一', '二'], b: '三' });
  });

  it('keeps curly and straight quotes that are part of the text', () => {
    expect(read('{"a": "他说“好”", "b": "叫它"黄金"，很好用"}')).toEqual({
      a: '他说“好”',
      b: '叫它"黄金"，很好用',
    });
  });

  it('keeps raw line breaks inside strings', () => {
    expect(read('{"body": "第一行\n第二行"}')).toEqual({ body: '第一行\n第二行' });
  });

  it('returns null for text it cannot read', () => {
    expect(readLenientJson('{"a": ', 0)).toBeNull();
    expect(readLenientJson('{"a" 1}', 0)).toBeNull();
    expect(readLenientJson('{"a": "unterminated}', 0)).toBeNull();
    expect(readLenientJson('{"a": undefined}', 0)).toBeNull();
    expect(readLenientJson(`${'['.repeat(100)}${']'.repeat(100)}`, 0)).toBeNull();
  });
});
