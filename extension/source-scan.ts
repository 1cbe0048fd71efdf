// Small lexical helpers for the handler detector: blank out comments and string contents (keeping every
// offset and newline where it was) so the detector's patterns never match inside them, and read balanced
// brackets. No parser: these files run on every keystroke that refreshes CodeLenses, and must stay cheap.

export type SourceLanguage = 'typescript' | 'javascript' | 'python' | 'go' | 'rust';

/** Replace comment and string-literal contents with spaces; quotes stay, newlines stay, offsets are unchanged. */
export function maskCommentsAndStrings(text: string, language: SourceLanguage): string {
  const out = text.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to && k < out.length; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
  };
  const n = text.length;
  let i = 0;
  let lastSignificant = ''; // previous non-space character outside comments, to tell a regex from a division
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (language === 'python') {
      if (c === '#') {
        const end = lineEnd(text, i);
        blank(i, end);
        i = end;
        continue;
      }
      if (c === '"' || c === "'") {
        const triple = text.startsWith(c.repeat(3), i);
        const end = triple ? closeAfter(text, i + 3, c.repeat(3), true) : closeQuote(text, i + 1, c, false);
        blank(i + (triple ? 3 : 1), end - (triple ? 3 : 1));
        i = end;
        lastSignificant = c;
        continue;
      }
    } else {
      if (c === '/' && next === '/') {
        const end = lineEnd(text, i);
        blank(i, end);
        i = end;
        continue;
      }
      if (c === '/' && next === '*') {
        const end = language === 'rust' ? closeNestedBlockComment(text, i) : closeAfter(text, i + 2, '*/', false);
        blank(i, end);
        i = end;
        continue;
      }
      if (c === '"') {
        const end = closeQuote(text, i + 1, '"', language === 'go' ? false : true);
        blank(i + 1, end - 1);
        i = end;
        lastSignificant = c;
        continue;
      }
      if (language === 'rust' && c === 'r' && /^r#*"/.test(text.slice(i, i + 8)) && !/[\w]/.test(text[i - 1] ?? '')) {
        const hashes = /^r(#*)"/.exec(text.slice(i, i + 260))![1]!;
        const end = closeAfter(text, i + 2 + hashes.length, '"' + hashes, false);
        blank(i + 2 + hashes.length, end - 1 - hashes.length);
        i = end;
        lastSignificant = '"';
        continue;
      }
      if (c === "'") {
        if (language === 'rust') {
          // 'a' and '\n' are chars; 'a alone is a lifetime.
          const m = /^'(\\.[^']*|[^'\\\n])'/.exec(text.slice(i, i + 12));
          if (m) {
            blank(i + 1, i + m[0].length - 1);
            i += m[0].length;
            lastSignificant = "'";
            continue;
          }
          i++;
          continue;
        }
        const end = closeQuote(text, i + 1, "'", false);
        blank(i + 1, end - 1);
        i = end;
        lastSignificant = c;
        continue;
      }
      if (c === '`') {
        if (language === 'go') {
          const end = closeAfter(text, i + 1, '`', false);
          blank(i + 1, end - 1);
          i = end;
          continue;
        }
        const end = closeTemplate(text, i + 1);
        blank(i + 1, end - 1);
        i = end;
        lastSignificant = c;
        continue;
      }
      if (c === '/' && (language === 'typescript' || language === 'javascript') && startsRegex(lastSignificant, text, i)) {
        const end = closeRegex(text, i + 1);
        if (end > 0) {
          blank(i + 1, end - 1);
          i = end;
          lastSignificant = '/';
          continue;
        }
      }
    }
    if (!/\s/.test(c)) lastSignificant = c;
    i++;
  }
  return out.join('');
}

function lineEnd(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl === -1 ? text.length : nl;
}

/** Index just past `close`, or the end of the text for an unterminated construct. */
function closeAfter(text: string, from: number, close: string, escapes: boolean): number {
  for (let k = from; k < text.length; k++) {
    if (escapes && text[k] === '\\') {
      k++;
      continue;
    }
    if (text.startsWith(close, k)) return k + close.length;
  }
  return text.length;
}

function closeQuote(text: string, from: number, quote: string, multiline: boolean): number {
  for (let k = from; k < text.length; k++) {
    const ch = text[k];
    if (ch === '\\') {
      k++;
      continue;
    }
    if (ch === quote) return k + 1;
    if (ch === '\n' && !multiline) return k; // unterminated: stop at the line end so one typo doesn't mask the file
  }
  return text.length;
}

function closeNestedBlockComment(text: string, from: number): number {
  let depth = 0;
  for (let k = from; k < text.length - 1; k++) {
    if (text[k] === '/' && text[k + 1] === '*') {
      depth++;
      k++;
      continue;
    }
    if (text[k] === '*' && text[k + 1] === '/') {
      depth--;
      k++;
      if (depth === 0) return k + 1;
    }
  }
  return text.length;
}

/** Template literal: skip `${ ... }` expressions with nested braces and strings. */
function closeTemplate(text: string, from: number): number {
  for (let k = from; k < text.length; k++) {
    const ch = text[k];
    if (ch === '\\') {
      k++;
      continue;
    }
    if (ch === '`') return k + 1;
    if (ch === '$' && text[k + 1] === '{') {
      let depth = 0;
      for (k = k + 1; k < text.length; k++) {
        const d = text[k];
        if (d === '{') depth++;
        else if (d === '}') {
          depth--;
          if (depth === 0) break;
        } else if (d === '`') k = closeTemplate(text, k + 1) - 1;
        else if (d === '"' || d === "'") k = closeQuote(text, k + 1, d, false) - 1;
      }
    }
  }
  return text.length;
}

function startsRegex(lastSignificant: string, text: string, i: number): boolean {
  if (text[i + 1] === '/' || text[i + 1] === '*') return false;
  if (lastSignificant === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant)) return true;
  const before = text.slice(Math.max(0, i - 12), i);
  return /\b(return|typeof|case|do|else|in|of|void|yield|await)\s*$/.test(before);
}

function closeRegex(text: string, from: number): number {
  let inClass = false;
  for (let k = from; k < text.length; k++) {
    const ch = text[k];
    if (ch === '\n') return -1;
    if (ch === '\\') {
      k++;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
    else if (ch === '/' && !inClass) return k + 1;
  }
  return -1;
}

const OPEN = '([{<';
const CLOSE = ')]}>';

/**
 * Given the index of an opening bracket, return the index just past its matching close (in masked text),
 * or -1. Angle brackets count only when `open` is '<' (type parameters), never inside other brackets.
 */
export function readBalanced(masked: string, openIndex: number): number {
  const open = masked[openIndex]!;
  const kind = OPEN.indexOf(open);
  if (kind < 0) return -1;
  const stack: string[] = [];
  for (let k = openIndex; k < masked.length; k++) {
    const ch = masked[k]!;
    if (ch === '=' && masked[k + 1] === '>') {
      k++;
      continue;
    } // arrow, not a closing angle bracket
    const o = OPEN.indexOf(ch);
    if (o >= 0 && (o !== 3 || open === '<')) {
      stack.push(CLOSE[o]!);
      continue;
    }
    const c = CLOSE.indexOf(ch);
    if (c >= 0 && (c !== 3 || open === '<')) {
      if (stack.length === 0 || stack[stack.length - 1] !== ch) {
        if (ch === '>') continue; // a comparison inside type arguments: ignore
        return -1;
      }
      stack.pop();
      if (stack.length === 0) return k + 1;
    }
  }
  return -1;
}

/** Split a parameter list (the text between the parentheses) at top-level commas. */
export function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let k = 0; k < list.length; k++) {
    const ch = list[k]!;
    if (ch === '=' && list[k + 1] === '>') {
      k++;
      continue;
    }
    if ('([{<'.includes(ch)) depth++;
    else if (')]}>'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(list.slice(start, k));
      start = k + 1;
    }
  }
  parts.push(list.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

export function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

/** 0-based line number of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 0;
  for (let k = 0; k < offset && k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}
