/**
 * Text forms of IP addresses as libc writes them (inet_pton / inet_ntop) and as the
 * kernel's sscanf("%u.%u.%u.%u") reads them. Pure; no DNS.
 */

/**
 * Four decimal octets, no '+', no whitespace, at most 3 digits each (leading zeros allowed, as
 * the kernel's in4_pton allows them; see parseIPv4Pton for glibc).
 */
export function parseIPv4Strict(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || !/^[0-9]+$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** glibc inet_pton(AF_INET): as parseIPv4Strict, but an octet may not have a leading zero ("010"). */
export function parseIPv4Pton(s: string): number | undefined {
  return s.split('.').some((p) => p.length > 1 && p[0] === '0') ? undefined : parseIPv4Strict(s);
}

/**
 * The kernel's `sscanf(str, "%u.%u.%u.%u%n")` with the full-length check: each field may carry
 * leading whitespace and a sign (as %u allows); every field must fit in 8 bits.
 */
export function parseIPv4Scanf(s: string): number | undefined {
  const m = /^\s*([+-]?)(\d+)\.\s*([+-]?)(\d+)\.\s*([+-]?)(\d+)\.\s*([+-]?)(\d+)$/.exec(s);
  if (!m) return undefined;
  let v = 0;
  for (let i = 1; i < 9; i += 2) {
    const digits = m[i + 1]!;
    if (digits.length > 10) return undefined;
    let n = Number(digits);
    if (n > 0xffffffff) return undefined;
    if (m[i] === '-') n = (0x100000000 - n) % 0x100000000;
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function formatIPv4(addr: number): string {
  return `${(addr >>> 24) & 0xff}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** inet_pton(AF_INET6) into 8 16-bit words; undefined if not a valid address. */
export function parseIPv6(s: string): number[] | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  let tail4: number | undefined;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
    tail4 = parseIPv4Strict(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let words: number[];
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const tail = parseGroups(text.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(text);
    if (!all || all.length !== 8) return undefined;
    words = all;
  }
  if (tail4 !== undefined) {
    words[6] = tail4 >>> 16;
    words[7] = tail4 & 0xffff;
  }
  return words;
}

/** glibc inet_ntop(AF_INET6): longest zero run (≥ 2 words) as '::', dotted tail for v4-mapped/compat. */
export function formatIPv6(words: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (
      i === 6 &&
      bestBase === 0 &&
      (bestLen === 6 || (bestLen === 7 && words[7] !== 0x0001) || (bestLen === 5 && words[5] === 0xffff))
    ) {
      out += formatIPv4(((words[6]! << 16) | words[7]!) >>> 0);
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

export function isIPv6Loopback(w: readonly number[]): boolean {
  return w.slice(0, 7).every((x) => x === 0) && w[7] === 1;
}

export function isIPv6LinkLocal(w: readonly number[]): boolean {
  return (w[0]! & 0xffc0) === 0xfe80;
}
