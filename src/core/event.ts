import { LNET_ANY_NID, type Nid } from '../nid/nid.js';
import type { ProcessId } from '../nid/process-id.js';
import { LNetMsgType } from '../wire/lnet-msg-type.js';
import { EventKind } from './constants.js';
import { LNET_INVALID_MD_HANDLE, type MdHandle } from './handle.js';
import type { Iov } from './iov.js';

const ANY_ID: ProcessId = { nid: LNET_ANY_NID, pid: 0xffffffff };
/** What a new or reset event's MD fields hold: no MD, no buffers. */
const NO_MD = LNET_INVALID_MD_HANDLE;
const NO_IOV: Iov = [];

/**
 * `struct lnet_event`, delivered to an MD's handler. 64-bit fields are kept as u32 pairs and
 * exposed as bigint through getters, so building an event costs no BigInt.
 *
 * As in the kernel (whose lnet_handler_t gets an event on the stack), **an event is valid
 * only during the handler call**: it belongs to its message, which LNet reuses once the
 * handler returns (the fields are then reset). A handler that keeps an event keeps
 * `ev.clone()`. `eventQueue()` queues clones, and putAsync/getAsync results hold clones.
 */
export class LNetEvent {
  type: EventKind = EventKind.SEND;
  target: ProcessId = ANY_ID;
  /** The peer's primary NID and pid (multi-rail). */
  initiator: ProcessId = ANY_ID;
  /** The header's src NID and pid: the interface the message really came from. */
  source: ProcessId = ANY_ID;
  /** The last hop (a router when routed). */
  sender: Nid = LNET_ANY_NID;
  ptIndex = 0;
  matchBitsLo = 0;
  matchBitsHi = 0;
  rlength = 0;
  mlength = 0;
  mdHandle: MdHandle = NO_MD;
  mdStart: Iov = NO_IOV;
  mdUserPtr: unknown = undefined;
  mdOptions = 0;
  hdrDataLo = 0;
  hdrDataHi = 0;
  msgType: LNetMsgType = LNetMsgType.PUT;
  /** 0 or a negative errno. */
  status = 0;
  unlinked = false;
  offset = 0;

  get matchBits(): bigint {
    return (BigInt(this.matchBitsHi >>> 0) << 32n) | BigInt(this.matchBitsLo >>> 0);
  }

  get hdrData(): bigint {
    return (BigInt(this.hdrDataHi >>> 0) << 32n) | BigInt(this.hdrDataLo >>> 0);
  }

  /** A copy that stays as it is (the event handed to a handler is reused after it returns). */
  clone(): LNetEvent {
    const c = new LNetEvent();
    c.type = this.type;
    c.target = this.target;
    c.initiator = this.initiator;
    c.source = this.source;
    c.sender = this.sender;
    c.ptIndex = this.ptIndex;
    c.matchBitsLo = this.matchBitsLo;
    c.matchBitsHi = this.matchBitsHi;
    c.rlength = this.rlength;
    c.mlength = this.mlength;
    c.mdHandle = this.mdHandle;
    c.mdStart = this.mdStart;
    c.mdUserPtr = this.mdUserPtr;
    c.mdOptions = this.mdOptions;
    c.hdrDataLo = this.hdrDataLo;
    c.hdrDataHi = this.hdrDataHi;
    c.msgType = this.msgType;
    c.status = this.status;
    c.unlinked = this.unlinked;
    c.offset = this.offset;
    return c;
  }

  /**
   * Back to the state of a new event, dropping its references (the MD's buffers, the user
   * pointer). Every field above must be reset here (test/core/msg-pool.test.ts checks).
   */
  reset(): void {
    this.type = EventKind.SEND;
    this.target = ANY_ID;
    this.initiator = ANY_ID;
    this.source = ANY_ID;
    this.sender = LNET_ANY_NID;
    this.ptIndex = 0;
    this.matchBitsLo = 0;
    this.matchBitsHi = 0;
    this.rlength = 0;
    this.mlength = 0;
    this.mdHandle = NO_MD;
    this.mdStart = NO_IOV;
    this.mdUserPtr = undefined;
    this.mdOptions = 0;
    this.hdrDataLo = 0;
    this.hdrDataHi = 0;
    this.msgType = LNetMsgType.PUT;
    this.status = 0;
    this.unlinked = false;
    this.offset = 0;
  }
}

/**
 * An MD's event handler. The event is valid only during the call (see LNetEvent): keep
 * `ev.clone()` if it is needed afterwards.
 */
export type EventHandler = (ev: LNetEvent) => void;

/**
 * The last ProcessId built for an event field, handed out again while the NID (the same
 * decoded object) and pid repeat: a stream of messages from one peer then builds no objects.
 * The ones it hands out are frozen, since several events share them.
 */
export class ProcessIdCache {
  private last: ProcessId = ANY_ID;

  get(nid: Nid, pid: number): ProcessId {
    const l = this.last;
    if (l.nid === nid && l.pid === pid) return l;
    return (this.last = Object.freeze({ nid, pid }));
  }
}
