import t from 'tap';
import { EventKind } from '../../src/core/constants.js';
import { LNetEvent, type EventData } from '../../src/core/event.js';
import { LibMd } from '../../src/core/md.js';
import { LNetMsg } from '../../src/core/msg.js';
import { LNET_ANY_NID, makeNid } from '../../src/nid/nid.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { eventState } from '../helpers/event-state.js';

const A = makeNid(2, 0, 0x7f000002);
const B = makeNid(2, 0, 0x7f000003);
const PRIMARY = makeNid(2, 1, 0x0a000001);
const ROUTER = makeNid(2, 0, 0x7f000009);

/** A message whose header and fields all differ, as a sent or received one of `type`. */
function message(type: LNetMsgType): LNetMsg {
  const m = new LNetMsg();
  const h = m.hdr;
  m.type = h.type = type;
  h.destNid = B;
  h.srcNid = A;
  h.destPid = 12345;
  h.srcPid = 54321;
  h.payloadLength = 4096;
  h.matchBitsLo = 0x11;
  h.matchBitsHi = 0x22;
  h.hdrDataLo = 0x33;
  h.hdrDataHi = 0x44;
  h.ptlIndex = 30;
  h.offset = 512;
  h.sinkLength = 8192;
  h.mlength = 1000;
  m.target = { nid: B, pid: 12345 };
  m.initiator = PRIMARY;
  m.from = ROUTER;
  m.wanted = 2000;
  m.offset = 64;
  return m;
}

/** lnet_build_msg_event's fields for a message of `m`'s kind (as the eager build had them). */
function expected(kind: EventKind, m: LNetMsg, md: LibMd): EventData {
  const h = m.hdr;
  const base = {
    mdHandle: md.handle,
    mdStart: md.iov,
    mdUserPtr: md.userPtr,
    mdOptions: md.options,
    msgType: m.type,
  };
  if (kind === EventKind.SEND) {
    const put = m.type === LNetMsgType.PUT;
    const len = put ? h.payloadLength : h.sinkLength;
    return {
      ...base,
      target: m.target,
      initiator: { nid: LNET_ANY_NID, pid: h.srcPid },
      source: { nid: LNET_ANY_NID, pid: h.srcPid },
      sender: LNET_ANY_NID,
      ptIndex: h.ptlIndex,
      matchBitsLo: h.matchBitsLo,
      matchBitsHi: h.matchBitsHi,
      rlength: len,
      mlength: len,
      hdrDataLo: put ? h.hdrDataLo : 0,
      hdrDataHi: put ? h.hdrDataHi : 0,
      offset: h.offset,
    };
  }
  const withBits = kind !== EventKind.REPLY;
  const withPortal = kind === EventKind.PUT || kind === EventKind.GET;
  return {
    ...base,
    target: { nid: h.destNid, pid: h.destPid },
    initiator: { nid: m.initiator, pid: h.srcPid },
    source: { nid: h.srcNid, pid: h.srcPid },
    sender: m.from,
    ptIndex: withPortal ? h.ptlIndex : 0,
    matchBitsLo: withBits ? h.matchBitsLo : 0,
    matchBitsHi: withBits ? h.matchBitsHi : 0,
    rlength: h.payloadLength,
    mlength: kind === EventKind.ACK ? h.mlength : m.wanted,
    hdrDataLo: kind === EventKind.PUT ? h.hdrDataLo : 0,
    hdrDataHi: kind === EventKind.PUT ? h.hdrDataHi : 0,
    offset: m.offset,
  };
}

function fieldsOf(ev: LNetEvent): EventData {
  return {
    target: ev.target,
    initiator: ev.initiator,
    source: ev.source,
    sender: ev.sender,
    ptIndex: ev.ptIndex,
    matchBitsLo: ev.matchBitsLo,
    matchBitsHi: ev.matchBitsHi,
    rlength: ev.rlength,
    mlength: ev.mlength,
    mdHandle: ev.mdHandle,
    mdStart: ev.mdStart,
    mdUserPtr: ev.mdUserPtr,
    mdOptions: ev.mdOptions,
    hdrDataLo: ev.hdrDataLo,
    hdrDataHi: ev.hdrDataHi,
    msgType: ev.msgType,
    offset: ev.offset,
  };
}

const cases: Array<[string, EventKind, LNetMsgType]> = [
  ['SEND of a PUT', EventKind.SEND, LNetMsgType.PUT],
  ['SEND of a GET', EventKind.SEND, LNetMsgType.GET],
  ['PUT received', EventKind.PUT, LNetMsgType.PUT],
  ['GET received', EventKind.GET, LNetMsgType.GET],
  ['REPLY received', EventKind.REPLY, LNetMsgType.REPLY],
  ['ACK received', EventKind.ACK, LNetMsgType.ACK],
];

t.test('a message’s event reads what lnet_build_msg_event would have put there', async (t) => {
  for (const [name, kind, type] of cases) {
    const m = message(type);
    const md = new LibMd(9, { start: new Uint8Array(16), threshold: 1, options: 0x30, userPtr: { user: name } }, true);
    m.ev.type = kind;
    m.ev.setMd(md);
    const want = expected(kind, m, md);
    t.same(fieldsOf(m.ev), want, `${name}: the view`);
    t.equal(m.ev.matchBits, kind === EventKind.REPLY ? 0n : 0x22_00000011n, `${name}: matchBits`);
    t.equal(m.ev.target, m.ev.target, `${name}: a repeated read gives the same ProcessId`);
    const copy = m.ev.clone();
    t.same(fieldsOf(copy), want, `${name}: the copy`);
    t.equal(copy.type, kind);
    // The message is reused: the view follows it, the copy does not.
    m.reset();
    t.same(fieldsOf(copy), want, `${name}: the copy outlives the message's reuse`);
    t.equal(m.ev.mdUserPtr, undefined, `${name}: the reset event holds no MD`);
  }
});

t.test('materialize: the event keeps its fields while LNet changes the message', async (t) => {
  const m = message(LNetMsgType.GET);
  const md = new LibMd(3, { start: new Uint8Array(4), threshold: 1 }, true);
  m.ev.type = EventKind.GET;
  m.ev.setMd(md);
  const want = expected(EventKind.GET, m, md);
  m.ev.materialize();
  // What parseGet does next: the message becomes the REPLY.
  m.type = m.hdr.type = LNetMsgType.REPLY;
  m.hdr.ptlIndex = 0;
  m.hdr.matchBitsLo = 0;
  m.target = { nid: A, pid: 1 };
  m.wanted = 0;
  t.same(fieldsOf(m.ev), want, 'the GET event still says the GET');
  m.ev.materialize();
  t.same(fieldsOf(m.ev), want, 'a second materialize changes nothing');
  m.reset();
  const fresh = new LNetMsg();
  const e = eventState(m.ev);
  t.same(e.state, eventState(fresh.ev).state, 'reset: holding nothing');
  t.ok(e.owner === m && e.view === m, 'and a view of its message again');
});

t.test('an event of its own (no message): as given, and its copy too', async (t) => {
  const ev = LNetEvent.of(EventKind.UNLINK, { mlength: 5, mdUserPtr: 'p', sender: A });
  ev.unlinked = true;
  t.equal(ev.mlength, 5);
  t.equal(ev.mdUserPtr, 'p');
  t.equal(ev.sender, A);
  t.equal(ev.target.nid, LNET_ANY_NID);
  const c = ev.clone();
  t.same(fieldsOf(c), fieldsOf(ev));
  t.equal(c.unlinked, true);
  t.equal(c.type, EventKind.UNLINK);
  ev.reset();
  t.same(ev, new LNetEvent(), 'reset: as new');
  t.equal(c.mlength, 5, 'the copy is not affected');
});
