import { LNET_ANY_NID, type Nid } from '../nid/nid.js';
import type { ProcessId } from '../nid/process-id.js';
import { LNetMsgType } from '../wire/lnet-msg-type.js';
import { EventKind } from './constants.js';
import { LNET_INVALID_MD_HANDLE, type MdHandle } from './handle.js';
import type { Iov } from './iov.js';
import type { LibMd } from './md.js';
import type { LNetMsg } from './msg.js';

const ANY_ID: ProcessId = Object.freeze({ nid: LNET_ANY_NID, pid: 0xffffffff });
const NO_IOV: Iov = [];

/** An event's fields when it holds them itself (a copy, or an event made without a message). */
export interface EventData {
  target: ProcessId;
  initiator: ProcessId;
  source: ProcessId;
  sender: Nid;
  ptIndex: number;
  matchBitsLo: number;
  matchBitsHi: number;
  rlength: number;
  mlength: number;
  mdHandle: MdHandle;
  mdStart: Iov;
  mdUserPtr: unknown;
  mdOptions: number;
  hdrDataLo: number;
  hdrDataHi: number;
  msgType: LNetMsgType;
  offset: number;
}

/** The fields of a new event (one shape for every EventData, so reads of them stay monomorphic). */
function newData(): EventData {
  return {
    target: ANY_ID,
    initiator: ANY_ID,
    source: ANY_ID,
    sender: LNET_ANY_NID,
    ptIndex: 0,
    matchBitsLo: 0,
    matchBitsHi: 0,
    rlength: 0,
    mlength: 0,
    mdHandle: LNET_INVALID_MD_HANDLE,
    mdStart: NO_IOV,
    mdUserPtr: undefined,
    mdOptions: 0,
    hdrDataLo: 0,
    hdrDataHi: 0,
    msgType: LNetMsgType.PUT,
    offset: 0,
  };
}

/** What a message's own event reads while it is a view (never written). */
const NO_DATA: EventData = Object.freeze(newData());

/**
 * The last ProcessId built for an event field, handed out again while the NID (the same
 * decoded object) and pid repeat: a stream of messages from one peer then builds no objects.
 * The ones it hands out are frozen, since several events share them.
 */
class ProcessIdCache {
  private last: ProcessId = ANY_ID;

  get(nid: Nid, pid: number): ProcessId {
    const l = this.last;
    if (l.nid === nid && l.pid === pid) return l;
    return (this.last = Object.freeze({ nid, pid }));
  }
}

const targets = new ProcessIdCache();
const initiators = new ProcessIdCache();
const sources = new ProcessIdCache();

/**
 * `struct lnet_event`, delivered to an MD's handler. 64-bit fields are kept as u32 pairs and
 * exposed as bigint through getters, so an event costs no BigInt.
 *
 * As in the kernel (whose lnet_handler_t gets an event on the stack), **an event is valid
 * only during the handler call**. A message's event is a view: LNet sets its kind, status,
 * unlinked flag and MD, and its other fields are read from the message when a handler asks
 * for them (a handler pays only for what it reads). LNet reuses the message once the handler
 * returns, so a handler that keeps an event keeps `ev.clone()`: a copy holding its own
 * fields. `eventQueue()` queues copies, and putAsync/getAsync results hold copies.
 */
export class LNetEvent {
  type: EventKind = EventKind.SEND;
  /** 0 or a negative errno. */
  status = 0;
  unlinked = false;
  /** The message the fields are read from; undefined once they are the event's own. */
  private view: LNetMsg | undefined;
  /** The MD of a view (its handle, buffers, user pointer and options are fixed at bind). */
  private md: LibMd | undefined = undefined;
  private data: EventData;

  /** `owner`: the message whose event this is (a view of it); without one, a new event of its own. */
  constructor(private readonly owner?: LNetMsg) {
    this.view = owner;
    this.data = owner ? NO_DATA : newData();
  }

  /** An event of its own with these fields (no message behind it). */
  static of(type: EventKind, data: Partial<EventData>): LNetEvent {
    const ev = new LNetEvent();
    ev.type = type;
    Object.assign(ev.data, data);
    return ev;
  }

  /** The MD a view reports (lnet_msg_attach_md). */
  setMd(md: LibMd): void {
    this.md = md;
  }

  /**
   * Copy the fields from the message into the event: LNet calls this before it changes what
   * the view reads while the event is still to be delivered (a GET's message becomes the
   * REPLY; a resend gets a new target).
   */
  materialize(): void {
    if (this.view === undefined) return;
    this.data = this.snapshot();
    this.view = undefined;
    this.md = undefined;
  }

  /** A copy that stays as it is (the event handed to a handler is reused after it returns). */
  clone(): LNetEvent {
    const c = new LNetEvent();
    c.type = this.type;
    c.status = this.status;
    c.unlinked = this.unlinked;
    c.data = this.snapshot();
    return c;
  }

  /** Back to the state of a new event, holding no references (the MD, copied fields). */
  reset(): void {
    this.type = EventKind.SEND;
    this.status = 0;
    this.unlinked = false;
    this.md = undefined;
    const owner = this.owner;
    if (owner === undefined) this.data = newData();
    else if (this.view !== owner) {
      this.view = owner;
      this.data = NO_DATA;
    }
  }

  private snapshot(): EventData {
    const d = newData();
    d.target = this.target;
    d.initiator = this.initiator;
    d.source = this.source;
    d.sender = this.sender;
    d.ptIndex = this.ptIndex;
    d.matchBitsLo = this.matchBitsLo;
    d.matchBitsHi = this.matchBitsHi;
    d.rlength = this.rlength;
    d.mlength = this.mlength;
    d.mdHandle = this.mdHandle;
    d.mdStart = this.mdStart;
    d.mdUserPtr = this.mdUserPtr;
    d.mdOptions = this.mdOptions;
    d.hdrDataLo = this.hdrDataLo;
    d.hdrDataHi = this.hdrDataHi;
    d.msgType = this.msgType;
    d.offset = this.offset;
    return d;
  }

  // What each field is for a message's event is what lnet_build_msg_event puts there: for
  // SEND, from the message being sent; otherwise from the header received.

  get msgType(): LNetMsgType {
    const v = this.view;
    return v === undefined ? this.data.msgType : v.type;
  }

  get target(): ProcessId {
    const v = this.view;
    if (v === undefined) return this.data.target;
    return this.type === EventKind.SEND ? v.target : targets.get(v.hdr.destNid, v.hdr.destPid);
  }

  /** The peer's primary NID and pid (multi-rail). */
  get initiator(): ProcessId {
    const v = this.view;
    if (v === undefined) return this.data.initiator;
    const h = v.hdr;
    return initiators.get(this.type === EventKind.SEND ? LNET_ANY_NID : v.initiator, h.srcPid);
  }

  /** The header's src NID and pid: the interface the message really came from. */
  get source(): ProcessId {
    const v = this.view;
    if (v === undefined) return this.data.source;
    const h = v.hdr;
    return sources.get(this.type === EventKind.SEND ? LNET_ANY_NID : h.srcNid, h.srcPid);
  }

  /** The last hop (a router when routed). */
  get sender(): Nid {
    const v = this.view;
    if (v === undefined) return this.data.sender;
    return this.type === EventKind.SEND ? LNET_ANY_NID : v.from;
  }

  get ptIndex(): number {
    const v = this.view;
    if (v === undefined) return this.data.ptIndex;
    const t = this.type;
    return t === EventKind.SEND || t === EventKind.PUT || t === EventKind.GET ? v.hdr.ptlIndex : 0;
  }

  get matchBitsLo(): number {
    const v = this.view;
    if (v === undefined) return this.data.matchBitsLo;
    return this.type === EventKind.REPLY ? 0 : v.hdr.matchBitsLo;
  }

  get matchBitsHi(): number {
    const v = this.view;
    if (v === undefined) return this.data.matchBitsHi;
    return this.type === EventKind.REPLY ? 0 : v.hdr.matchBitsHi;
  }

  get rlength(): number {
    const v = this.view;
    if (v === undefined) return this.data.rlength;
    const h = v.hdr;
    return this.type === EventKind.SEND && v.type !== LNetMsgType.PUT ? h.sinkLength : h.payloadLength;
  }

  get mlength(): number {
    const v = this.view;
    if (v === undefined) return this.data.mlength;
    switch (this.type) {
      case EventKind.SEND:
        return this.rlength;
      case EventKind.ACK:
        return v.hdr.mlength;
      default:
        return v.wanted;
    }
  }

  get offset(): number {
    const v = this.view;
    if (v === undefined) return this.data.offset;
    return this.type === EventKind.SEND ? v.hdr.offset : v.offset;
  }

  get hdrDataLo(): number {
    const v = this.view;
    if (v === undefined) return this.data.hdrDataLo;
    return this.carriesHdrData(v) ? v.hdr.hdrDataLo : 0;
  }

  get hdrDataHi(): number {
    const v = this.view;
    if (v === undefined) return this.data.hdrDataHi;
    return this.carriesHdrData(v) ? v.hdr.hdrDataHi : 0;
  }

  /** Only a PUT carries header data: the one sent (SEND) or the one received. */
  private carriesHdrData(v: LNetMsg): boolean {
    const t = this.type;
    return t === EventKind.PUT || (t === EventKind.SEND && v.type === LNetMsgType.PUT);
  }

  get mdHandle(): MdHandle {
    const md = this.md;
    return md === undefined ? this.data.mdHandle : md.handle;
  }

  get mdStart(): Iov {
    const md = this.md;
    return md === undefined ? this.data.mdStart : md.iov;
  }

  get mdUserPtr(): unknown {
    const md = this.md;
    return md === undefined ? this.data.mdUserPtr : md.userPtr;
  }

  get mdOptions(): number {
    const md = this.md;
    return md === undefined ? this.data.mdOptions : md.options;
  }

  get matchBits(): bigint {
    return (BigInt(this.matchBitsHi >>> 0) << 32n) | BigInt(this.matchBitsLo >>> 0);
  }

  get hdrData(): bigint {
    return (BigInt(this.hdrDataHi >>> 0) << 32n) | BigInt(this.hdrDataLo >>> 0);
  }
}

/**
 * An MD's event handler. The event is valid only during the call (see LNetEvent): keep
 * `ev.clone()` if it is needed afterwards.
 */
export type EventHandler = (ev: LNetEvent) => void;
