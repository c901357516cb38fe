// MD handles (lnet/lnet/lib-md.c, lib-msg.c): a handle names its MD until the MD is unlinked
// (by the user, or automatically when a bound MD is used up), then it is stale: lookups fail
// with ENOENT, and the handle no longer holds the MD or its buffers. Over the memory LND.
import t from 'tap';
import { AckReq, EventKind, LNET_ANY_NID, LNET_MD_THRESH_INF, LNET_PID_ANY, MdOption, Unlink, type LNetEvent } from '../../src/index.js';
import { mdOfHandle } from '../../src/core/md.js';
import { memNodes, nid } from '../helpers/mem-nodes.js';

const ANY = { nid: LNET_ANY_NID, pid: LNET_PID_ANY };

t.test('a bound MD used up by a no-ACK PUT: its handle goes stale and lets go of the MD', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const me = b!.meAttach(12, ANY, 0n, 0n);
  let puts = 0;
  b!.mdAttach(me, { start: new Uint8Array(64), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT, handler: () => void puts++ });
  const events: LNetEvent[] = [];
  let handle: ReturnType<typeof a.mdBind> | undefined;
  const unlinked = new Promise<void>((resolve) => {
    const md = a!.mdBind({ start: Buffer.from('stale'), threshold: 1, handler: (e) => (events.push(e.clone()), e.unlinked && resolve()) }, Unlink.UNLINK);
    t.equal(a!.core.isMdLive(md), true);
    t.type(mdOfHandle(md), 'object', 'a live handle holds its MD');
    a!.put(undefined, md, AckReq.NOACK, a!.parseTarget(nid(2)), 12, 0n);
    handle = md;
  });
  await unlinked;
  t.equal(events.at(-1)!.type, EventKind.SEND);
  t.equal(a!.core.isMdLive(handle!), false);
  t.equal(mdOfHandle(handle!), null, 'the stale handle no longer refers to the MD');
  t.throws(() => a!.mdUnlink(handle!), { code: 'ENOENT' });
  t.throws(() => a!.put(undefined, handle!, AckReq.NOACK, a!.parseTarget(nid(2)), 12, 0n), { code: 'ENOENT' });
  while (puts === 0) await new Promise((r) => setTimeout(r, 5));
});

t.test('mdUnlink: the handle goes stale at once, also while a PUT from the MD is in flight', async (t) => {
  const { nodes: [a], close } = await memNodes(2);
  t.teardown(close);
  const idle = a!.mdBind({ start: new Uint8Array(8), threshold: LNET_MD_THRESH_INF }, Unlink.RETAIN);
  a!.mdUnlink(idle);
  t.equal(mdOfHandle(idle), null);
  t.equal(a!.core.isMdLive(idle), false);
  const events: LNetEvent[] = [];
  const done = new Promise<void>((resolve) => {
    const busy = a!.mdBind({ start: new Uint8Array(8), threshold: LNET_MD_THRESH_INF, handler: (e) => (events.push(e.clone()), e.unlinked && resolve()) }, Unlink.RETAIN);
    a!.put(undefined, busy, AckReq.NOACK, a!.parseTarget(nid(2)), 13, 0n);
    a!.mdUnlink(busy);
    t.equal(mdOfHandle(busy), null, 'stale while its PUT is still in flight');
  });
  await done;
  t.equal(events.at(-1)!.unlinked, true, 'the in-flight PUT still completes and reports the unlink');
});
