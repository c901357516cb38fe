/**
 * Health (lib-msg.c lnet_health_check, lib-lnet.h lnet_inc/dec_*_healthv): every finished
 * message moves the health of the local NI and peer NI it used, and a failed one may be
 * resent on another path. Values are 0..1000; a failure takes `health_sensitivity` off and
 * puts the NI or peer NI on its recovery queue (recovery.ts), a success adds it back.
 */
import { uptime } from 'node:os';
import { Errno } from '../errno.js';
import { NiStatus } from '../wire/ping-buffer.js';
import type { LNetCore } from './lnet-core.js';
import type { LNetMsg } from './msg.js';
import type { NetworkInterface } from './ni.js';
import { LNET_MAX_HEALTH_VALUE, type PeerNi } from './peer-ni.js';

/** `enum lnet_msg_hstatus` (lib-types.h). */
export enum HealthStatus {
  OK = 0,
  LOCAL_INTERRUPT,
  LOCAL_DROPPED,
  LOCAL_ABORTED,
  LOCAL_NO_ROUTE,
  LOCAL_ERROR,
  LOCAL_TIMEOUT,
  REMOTE_ERROR,
  REMOTE_DROPPED,
  REMOTE_TIMEOUT,
  NETWORK_TIMEOUT,
}

/** lnet_health_error2str */
export function healthStatusName(h: HealthStatus): string {
  return HealthStatus[h] ?? '<UNKNOWN>';
}

/**
 * The health status of a send an LND finished with `errno` and no status of its own: the
 * kernel socklnd's mapping (ksocknal_txlist_done): a timeout is the network's, a peer that
 * cannot be reached or reset us dropped it, anything else is ours. A connection that went
 * away under the message (ECONNABORTED from our socklnd, where the kernel
 * reports ECONNRESET) counts as dropped by the peer too.
 */
export function healthStatusForErrno(errno: number): HealthStatus {
  switch (-errno) {
    case 0:
      return HealthStatus.OK;
    case Errno.ETIMEDOUT:
      return HealthStatus.NETWORK_TIMEOUT;
    case Errno.ENETDOWN:
    case Errno.EHOSTUNREACH:
    case Errno.ENETUNREACH:
    case Errno.ECONNREFUSED:
    case Errno.ECONNRESET:
    case Errno.ECONNABORTED:
      return HealthStatus.REMOTE_DROPPED;
    default:
      return HealthStatus.LOCAL_ERROR;
  }
}

/** Statuses the core uses for its own ends of a message (shutdown, no match): no health verdict. */
function isBookkeepingErrno(errno: number): boolean {
  return errno === -Errno.ESHUTDOWN || errno === -Errno.ENOENT || errno === -Errno.ECANCELED;
}

/** Monotonic seconds since boot, as ktime_get_seconds() (recovery's `next_ping`). */
export function monoSeconds(): number {
  return Math.floor(BOOT_OFFSET_S + performance.now() / 1000);
}
/** os.uptime() is seconds since boot: anchor performance.now() to it once. */
const BOOT_OFFSET_S = Math.max(0, uptime() - performance.now() / 1000);

/** lnet_dec_healthv_locked: down by `sens`, floor 0; true when it changed. */
function decHealth(h: { healthValue: number }, sens: number): boolean {
  if (h.healthValue === 0) return false;
  const old = h.healthValue;
  h.healthValue = h.healthValue < sens ? 0 : h.healthValue - sens;
  return h.healthValue !== old;
}

/** lnet_inc_healthv: up by `sens`, capped at 1000; true when it changed. */
function incHealth(h: { healthValue: number }, sens: number): boolean {
  if (h.healthValue === LNET_MAX_HEALTH_VALUE) return false;
  const old = h.healthValue;
  h.healthValue = Math.min(LNET_MAX_HEALTH_VALUE, h.healthValue + sens);
  return h.healthValue !== old;
}

/** The health half of the core: verdicts on finished messages, and health changes. */
export class Health {
  constructor(private readonly core: LNetCore) {}

  /** lnet_dec_ni_healthv_locked: at 0 the NI's status turns DOWN. */
  decNi(ni: NetworkInterface): void {
    if (decHealth(ni, this.core.params.health_sensitivity) && ni.healthValue === 0) this.core.setNiStatus(ni, NiStatus.DOWN);
  }

  /** lnet_inc_ni_healthv: back at 1000 the NI's status turns UP. */
  incNi(ni: NetworkInterface): void {
    if (incHealth(ni, this.core.params.health_sensitivity) && ni.healthValue === LNET_MAX_HEALTH_VALUE)
      this.core.setNiStatus(ni, NiStatus.UP);
  }

  decPeerNi(lpni: PeerNi): void {
    decHealth(lpni, this.core.params.health_sensitivity);
  }

  incPeerNi(lpni: PeerNi): void {
    incHealth(lpni, this.core.params.health_sensitivity);
  }

  /** lnet_handle_local_failure */
  localFailure(ni: NetworkInterface): void {
    if (this.core.state !== 'running') return;
    this.decNi(ni);
    this.core.recovery.addNi(ni);
  }

  /** lnet_handle_remote_failure_locked */
  remoteFailure(lpni: PeerNi | undefined): void {
    if (!lpni || this.core.state !== 'running') return;
    this.decPeerNi(lpni);
    this.core.recovery.addPeerNi(lpni);
  }

  /**
   * lnet_is_health_check + lnet_health_check: judge a finished message. Returns true when
   * the message was taken for a resend (the caller must not finalize it), false otherwise.
   */
  check(msg: LNetMsg, status: number): boolean {
    if (!msg.onActiveList) return false;
    const tx = msg.txCommitted;
    const ni = tx ? msg.txNi : msg.rxNi;
    const lpni = tx ? msg.txPeer : msg.rxPeer;
    // The loopback NI has no peer NI: nothing to judge (as the kernel's LOLND case).
    if (!ni || !lpni) return false;
    // Success (the usual case) apart: check stays small enough for V8 to inline into finalize.
    if (status === 0) {
      this.checkOk(msg, ni, lpni);
      return false;
    }
    return this.checkFailure(msg, status, tx, ni, lpni);
  }

  /** check's success case: counters, NI health up, and a received message proves its peer NI up. */
  private checkOk(msg: LNetMsg, ni: NetworkInterface, lpni: PeerNi): void {
    if (this.core.state !== 'running') return;
    if (msg.retries) this.core.counters.successful_resends++;
    this.incNi(ni);
    // Only a message received from a peer NI proves that it is up.
    if (msg.rxCommitted) {
      lpni.health.ping_count = 0;
      ni.health.ping_count = 0;
      if (this.core.isRouterPeerNi(lpni) || this.core.params.routing) lpni.healthValue = LNET_MAX_HEALTH_VALUE;
      else {
        this.incPeerNi(lpni);
        // It may have aged out of recovery earlier; back in while below 1000.
        this.core.recovery.addPeerNi(lpni);
      }
    }
  }

  /** check's failure case: the health status the error stands for, and a resend when it allows one. */
  private checkFailure(msg: LNetMsg, status: number, tx: boolean, ni: NetworkInterface, lpni: PeerNi): boolean {
    let hstatus: HealthStatus;
    if (msg.healthStatus !== undefined) hstatus = msg.healthStatus;
    else if (isBookkeepingErrno(status)) return false;
    else if (tx) hstatus = healthStatusForErrno(status);
    // A receive cut short by the LND (socklnd's partial receive): the peer's fault.
    else if (status === -Errno.EIO) hstatus = HealthStatus.REMOTE_ERROR;
    else return false;

    if (hstatus === HealthStatus.OK) {
      this.checkOk(msg, ni, lpni);
      return false;
    }
    if (performance.now() > msg.deadline) return false;
    if (this.core.state !== 'running') return false;
    this.countStatus(ni, lpni, hstatus, msg.retries);

    // Local failures: no resend with a single (non-lo) NI. Remote ones: none, and no health
    // either, for a peer with a single NI unless it routes or we do.
    const attemptLocal = tx && this.core.nis.length > 2;
    let attemptRemote = tx;
    let remoteHealth = true;
    if (lpni.peerNet.peer.nnis <= 1) {
      attemptRemote = false;
      if (!(this.core.isRouterPeerNi(lpni) || this.core.params.routing)) remoteHealth = false;
    }
    // Our own NIDs recover as local NIs, never as peer NIs.
    if (remoteHealth && this.core.isLocalNid(lpni.nid)) remoteHealth = false;

    switch (hstatus) {
      case HealthStatus.LOCAL_INTERRUPT:
      case HealthStatus.LOCAL_DROPPED:
      case HealthStatus.LOCAL_ABORTED:
      case HealthStatus.LOCAL_NO_ROUTE:
      case HealthStatus.LOCAL_TIMEOUT:
        this.localFailure(ni);
        return attemptLocal && this.attemptResend(msg);
      case HealthStatus.LOCAL_ERROR:
        this.localFailure(ni);
        return false;
      case HealthStatus.REMOTE_DROPPED:
        if (remoteHealth) this.remoteFailure(lpni);
        return attemptRemote && this.attemptResend(msg);
      case HealthStatus.REMOTE_ERROR:
      case HealthStatus.REMOTE_TIMEOUT:
        if (remoteHealth) this.remoteFailure(lpni);
        return false;
      case HealthStatus.NETWORK_TIMEOUT:
        if (remoteHealth) this.remoteFailure(lpni);
        this.localFailure(ni);
        return false;
      default:
        return false;
    }
  }

  /** lnet_incr_hstats */
  private countStatus(ni: NetworkInterface, lpni: PeerNi, h: HealthStatus, retries: number): void {
    const c = this.core.counters;
    switch (h) {
      case HealthStatus.LOCAL_INTERRUPT:
        ni.health.interrupts++;
        c.local_interrupt_count++;
        break;
      case HealthStatus.LOCAL_DROPPED:
        ni.health.dropped++;
        c.local_dropped_count++;
        break;
      case HealthStatus.LOCAL_ABORTED:
        ni.health.aborted++;
        c.local_aborted_count++;
        break;
      case HealthStatus.LOCAL_NO_ROUTE:
        ni.health.no_route++;
        c.local_no_route_count++;
        break;
      case HealthStatus.LOCAL_TIMEOUT:
        ni.health.timeouts++;
        c.local_timeout_count++;
        break;
      case HealthStatus.LOCAL_ERROR:
        ni.health.error++;
        c.local_error_count++;
        break;
      case HealthStatus.REMOTE_DROPPED:
        lpni.health.dropped++;
        c.remote_dropped_count++;
        break;
      case HealthStatus.REMOTE_ERROR:
        lpni.health.error++;
        c.remote_error_count++;
        break;
      case HealthStatus.REMOTE_TIMEOUT:
        lpni.health.timeout++;
        c.remote_timeout_count++;
        break;
      case HealthStatus.NETWORK_TIMEOUT:
        lpni.health.network_timeout++;
        c.network_timeout_count++;
        break;
      case HealthStatus.OK:
        if (retries) c.successful_resends++;
        break;
    }
  }

  /** lnet_attempt_msg_resend: within retry_count, not a recovery ping; queued for the resend pass. */
  private attemptResend(msg: LNetMsg): boolean {
    if (msg.recovery || msg.noResend) return false;
    // health_sensitivity 0 turns health off and forces retry_count to 0 (sensitivity_set).
    const retries = this.core.params.health_sensitivity ? this.core.params.retry_count : 0;
    if (msg.retries >= retries) {
      if (retries) this.core.counters.failed_resends++;
      return false;
    }
    this.core.queueResend(msg);
    return true;
  }
}
