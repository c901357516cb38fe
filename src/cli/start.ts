#!/usr/bin/env node
/**
 * `npm start`: the main job as far as it exists. Two LNet nodes with the TCP LND on loopback
 * (127.0.0.2 and 127.0.0.3), then a self-check: ping (a GET of the ping buffer on the reserved
 * portal, as `lnetctl ping` does), PUT with ACK, GET, and a PUT to ourselves. When lnetd and
 * lst land this becomes an lnetd on loopback with a ping and a short selftest.
 */
import { LNet, formatNid, formatProcessId, type LNetConfig } from '../index.js';
import { SockLnd } from '../../lnd/socklnd/index.js';

const PORT = Number(process.env.ULNET_PORT ?? 20988);

async function startNode(address: string): Promise<{ lnet: LNet; lnd: SockLnd }> {
  const lnd = new SockLnd({ acceptPort: PORT, accept: 'all' });
  const config: LNetConfig = { nets: [{ net: 'tcp', lnd, nis: [{ nid: `${address}@tcp` }] }] };
  return { lnet: await LNet.start(config), lnd };
}

async function main(): Promise<number> {
  const a = await startNode('127.0.0.2');
  const b = await startNode('127.0.0.3');
  try {
    console.log(`node A: ${a.lnet.nids().map(formatNid).join(' ')} (tcp port ${PORT})`);
    console.log(`node B: ${b.lnet.nids().map(formatNid).join(' ')} (tcp port ${PORT})`);
    const ping = await a.lnet.ping('127.0.0.3@tcp', { timeoutMs: 5000 });
    console.log(`ping 127.0.0.3@tcp: primary nid ${formatNid(ping.primaryNid)}, peer NIs ${ping.peerNis.map((p) => formatProcessId(p)).join(' ')}`);
    const inbox = b.lnet.listen({ portal: 40, matchBits: 1n });
    const put = await a.lnet.putAsync({ target: '12345-127.0.0.3@tcp', portal: 40, matchBits: 1n, data: Buffer.from('hello from A') });
    const msg = await inbox.next(5000);
    console.log(`PUT A → B: ${put.mlength} bytes acknowledged; B received "${Buffer.from(msg.data).toString()}" from ${formatNid(msg.initiator.nid)}`);
    const stop = b.lnet.serveGet({ portal: 41, data: Buffer.alloc(1 << 20, 0x42) });
    const got = await a.lnet.getAsync({ target: '12345-127.0.0.3@tcp', portal: 41, matchBits: 0n, sink: 1 << 20 });
    console.log(`GET A ← B: ${got.mlength} bytes`);
    const self = a.lnet.listen({ portal: 42 });
    await a.lnet.putAsync({ target: '12345-127.0.0.2@tcp', portal: 42, matchBits: 0n, data: Buffer.from('loopback') });
    console.log(`PUT A → A: "${Buffer.from((await self.next(5000)).data).toString()}"`);
    const conns = a.lnd.connections().map((c) => `${c.type === 1 ? 'C' : c.type === 2 ? 'I' : 'O'} ${c.local}->${c.remote}`);
    console.log(`A's connections to B: ${conns.join(', ')}`);
    stop();
    inbox.close();
    self.close();
    const c = a.lnet.counters;
    console.log(`A stats: send_count ${c.send_count}, recv_count ${c.recv_count}, drop_count ${c.drop_count}, errors ${c.errors}`);
    console.log('self-check passed');
    console.log('not available yet: lnetd/lnetctl/lctl (the daemon and tools) and lst (selftest).');
    return 0;
  } finally {
    await Promise.all([a.lnet.shutdown(), b.lnet.shutdown()]);
  }
}

main().then(
  (rc) => process.exit(rc),
  (e: unknown) => {
    console.error(`self-check failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
