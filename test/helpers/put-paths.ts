// Which paths PUTs took: the (sender's NI > receiver's NID) pairs the receiver saw, counted.
// Shared by the selection and path-cache tests.
import { formatNid, type LNet } from '../../src/index.js';
import type { Target } from '../../src/lnet.js';

/** n PUTs from `a` to `target` on `portal` (one after another), counted by the path B saw each take. */
export async function putPaths(a: LNet, b: LNet, target: Target, n: number, portal: number, opts: { source?: string } = {}): Promise<Record<string, number>> {
  const inbox = b.listen({ portal });
  for (let i = 0; i < n; i++) await a.putAsync({ target, portal, matchBits: 0, data: Buffer.from([i]), ack: false, ...opts });
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const m = await inbox.next(2000);
    const k = `${formatNid(m.source.nid)}>${formatNid(m.event.target.nid)}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  inbox.close();
  return out;
}
