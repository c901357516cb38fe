/**
 * The scalar analysis of libyaml's emitter (yaml_emitter_analyze_scalar, 0.2.x): which styles
 * a value may be written in. Works on code points, as libyaml works on UTF-8 characters.
 */

export interface ScalarAnalysis {
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

export const isBreak = (c: string | undefined): boolean =>
  c === '\r' || c === '\n' || c === '\u0085' || c === '\u2028' || c === '\u2029';
export const isSpace = (c: string | undefined): boolean => c === ' ';
/** IS_BLANKZ: space, tab, a break, or the end. */
const isBlankz = (c: string | undefined): boolean => c === undefined || c === ' ' || c === '\t' || isBreak(c);

/** IS_PRINTABLE of libyaml (tab is not printable). */
export function isPrintable(c: string): boolean {
  const u = c.codePointAt(0)!;
  return (
    u === 0x0a ||
    (u >= 0x20 && u <= 0x7e) ||
    u === 0x85 ||
    (u >= 0xa0 && u <= 0xd7ff) ||
    (u >= 0xe000 && u <= 0xfffd && u !== 0xfeff) ||
    (u >= 0x10000 && u <= 0x10ffff)
  );
}

const isAscii = (c: string): boolean => c.codePointAt(0)! < 0x80;

/** `unicode` is libyaml's emitter->unicode (lnetctl never sets it, so non-ASCII forces double quotes). */
export function analyzeScalar(chars: readonly string[], unicode = false): ScalarAnalysis {
  if (chars.length === 0)
    return { multiline: false, flowPlainAllowed: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };

  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;

  const s = chars.join('');
  if (s.startsWith('---') || s.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }

  let precededByWhitespace = true;
  let followedByWhitespace = isBlankz(chars[1]);
  const n = chars.length;
  for (let i = 0; i < n; i++) {
    const c = chars[i]!;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (c === '?' || c === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (c === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(c)) flowIndicators = true;
      if (c === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (c === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }

    if (!isPrintable(c) || (!isAscii(c) && !unicode)) specialCharacters = true;
    if (isBreak(c)) lineBreaks = true;

    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (i === n - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === n - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }

    precededByWhitespace = isBlankz(c);
    if (i + 1 < n) followedByWhitespace = isBlankz(chars[i + 2]);
  }

  const a: ScalarAnalysis = {
    multiline: lineBreaks,
    flowPlainAllowed: true,
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: true,
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
    a.blockAllowed = false;
  }
  if (lineBreaks) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (flowIndicators) a.flowPlainAllowed = false;
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}

/** The escape libyaml's double-quoted writer uses for a character it may not print raw. */
export function doubleQuotedEscape(c: string): string {
  switch (c) {
    case '\0':
      return '\\0';
    case '\x07':
      return '\\a';
    case '\b':
      return '\\b';
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    case '\x0b':
      return '\\v';
    case '\f':
      return '\\f';
    case '\r':
      return '\\r';
    case '\x1b':
      return '\\e';
    case '"':
      return '\\"';
    case '\\':
      return '\\\\';
    case '\u0085':
      return '\\N';
    case '\u00a0':
      return '\\_';
    case '\u2028':
      return '\\L';
    case '\u2029':
      return '\\P';
  }
  const u = c.codePointAt(0)!;
  const hex = u.toString(16).toUpperCase();
  if (u <= 0xff) return '\\x' + hex.padStart(2, '0');
  if (u <= 0xffff) return '\\u' + hex.padStart(4, '0');
  return '\\U' + hex.padStart(8, '0');
}
