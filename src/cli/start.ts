#!/usr/bin/env node
/**
 * `npm start`: the main job as far as it exists. Today: an LNet instance with the loopback NI,
 * plus two in-process nodes on a memory fabric, and a self-check (PUT with ACK, GET, to self
 * and between nodes). When socklnd and lnetd land this becomes an lnetd on loopback with a
 * ping and a short selftest.
 */
import { LNet, MemoryFabric, formatNid } from '../index.js';

async function main(): Promise<number> {
  const fabric = new MemoryFabric();
  const a = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.77.0.1@tcp' }] }] });
  const b = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.77.0.2@tcp' }] }] });
  try {
    console.log(`node A NIDs: ${a.nids().map(formatNid).join(' ')}`);
    console.log(`node B NIDs: ${b.nids().map(formatNid).join(' ')}`);
    const inbox = b.listen({ portal: 30, matchBits: 1n });
    const put = await a.putAsync({ target: '12345-10.77.0.2@tcp', portal: 30, matchBits: 1n, data: Buffer.from('hello from A') });
    const msg = await inbox.next(5000);
    console.log(`PUT A → B: ${put.mlength} bytes acknowledged; B received "${Buffer.from(msg.data).toString()}" from ${formatNid(msg.initiator.nid)}`);
    const stop = b.serveGet({ portal: 31, data: Buffer.from('hello from B') });
    const got = await a.getAsync({ target: '12345-10.77.0.2@tcp', portal: 31, matchBits: 0n, sink: 64 });
    console.log(`GET A ← B: "${Buffer.from(got.data).toString()}"`);
    const self = a.listen({ portal: 32 });
    await a.putAsync({ target: '12345-0@lo', portal: 32, matchBits: 0n, data: Buffer.from('loopback') });
    console.log(`PUT A → 0@lo: "${Buffer.from((await self.next(5000)).data).toString()}"`);
    stop();
    inbox.close();
    self.close();
    const c = a.counters;
    console.log(`A stats: send_count ${c.send_count}, recv_count ${c.recv_count}, drop_count ${c.drop_count}`);
    console.log('self-check passed');
    console.log('next: the TCP LND (socklnd), lnetd/lnetctl/lctl and lst are not available yet in this build.');
    return 0;
  } finally {
    await Promise.all([a.shutdown(), b.shutdown()]);
  }
}

main().then(
  (rc) => process.exit(rc),
  (e: unknown) => {
    console.error(`self-check failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
