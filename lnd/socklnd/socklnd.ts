import net, { type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';
import { Errno, errnoName } from '../../src/errno.js';
import { LNetError } from '../../src/errors.js';
import type { Iov } from '../../src/core/iov.js';
import type { Lnd, LndCore } from '../../src/core/lnd.js';
import type { LNetMsg } from '../../src/core/msg.js';
import type { NetworkInterface } from '../../src/core/ni.js';
import { DEFAULT_SOCKLND_PARAMS, type SocklndParams } from '../../src/config/socklnd-params.js';
import { LndType } from '../../src/nid/lnd-type.js';
import { LNET_ANY_NID, makeNid, nidCompare, nidEquals, nidHash, nidIsAny, nidIsNid4, nidKey, type Nid } from '../../src/nid/nid.js';
import { linuxHash64 } from '../../src/cpt/cpt-of-nid.js';
import { formatNid, parseNid } from '../../src/nid/nid-string.js';
import { formatIPv4, parseIPv4Strict } from '../../src/nid/ip.js';
import { LNET_PID_USERFLAG, formatProcessId } from '../../src/nid/process-id.js';
import { netNum, type Net } from '../../src/nid/net.js';
import { realtimeNs } from '../../src/core/realtime-ns.js';
import { coarseSeconds } from '../../src/core/coarse-clock.js';
import { AcceptorVersion, ACCEPTOR_CONNREQ_PEEK_SIZE, connReqFor, connReqSize, connReqToBuffer, decodeConnReq, acceptorReplyFor } from '../../src/wire/acceptor.js';
import {
  decodeHello,
  helloToBuffer,
  invertConnType,
  KSOCK_HELLO_PEEK_SIZE,
  KsockProtoVersion,
  peekHelloVersion,
  SocklndConnType,
  type DecodedHello,
  type KsockHello,
} from '../../src/wire/ksock-hello.js';
import { KSOCK_MSG_HDR_SIZE } from '../../src/wire/ksock-msg.js';
import { LNET_HDR_NID16_SIZE, LNET_HDR_NID4_SIZE, type LNetHdr } from '../../src/wire/lnet-hdr.js';
import { WireError } from '../../src/wire/wire-error.js';
import { KsockConn, normalizeAddr, type ConnOwner, type Tx } from './conn.js';
import { adoptAccepted, connectRouted } from './read-router.js';
import { setupSock, sockoptAddon } from './sock-opts.js';

export type AcceptMode = 'secure' | 'all' | 'none';

export interface SockLndOptions {
  /** lnet `accept_port`: where we listen, and where CONTROL connections go (988). */
  acceptPort?: number;
  /** lnet `accept_port_bulk`: where non-CONTROL connections go (default acceptPort). */
  acceptPortBulk?: number;
  /** lnet `accept`: secure (source port ≤ 1023 only), all, or none (no acceptor). */
  accept?: AcceptMode;
  acceptBacklog?: number;
  /** Seconds per handshake read (lnet `accept_timeout`). */
  acceptTimeout?: number;
  /** ksocklnd module parameters. */
  params?: Partial<SocklndParams>;
  /** Bind outgoing connections to ports 1023→512 (default: when running as root). */
  privilegedPorts?: boolean;
}

/** Per-NI state (`struct ksock_net`). */
interface KsockNet {
  ni: NetworkInterface;
  core: LndCore;
  address: string;
  family: 4 | 6;
  incLo: number;
  incHi: number;
  servers: Server[];
  peers: Map<string, KsockPeer>;
  /** Connections still in their handshake. */
  handshaking: Set<KsockConn>;
  shuttingDown: boolean;
  lastPeer: KsockPeer | undefined;
}

/** `struct ksock_peer_ni` */
interface KsockPeer {
  key: string;
  net: KsockNet;
  nid: Nid;
  pid: number;
  address: string;
  conns: KsockConn[];
  /**
   * findConn's answer for an LNet message below / at or above min_bulk, kept while it was the
   * only connection of the best rank: with `conns` unchanged and it open it stays the answer
   * (ranks depend only on the connections' types and versions). Cleared when `conns` changes.
   */
  smallConn: KsockConn | undefined;
  bulkConn: KsockConn | undefined;
  /** Messages waiting for a connection. */
  pending: Tx[];
  connecting: boolean;
  /** Types being connected right now (for race resolution). */
  connectingTypes: Set<number>;
  /** The protocol version last agreed with this peer. */
  proto: KsockProtoVersion | undefined;
  incLo: number | undefined;
  incHi: number | undefined;
  backoffMs: number;
  retryAt: number;
  /** ZC-ACK cookies owed to the peer. */
  zcAcks: Array<[number, number]>;
  lastAlive: number;
  /** When we last sent a keepalive NOOP. */
  lastKeepalive: number;
  /** A userspace peer seen on an unprivileged port: we never connect out to it. */
  userspace: boolean;
}

/** Counters the LND keeps (shown by tools; malformed input lands here). */
export interface SockLndStats {
  connectionsAccepted: number;
  connectionsInitiated: number;
  connectionsClosed: number;
  protocolErrors: number;
  insecureRefused: number;
  noopsSent: number;
  zcAcksSent: number;
  /** Payload bytes read straight into MDs (the rest came through a read buffer and were copied). */
  rxDirectBytes: number;
}

const TX_POOL_MAX = 1024;

/**
 * The TCP LND, wire-compatible with the kernel's ksocklnd (lnet/klnds/socklnd) and the lnet
 * acceptor (lnet/lnet/acceptor.c): connreq, hello V1–V4, typed connections, framing, ZC-ACK,
 * keepalive NOOPs, checksums.
 */
export class SockLnd implements Lnd {
  readonly type = LndType.SOCKLND;
  readonly name = 'ksocklnd';
  readonly params: SocklndParams;
  readonly acceptPort: number;
  readonly acceptPortBulk: number;
  readonly accept: AcceptMode;
  readonly stats: SockLndStats = {
    connectionsAccepted: 0,
    connectionsInitiated: 0,
    connectionsClosed: 0,
    protocolErrors: 0,
    insecureRefused: 0,
    noopsSent: 0,
    zcAcksSent: 0,
    rxDirectBytes: 0,
  };
  private readonly nets = new Set<KsockNet>();
  /** Listeners by address and port, with the nets using each. */
  private readonly listeners = new Map<string, { server: Server; users: Set<KsockNet> }>();
  /** Txs whose frames are done, for reuse (one per message otherwise). */
  private readonly txPool: Tx[] = [];
  /** Messages of a finished batch on their way to LNet (reused; emptied after each batch). */
  private readonly doneMsgs: Array<LNetMsg | undefined> = [];
  private readonly acceptBacklog: number;
  private readonly acceptTimeoutMs: number;
  private privileged: boolean;
  private reaper: NodeJS.Timeout | undefined;
  private warnedUnprivileged = false;
  private warnedUnapplied = false;
  /**
   * Local address:port of the sockets we opened from unprivileged ports. An accepted connection
   * coming from one of them is ourselves (a loopback connection to our own NID): accept=secure
   * and the userspace-peer naming do not apply, since no other process can own that port.
   */
  private readonly ownUnprivilegedEnds = new Set<string>();

  constructor(opts: SockLndOptions = {}) {
    this.params = { ...DEFAULT_SOCKLND_PARAMS, ...opts.params };
    this.acceptPort = opts.acceptPort ?? 988;
    this.acceptPortBulk = opts.acceptPortBulk ?? this.acceptPort;
    this.accept = opts.accept ?? 'secure';
    this.acceptBacklog = opts.acceptBacklog ?? 127;
    this.acceptTimeoutMs = (opts.acceptTimeout ?? 5) * 1000;
    this.privileged = opts.privilegedPorts ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  }

  tunableDefaults(): Record<string, number | string> {
    return { conns_per_peer: this.params.conns_per_peer || 1, timeout: this.params.sock_timeout, tos: this.params.tos };
  }

  getTimeout(): number {
    return this.params.sock_timeout;
  }

  // ------------------------------------------------------------------ NI life cycle

  async startup(ni: NetworkInterface, core: LndCore): Promise<void> {
    let address: string | undefined;
    if (!nidIsAny(ni.nid) && ni.nid.type === LndType.SOCKLND) address = nidAddress(ni.nid);
    else {
      const ifname = ni.interfaces[0];
      const found = ifname ? interfaceAddress(ifname) : firstInterfaceAddress();
      if (!found) throw new LNetError('ENODEV', ifname ? `interface ${ifname} has no usable address` : 'no usable interface for tcp');
      address = found;
      ni.nid = nidOfAddress(found, ni.net);
    }
    // ksocknal_tunables_setup: an NI without a tos of its own takes the module parameter's.
    if (!(Number(ni.lndTunables.tos ?? -1) >= 0)) ni.lndTunables.tos = this.params.tos;
    const inc = realtimeNs();
    const kn: KsockNet = {
      ni,
      core,
      address,
      family: address.includes(':') ? 6 : 4,
      incLo: inc.lo,
      incHi: inc.hi,
      servers: [],
      peers: new Map(),
      handshaking: new Set(),
      shuttingDown: false,
      lastPeer: undefined,
    };
    ni.lndData = kn;
    if (this.accept !== 'none') {
      const ports = new Set([this.acceptPort, this.acceptPortBulk]);
      for (const port of ports) kn.servers.push(await this.listen(kn, port));
    }
    this.nets.add(kn);
    if (!this.reaper) {
      this.reaper = setInterval(() => this.reap(), 1000);
      this.reaper.unref();
    }
  }

  /**
   * The listener on kn's address and port. NIs of several nets on one interface (tcp and tcp2
   * on eth0) share it, as they share the kernel's one acceptor: a connection goes to the NI
   * its connection request names.
   */
  private async listen(kn: KsockNet, port: number): Promise<Server> {
    const key = `${kn.address}/${port}`;
    const shared = this.listeners.get(key);
    if (shared) {
      shared.users.add(kn);
      return shared.server;
    }
    const users = new Set<KsockNet>([kn]);
    const server = await new Promise<Server>((resolve, reject) => {
      // Paused on connect: nothing is read before adoptAccepted gives the socket its router.
      const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
        const first = users.values().next().value as KsockNet | undefined;
        if (first) this.onAccept(first, adoptAccepted(accepted));
        else accepted.destroy();
      });
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new LNetError((e.code as 'EADDRINUSE') ?? 'EIO', `cannot listen on ${kn.address}:${port}: ${e.message}`)),
      );
      server.listen({ host: kn.address, port, backlog: this.acceptBacklog, ipv6Only: false }, () => resolve(server));
    });
    this.listeners.set(key, { server, users });
    return server;
  }

  /** kn stops using its listeners; the last user closes each. Resolves once closed. */
  private unlisten(kn: KsockNet): Promise<void>[] {
    const out: Promise<void>[] = [];
    for (const [key, l] of [...this.listeners]) {
      if (!l.users.delete(kn) || l.users.size > 0) continue;
      this.listeners.delete(key);
      out.push(new Promise<void>((r) => l.server.close(() => r())));
    }
    return out;
  }

  async shutdown(ni: NetworkInterface): Promise<void> {
    const kn = ni.lndData as KsockNet | undefined;
    if (!kn) return;
    kn.shuttingDown = true;
    // Stop accepting, close every connection, then wait for the servers to close. (Accepted
    // connections no longer hold a server open: adoptAccepted gives each a socket of its own,
    // so every one must be closed here, from `handshaking` or its peer's `conns`.)
    const closed = this.unlisten(kn);
    for (const c of [...kn.handshaking]) c.close('NI shutting down', -Errno.ESHUTDOWN);
    for (const peer of [...kn.peers.values()]) {
      for (const c of [...peer.conns]) {
        c.sock.end();
        c.close('NI shutting down', -Errno.ESHUTDOWN);
      }
      this.failPending(peer, -Errno.ESHUTDOWN);
    }
    await Promise.all(closed);
    kn.peers.clear();
    kn.lastPeer = undefined;
    this.nets.delete(kn);
    ni.lndData = undefined;
    if (this.nets.size === 0 && this.reaper) {
      clearInterval(this.reaper);
      this.reaper = undefined;
    }
  }

  // ------------------------------------------------------------------ peers

  /** Peers are (NID, pid) pairs, as ksocknal_find_peer_locked matches them. */
  private peerFor(kn: KsockNet, nid: Nid, pid: number): KsockPeer {
    // Traffic comes in runs to one peer: a one-entry cache avoids building the key and the
    // lookup each time (whatever removes peers from kn.peers must reset kn.lastPeer).
    const last = kn.lastPeer;
    if (last && last.nid === nid && last.pid === pid >>> 0) return last;
    const key = `${nidKey(nid)}/${pid >>> 0}`;
    let p = kn.peers.get(key);
    if (!p) {
      p = {
        key,
        net: kn,
        nid,
        pid: pid >>> 0,
        address: nidAddress(nid),
        conns: [],
        smallConn: undefined,
        bulkConn: undefined,
        pending: [],
        connecting: false,
        connectingTypes: new Set(),
        proto: undefined,
        incLo: undefined,
        incHi: undefined,
        backoffMs: 0,
        retryAt: 0,
        zcAcks: [],
        lastAlive: 0,
        lastKeepalive: 0,
        userspace: (pid & LNET_PID_USERFLAG) !== 0,
      };
      kn.peers.set(key, p);
    }
    kn.lastPeer = p;
    return p;
  }

  private connsPerPeer(kn: KsockNet): number {
    const v = Number(kn.ni.lndTunables.conns_per_peer ?? this.params.conns_per_peer);
    if (v > 0) return Math.min(v, 255);
    return autoConnsPerPeer(kn.ni.interfaces[0] ?? interfaceOf(kn.address));
  }

  /** The connection types the initiator wants (typed_conns). */
  private wanted(kn: KsockNet): SocklndConnType[] {
    const cpp = this.connsPerPeer(kn);
    if (!this.params.typed_conns) return Array<SocklndConnType>(cpp).fill(SocklndConnType.ANY);
    return [SocklndConnType.CONTROL, ...Array<SocklndConnType>(cpp).fill(SocklndConnType.BULK_IN), ...Array<SocklndConnType>(cpp).fill(SocklndConnType.BULK_OUT)];
  }

  // ------------------------------------------------------------------ send

  send(ni: NetworkInterface, msg: LNetMsg): number {
    const kn = ni.lndData as KsockNet | undefined;
    if (!kn || kn.shuttingDown) return -Errno.ENETDOWN;
    const target = msg.txPeerNid;
    if (target.type !== LndType.SOCKLND) return -Errno.EHOSTUNREACH;
    const peer = this.peerFor(kn, target, msg.hdr.destPid);
    const hdrSize = peer.proto === KsockProtoVersion.V4 || !nidIsNid4(target) ? LNET_HDR_NID16_SIZE : LNET_HDR_NID4_SIZE;
    const tx = this.txPool.pop() ?? { msg: null, zcAckLo: 0, zcAckHi: 0, nob: 0 };
    tx.msg = msg;
    tx.zcAckLo = tx.zcAckHi = 0;
    tx.nob = KSOCK_MSG_HDR_SIZE + hdrSize + msg.len;
    this.launch(peer, tx);
    return 0;
  }

  /** ksocknal_launch_packet: on the best connection, or queued while connections are made. */
  private launch(peer: KsockPeer, tx: Tx): void {
    const conn = this.findConn(peer, tx);
    if (conn) {
      // As the kernel: once any usable connection exists, no more are launched for this send.
      conn.enqueue(tx);
      return;
    }
    peer.pending.push(tx);
    if (!peer.connecting) {
      if (peer.userspace && peer.conns.length === 0) {
        // The kernel never connects out to a userspace peer; nor do we.
        this.failPending(peer, -Errno.EHOSTUNREACH);
        return;
      }
      void this.connectPeer(peer);
    }
  }

  /**
   * ksocknal_find_conn_locked with the V2/V3 match rules: newest connection first, a typed
   * match (YES) before a fallback (MAY), then the fewest bytes waiting (ours and the socket's),
   * then with round_robin the one least recently chosen.
   */
  private findConn(peer: KsockPeer, tx: Tx): KsockConn | undefined {
    const minBulk = this.params.min_bulk;
    const noop = tx.msg === null;
    const bulk = tx.nob >= minBulk;
    if (!noop) {
      const known = bulk ? peer.bulkConn : peer.smallConn;
      if (known !== undefined && !known.closed) {
        known.txLastPost = coarseSeconds();
        return known;
      }
    }
    let best: KsockConn | undefined;
    let bestRank = 0;
    let bestNob = 0;
    /** Another connection had best's rank: the answer depends on queues, not to be kept. */
    let tied = false;
    const roundRobin = this.params.round_robin !== 0;
    const conns = peer.conns;
    for (let i = conns.length - 1; i >= 0; i--) {
      const c = conns[i]!;
      if (c.closed || c.rxState === 'handshake') continue;
      let rank: number; // 2 YES, 1 MAY, 0 NO
      if (c.version <= KsockProtoVersion.V2) {
        if (c.type === SocklndConnType.ANY) rank = 2;
        else if (c.type === SocklndConnType.CONTROL) rank = tx.nob < minBulk ? 2 : 1;
        else if (c.type === SocklndConnType.BULK_OUT) rank = tx.nob >= minBulk ? 2 : 1;
        else rank = 1;
      } else if (noop) {
        rank = c.type === SocklndConnType.BULK_IN ? 2 : c.type === SocklndConnType.CONTROL ? 1 : c.type === SocklndConnType.ANY ? 0 : 1;
      } else {
        if (c.type === SocklndConnType.CONTROL) rank = tx.nob < minBulk ? 2 : 1;
        else if (c.type === SocklndConnType.BULK_OUT) rank = tx.nob >= minBulk ? 2 : 1;
        else rank = 0;
      }
      if (rank === 0 || rank < bestRank) continue;
      if (!best || rank > bestRank) {
        best = c;
        bestRank = rank;
        bestNob = -1; // worked out only if another connection ties on rank
        tied = false;
        continue;
      }
      tied = true;
      if (bestNob < 0) bestNob = queuedNob(best);
      const nob = queuedNob(c);
      if (bestNob > nob || (bestNob === nob && roundRobin && best.txLastPost > c.txLastPost)) {
        best = c;
        bestNob = nob;
      }
    }
    if (best) {
      best.txLastPost = coarseSeconds();
      if (!noop && !tied) {
        if (bulk) peer.bulkConn = best;
        else peer.smallConn = best;
      }
    }
    return best;
  }

  /**
   * The types still wanted, given `have`, every live connection of the peer, ours and its own
   * (as the kernel counts the connections that match the conn_cb's address). Over a loopback
   * connection both ends are ours: a CONTROL brings two, and a BULK_IN the BULK_OUT that is
   * its passive end.
   */
  private missingTypes(have: ReadonlyMap<SocklndConnType, number>, kn: KsockNet): SocklndConnType[] {
    const used = new Map<SocklndConnType, number>();
    const out: SocklndConnType[] = [];
    for (const t of this.wanted(kn)) {
      const n = used.get(t) ?? 0;
      if (n < (have.get(t) ?? 0)) used.set(t, n + 1);
      else out.push(t);
    }
    return out;
  }

  /** Live connections of the peer by type. */
  private liveTypeCounts(peer: KsockPeer): Map<SocklndConnType, number> {
    const have = new Map<SocklndConnType, number>();
    for (const c of peer.conns) if (!c.closed) have.set(c.type, (have.get(c.type) ?? 0) + 1);
    return have;
  }

  /**
   * ksocknal_connect's choice of the next connection: ANY, else CONTROL, else BULK_IN while
   * there are no more of those than of BULK_OUT, else BULK_OUT. `skip`: types the peer
   * refused this time.
   */
  private nextType(peer: KsockPeer, skip: ReadonlySet<SocklndConnType>): SocklndConnType | undefined {
    const have = this.liveTypeCounts(peer);
    const missing = this.missingTypes(have, peer.net).filter((t) => !skip.has(t));
    if (missing.length === 0) return undefined;
    for (const t of [SocklndConnType.ANY, SocklndConnType.CONTROL]) if (missing.includes(t)) return t;
    if (!missing.includes(SocklndConnType.BULK_OUT)) return SocklndConnType.BULK_IN;
    if (!missing.includes(SocklndConnType.BULK_IN)) return SocklndConnType.BULK_OUT;
    return (have.get(SocklndConnType.BULK_IN) ?? 0) <= (have.get(SocklndConnType.BULK_OUT) ?? 0) ? SocklndConnType.BULK_IN : SocklndConnType.BULK_OUT;
  }

  private failPending(peer: KsockPeer, status: number): void {
    for (const tx of peer.pending.splice(0)) if (tx.msg) peer.net.core.finalize(tx.msg, status);
  }

  // ------------------------------------------------------------------ active connect

  /** ksocknal_connect: make the wanted connections one at a time, CONTROL first. */
  private async connectPeer(peer: KsockPeer): Promise<void> {
    const kn = peer.net;
    if (peer.connecting || kn.shuttingDown) return;
    const now = performance.now();
    if (now < peer.retryAt) {
      // Still backing off after failures: what waits for a connection fails now.
      if (peer.conns.length === 0) this.failPending(peer, -Errno.EHOSTUNREACH);
      return;
    }
    peer.connecting = true;
    let failures = 0;
    // What the last failed attempt said: handed to the messages that waited (ksocknal_txlist_done).
    let lastError = -Errno.EHOSTUNREACH;
    // Types the peer answered "retry" to (a race, or enough of that type): fine if we have
    // one; tried again once the others are done, if those made progress.
    const skip = new Set<SocklndConnType>();
    let progress = false;
    try {
      // Bounded: at most three tries of each wanted connection.
      for (let tries = 3 * this.wanted(kn).length; tries > 0 && !kn.shuttingDown; tries--) {
        let type = this.nextType(peer, skip);
        if (type === undefined && skip.size > 0 && progress) {
          skip.clear();
          progress = false;
          type = this.nextType(peer, skip);
        }
        if (type === undefined) break;
        const rc = await this.connectOne(peer, type);
        if (rc === 0) {
          progress = true;
          peer.backoffMs = 0;
        } else if (rc === -Errno.EALREADY) {
          skip.add(type);
        } else {
          failures++;
          lastError = rc;
          break;
        }
      }
    } finally {
      peer.connecting = false;
    }
    if (peer.conns.length === 0) {
      peer.backoffMs = peer.backoffMs === 0 ? this.params.min_reconnectms : Math.min(peer.backoffMs * 2, this.params.max_reconnectms);
      peer.retryAt = performance.now() + peer.backoffMs;
      if (failures > 0 || peer.pending.length > 0) this.failPending(peer, lastError);
    } else {
      // Whatever waited goes out on the connections we have.
      for (const tx of peer.pending.splice(0)) this.launch(peer, tx);
    }
  }

  /** One outgoing connection of `type`: connreq, hello, the peer's hello. 0 or −errno. */
  private async connectOne(peer: KsockPeer, type: SocklndConnType): Promise<number> {
    const kn = peer.net;
    const port = type === SocklndConnType.CONTROL ? this.acceptPort : this.acceptPortBulk;
    let sock: Socket;
    try {
      sock = await this.openSocket(kn, peer.address, port);
    } catch (e) {
      kn.core.log('warn', `cannot connect to ${formatNid(peer.nid)} at ${peer.address}:${port}: ${(e as Error).message}`);
      // A refusal or a timeout is reported as such (the kernel passes the connect error on).
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ECONNREFUSED' ? -Errno.ECONNREFUSED : code === 'ETIMEDOUT' ? -Errno.ETIMEDOUT : -Errno.EHOSTUNREACH;
    }
    this.stats.connectionsInitiated++;
    const conn = new KsockConn(sock, this.owner(kn), false);
    kn.handshaking.add(conn);
    peer.connectingTypes.add(type);
    const version = peer.proto ?? (kn.family === 6 || !nidIsNid4(peer.nid) ? KsockProtoVersion.V4 : KsockProtoVersion.V3);
    try {
      sock.write(connReqToBuffer(connReqFor(peer.nid)));
      sock.write(helloToBuffer(this.myHello(kn, peer.nid, version, type)));
      const hello = await this.readHello(conn);
      if (hello instanceof WireError) return this.refuse(kn, conn, hello.message);
      if (hello.ctype === SocklndConnType.NONE) {
        conn.close('peer asked to retry', -Errno.EALREADY);
        if (hello.version !== version) {
          peer.proto = hello.version;
          return -Errno.EPROTO;
        }
        return -Errno.EALREADY;
      }
      if (hello.version !== version) return this.refuse(kn, conn, `peer answered version ${hello.version} to our ${version}`);
      if (nidIsAny(hello.srcNid) || !nidEquals(hello.srcNid, peer.nid))
        return this.refuse(kn, conn, `connected to ${formatNid(peer.nid)} but it says it is ${formatNid(hello.srcNid)}`);
      if (invertConnType(hello.ctype) !== type) return this.refuse(kn, conn, `peer answered ctype ${hello.ctype} to our ${type}`);
      conn.version = version;
      conn.flip = hello.flip;
      conn.type = type;
      conn.peerNid = peer.nid;
      conn.peerPid = hello.srcPid;
      this.checkIncarnation(peer, hello);
      peer.proto = version;
      return this.establish(kn, peer, conn);
    } catch (e) {
      conn.close((e as Error).message, -Errno.ETIMEDOUT);
      return -Errno.ETIMEDOUT;
    } finally {
      kn.handshaking.delete(conn);
      peer.connectingTypes.delete(type);
    }
  }

  private refuse(kn: KsockNet, conn: KsockConn, reason: string): number {
    this.protocolErrorLog(kn, conn, reason);
    conn.close(reason, -Errno.EPROTO);
    return -Errno.EPROTO;
  }

  /** lnet_connect: bind a reserved port 1023→512 when we may, else an ephemeral one. */
  private async openSocket(kn: KsockNet, host: string, port: number): Promise<Socket> {
    if (this.privileged) {
      for (let lport = 1023; lport >= 512; lport--) {
        try {
          return await connectFrom(host, port, kn.address, lport, this.acceptTimeoutMs);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') continue;
          if (code === 'EACCES' || code === 'EPERM') {
            this.privileged = false;
            break;
          }
          throw e;
        }
      }
      if (this.privileged) throw new LNetError('EADDRINUSE', 'all reserved source ports 512-1023 are in use');
    }
    if (!this.warnedUnprivileged) {
      this.warnedUnprivileged = true;
      kn.core.log('warn', 'connecting from unprivileged ports: kernel peers with accept=secure will refuse us; run as root or with CAP_NET_BIND_SERVICE');
    }
    const sock = await connectFrom(host, port, kn.address, 0, this.acceptTimeoutMs);
    const end = `${normalizeAddr(sock.localAddress ?? '')}:${sock.localPort ?? 0}`;
    this.ownUnprivilegedEnds.add(end);
    sock.once('close', () => this.ownUnprivilegedEnds.delete(end));
    return sock;
  }

  /** Is this accepted socket the other end of one we opened from an unprivileged port? */
  private fromOwnUnprivilegedSocket(sock: Socket): boolean {
    return this.ownUnprivilegedEnds.has(`${normalizeAddr(sock.remoteAddress ?? '')}:${sock.remotePort ?? 0}`);
  }

  private myHello(kn: KsockNet, dst: Nid, version: KsockProtoVersion, ctype: number): KsockHello {
    return {
      version,
      srcNid: kn.ni.nid,
      dstNid: dst,
      srcPid: kn.core.pid,
      dstPid: 0,
      srcIncarnationLo: kn.incLo,
      srcIncarnationHi: kn.incHi,
      dstIncarnationLo: 0,
      dstIncarnationHi: 0,
      ctype,
      ips: [],
    };
  }

  /** Read a hello: 8 bytes to learn the version, then the rest (and a V2/V3 IP list). */
  private async readHello(conn: KsockConn): Promise<DecodedHello | WireError> {
    const t = this.acceptTimeoutMs;
    const p = await conn.need(KSOCK_HELLO_PEEK_SIZE, t);
    const peek = peekHelloVersion(p.buf, p.off);
    if (peek instanceof WireError) return peek;
    const fixed = await conn.need(peek.fixedLength, t);
    let h = decodeHello(fixed.buf, fixed.off);
    if (h instanceof WireError && h.reason === 'truncated' && h.needed > peek.fixedLength) {
      const q = await conn.need(h.needed, t);
      h = decodeHello(q.buf, q.off);
    }
    if (h instanceof WireError) return h;
    conn.rx.consume(h.length);
    return h;
  }

  private checkIncarnation(peer: KsockPeer, hello: DecodedHello): void {
    if (peer.incLo !== undefined && (peer.incLo !== hello.srcIncarnationLo || peer.incHi !== hello.srcIncarnationHi)) {
      // The peer restarted: its old connections are dead.
      for (const c of [...peer.conns]) c.close('peer restarted (new incarnation)', -Errno.ESTALE);
    }
    peer.incLo = hello.srcIncarnationLo;
    peer.incHi = hello.srcIncarnationHi;
  }

  /** The end of ksocknal_create_conn: the socket set up, then the connection in use. 0 or −errno. */
  private establish(kn: KsockNet, peer: KsockPeer, conn: KsockConn): number {
    const rc = this.setupSock(kn, conn);
    if (rc < 0) return rc;
    conn.peer = peer;
    peer.conns.push(conn);
    peer.smallConn = peer.bulkConn = undefined;
    peer.lastAlive = performance.now();
    conn.startFraming();
    kn.core.notify?.(kn.ni, peer.nid, true);
    for (const tx of peer.pending.splice(0)) this.launch(peer, tx);
    return 0;
  }

  /** ksocknal_lib_setup_sock: an option the socket refuses fails the connection, as the kernel's. */
  private setupSock(kn: KsockNet, conn: KsockConn): number {
    const r = setupSock(conn.sock, { ...this.params, tos: Number(kn.ni.lndTunables.tos ?? -1) });
    if (r.unapplied.length > 0 && !this.warnedUnapplied) {
      this.warnedUnapplied = true;
      const why = sockoptAddon
        ? 'the system capped them (as root ulnet may exceed net.core.wmem_max/rmem_max; otherwise raise those)'
        : "the native addon lnd/socklnd/native is not built; run `npm rebuild ulnet` where a C compiler and Node's headers are installed";
      kn.core.log('warn', `socket options not applied as set (${r.unapplied.join(', ')}): ${why}`);
    }
    if (r.rc === 0) return 0;
    const failed = 'failed' in r ? r.failed : '?';
    kn.core.log('error', `can't set ${failed} on the connection with ${conn.remoteAddress}: ${errnoName(-r.rc) ?? r.rc}; closing it`);
    conn.close(`can't set ${failed}`, r.rc);
    return r.rc;
  }

  // ------------------------------------------------------------------ passive side

  /** lnet_accept + ksocknal_accept: the acceptor's checks, then the passive hello. */
  private onAccept(kn: KsockNet, sock: Socket): void {
    const remotePort = sock.remotePort ?? 0;
    // Our own unprivileged socket may not be known yet (its connect callback can run after this
    // accept); it is by the time its connection request arrives, so a connection from our own
    // address is judged then.
    const maybeSelf = remotePort > 1023 && normalizeAddr(sock.remoteAddress ?? '') === normalizeAddr(sock.localAddress ?? '');
    if (this.accept === 'secure' && remotePort > 1023 && !maybeSelf) return this.refuseInsecure(kn, sock);
    this.stats.connectionsAccepted++;
    const conn = new KsockConn(sock, this.owner(kn), true);
    kn.handshaking.add(conn);
    void this.passiveHandshake(kn, conn).finally(() => kn.handshaking.delete(conn));
  }

  private refuseInsecure(kn: KsockNet, sock: Socket): void {
    this.stats.insecureRefused++;
    kn.core.log('warn', `refusing connection from ${normalizeAddr(sock.remoteAddress ?? '?')}:${sock.remotePort ?? 0}: insecure port (accept=secure)`);
    sock.destroy();
  }

  private async passiveHandshake(kn: KsockNet, conn: KsockConn): Promise<void> {
    const t = this.acceptTimeoutMs;
    try {
      const p = await conn.need(ACCEPTOR_CONNREQ_PEEK_SIZE, t);
      const fromSelf = conn.remotePort > 1023 && this.fromOwnUnprivilegedSocket(conn.sock);
      if (this.accept === 'secure' && conn.remotePort > 1023 && !fromSelf) {
        conn.close('insecure port (accept=secure)', -Errno.EPERM);
        return this.refuseInsecure(kn, conn.sock);
      }
      let req = decodeConnReq(p.buf, p.off);
      if (req instanceof WireError && req.reason === 'truncated') {
        const q = await conn.need(req.needed, t);
        req = decodeConnReq(q.buf, q.off);
      }
      if (req instanceof WireError) {
        const reply = acceptorReplyFor(req);
        if (reply) conn.sock.write(reply);
        this.protocolErrorLog(kn, conn, `bad connection request: ${req.message}`);
        conn.sock.end();
        conn.close(req.message, -Errno.EPROTO);
        return;
      }
      conn.rx.consume(connReqSize(req.version));
      // The acceptor hands the socket to the NI whose NID is exactly the one asked for.
      const target = [...this.nets].find((n) => nidEquals(n.ni.nid, req.nid));
      if (!target) {
        this.protocolErrorLog(kn, conn, `connection request for ${formatNid(req.nid)}: no matching NI`);
        conn.close('no matching NI', -Errno.EPERM);
        return;
      }
      if (target !== kn) kn = target;
      const p2 = await conn.need(KSOCK_HELLO_PEEK_SIZE, t);
      const peek = peekHelloVersion(p2.buf, p2.off);
      if (peek instanceof WireError) {
        if (peek.reason === 'bad-version') {
          // "I speak this": our own hello with ctype NONE, then close (EPROTO).
          const v = kn.family === 6 ? KsockProtoVersion.V4 : KsockProtoVersion.V3;
          conn.sock.write(helloToBuffer(this.myHello(kn, LNET_ANY_NID, v, SocklndConnType.NONE)));
        }
        this.protocolErrorLog(kn, conn, `bad hello: ${peek.message}`);
        conn.sock.end();
        conn.close(peek.message, -Errno.EPROTO);
        return;
      }
      const hello = await this.readHello(conn);
      if (hello instanceof WireError) return void this.refuse(kn, conn, `bad hello: ${hello.message}`);
      if (nidIsAny(hello.srcNid)) return void this.refuse(kn, conn, 'hello from NID ANY');
      // A peer on an unprivileged port is a userspace process: the kernel names it by address and port.
      let peerNid = hello.srcNid;
      let peerPid = hello.srcPid;
      if (conn.remotePort > 1023 && !fromSelf) {
        peerNid = nidOfAddress(conn.remoteAddress, kn.ni.net);
        peerPid = (conn.remotePort | LNET_PID_USERFLAG) >>> 0;
        conn.overrideSrc = { nid: peerNid, pid: peerPid };
      }
      const type = invertConnType(hello.ctype);
      if (type === SocklndConnType.NONE) return void this.refuse(kn, conn, `unexpected connection type ${hello.ctype} in hello`);
      const peer = this.peerFor(kn, peerNid, peerPid);
      if (conn.overrideSrc) peer.userspace = true;
      conn.version = hello.version;
      conn.flip = hello.flip;
      conn.type = type;
      conn.peerNid = peerNid;
      conn.peerPid = peerPid;
      this.checkIncarnation(peer, hello);
      // Too many of that type already, or a race we lose: "retry" (ctype NONE, EALREADY).
      const sameType = peer.conns.filter((c) => !c.closed && c.type === type).length;
      // The limit is conns_per_peer for every type, CONTROL included (ksnr_max_conns); a kernel
      // peer opens one CONTROL, so a second one only comes from a peer that lost track of its first.
      const cpp = this.connsPerPeer(kn);
      // ksocknal_create_conn: "resolve in favour of higher NID": when we are connecting to this
      // peer ourselves and its NID is the lower one, its incoming connection gives way. Never
      // between equal NIDs: a loopback connection (to ourselves) is no race.
      const race = peer.connectingTypes.size > 0 && nidCompare(peerNid, kn.ni.nid) < 0;
      // Nor is a loopback connection a duplicate: its passive end joins the active one in the
      // same peer (the kernel's two CONTROL connections to itself).
      const duplicate = sameType >= cpp && conn.remoteAddress !== conn.localAddress;
      if (duplicate || race) {
        conn.sock.write(helloToBuffer(this.myHello(kn, peerNid, hello.version, SocklndConnType.NONE)));
        conn.sock.end();
        conn.close(race ? 'lost connection race (the higher NID keeps its own connection)' : 'enough connections of this type', -Errno.EALREADY);
        return;
      }
      conn.sock.write(helloToBuffer(this.myHello(kn, peerNid, hello.version, type)));
      peer.proto = hello.version;
      this.establish(kn, peer, conn);
    } catch (e) {
      // Cut short by FIN or left idle past accept_timeout: a truncated handshake.
      if (!kn.shuttingDown) this.protocolErrorLog(kn, conn, `incomplete handshake: ${(e as Error).message}`);
      conn.close((e as Error).message, -Errno.ETIMEDOUT);
    }
  }

  // ------------------------------------------------------------------ receive

  recv(
    _ni: NetworkInterface,
    rxPrivate: unknown,
    msg: LNetMsg | null,
    _delayed: boolean,
    iov: Iov,
    offset: number,
    mlen: number,
    rlen: number,
  ): number {
    return (rxPrivate as KsockConn).recv(msg, iov, offset, mlen, rlen);
  }

  /** The connection is done with `tx`: back to the pool; its message (null for a NOOP). */
  private releaseTx(tx: Tx): LNetMsg | null {
    const msg = tx.msg;
    tx.msg = null;
    if (this.txPool.length < TX_POOL_MAX) this.txPool.push(tx);
    return msg;
  }

  private owner(kn: KsockNet): ConnOwner {
    const lnd = this;
    return {
      enableCsum: this.params.enable_csum !== 0,
      onLNetHeader(conn: KsockConn, hdr: LNetHdr): number {
        // The chunk that brought this header stamped lastRx: no clock read per message.
        (conn.peer as KsockPeer).lastAlive = conn.lastRx;
        const core = kn.core;
        const rc = core.parse(kn.ni, hdr, conn.peerNid!, conn, true);
        // The core kept the decoded header for its message (no copy): decode into its spare.
        conn.rxHdr = core.rxHdrOut ?? hdr;
        return rc;
      },
      onRxDone(conn: KsockConn, msg: LNetMsg | null, status: number, zcLo: number, zcHi: number): void {
        if (msg) kn.core.finalize(msg, status);
        if (status === 0 && (zcLo !== 0 || zcHi !== 0)) lnd.sendZcAck(conn.peer as KsockPeer, zcLo, zcHi);
      },
      onDirectRead(_conn: KsockConn, n: number): void {
        lnd.stats.rxDirectBytes += n;
      },
      onZcAck(): number {
        // We never ask for zero-copy ACKs, so any real cookie is unknown: EPROTO, as the kernel.
        return -Errno.EPROTO;
      },
      onTxBatchDone(_conn: KsockConn, txs: Tx[], n: number, status: number): void {
        // Every tx back to the pool first (the connection is done with them), the messages
        // to LNet in one completion pass (lnet_finalize of the batch's messages in order).
        const msgs = lnd.doneMsgs;
        let k = 0;
        for (let i = 0; i < n; i++) {
          const msg = lnd.releaseTx(txs[i]!);
          if (msg) msgs[k++] = msg;
        }
        const core = kn.core;
        if (core.finalizeBatch) core.finalizeBatch(msgs, k, status);
        else for (let i = 0; i < k; i++) core.finalize(msgs[i]!, status);
        for (let i = 0; i < k; i++) msgs[i] = undefined;
      },
      onTxDone(_conn: KsockConn, tx: Tx, status: number): void {
        // The connection is done with the tx: back to the pool before LNet hears of it.
        const msg = lnd.releaseTx(tx);
        if (msg) kn.core.finalize(msg, status);
      },
      onClose(conn: KsockConn, reason: string, errno: number): void {
        lnd.stats.connectionsClosed++;
        const peer = conn.peer as KsockPeer | undefined;
        if (!peer) return;
        const i = peer.conns.indexOf(conn);
        if (i >= 0) peer.conns.splice(i, 1);
        peer.smallConn = peer.bulkConn = undefined;
        kn.core.log('debug', `connection to ${formatProcessId({ nid: peer.nid, pid: peer.pid })} closed: ${reason}`, { errno });
        if (peer.conns.length === 0 && !kn.shuttingDown) kn.core.notify?.(kn.ni, peer.nid, false);
      },
      onProtocolError(conn: KsockConn, reason: string): void {
        lnd.protocolErrorLog(kn, conn, reason);
      },
      lastParseError(): string | undefined {
        return kn.core.lastProtocolError;
      },
    };
  }

  private protocolErrorLog(kn: KsockNet, conn: KsockConn, reason: string): void {
    this.stats.protocolErrors++;
    kn.core.countError();
    const addr = `${conn.remoteAddress}:${conn.remotePort}`;
    const who = conn.peerNid ? `${formatProcessId({ nid: conn.peerNid, pid: conn.peerPid })} (${addr})` : addr;
    kn.core.log('warn', `closing connection with ${who}: ${reason}`, { peer: who, reason });
  }

  /** Return a zero-copy cookie with a NOOP, on the ACK (BULK_IN) connection when there is one. */
  private sendZcAck(peer: KsockPeer, lo: number, hi: number): void {
    const tx: Tx = { msg: null, zcAckLo: lo, zcAckHi: hi, nob: KSOCK_MSG_HDR_SIZE };
    const conn = this.findConn(peer, tx);
    if (!conn) return;
    this.stats.zcAcksSent++;
    conn.enqueue(tx);
  }

  // ------------------------------------------------------------------ reaper

  /** Once a second: sock_timeout on stuck sends and receives, keepalive NOOPs when idle. */
  private reap(): void {
    const now = performance.now();
    const timeout = this.params.sock_timeout * 1000;
    for (const kn of this.nets) {
      for (const peer of kn.peers.values()) {
        for (const c of [...peer.conns]) {
          if (now - c.oldestTxSince() > timeout) {
            kn.core.log('warn', `timed out sending to ${formatNid(peer.nid)}; closing the connection`);
            c.close('send timed out', -Errno.ETIMEDOUT);
          } else if (c.midFrame && now - c.rxProgress > timeout) {
            kn.core.log('warn', `timed out receiving from ${formatNid(peer.nid)}; closing the connection`);
            c.close('receive timed out', -Errno.ETIMEDOUT);
          }
        }
        // V3/V4 keepalive: a NOOP {0, 1} when nothing has arrived for `keepalive` seconds.
        const live = peer.conns.filter((c) => !c.closed && c.version >= KsockProtoVersion.V3);
        const every = this.params.keepalive * 1000;
        if (every > 0 && live.length > 0) {
          const lastRx = Math.max(...live.map((c) => c.lastRx));
          if (now - lastRx > every && now - peer.lastKeepalive > every) {
            peer.lastKeepalive = now;
            const tx: Tx = { msg: null, zcAckLo: 1, zcAckHi: 0, nob: KSOCK_MSG_HDR_SIZE };
            const conn = this.findConn(peer, tx);
            if (conn) {
              this.stats.noopsSent++;
              conn.enqueue(tx);
            }
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------ introspection

  /**
   * Live connections, for lctl conn_list and tests, in the kernel's order: peers as its peer
   * hash table lists them (by bucket, the newest first within one), each peer's connections
   * newest first (ksnp_conns).
   */
  connections(): Array<{ ni: Nid; peer: Nid; pid: number; type: SocklndConnType; version: number; local: string; remote: string; passive: boolean }> {
    const out = [];
    for (const kn of this.nets)
      for (const peer of kernelPeerOrder([...kn.peers.values()]))
        for (const c of [...peer.conns].reverse())
          if (!c.closed)
            out.push({
              ni: kn.ni.nid,
              peer: peer.nid,
              pid: peer.pid,
              type: c.type,
              version: c.version,
              local: `${c.localAddress}:${c.localPort}`,
              remote: `${c.remoteAddress}:${c.remotePort}`,
              passive: c.passive,
            });
    return out;
  }

  /** Abruptly close every connection (connection-loss tests); `reset` sends a TCP RST instead of a FIN. */
  dropConnections(reset = false): void {
    for (const kn of this.nets)
      for (const peer of kn.peers.values())
        for (const c of [...peer.conns]) {
          if (reset) c.sock.resetAndDestroy();
          c.close('dropped on request', -Errno.ECONNABORTED);
        }
  }
}

/** SOCKNAL_PEER_HASH_BITS */
const PEER_HASH_BITS = 7;

/**
 * The bucket of ksocklnd's peer hash table a NID falls in: hash_add's hash_long (hash_64 on a
 * 64-bit host) of nidhash, an unsigned long whose value fits 32 bits.
 */
export function ksockPeerBucket(nid: Nid): number {
  return linuxHash64(0, nidHash(nid), PEER_HASH_BITS);
}

/** Peers (in creation order) as hash_for_each walks the kernel's table: by bucket, newest first in one. */
function kernelPeerOrder(peers: KsockPeer[]): KsockPeer[] {
  return peers
    .map((p, i) => ({ p, i, b: ksockPeerBucket(p.nid) }))
    .sort((x, y) => x.b - y.b || y.i - x.i)
    .map((x) => x.p);
}

function nidAddress(nid: Nid): string {
  if (nid.size === 0) return formatIPv4(nid.addr0);
  const s = formatNid(nid);
  return s.slice(0, s.lastIndexOf('@'));
}

/** The tcp NID of a socket address on `net` (IPv4 fits 64 bits; IPv6 makes a large NID). */
function nidOfAddress(address: string, net: Net): Nid {
  const v4 = parseIPv4Strict(address);
  return v4 !== undefined ? makeNid(LndType.SOCKLND, netNum(net), v4) : parseNid(`${address}@tcp${netNum(net) || ''}`);
}

function connectFrom(host: string, port: number, localAddress: string, localPort: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connectRouted({ host, port, localAddress, ...(localPort ? { localPort } : {}) });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    });
  });
}

function interfaceAddress(name: string): string | undefined {
  const infos = networkInterfaces()[name];
  return infos?.find((i) => i.family === 'IPv4')?.address ?? infos?.find((i) => i.family === 'IPv6' && !i.address.startsWith('fe80'))?.address;
}

function firstInterfaceAddress(): string | undefined {
  for (const infos of Object.values(networkInterfaces())) {
    const v4 = infos?.find((i) => i.family === 'IPv4' && !i.internal);
    if (v4) return v4.address;
  }
  return undefined;
}

function interfaceOf(address: string): string | undefined {
  for (const [name, infos] of Object.entries(networkInterfaces())) if (infos?.some((i) => i.address === address)) return name;
  return undefined;
}

/** conns_per_peer = 0: from the link speed, ilog2(Gb/s)/2 + 1 (1 when unknown, e.g. loopback). */
function autoConnsPerPeer(ifname: string | undefined): number {
  if (!ifname) return 1;
  try {
    const mbps = Number(readFileSync(`/sys/class/net/${ifname}/speed`, 'utf8').trim());
    if (!(mbps > 0)) return 1;
    const gbps = Math.floor(mbps / 1000);
    return gbps < 1 ? 1 : Math.floor(Math.log2(gbps) / 2) + 1;
  } catch {
    return 1;
  }
}

export { AcceptorVersion };

/** Bytes waiting to go on a connection: ours, and what the socket holds (the kernel adds sk_wmem_queued). */
function queuedNob(c: KsockConn): number {
  return c.txQueuedBytes + c.sock.writableLength;
}
