import { LNET_ANY_NID, type Nid } from '../nid/nid.js';
import type { ProcessId } from '../nid/process-id.js';
import { LNetMsgType } from '../wire/lnet-msg-type.js';
import { EventKind } from './constants.js';
import type { MdHandle } from './handle.js';
import type { Iov } from './iov.js';

const ANY_ID: ProcessId = { nid: LNET_ANY_NID, pid: 0xffffffff };

/**
 * `struct lnet_event`, delivered to an MD's handler. 64-bit fields are kept as u32 pairs and
 * exposed as bigint through getters, so building an event costs no BigInt.
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
  mdHandle!: MdHandle;
  mdStart: Iov = [];
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

  clone(): LNetEvent {
    return Object.assign(new LNetEvent(), this);
  }
}

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
