import { LNET_ANY_NID, type Nid } from '../nid/nid.js';
import type { ProcessId } from '../nid/process-id.js';
import type { LNetHdr } from '../wire/lnet-hdr.js';
import { LNetMsgType } from '../wire/lnet-msg-type.js';
import { LNetEvent } from './event.js';
import type { Iov } from './iov.js';
import type { LibMd } from './md.js';
import type { NetworkInterface } from './ni.js';
import type { PeerNi } from './peer-ni.js';
import type { ActiveList } from './active-list.js';

const NO_TARGET: ProcessId = Object.freeze({ nid: LNET_ANY_NID, pid: 0 });

/**
 * `struct lnet_msg`: one message through its whole life. LNDs read `hdr`, `txPeerNid`, and
 * the payload (`iov`, `offset`, `len`) when sending; when receiving they are handed the sink.
 */
export class LNetMsg {
  /** Set by prepSend (sending) or parse (receiving); never shared between messages. */
  hdr!: LNetHdr;
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
  iov: Iov = [];
  offset = 0;
  len = 0;
  /** Bytes the receiver takes (mlength). */
  wanted = 0;
  ev: LNetEvent = new LNetEvent();
  /** Send an ACK once this received PUT completes. */
  ack = false;
  sending = false;
  receiving = false;
  txCommitted = false;
  rxCommitted = false;
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
  /** Absolute deadline (ms, monotonic) for the send. */
  deadline = 0;
  /** Links on LNet's active list (ActiveList); undefined when not on it. */
  activeList: ActiveList | undefined;
  activePrev: LNetMsg | undefined;
  activeNext: LNetMsg | undefined;
  /** Which tx queue the message waits on, when txDelayed. */
  queuedOn: LNetMsg[] | undefined;
  finalized = false;
  /** Resends so far (lnet_health_check: at most retry_count). */
  retries = 0;
}
