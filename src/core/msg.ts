import { LNET_ANY_NID, type Nid } from '../nid/nid.js';
import type { ProcessId } from '../nid/process-id.js';
import { LNetHdr } from '../wire/lnet-hdr.js';
import { LNetMsgType } from '../wire/lnet-msg-type.js';
import { LNetEvent } from './event.js';
import type { Iov } from './iov.js';
import type { LibMd } from './md.js';
import type { NetworkInterface } from './ni.js';
import type { PeerNi } from './peer-ni.js';

const NO_TARGET: ProcessId = Object.freeze({ nid: LNET_ANY_NID, pid: 0 });
/** Shared by messages without a payload; Iov is read-only, so nobody can fill it. */
const NO_IOV: Iov = [];

/**
 * `struct lnet_msg`: one message through its whole life. LNDs read `hdr`, `txPeerNid`, and
 * the payload (`iov`, `offset`, `len`) when sending; when receiving they are handed the sink.
 */
export class LNetMsg {
  /**
   * The message's own header, filled by prepSend (sending) or parse (receiving). reset() leaves
   * it as it is: both write every field (prepSend resets it first; parse takes a whole decoded
   * header or copies one), so a received message's header is not cleared twice.
   */
  hdr: LNetHdr = new LNetHdr();
  type: LNetMsgType = LNetMsgType.PUT;
  /** Replaced (never mutated) when the message is prepared for sending. */
  target: ProcessId = NO_TARGET;
  /** Next hop NID chosen for the send (the peer NI, or a gateway). */
  txPeerNid: Nid = LNET_ANY_NID;
  /** The NID this message arrived from (the last hop). */
  from: Nid = LNET_ANY_NID;
  /** The sending peer's primary NID. */
  initiator: Nid = LNET_ANY_NID;
  md: LibMd | undefined;
  /** Payload: send source or receive sink, with offset into it and length. */
  iov: Iov = NO_IOV;
  offset = 0;
  len = 0;
  /** Bytes the receiver takes (mlength). */
  wanted = 0;
  /**
   * The message's event, its own for life: a view of the message, delivered to the MD's
   * handler and valid only during that call, as the kernel's on-stack event; reset with the
   * message.
   */
  readonly ev: LNetEvent = new LNetEvent(this);
  /** Send an ACK once this received PUT completes. */
  ack = false;
  sending = false;
  receiving = false;
  txCommitted = false;
  rxCommitted = false;
  /**
   * On LNet's active list (msg_onactivelist): committed and not yet decommitted. The list is
   * this flag: MsgPool.activeMessages finds such messages when LNet shuts down.
   */
  onActiveList = false;
  /** Parked on a lazy portal waiting for an MD. */
  rxDelayed = false;
  txDelayed = false;
  /** Holds an NI tx credit / a peer NI tx credit. */
  txCredit = false;
  peerTxCredit = false;
  txNi: NetworkInterface | undefined;
  rxNi: NetworkInterface | undefined;
  txPeer: PeerNi | undefined;
  rxPeer: PeerNi | undefined;
  txCpt = 0;
  /** LND private data for the receive (the kernel's msg_private). */
  rxPrivate: unknown;
  /** msg_deadline (ms, monotonic): set at each commit from the NI's message timeout then. */
  deadline = 0;
  /** Which tx queue the message waits on, when txDelayed. */
  queuedOn: LNetMsg[] | undefined;
  finalized = false;
  /** Resends so far (lnet_health_check: at most retry_count). */
  retries = 0;
  /** A recovery ping: sent to exactly the NID given, never resent (msg_recovery). */
  recovery = false;
  /** Never resend this message (msg_no_resend). */
  noResend = false;
  /**
   * msg_health_status: how the LND saw the failure (HealthStatus); when an LND leaves it
   * undefined the core derives it from the errno, as ksocknal_txlist_done does.
   */
  healthStatus: number | undefined;
  /** The source NID the sender asked for (msg_src_nid_param): kept for resends. */
  srcNidParam: Nid | undefined;
  /** MsgPool's bookkeeping, not the message's state: its index among the pool's live messages (-1: none). */
  poolSlot = -1;

  /**
   * Back to the state of a new message, dropping every reference it held (MsgPool); the
   * header and the event stay the message's own objects, the event reset, the header as it
   * was (see `hdr`). Every other field above must be reset here (test/core/msg-pool.test.ts
   * compares with a new one).
   */
  reset(): void {
    this.ev.reset();
    this.type = LNetMsgType.PUT;
    this.target = NO_TARGET;
    this.txPeerNid = LNET_ANY_NID;
    this.from = LNET_ANY_NID;
    this.initiator = LNET_ANY_NID;
    this.md = undefined;
    this.iov = NO_IOV;
    this.offset = 0;
    this.len = 0;
    this.wanted = 0;
    this.ack = false;
    this.sending = false;
    this.receiving = false;
    this.txCommitted = false;
    this.rxCommitted = false;
    this.onActiveList = false;
    this.rxDelayed = false;
    this.txDelayed = false;
    this.txCredit = false;
    this.peerTxCredit = false;
    this.txNi = undefined;
    this.rxNi = undefined;
    this.txPeer = undefined;
    this.rxPeer = undefined;
    this.txCpt = 0;
    this.rxPrivate = undefined;
    this.deadline = 0;
    this.queuedOn = undefined;
    this.finalized = false;
    this.retries = 0;
    this.recovery = false;
    this.noResend = false;
    this.healthStatus = undefined;
    this.srcNidParam = undefined;
  }
}
