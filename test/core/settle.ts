// Shared by the core tests: let in-process traffic run out, and get discovery of a peer out of
// the way before a test measures the messages of its own (a first PUT or GET to a peer waits
// for discovery: ping, push and push-back, as the kernel's lnet_initiate_peer_discovery does).
import type { LNet } from '../../src/lnet.js';

/** Let the memory fabric's deliveries (setImmediate) run to completion. */
export async function flush(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** Wait (bounded) until none of `nodes` has a message in flight, twice in a row. */
export async function quiet(nodes: readonly LNet[], maxMs = 5000): Promise<void> {
  const end = performance.now() + maxMs;
  let calm = 0;
  while (performance.now() < end) {
    await flush();
    if (nodes.every((n) => n.core.activeCount === 0)) {
      if (++calm >= 2) return;
    } else calm = 0;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Discover `target` from `node` and let the push-back exchange finish (on `node` and `others`). */
export async function discovered(node: LNet, target: string, others: readonly LNet[] = []): Promise<void> {
  await node.discover(target);
  await quiet([node, ...others]);
}
