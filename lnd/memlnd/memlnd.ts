import { Errno } from '../../src/errno.js';
import { LNetError } from '../../src/errors.js';
import { iovCopy, iovSlice } from '../../src/core/iov.js';
import type { Lnd, LndCore } from '../../src/core/lnd.js';
import type { LNetMsg } from '../../src/core/msg.js';
import type { NetworkInterface } from '../../src/core/ni.js';
import { LndType } from '../../src/nid/lnd-type.js';
import { nidIsAny, nidKey, type Nid } from '../../src/nid/nid.js';
import { formatNid } from '../../src/nid/nid-string.js';
import type { LNetHdr } from '../../src/wire/lnet-hdr.js';
import { cloneHdr } from '../../src/wire/lnet-hdr-clone.js';

export interface MemoryFabricOptions {
  /** Delivery delay in ms (0: next turn of the event loop). Equal delays keep FIFO order. */
  latencyMs?: number;
  /** Probability in [0, 1) that a message is silently lost after the sender saw it go. */
  lossRate?: number;
  /** Seed for the loss decisions, so a lossy test is repeatable. */
  seed?: number;
}

interface Endpoint {
  ni: NetworkInterface;
  core: LndCore;
}

interface InFlight {
  msg: LNetMsg;
  from: NetworkInterface;
  timer: NodeJS.Timeout | NodeJS.Immediate;
}

/** What the receiving side's recv reads from: the bytes as they were when sent. */
interface MemRx {
  payload: Uint8Array;
}

/**
 * An in-process network: LNet instances in one process exchange messages through it. It can
 * stand in for any LND type (NIDs look like tcp, o2ib, … so topologies read naturally), with
 * optional latency and loss, to simulate multi-node setups in tests.
 */
export class MemoryFabric {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly inFlight = new Set<InFlight>();
  private rng: number;
  readonly options: Required<MemoryFabricOptions>;
  /** Messages lost on purpose (lossRate). */
  lost = 0;
  delivered = 0;

  constructor(options: MemoryFabricOptions = {}) {
    this.options = { latencyMs: 0, lossRate: 0, seed: 1, ...options };
    this.rng = this.options.seed >>> 0 || 1;
  }

  /** An LND bound to this fabric, posing as LND `type` (default socklnd, i.e. tcp NIDs). */
  lnd(type: LndType = LndType.SOCKLND): Lnd {
    return new MemLnd(this, type);
  }

  register(ni: NetworkInterface, core: LndCore): void {
    if (nidIsAny(ni.nid)) throw new LNetError('EINVAL', 'a memory-LND NI needs an explicit NID in its configuration');
    const key = nidKey(ni.nid);
    if (this.endpoints.has(key)) throw new LNetError('EADDRINUSE', `${formatNid(ni.nid)} is already on this fabric`);
    this.endpoints.set(key, { ni, core });
  }

  /** Take an NI off the fabric; its sends still in flight fail with ESHUTDOWN. */
  unregister(ni: NetworkInterface, core: LndCore): void {
    const key = nidKey(ni.nid);
    if (this.endpoints.get(key)?.ni === ni) this.endpoints.delete(key);
    for (const f of [...this.inFlight]) {
      if (f.from !== ni) continue;
      this.cancel(f);
      core.finalize(f.msg, -Errno.ESHUTDOWN);
    }
  }

  private cancel(f: InFlight): void {
    this.inFlight.delete(f);
    if (this.options.latencyMs > 0) clearTimeout(f.timer as NodeJS.Timeout);
    else clearImmediate(f.timer as NodeJS.Immediate);
  }

  private random(): number {
    // xorshift32: deterministic loss for repeatable tests
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng / 0x100000000;
  }

  send(ni: NetworkInterface, core: LndCore, msg: LNetMsg): number {
    const dest = msg.txPeerNid;
    if (!this.endpoints.has(nidKey(dest))) return -Errno.EHOSTUNREACH;
    // Snapshot the payload now, as a socket would; the sender's MD may change after SEND.
    const payload = new Uint8Array(msg.len);
    let o = 0;
    for (const frag of iovSlice(msg.iov, msg.offset, msg.len)) {
      payload.set(frag, o);
      o += frag.length;
    }
    const hdr = cloneHdr(msg.hdr);
    const fire = (): void => {
      this.inFlight.delete(f);
      this.deliver(ni, core, msg, dest, hdr, payload);
    };
    const f: InFlight = {
      msg,
      from: ni,
      timer: this.options.latencyMs > 0 ? setTimeout(fire, this.options.latencyMs) : setImmediate(fire),
    };
    this.inFlight.add(f);
    return 0;
  }

  private deliver(from: NetworkInterface, core: LndCore, msg: LNetMsg, dest: Nid, hdr: LNetHdr, payload: Uint8Array): void {
    const ep = this.endpoints.get(nidKey(dest));
    if (!ep || ep.ni.state !== 'up') {
      core.finalize(msg, -Errno.EHOSTUNREACH);
      return;
    }
    core.finalize(msg, 0);
    if (this.options.lossRate > 0 && this.random() < this.options.lossRate) {
      this.lost++;
      return;
    }
    this.delivered++;
    const rx: MemRx = { payload };
    const rc = ep.core.parse(ep.ni, hdr, from.nid, rx);
    if (rc < 0) ep.core.log('warn', 'memory LND: peer message rejected', { from: formatNid(from.nid), rc });
  }

  recv(core: LndCore, rxPrivate: unknown, msg: LNetMsg | null, iov: readonly Uint8Array[], offset: number, mlen: number): number {
    if (msg) {
      if (mlen > 0) iovCopy(iov, offset, [(rxPrivate as MemRx).payload], 0, mlen);
      core.finalize(msg, 0);
    }
    return 0;
  }
}

class MemLnd implements Lnd {
  readonly name = 'kmemlnd';
  private core: LndCore | undefined;

  constructor(
    private readonly fabric: MemoryFabric,
    readonly type: LndType,
  ) {}

  startup(ni: NetworkInterface, core: LndCore): void {
    this.core = core;
    this.fabric.register(ni, core);
  }

  shutdown(ni: NetworkInterface): void {
    if (this.core) this.fabric.unregister(ni, this.core);
  }

  send(ni: NetworkInterface, msg: LNetMsg): number {
    return this.fabric.send(ni, this.core!, msg);
  }

  recv(
    _ni: NetworkInterface,
    rxPrivate: unknown,
    msg: LNetMsg | null,
    _delayed: boolean,
    iov: readonly Uint8Array[],
    offset: number,
    mlen: number,
  ): number {
    return this.fabric.recv(this.core!, rxPrivate, msg, iov, offset, mlen);
  }

  tunableDefaults(): Record<string, number | string> {
    return {};
  }
}
