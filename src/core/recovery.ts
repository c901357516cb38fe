/**
 * The recovery queues (lib-move.c lnet_recover_local_nis / lnet_recover_peer_nis, lib-msg.c
 * and peer.c *_add_to_recoveryq_locked): local NIs and peer NIs whose health is below 1000
 * are pinged by the monitor (once a second) until they are healthy again. After k pings the
 * next one waits min(2^k, max_recovery_ping_interval) seconds; a successful ping (any message
 * received from a peer NI) resets k. A peer NI leaves recovery when healthy, when deleted, or
 * `recovery_limit` seconds after it was last heard from (0: never). Counters: `ping_count` and
 * `next_ping` in the NI's and peer NI's health stats, as `net show -v 3` / `peer show -v 2`.
 */
import { formatNid } from '../nid/nid-string.js';
import { EventKind, MdOption, Unlink } from './constants.js';
import type { LNetEvent } from './event.js';
import type { MdHandle } from './handle.js';
import { monoSeconds } from './health.js';
import type { LNetCore } from './lnet-core.js';
import type { NetworkInterface } from './ni.js';
import { LNET_MAX_HEALTH_VALUE, PeerNiState, type PeerNi } from './peer-ni.js';
import { LNET_PING_INFO_MIN_SIZE } from '../wire/ping-buffer.js';

/** `ni_recovery_state` bits. */
export enum NiRecoveryState {
  PENDING = 1 << 0,
  FAILED = 1 << 1,
}

/** lnet_get_next_recovery_ping: 2^count seconds, capped once count passes log2(cap). */
export function nextRecoveryPing(pingCount: number, now: number, maxInterval: number): number {
  let maxCount = 0;
  for (let v = maxInterval >>> 1; v; v >>>= 1) maxCount++;
  return now + (pingCount > maxCount ? maxInterval : 2 ** pingCount);
}

export class Recovery {
  /** ln_mt_localNIRecovq */
  readonly localQueue: NetworkInterface[] = [];
  /** ln_mt_peerNIRecovq */
  readonly peerQueue: PeerNi[] = [];
  private readonly niPing = new WeakMap<NetworkInterface, MdHandle>();
  private readonly lpniPing = new WeakMap<PeerNi, MdHandle>();

  constructor(private readonly core: LNetCore) {}

  /** lnet_ni_add_to_recoveryq_locked */
  addNi(ni: NetworkInterface, now?: number): void {
    if (ni.inRecovery || ni.healthValue === LNET_MAX_HEALTH_VALUE) return;
    // (The clock is read only past the early returns: every successful message comes here.)
    ni.health.next_ping = nextRecoveryPing(ni.health.ping_count, now ?? monoSeconds(), this.core.params.max_recovery_ping_interval);
    ni.inRecovery = true;
    this.localQueue.push(ni);
  }

  /** `net set --health`: on the queue with no wait (lnet_ni_set_healthv). */
  addNiNow(ni: NetworkInterface): void {
    if (ni.inRecovery || ni.healthValue >= LNET_MAX_HEALTH_VALUE) return;
    ni.inRecovery = true;
    this.localQueue.push(ni);
  }

  /** lnet_peer_ni_add_to_recoveryq_locked */
  addPeerNi(lpni: PeerNi, nowSec?: number): void {
    if (this.core.state !== 'running') return;
    if (lpni.inRecovery || lpni.healthValue === LNET_MAX_HEALTH_VALUE) return;
    // Never heard from: nothing says it can recover.
    if (!lpni.lastAlive) return;
    // (The clock is read only past the early returns: every received message comes here.)
    const now = nowSec ?? monoSeconds();
    const limit = this.core.params.recovery_limit;
    if (limit && now > lpni.lastAlive + limit) {
      // Aged out; should it come back, the first ping goes at once.
      lpni.health.ping_count = 0;
      return;
    }
    lpni.health.next_ping = nextRecoveryPing(lpni.health.ping_count, now, this.core.params.max_recovery_ping_interval);
    lpni.inRecovery = true;
    this.peerQueue.push(lpni);
  }

  /** One pass of the monitor: ping what is due. Returns the queue lengths. */
  tick(now = monoSeconds()): { nis: number; lpnis: number } {
    return { nis: this.recoverLocalNis(now), lpnis: this.recoverPeerNis(now) };
  }

  /** Shutdown: forget both queues, unlinking pings in flight. */
  clear(): void {
    for (const ni of this.localQueue.splice(0)) {
      ni.inRecovery = false;
      this.unlinkNiPing(ni);
    }
    for (const lpni of this.peerQueue.splice(0)) {
      lpni.inRecovery = false;
      this.unlinkLpniPing(lpni);
    }
  }

  private unlinkNiPing(ni: NetworkInterface): void {
    const mdh = this.niPing.get(ni);
    this.niPing.delete(ni);
    if (mdh && this.core.isMdLive(mdh)) this.core.mdUnlink(mdh);
  }

  private unlinkLpniPing(lpni: PeerNi): void {
    const mdh = this.lpniPing.get(lpni);
    this.lpniPing.delete(lpni);
    if (mdh && this.core.isMdLive(mdh)) this.core.mdUnlink(mdh);
  }

  private recoverLocalNis(now: number): number {
    const queue = this.localQueue.splice(0);
    const keep: NetworkInterface[] = [];
    for (const ni of queue) {
      if (ni.state !== 'up' || !this.core.nis.includes(ni) || ni.healthValue === LNET_MAX_HEALTH_VALUE) {
        ni.inRecovery = false;
        if (ni.recoveryState & NiRecoveryState.PENDING) this.unlinkNiPing(ni);
        continue;
      }
      if (ni.recoveryState & NiRecoveryState.FAILED) {
        this.unlinkNiPing(ni);
        ni.recoveryState &= ~NiRecoveryState.FAILED;
      }
      if (now < ni.health.next_ping || ni.recoveryState & NiRecoveryState.PENDING) {
        keep.push(ni);
        continue;
      }
      ni.recoveryState |= NiRecoveryState.PENDING;
      this.core.log('debug', `attempting to recover local NI ${formatNid(ni.nid)}`, { health: ni.healthValue });
      const rc = this.sendPing(ni.nid, (ev) => this.onNiPingEvent(ni, ev), (mdh) => this.niPing.set(ni, mdh));
      ni.health.ping_count++;
      ni.inRecovery = false;
      this.addNi(ni, now);
      if (ni.inRecovery) {
        // addNi appended it to the live queue: move it to this pass's survivors.
        this.localQueue.splice(this.localQueue.indexOf(ni), 1);
        keep.push(ni);
      }
      if (rc < 0) ni.recoveryState &= ~NiRecoveryState.PENDING;
    }
    this.localQueue.unshift(...keep);
    return this.localQueue.length;
  }

  private recoverPeerNis(now: number): number {
    const queue = this.peerQueue.splice(0);
    const keep: PeerNi[] = [];
    for (const lpni of queue) {
      if (lpni.state & PeerNiState.DELETING || lpni.healthValue === LNET_MAX_HEALTH_VALUE) {
        lpni.inRecovery = false;
        if (lpni.state & PeerNiState.RECOVERY_PENDING) this.unlinkLpniPing(lpni);
        continue;
      }
      if (lpni.state & PeerNiState.RECOVERY_FAILED) {
        this.unlinkLpniPing(lpni);
        lpni.state &= ~PeerNiState.RECOVERY_FAILED;
      }
      if (now < lpni.health.next_ping || lpni.state & PeerNiState.RECOVERY_PENDING) {
        keep.push(lpni);
        continue;
      }
      lpni.state |= PeerNiState.RECOVERY_PENDING;
      this.core.log('debug', `attempting to recover peer NI ${formatNid(lpni.nid)}`, { health: lpni.healthValue });
      const rc = this.sendPing(lpni.nid, (ev) => this.onLpniPingEvent(lpni, ev), (mdh) => this.lpniPing.set(lpni, mdh));
      lpni.health.ping_count++;
      lpni.inRecovery = false;
      this.addPeerNi(lpni, now);
      if (lpni.inRecovery) {
        this.peerQueue.splice(this.peerQueue.indexOf(lpni), 1);
        keep.push(lpni);
      }
      if (rc < 0) lpni.state &= ~PeerNiState.RECOVERY_PENDING;
    }
    this.peerQueue.unshift(...keep);
    return this.peerQueue.length;
  }

  /** lnet_send_ping with recovery set: a 272-byte GET on the reserved portal, response tracked. */
  private sendPing(nid: PeerNi['nid'], handler: (ev: LNetEvent) => void, bound: (mdh: MdHandle) => void): number {
    let mdh: MdHandle;
    try {
      mdh = this.core.mdBind(
        { start: new Uint8Array(LNET_PING_INFO_MIN_SIZE), threshold: 2, options: MdOption.TRUNCATE | MdOption.TRACK_RESPONSE, handler },
        Unlink.UNLINK,
      );
    } catch {
      return -1;
    }
    bound(mdh);
    try {
      this.core.sendPingGet(nid, mdh, true);
    } catch {
      if (this.core.isMdLive(mdh)) this.core.mdUnlink(mdh);
      return -1;
    }
    return 0;
  }

  /** lnet_mt_event_handler + lnet_handle_recovery_reply for a local NI. */
  private onNiPingEvent(ni: NetworkInterface, ev: LNetEvent): void {
    const send = ev.type === EventKind.SEND;
    if (!send && ev.type !== EventKind.REPLY && ev.type !== EventKind.UNLINK) return;
    if (!this.core.nis.includes(ni)) return;
    if (!send || ev.status !== 0) ni.recoveryState &= ~NiRecoveryState.PENDING;
    if (ev.status !== 0) {
      ni.recoveryState |= NiRecoveryState.FAILED;
      this.core.log('debug', `local NI ${formatNid(ni.nid)} recovery failed with ${ev.status}`);
      return;
    }
    // The REPLY path does not reach this NI's health (the peer is ourselves): raise it here.
    if (ev.type === EventKind.REPLY) this.core.health.incNi(ni);
  }

  /** The same for a peer NI; a REPLY raises its health through the receive path. */
  private onLpniPingEvent(lpni: PeerNi, ev: LNetEvent): void {
    const send = ev.type === EventKind.SEND;
    if (!send && ev.type !== EventKind.REPLY && ev.type !== EventKind.UNLINK) return;
    if (!send || ev.status !== 0) lpni.state &= ~PeerNiState.RECOVERY_PENDING;
    if (ev.status !== 0) {
      lpni.state |= PeerNiState.RECOVERY_FAILED;
      this.core.log('debug', `peer NI ${formatNid(lpni.nid)} recovery failed with ${ev.status}`);
    }
  }
}
