/**
 * Kernel vectors: every acceptor connreq, hello and ksock frame that two real kernel 2.17.0
 * nodes exchanged in the recordings decodes, re-encodes to the very same bytes, and reads
 * the same as the independent decodes in `*.socklnd-decoded.txt`.
 */
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { formatNid } from '../../src/nid/nid-string.js';
import { connReqToBuffer } from '../../src/wire/acceptor.js';
import { KsockProtoVersion, helloToBuffer, invertConnType } from '../../src/wire/ksock-hello.js';
import { KSOCK_MSG_HDR_SIZE, KsockMsgType, encodeKsockMsgHdr, verifyKsockChecksum } from '../../src/wire/ksock-msg.js';
import { encodeLNetHdrNid4, validateLNetHdr } from '../../src/wire/lnet-hdr-codec.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import {
  LNET_PROTO_PING_MATCHBITS_HI,
  PingFeature,
  decodePingInfo,
  pingInfoToBuffer,
} from '../../src/wire/ping-buffer.js';
import { WireError } from '../../src/wire/wire-error.js';
import { parseDecodedTxt, renderConnReq, renderFrame, renderHello, renderPing } from '../helpers/decoded-txt.js';
import { haveInterop, interopFile } from '../helpers/interop.js';
import { readPcap, tcpConnections, type TcpConnection } from '../helpers/pcap.js';
import { walkSocklnd, type WalkedFrame, type WalkedSide } from '../helpers/socklnd-walk.js';

const dirPath = interopFile;
const have = haveInterop;

function load(name: string): TcpConnection[] {
  return tcpConnections(readPcap(readFileSync(dirPath(name))));
}

/** Re-encode one frame's headers and return the bytes (ksock header + LNet header). */
function reencodeFrame(f: WalkedFrame): Buffer {
  const out = Buffer.alloc(f.frame.headerLength);
  encodeKsockMsgHdr(f.frame.msg!, out, 0);
  if (f.frame.lnet) encodeLNetHdrNid4(f.frame.lnet, out, KSOCK_MSG_HDR_SIZE);
  return out;
}

interface Tally {
  frames: number;
  pings: number;
}

/** Byte-exact checks common to every captured side. */
function checkSide(t: Test, side: WalkedSide, tally: Tally): void {
  t.notOk(side.stopped, `${side.flow.name}: walked to the end`);
  t.equal(side.consumed, side.flow.length, `${side.flow.name}: every byte belongs to a decoded item`);
  if (side.connreq) t.same(connReqToBuffer(side.connreq.decoded), side.connreq.raw, 'connreq re-encodes byte for byte');
  if (side.hello) t.same(helloToBuffer(side.hello.decoded), side.hello.raw, 'hello re-encodes byte for byte');
  let bad = 0;
  for (const f of side.frames) {
    tally.frames++;
    if (!reencodeFrame(f).equals(f.headerBytes)) bad++;
    const lnet = f.frame.lnet;
    if (lnet && validateLNetHdr(lnet) !== undefined) bad++;
    if (f.payload && verifyKsockChecksum(f.frame.msg!.csum, Buffer.concat([f.headerBytes, f.payload]), 0, f.frame.frameLength))
      bad++;
    // Ping replies and pushes: portal 0, match bits 0x8000000000000000.
    if (
      lnet &&
      f.payload &&
      lnet.ptlIndex === 0 &&
      ((lnet.type === LNetMsgType.PUT && lnet.matchBitsHi === LNET_PROTO_PING_MATCHBITS_HI) ||
        (lnet.type === LNetMsgType.REPLY && f.payload.length >= 4 && f.payload.readUInt32LE(0) === 0x70696e67))
    ) {
      const p = decodePingInfo(f.payload);
      if (p instanceof WireError) {
        t.fail(`ping buffer at ${f.offset}: ${p.message}`);
        continue;
      }
      tally.pings++;
      t.same(pingInfoToBuffer(p), f.payload, `ping buffer at frame ${f.pcapFrame} re-encodes byte for byte`);
      t.same(p.duplicates, [], 'no duplicate NIDs');
    }
  }
  t.equal(bad, 0, `${side.flow.name}: ${side.frames.length} frames re-encode byte for byte and pass validation`);
}

/** Compare with the independent decode, line by line. */
function compareWithDecodedTxt(t: Test, conns: TcpConnection[], txtName: string, limitPerDir = Infinity): void {
  const streams = parseDecodedTxt(readFileSync(dirPath(txtName), 'utf8'));
  t.equal(streams.length, conns.length, 'same number of TCP streams');
  for (const s of streams) {
    const conn = conns.find((c) => `${c.client.src}:${c.client.sport}` === s.active || `${c.server.src}:${c.server.sport}` === s.active);
    if (!conn) {
      t.fail(`stream ${s.index} (${s.active}) not found`);
      continue;
    }
    // The decoded text names the connecting side "active": the one sending to port 988.
    const w = walkSocklnd(conn);
    const byName = (addr: string) => (`${w.active.flow.src}:${w.active.flow.sport}` === addr ? w.active : w.passive);
    const active = byName(s.active);
    const passive = byName(s.passive);
    if (s.connreq) t.equal(active.connreq && renderConnReq(active.connreq.decoded), s.connreq, `stream ${s.index} connreq`);
    if (s.activeHello) t.equal(active.hello && renderHello(active.hello.decoded), s.activeHello, `stream ${s.index} active hello`);
    if (s.passiveHello)
      t.equal(passive.hello && renderHello(passive.hello.decoded), s.passiveHello, `stream ${s.index} passive hello`);
    for (const dir of ['A->P', 'P->A'] as const) {
      const listed = s.frames.filter((f) => f.dir === dir).slice(0, limitPerDir);
      const ours = (dir === 'A->P' ? active : passive).frames;
      let mismatches = 0;
      listed.forEach((l, i) => {
        const o = ours[i];
        const lines = o ? [renderFrame(o.frame)] : ['<missing>'];
        const got = o?.pcapFrame === l.pcapFrame && lines[0] === l.text;
        let extraOk = true;
        if (o && l.extra.length > 0) {
          const pingLines = l.extra.filter((x) => !x.startsWith('payload:'));
          if (pingLines.length > 0) {
            const p = o.payload && decodePingInfo(o.payload);
            extraOk = !!p && !(p instanceof WireError) && JSON.stringify(renderPing(p)) === JSON.stringify(pingLines);
          }
          const hex = l.extra.find((x) => x.startsWith('payload:'))?.slice('payload: '.length);
          if (hex !== undefined) extraOk &&= !!o.payload && o.payload.toString('hex').startsWith(hex);
        }
        if (!got || !extraOk) {
          mismatches++;
          if (mismatches <= 3) t.equal(`frame ${o?.pcapFrame} ${lines[0]}`, `frame ${l.pcapFrame} ${l.text}`, `stream ${s.index} ${dir} #${i}`);
        }
      });
      t.equal(mismatches, 0, `stream ${s.index} ${dir}: ${listed.length} listed messages match our decode`);
    }
  }
}

t.test('01-start-teardown: connreqs, V3 hellos, ping GET/REPLY decode and re-encode exactly', { skip: !have && 'recordings absent' }, async (t) => {
  const conns = load('01-start-teardown.pcap');
  t.equal(conns.length, 3, 'three connections (CONTROL, BULK_IN, BULK_OUT)');
  const tally: Tally = { frames: 0, pings: 0 };
  const ports: number[] = [];
  for (const c of conns) {
    const w = walkSocklnd(c);
    checkSide(t, w.active, tally);
    checkSide(t, w.passive, tally);
    ports.push(c.client.sport);
    const a = w.active.hello!.decoded;
    const p = w.passive.hello!.decoded;
    t.equal(a.version, KsockProtoVersion.V3, 'active proposes V3 for IPv4');
    t.equal(p.version, KsockProtoVersion.V3, 'passive answers V3');
    t.equal(p.ctype, invertConnType(a.ctype), 'passive ctype is the inverse of the active one');
    t.equal(formatNid(w.active.connreq!.decoded.nid), '192.0.2.12@tcp', 'connreq names the destination NID');
    t.equal(w.active.connreq!.decoded.flip, false);
  }
  t.same(ports, [1023, 1022, 1021], 'privileged source ports counting down');
  t.equal(tally.frames, 2, 'GET and REPLY');
  t.equal(tally.pings, 1, 'one ping reply');
});

t.test('01-start-teardown: matches the independent decode', { skip: !have && 'recordings absent' }, async (t) => {
  compareWithDecodedTxt(t, load('01-start-teardown.pcap'), '01-start-teardown.socklnd-decoded.txt');
});

t.test('02-ping-discover: pings, pushes and ACKs decode and re-encode exactly', { skip: !have && 'recordings absent' }, async (t) => {
  const conns = load('02-ping-discover.pcap');
  const tally: Tally = { frames: 0, pings: 0 };
  const types: string[] = [];
  for (const c of conns) {
    const w = walkSocklnd(c);
    checkSide(t, w.active, tally);
    checkSide(t, w.passive, tally);
    for (const f of [...w.active.frames, ...w.passive.frames]) types.push(LNetMsgType[f.frame.lnet!.type]!);
  }
  t.equal(tally.frames, 10, 'ten LNet messages');
  t.equal(tally.pings, 5, 'three ping replies and two pushes');
  t.same(types.sort(), ['ACK', 'ACK', 'GET', 'GET', 'GET', 'PUT', 'PUT', 'REPLY', 'REPLY', 'REPLY']);
  const ctl = walkSocklnd(conns[0]!);
  const reply = ctl.passive.frames[0]!;
  const ping = decodePingInfo(reply.payload!);
  if (ping instanceof WireError) throw ping;
  t.equal(ping.features, PingFeature.NI_STATUS | PingFeature.RTE_DISABLED | PingFeature.MULTI_RAIL | PingFeature.DISCOVERY);
  t.equal(ping.pid, 12345);
  t.equal(ping.nis[0]!.status, 2, 'entry 0 status is the sequence number');
  t.equal(formatNid(ping.nis[1]!.nid), '192.0.2.12@tcp');
  // The REPLY echoes the GET's return_wmd; the ACK echoes the PUT's ack_wmd.
  const get = ctl.active.frames[0]!.frame.lnet!;
  t.ok(reply.frame.lnet!.wmd.equals(get.wmd), 'REPLY dst_wmd = GET return_wmd');
  const put = ctl.active.frames[2]!.frame.lnet!;
  const ack = ctl.passive.frames.find((f) => f.frame.lnet!.type === LNetMsgType.ACK)!.frame.lnet!;
  t.ok(ack.wmd.equals(put.wmd), 'ACK dst_wmd = PUT ack_wmd');
  t.equal(ack.mlength, 48);
});

t.test('02-ping-discover: matches the independent decode', { skip: !have && 'recordings absent' }, async (t) => {
  compareWithDecodedTxt(t, load('02-ping-discover.pcap'), '02-ping-discover.socklnd-decoded.txt');
});

t.test('03-selftest-4k: every captured frame decodes and re-encodes exactly', { skip: !have && 'recordings absent' }, async (t) => {
  const conns = load('03-selftest-4k.pcap');
  const tally: Tally = { frames: 0, pings: 0 };
  const counts: Record<string, number> = {};
  for (const c of conns) {
    const w = walkSocklnd(c, { assumeVersion: 3 });
    checkSide(t, w.active, tally);
    checkSide(t, w.passive, tally);
    for (const f of [...w.active.frames, ...w.passive.frames]) {
      const k = LNetMsgType[f.frame.lnet!.type]!;
      counts[k] = (counts[k] ?? 0) + 1;
      if (f.frame.msg!.type !== KsockMsgType.LNET) counts.NOOP = (counts.NOOP ?? 0) + 1;
    }
  }
  // tshark's count for this capture (03-selftest-4k.stats.txt): 10268 PUT, 1718 GET, 1718 REPLY.
  t.same(counts, { PUT: 10268, GET: 1718, REPLY: 1718 });
});

t.test('03-selftest-4k: matches the independent decode', { skip: !have && 'recordings absent' }, async (t) => {
  compareWithDecodedTxt(t, load('03-selftest-4k.pcap'), '03-selftest-4k.socklnd-decoded.txt');
});

t.test('03-selftest-1M-snap256: headers of cut frames decode; cut payloads are skipped', { skip: !have && 'recordings absent' }, async (t) => {
  const conns = load('03-selftest-1M-snap256.pcap');
  let frames = 0;
  let cut = 0;
  let zcReq = 0;
  let zcAckNoops = 0;
  for (const c of conns) {
    const w = walkSocklnd(c, { assumeVersion: 3 });
    for (const side of [w.active, w.passive]) {
      for (const f of side.frames) {
        frames++;
        if (!reencodeFrame(f).equals(f.headerBytes)) t.fail(`frame ${f.pcapFrame} re-encodes differently`);
        if (!f.payload) cut++;
        const m = f.frame.msg!;
        if (m.zcReqLo !== 0) zcReq++;
        if (m.type === KsockMsgType.NOOP && m.zcAckLo !== 0) zcAckNoops++;
      }
    }
  }
  t.ok(frames > 900, `${frames} frames decoded`);
  t.ok(cut > 400, `${cut} payloads were cut by the snaplen and skipped`);
  t.ok(zcReq > 400, 'the 1 MiB messages carry a ZC request cookie');
  t.equal(zcAckNoops, zcReq, 'each ZC cookie comes back in a NOOP');
});
