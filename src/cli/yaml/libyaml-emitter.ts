import { scalarText, type DocMap, type DocNode, type DocScalar, type DocSeq } from './doc.js';
import { analyzeScalar, doubleQuotedEscape, isBreak, isPrintable, isSpace, type ScalarAnalysis } from './libyaml-scalar.js';

/** How lnetctl set up its libyaml emitter for a document. */
export interface LibyamlOptions {
  /** yaml_emitter_set_indent: 6 (LNET_DEFAULT_INDENT) for net/peer/route show, 2 (libyaml's default) for ping/discover. */
  indent?: number;
  /** A `---` line before the document (document start event with implicit = 0). */
  explicitStart?: boolean;
  /** A `...` line after the document (document end event with implicit = 0). */
  explicitEnd?: boolean;
  /** yaml_emitter_set_width (default 80): plain and quoted scalars fold at spaces past it. */
  width?: number;
}

/**
 * The block emitter of libyaml 0.2.x (emitter.c), as lnetctl drives it: block mappings and
 * sequences, sequences inside a mapping not indented ("indentless"), item content padded to
 * the indent, scalars plain when allowed, else single then double quoted, the `! ` tag for
 * quoted scalars that were not quoted-implicit, line folding past the width. Empty mappings
 * and sequences print in flow style (`{}`, `[]`) as libyaml does.
 */
export function emitLibyaml(doc: DocNode, opts: LibyamlOptions = {}): string {
  const e = new Emitter(opts.indent ?? 2, opts.width ?? 80);
  e.document(doc, !opts.explicitStart, !opts.explicitEnd);
  return e.out.join('');
}

interface Context {
  root: boolean;
  sequence: boolean;
  mapping: boolean;
  simpleKey: boolean;
}

class Emitter {
  readonly out: string[] = [];
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];
  private flowLevel = 0;
  private readonly bestIndent: number;
  private readonly bestWidth: number;
  // Context of the node being emitted (emitter->root_context etc.).
  private ctx: Context = { root: false, sequence: false, mapping: false, simpleKey: false };

  constructor(indent: number, width: number) {
    this.bestIndent = indent > 1 && indent < 10 ? indent : 2;
    this.bestWidth = width >= 0 && width <= this.bestIndent * 2 ? 80 : width < 0 ? Infinity : width;
  }

  document(root: DocNode, implicitStart: boolean, implicitEnd: boolean): void {
    if (!implicitStart) {
      this.writeIndent();
      this.writeIndicator('---', true, false, false);
    }
    this.node(root, { root: true, sequence: false, mapping: false, simpleKey: false });
    this.writeIndent();
    if (!implicitEnd) {
      this.writeIndicator('...', true, false, false);
      this.writeIndent();
    }
  }

  // ------------------------------------------------------------------ output primitives

  private put(s: string): void {
    this.out.push(s);
    this.column += 1;
  }

  private putBreak(): void {
    this.out.push('\n');
    this.column = 0;
  }

  private writeIndent(): void {
    const indent = this.indent >= 0 ? this.indent : 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(ind: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const c of ind) this.put(c);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? this.bestIndent : 0;
    else if (!indentless) this.indent += this.bestIndent;
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  // ------------------------------------------------------------------ nodes

  private node(n: DocNode, ctx: Context): void {
    this.ctx = ctx;
    switch (n.kind) {
      case 'scalar':
        return this.scalar(n);
      case 'seq':
        if (this.flowLevel > 0 || n.items.length === 0) return this.flowSequence(n);
        return this.blockSequence(n);
      case 'map':
        if (this.flowLevel > 0 || n.entries.length === 0) return this.flowMapping(n);
        return this.blockMapping(n);
    }
  }

  private blockSequence(n: DocSeq): void {
    this.increaseIndent(false, this.ctx.mapping && !this.indention);
    for (const item of n.items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, { root: false, sequence: true, mapping: false, simpleKey: false });
    }
    this.popIndent();
  }

  private blockMapping(n: DocMap): void {
    this.increaseIndent(false, false);
    for (const [key, value] of n.entries) {
      this.writeIndent();
      const k = this.prepareScalar({ kind: 'scalar', value: key }, true);
      if (k.simple) {
        this.node(keyNode(key), { root: false, sequence: false, mapping: true, simpleKey: true });
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.node(keyNode(key), { root: false, sequence: false, mapping: true, simpleKey: false });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(value, { root: false, sequence: false, mapping: true, simpleKey: false });
    }
    this.popIndent();
  }

  private flowSequence(n: DocSeq): void {
    this.writeIndicator('[', true, true, false);
    this.increaseIndent(true, false);
    this.flowLevel++;
    let first = true;
    for (const item of n.items) {
      if (!first) this.writeIndicator(',', false, false, false);
      if (this.column > this.bestWidth) this.writeIndent();
      this.node(item, { root: false, sequence: true, mapping: false, simpleKey: false });
      first = false;
    }
    this.flowLevel--;
    this.popIndent();
    this.writeIndicator(']', false, false, false);
  }

  private flowMapping(n: DocMap): void {
    this.writeIndicator('{', true, true, false);
    this.increaseIndent(true, false);
    this.flowLevel++;
    let first = true;
    for (const [key, value] of n.entries) {
      if (!first) this.writeIndicator(',', false, false, false);
      if (this.column > this.bestWidth) this.writeIndent();
      const k = this.prepareScalar({ kind: 'scalar', value: key }, true);
      if (k.simple) {
        this.node(keyNode(key), { root: false, sequence: false, mapping: true, simpleKey: true });
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, false);
        this.node(keyNode(key), { root: false, sequence: false, mapping: true, simpleKey: false });
        if (this.column > this.bestWidth) this.writeIndent();
        this.writeIndicator(':', true, false, false);
      }
      this.node(value, { root: false, sequence: false, mapping: true, simpleKey: false });
      first = false;
    }
    this.flowLevel--;
    this.popIndent();
    this.writeIndicator('}', false, false, false);
  }

  // ------------------------------------------------------------------ scalars

  /** yaml_emitter_check_simple_key for a scalar key, and its analysis. */
  private prepareScalar(n: DocScalar, asKey: boolean): { chars: string[]; a: ScalarAnalysis; simple: boolean } {
    const chars = Array.from(scalarText(n.value));
    const a = analyzeScalar(chars);
    return { chars, a, simple: asKey ? !a.multiline && chars.length <= 128 : false };
  }

  private scalar(n: DocScalar): void {
    const { chars, a } = this.prepareScalar(n, false);
    const requested = n.style ?? 'plain';
    const tagged = n.tagged ?? requested === 'plain';
    // yaml_emitter_select_scalar_style
    let style = requested;
    if (this.ctx.simpleKey && a.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !a.flowPlainAllowed) || (this.flowLevel === 0 && !a.blockPlainAllowed)) style = 'single';
      if (chars.length === 0 && (this.flowLevel > 0 || this.ctx.simpleKey)) style = 'single';
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
    // yaml_emitter_process_tag: the non-specific tag of a quoted, not quoted-implicit scalar.
    if (tagged && style !== 'plain') {
      if (!this.whitespace) this.put(' ');
      this.put('!');
      this.whitespace = false;
      this.indention = false;
    }
    this.increaseIndent(true, false);
    const allowBreaks = !this.ctx.simpleKey;
    if (style === 'plain') this.writePlain(chars, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(chars, allowBreaks);
    else this.writeDoubleQuoted(chars, allowBreaks);
    this.popIndent();
  }

  private writePlain(chars: readonly string[], allowBreaks: boolean): void {
    // Avoid trailing spaces for empty values in block mode (libyaml 0.2.x).
    if (!this.whitespace && (chars.length > 0 || this.flowLevel > 0)) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > this.bestWidth && !isSpace(chars[i + 1])) this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.putBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(chars: readonly string[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > this.bestWidth && i !== 0 && i !== chars.length - 1 && !isSpace(chars[i + 1]))
          this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.putBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (c === "'") this.put("'");
        this.put(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    if (breaks) this.writeIndent();
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(chars: readonly string[], allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (!isPrintable(c) || c.codePointAt(0)! >= 0x80 || c === '\ufeff' || isBreak(c) || c === '"' || c === '\\') {
        for (const x of doubleQuotedEscape(c)) this.put(x);
        spaces = false;
      } else if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > this.bestWidth && i !== 0 && i !== chars.length - 1) {
          this.writeIndent();
          if (isSpace(chars[i + 1])) this.put('\\');
        } else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }
}

function keyNode(key: string): DocScalar {
  return { kind: 'scalar', value: key, style: 'plain' };
}
