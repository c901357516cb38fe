// One LNet node on socklnd, listening on `port` of its NID's address and accepting any peer
// (accept=all): the node hand-driven peers (RawPeer) connect to.
import { LNet, type LogFn } from '../../src/index.js';
import { SockLnd } from '../../lnd/socklnd/index.js';
import type { SocklndParams } from '../../src/config/socklnd-params.js';
import { LNetError } from '../../src/errors.js';
import { randomPort } from './node-process.js';

export interface SockNode {
  lnet: LNet;
  lnd: SockLnd;
  port: number;
  /** The NID's address (where `port` listens). */
  address: string;
}

export async function sockNode(nid: string, port: number, params: Partial<SocklndParams> = {}, log?: LogFn): Promise<SockNode> {
  const lnd = new SockLnd({ acceptPort: port, accept: 'all', params });
  const lnet = await LNet.start({ nets: [{ net: 'tcp', lnd, nis: [{ nid }] }], ...(log ? { log } : {}) });
  return { lnet, lnd, port, address: nid.slice(0, nid.lastIndexOf('@')) };
}

/**
 * `start(port)` on a random listening port (randomPort), tried again on another when the port
 * is taken (EADDRINUSE, up to 20 times). `start` shuts down what it started before it throws.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await start(randomPort());
    } catch (e) {
      if (attempt >= 19 || !(e instanceof LNetError && e.code === 'EADDRINUSE')) throw e;
    }
  }
}
