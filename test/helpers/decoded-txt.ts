/**
 * Test helper: the `*.socklnd-decoded.txt` files that sit beside the kernel captures (an
 * independent decoder's field-by-field listing). `parseDecodedTxt` reads them; the render
 * functions print our decodes in the same words, so a test compares whole lines.
 */
import { formatNid } from '../../src/nid/nid-string.js';
import type { Nid } from '../../src/nid/nid.js';
import type { DecodedConnReq } from '../../src/wire/acceptor.js';
import type { DecodedHello } from '../../src/wire/ksock-hello.js';
import type { KsockFrame } from '../../src/wire/ksock-frame.js';
import { KsockMsgType } from '../../src/wire/ksock-msg.js';
import type { LNetHdr } from '../../src/wire/lnet-hdr.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import type { DecodedPingInfo } from '../../src/wire/ping-buffer.js';
import type { WireHandle } from '../../src/wire/wire-handle.js';

export interface DecodedTxtFrame {
  dir: 'A->P' | 'P->A';
  pcapFrame: number;
  /** The line after `t=…`: ksock fields, then `| LNET …`. */
  text: string;
  /** Continuation lines (ping info, ni[…], payload hex), trimmed. */
  extra: string[];
}

export interface DecodedTxtStream {
  index: number;
  active: string;
  passive: string;
  connreq?: string;
  activeHello?: string;
  passiveHello?: string;
  frames: DecodedTxtFrame[];
}

export function parseDecodedTxt(text: string): DecodedTxtStream[] {
  const streams: DecodedTxtStream[] = [];
  let cur: DecodedTxtStream | undefined;
  let lastFrame: DecodedTxtFrame | undefined;
  let helloSide: 'active' | 'passive' | undefined;
  for (const line of text.split('\n')) {
    let m = /^TCP stream (\d+): (\S+) -> (\S+) /.exec(line);
    if (m) {
      cur = { index: Number(m[1]), active: m[2]!, passive: m[3]!, frames: [] };
      streams.push(cur);
      lastFrame = undefined;
      helloSide = undefined;
      continue;
    }
    if (!cur) continue;
    if ((m = /^ {2}active CONNREQ \(\d+ bytes\) (.*)$/.exec(line))) {
      cur.connreq = m[1]!;
      continue;
    }
    if ((m = /^ {2}(active|passive) +HELLO \(\d+ bytes\) (.*)$/.exec(line))) {
      helloSide = m[1] as 'active' | 'passive';
      if (helloSide === 'active') cur.activeHello = m[2]!;
      else cur.passiveHello = m[2]!;
      continue;
    }
    if ((m = /^ {2}(A->P|P->A) frame (\d+) t=\S+ (.*)$/.exec(line))) {
      lastFrame = { dir: m[1] as 'A->P' | 'P->A', pcapFrame: Number(m[2]), text: m[3]!, extra: [] };
      cur.frames.push(lastFrame);
      helloSide = undefined;
      continue;
    }
    if (/^ {6}/.test(line)) {
      if (helloSide === 'active') cur.activeHello += ` ${line.trim()}`;
      else if (helloSide === 'passive') cur.passiveHello += ` ${line.trim()}`;
      else if (lastFrame) lastFrame.extra.push(line.trim());
      continue;
    }
    helloSide = undefined;
  }
  return streams;
}

const hex64 = (lo: number, hi: number) => `0x${((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16)}`;
const dec64 = (lo: number, hi: number) => `${(BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)}`;
const wmd = (w: WireHandle) => `${hex64(w.ifLo, w.ifHi)}:${hex64(w.objLo, w.objHi)}`;
const pidNid = (nid: Nid, pid: number) => `${formatNid(nid)}(pid ${pid})`;

const CTYPE: Record<number, string> = { [-1]: 'NONE', 0: 'ANY', 1: 'CONTROL', 2: 'BULK_IN', 3: 'BULK_OUT' };

export function renderConnReq(c: DecodedConnReq): string {
  return `magic=0xacce7100(LNET_PROTO_ACCEPTOR_MAGIC) version=${c.version} target_nid=${formatNid(c.nid)}`;
}

export function renderHello(h: DecodedHello): string {
  return (
    `magic=0x45726963(LNET_PROTO_MAGIC) version=${h.version}(KSOCK_PROTO_V${h.version}) ` +
    `src_nid=${formatNid(h.srcNid)} dst_nid=${formatNid(h.dstNid)} src_pid=${h.srcPid} dst_pid=${h.dstPid} ` +
    `src_incarnation=${hex64(h.srcIncarnationLo, h.srcIncarnationHi)} ` +
    `dst_incarnation=${hex64(h.dstIncarnationLo, h.dstIncarnationHi)} ` +
    `ctype=${h.ctype}(${CTYPE[h.ctype] ?? '?'}) nips=${h.ips.length}`
  );
}

function renderLNet(h: LNetHdr): string {
  const head = `LNET ${LNetMsgType[h.type]} ${pidNid(h.srcNid, h.srcPid)} -> ${pidNid(h.destNid, h.destPid)} payload_length=${h.payloadLength}`;
  const mb = hex64(h.matchBitsLo, h.matchBitsHi);
  switch (h.type) {
    case LNetMsgType.PUT:
      return `${head} ack_wmd=${wmd(h.wmd)} match_bits=${mb} hdr_data=${hex64(h.hdrDataLo, h.hdrDataHi)} portal=${h.ptlIndex} offset=${h.offset}`;
    case LNetMsgType.GET:
      return `${head} return_wmd=${wmd(h.wmd)} match_bits=${mb} portal=${h.ptlIndex} src_offset=${h.offset} sink_length=${h.sinkLength}`;
    case LNetMsgType.ACK:
      return `${head} dst_wmd=${wmd(h.wmd)} match_bits=${mb} mlength=${h.mlength}`;
    case LNetMsgType.REPLY:
      return `${head} dst_wmd=${wmd(h.wmd)}`;
    default:
      return head;
  }
}

export function renderFrame(f: KsockFrame): string {
  const m = f.msg!;
  const k = `${KsockMsgType[m.type] === 'NOOP' ? 'KSOCK_MSG_NOOP' : 'KSOCK_MSG_LNET'} csum=0x${m.csum.toString(16)} zc_req=${dec64(m.zcReqLo, m.zcReqHi)} zc_ack=${dec64(m.zcAckLo, m.zcAckHi)}`;
  return f.lnet ? `${k} | ${renderLNet(f.lnet)}` : k;
}

export function renderPing(p: DecodedPingInfo): string[] {
  const out = [`ping info: magic=ping features=0x${p.features.toString(16)} pid=${p.pid} nnis=${p.nis.length}`];
  p.nis.forEach((e, i) =>
    out.push(
      `ni[${i}] nid=${formatNid(e.nid)} status=0x${e.status.toString(16)} msg_size=${e.msgSize}${i === 0 ? '  (ni[0].status = ping seqno)' : ''}`,
    ),
  );
  return out;
}
