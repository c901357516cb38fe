/**
 * config.c's text buffers: ip2nets and routes are cut into entries, and route tokens expanded,
 * in separately allocated buffers whose total size the kernel caps. Modelling the cap keeps
 * bracket expansion bounded exactly where the kernel bounds it (e.g. `tcp[0-100000]` fails
 * instead of producing 100001 nets).
 */
import { isCSpace } from '../nid/kstrto.js';

/** Largest single buffer, header included (LNET_SINGLE_TEXTBUF_NOB). */
export const LNET_SINGLE_TEXTBUF_NOB = 4 << 10;
/** All buffers alive at once (LNET_MAX_TEXTBUF_NOB). */
export const LNET_MAX_TEXTBUF_NOB = 64 << 10;
/** offsetof(struct lnet_text_buf, ltb_text) on a 64-bit kernel: list_head + int. */
const LTB_HEADER = 20;

/** Bytes the kernel charges for a buffer holding `len` characters (plus its NUL). */
export const textBufNob = (len: number): number => LTB_HEADER + len + 1;

/** The running total the kernel keeps in `lnet_tbnob`. */
export class TextBufBudget {
  private used = 0;

  /** lnet_new_text_buf: the bytes charged, or undefined where the kernel returns NULL. */
  alloc(len: number): number | undefined {
    const nob = textBufNob(len);
    if (nob > LNET_SINGLE_TEXTBUF_NOB) return undefined;
    if (this.used + nob > LNET_MAX_TEXTBUF_NOB) return undefined;
    this.used += nob;
    return nob;
  }

  free(nob: number): void {
    this.used -= nob;
  }

  get inUse(): number {
    return this.used;
  }
}

/** One entry of an ip2nets/routes string. */
export interface TextEntry {
  /** The entry with every whitespace character turned into a space, as the kernel copies it. */
  readonly text: string;
  /** Offset of `text[0]` in the original string. */
  readonly position: number;
  /** Bytes charged to the budget while the entry is held. */
  readonly nob: number;
}

const isSep = (c: string | undefined): boolean => c === '\n' || c === '\r' || c === ';';

/**
 * lnet_str2tbs_sep: entries are separated by ';', '\n' or '\r'; '#' comments out the rest of
 * its entry; leading whitespace is dropped, trailing whitespace kept (as spaces); empty
 * entries vanish. Undefined where the kernel runs out of text buffers (-ENOMEM).
 */
export function splitEntries(str: string, budget: TextBufBudget): TextEntry[] | undefined {
  const out: TextEntry[] = [];
  let i = 0;
  for (;;) {
    while (isCSpace(str[i])) i++;
    let sep = i;
    while (sep < str.length && !isSep(str[sep]) && str[sep] !== '#') sep++;
    if (sep > i) {
      const nob = budget.alloc(sep - i);
      if (nob === undefined) {
        for (const e of out) budget.free(e.nob);
        return undefined;
      }
      let text = '';
      for (let k = i; k < sep; k++) text += isCSpace(str[k]) ? ' ' : str[k];
      out.push({ text, position: i, nob });
    }
    if (str[sep] === '#') {
      do sep++;
      while (sep < str.length && !isSep(str[sep]));
    }
    if (sep >= str.length) break;
    i = sep + 1;
  }
  return out;
}

/** Release every entry's buffer. */
export function freeEntries(entries: readonly TextEntry[], budget: TextBufBudget): void {
  for (const e of entries) budget.free(e.nob);
}
