// Checks JSON text and, when it is malformed, says where and why in words a person can act on: the line and
// column of the first mistake, with the usual suspects (trailing commas, comments, single quotes, unclosed
// strings) named. JSON.parse's own messages vary by engine version and carry only an offset, if that.
// The scan is iterative, so even absurdly deep nesting cannot overflow the stack: bad JSON never throws.

export type JsonCheck =
  | { ok: true; text: string; value: unknown }
  | {
      ok: false;
      /** A sentence: what is wrong and what to do. */
      message: string;
      /** 1-based line; lines end at \n, \r\n or a lone \r, as in VS Code. */
      line: number;
      /** 1-based column, counted in UTF-16 code units (VS Code's character + 1). */
      column: number;
      /** 0-based offset into the text, in UTF-16 code units. */
      offset: number;
    };

interface Problem {
  offset: number;
  message: string;
}

type Expect = 'value' | 'valueAfterComma' | 'valueOrClose' | 'key' | 'keyOrClose' | 'colon' | 'commaOrClose' | 'end';

export function checkJson(text: string): JsonCheck {
  // A byte-order mark is what some Windows editors write first; JSON.parse rejects it, people don't see it.
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const problem = findProblem(text, start);
  if (problem) return { ok: false, ...problem, ...positionOf(text, problem.offset) };
  try {
    return { ok: true, text, value: JSON.parse(start === 1 ? text.slice(1) : text) as unknown };
  } catch (error) {
    // The scanner and JSON.parse disagree: report the engine's words rather than claim the text is fine.
    return { ok: false, message: `${(error as Error).message}.`, offset: 0, line: 1, column: 1 };
  }
}

/** 1-based line and column of `offset`. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function describe(text: string, offset: number): string {
  const code = text.codePointAt(offset)!;
  if (code < 0x20 || code === 0x7f) return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${String.fromCodePoint(code)}'`;
}

function findProblem(text: string, start: number): Problem | undefined {
  const open: { char: '{' | '['; offset: number }[] = [];
  let expect: Expect = 'value';
  let lastComma = -1;
  let i = start;
  const afterValue = (): Expect => (open.length === 0 ? 'end' : 'commaOrClose');

  for (;;) {
    while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
    if (i >= text.length) {
      if (expect === 'end') return undefined;
      return { offset: text.length, message: endMessage(text, start, open, expect) };
    }
    const c = text[i]!;
    if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      return { offset: i, message: 'Comments are not allowed in JSON; remove this comment.' };
    }

    switch (expect) {
      case 'value':
      case 'valueAfterComma':
      case 'valueOrClose': {
        if (c === ']' && expect === 'valueOrClose') {
          open.pop();
          i++;
          expect = afterValue();
          break;
        }
        if (c === ']' || c === '}') {
          if (expect === 'valueAfterComma') {
            return { offset: lastComma, message: `A comma before '${c}' is not allowed in JSON; remove this trailing comma.` };
          }
          return { offset: i, message: `Expected a value but found '${c}'.` };
        }
        if (c === '{' || c === '[') {
          open.push({ char: c, offset: i });
          i++;
          expect = c === '{' ? 'keyOrClose' : 'valueOrClose';
          break;
        }
        const scanned = scanScalar(text, i);
        if ('message' in scanned) return scanned;
        i = scanned.end;
        expect = afterValue();
        break;
      }
      case 'key':
      case 'keyOrClose': {
        if (c === '}' && expect === 'keyOrClose') {
          open.pop();
          i++;
          expect = afterValue();
          break;
        }
        if (c === '}') return { offset: lastComma, message: "A comma before '}' is not allowed in JSON; remove this trailing comma." };
        if (c === '"') {
          const scanned = scanString(text, i);
          if ('message' in scanned) return scanned;
          i = scanned.end;
          expect = 'colon';
          break;
        }
        if (c === "'") return { offset: i, message: 'Property names must be in double quotes ("name"), not single quotes.' };
        if (/[A-Za-z_$]/.test(c)) {
          const word = /[A-Za-z_$][\w$]*/y;
          word.lastIndex = i;
          const name = word.exec(text)![0];
          return { offset: i, message: `Property names must be in double quotes: write "${name}" instead of ${name}.` };
        }
        return { offset: i, message: `Expected a property name in double quotes but found ${describe(text, i)}.` };
      }
      case 'colon':
        if (c !== ':') return { offset: i, message: `Expected ':' after the property name but found ${describe(text, i)}.` };
        i++;
        expect = 'value';
        break;
      case 'commaOrClose': {
        const top = open[open.length - 1]!;
        const close = top.char === '{' ? '}' : ']';
        if (c === ',') {
          lastComma = i;
          i++;
          expect = top.char === '{' ? 'key' : 'valueAfterComma';
          break;
        }
        if (c === close) {
          open.pop();
          i++;
          expect = afterValue();
          break;
        }
        const inside = top.char === '{' ? 'object' : 'array';
        const missingComma = c === '"' || c === '{' || c === '[' || /[-0-9tfn]/.test(c);
        return {
          offset: i,
          message: missingComma
            ? `Expected ',' or '${close}' but found ${describe(text, i)}; a comma is probably missing before it.`
            : `Expected ',' or '${close}' in this ${inside} but found ${describe(text, i)}.`,
        };
      }
      case 'end':
        return { offset: i, message: `Unexpected ${describe(text, i)} after the end of the JSON value; an event is one value, remove what follows.` };
    }
  }
}

function endMessage(text: string, start: number, open: { char: '{' | '['; offset: number }[], expect: Expect): string {
  if (open.length === 0) {
    return text.slice(start).trim() === '' ? 'The text is empty; an event must be a JSON value such as {}.' : 'The JSON ends where a value was expected.';
  }
  const innermost = open[open.length - 1]!;
  const where = positionOf(text, innermost.offset);
  const close = innermost.char === '{' ? '}' : ']';
  const what =
    expect === 'colon'
      ? "a ':' and a value"
      : expect === 'value' || expect === 'valueAfterComma'
        ? 'a value'
        : expect === 'key'
          ? 'a property name'
          : `'${close}'`;
  return `The JSON ends too early: expected ${what}; the '${innermost.char}' at line ${where.line}, column ${where.column} is never closed.`;
}

function scanScalar(text: string, i: number): { end: number } | Problem {
  const c = text[i]!;
  if (c === '"') return scanString(text, i);
  if (c === "'") return { offset: i, message: 'Strings must be in double quotes ("text"), not single quotes.' };
  if (c === '-' || (c >= '0' && c <= '9')) {
    const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    number.lastIndex = i;
    const match = number.exec(text);
    const next = match ? text[i + match[0].length] : undefined;
    if (!match || (next !== undefined && /[0-9.eE+\-]/.test(next))) {
      const token = /[-+0-9.eE]+/y;
      token.lastIndex = i;
      const written = token.exec(text)![0];
      return { offset: i, message: `${written} is not a JSON number (no leading zeros, no trailing '.', digits after 'e').` };
    }
    return { end: i + match[0].length };
  }
  for (const literal of ['true', 'false', 'null']) {
    if (text.startsWith(literal, i) && !/[\w$]/.test(text[i + literal.length] ?? '')) return { end: i + literal.length };
  }
  if (/[A-Za-z_$]/.test(c)) {
    const word = /[A-Za-z_$][\w$]*/y;
    word.lastIndex = i;
    const name = word.exec(text)![0];
    return {
      offset: i,
      message: `${name} is not a JSON value; use null, true, false, a number, a "string", an object or an array.`,
    };
  }
  return { offset: i, message: `Expected a value but found ${describe(text, i)}.` };
}

function scanString(text: string, start: number): { end: number } | Problem {
  let i = start + 1;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return { end: i + 1 };
    if (code === 0x5c) {
      const escape = text[i + 1];
      if (escape === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          return { offset: i, message: 'A \\u escape needs four hex digits, such as \\u00e9.' };
        }
        i += 6;
        continue;
      }
      if (escape === undefined || !'"\\/bfnrt'.includes(escape)) {
        return { offset: i, message: `\\${escape ?? ''} is not a JSON escape; write \\\\ for a backslash.` };
      }
      i += 2;
      continue;
    }
    if (code === 0x0a || code === 0x0d) {
      return { offset: start, message: 'This string is not closed on its line; add the closing " (write \\n for a line break inside a string).' };
    }
    if (code < 0x20) return { offset: i, message: `Strings cannot contain ${describe(text, i)}; write it as an escape such as \\t or \\u0000.` };
    i++;
  }
  return { offset: start, message: 'This string is never closed; add the closing ".' };
}
