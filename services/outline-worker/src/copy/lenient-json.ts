/**
 * A forgiving JSON reader for model output. On top of JSON it accepts trailing commas, single or curly quotes,
 * full-width ：and ，as separators, unquoted keys, raw line breaks inside strings and Python's True/False/None.
 * Quotes that a model forgot to escape inside a string are kept as text when what follows them cannot continue
 * the JSON, which rescues the common `"body": "我叫它"黄金20分钟"的方法"`.
 */

const MAX_DEPTH = 32;
const CLOSERS: Record<string, string> = { '"': '"”', "'": "'", '“': '”"', '‘': "’'" };
const COMMAS = ',，';
const COLONS = ':：';
const VALUE_START = '"\'“‘{[-0123456789tfnTFN';
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
const BAREWORDS: Record<string, unknown> = {
  true: true,
  false: false,
  null: null,
  True: true,
  False: false,
  None: null,
};

class Reader {
  pos: number;

  constructor(
    readonly text: string,
    start: number,
  ) {
    this.pos = start;
  }

  skipSpace(): string | undefined {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
    return this.text[this.pos];
  }

  /** What follows a closing quote decides whether it really closes the string. */
  closesHere(after: number): boolean {
    let i = after;
    while (i < this.text.length && /\s/.test(this.text[i]!)) i++;
    const next = this.text[i];
    if (next === undefined || '}]'.includes(next) || COLONS.includes(next)) return true;
    if (!COMMAS.includes(next)) return false;
    i++;
    while (i < this.text.length && /\s/.test(this.text[i]!)) i++;
    const afterComma = this.text[i];
    return afterComma === undefined || '}]'.includes(afterComma) || VALUE_START.includes(afterComma);
  }

  readString(): string | null {
    const closers = CLOSERS[this.text[this.pos]!]!;
    let out = '';
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const char = this.text[this.pos]!;
      if (char === '\\') {
        const next = this.text[++this.pos] ?? '';
        if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 1, this.pos + 5))) {
          out += String.fromCharCode(Number.parseInt(this.text.slice(this.pos + 1, this.pos + 5), 16));
          this.pos += 4;
        } else out += ESCAPES[next] ?? next;
      } else if (closers.includes(char) && this.closesHere(this.pos + 1)) {
        this.pos++;
        return out;
      } else out += char;
    }
    return null;
  }

  readWord(): string {
    const match = /^[\p{L}\p{N}_$-]+/u.exec(this.text.slice(this.pos, this.pos + 200));
    const word = match?.[0] ?? '';
    this.pos += word.length;
    return word;
  }

  readNumber(): number | null {
    const match = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!match) return null;
    this.pos += match[0].length;
    return Number(match[0]);
  }

  readValue(depth: number): { value: unknown } | null {
    const char = this.skipSpace();
    if (char === undefined || depth > MAX_DEPTH) return null;
    if (char === '{') return this.readObject(depth);
    if (char === '[') return this.readArray(depth);
    if (CLOSERS[char]) {
      const value = this.readString();
      return value === null ? null : { value };
    }
    if (char === '-' || /\d/.test(char)) {
      const value = this.readNumber();
      return value === null ? null : { value };
    }
    const word = this.readWord();
    return Object.hasOwn(BAREWORDS, word) ? { value: BAREWORDS[word] } : null;
  }

  readKey(): string | null {
    const char = this.skipSpace();
    if (char !== undefined && CLOSERS[char]) return this.readString();
    const word = this.readWord();
    return word || null;
  }

  /** After an item: true when another item follows, false at the closing bracket, null on anything else. */
  readSeparator(close: string): boolean | null {
    let char = this.skipSpace();
    const comma = char !== undefined && COMMAS.includes(char);
    if (comma) {
      this.pos++;
      char = this.skipSpace();
    }
    if (char === close) {
      this.pos++;
      return false;
    }
    return comma ? true : null;
  }

  readObject(depth: number): { value: unknown } | null {
    const object: Record<string, unknown> = {};
    this.pos++;
    if (this.skipSpace() === '}') {
      this.pos++;
      return { value: object };
    }
    for (;;) {
      const key = this.readKey();
      const colon = this.skipSpace();
      if (key === null || colon === undefined || !COLONS.includes(colon)) return null;
      this.pos++;
      const item = this.readValue(depth + 1);
      if (!item) return null;
      object[key] = item.value;
      const more = this.readSeparator('}');
      if (more === null) return null;
      if (!more) return { value: object };
    }
  }

  readArray(depth: number): { value: unknown } | null {
    const array: unknown[] = [];
    this.pos++;
    if (this.skipSpace() === ']') {
      this.pos++;
      return { value: array };
    }
    for (;;) {
      const item = this.readValue(depth + 1);
      if (!item) return null;
      array.push(item.value);
      const more = this.readSeparator(']');
      if (more === null) return null;
      if (!more) return { value: array };
    }
  }
}

/** Reads one value starting at `start`; `end` is the index just after it. Null when it cannot be read. */
export function readLenientJson(text: string, start: number): { value: unknown; end: number } | null {
  const reader = new Reader(text, start);
  const result = reader.readValue(0);
  return result ? { value: result.value, end: reader.pos } : null;
}
