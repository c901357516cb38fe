/**
 * Test helper: bytes written the way wire.md writes them — hex pairs separated by spaces
 * or `|`, with `xx*N` for N repeats — so examples are transcribed, not re-typed.
 */
export function hex(s: string): Buffer {
  const out: number[] = [];
  for (const tok of s.split(/[\s|]+/).filter(Boolean)) {
    const m = /^([0-9a-fA-F]{2})(?:\*(\d+))?$/.exec(tok);
    if (!m) throw new Error(`hex(): bad token '${tok}'`);
    const n = m[2] === undefined ? 1 : Number(m[2]);
    for (let i = 0; i < n; i++) out.push(parseInt(m[1]!, 16));
  }
  return Buffer.from(out);
}
