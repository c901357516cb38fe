/**
 * Test helper: live packet capture with tshark and decoding with Wireshark's LNet dissector.
 *
 * `LiveCapture.start()` runs `tshark -i IFACE -f FILTER -w FILE -P -l` and resolves once tshark
 * says "Capturing on" and dumpcap has opened the interface (or with the reason it could not).
 * `-P -l` makes tshark print a summary line per packet as it writes it, so `waitForLine()` tells when a packet is in the
 * file; `stop()` sends SIGINT and waits for tshark to exit. Every wait is bounded.
 *
 * `decodeLnet()` reads a capture with `-d tcp.port==PORT,lnet` and splits each frame's
 * `-T fields` output into the LNet PDUs it holds (a TCP segment can carry several; a PDU split
 * over segments is reported in the frame that completes it). Field names are the dissector's
 * (Wireshark 4.0, epan/dissectors/packet-lnet.c), including its quirks, which callers must
 * account for:
 * - it labels the first pid on the wire (the header's dest_pid) `lnet.src_pid` and the second
 *   (src_pid) `lnet.dest_pid`;
 * - it decodes an ACK's dst_wmd as big-endian (the other wire handles as little-endian);
 * - it puts the ksock checksum of a socklnd message in `lnet.ib_csum`;
 * - it hands a PUT's payload to the sub-dissector registered for its portal (Lustre's, for
 *   the Lustre portals) and, when there is none, flags the PUT "Buffer length mis-match";
 * - it decodes neither acceptor requests nor hellos (no LNet item for those segments).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** The tshark binary on PATH, or undefined. */
export function findTshark(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v tshark'], { encoding: 'utf8', timeout: 10_000 });
  const p = r.stdout?.trim();
  return r.status === 0 && p ? p : undefined;
}

export interface CaptureOptions {
  tshark: string;
  iface: string;
  /** A BPF capture filter. */
  filter: string;
  /** Where tshark writes the capture (pcapng). */
  file: string;
  /** How long to wait for the capture to start (default 20 s). */
  readyTimeoutMs?: number;
}

export interface CaptureStopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** tshark did not exit on SIGINT in time and was killed. */
  killed: boolean;
  stderr: string;
}

export class LiveCapture {
  /** Per-packet summary lines printed so far. */
  readonly lines: string[] = [];
  private stderrText = '';
  private exited = false;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
  private readonly exitWaiters: Array<() => void> = [];
  private readonly lineWaiters: Array<() => void> = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.lineWaiters.splice(0)) w();
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      this.stderrText += d;
      for (const w of this.lineWaiters.splice(0)) w();
    });
    // 'close': after the exit and the end of stdout/stderr, so all output is in.
    child.on('close', (code, signal) => {
      this.exited = true;
      this.exitInfo = { code, signal };
      for (const w of this.exitWaiters.splice(0)) w();
      for (const w of this.lineWaiters.splice(0)) w();
    });
  }

  get stderr(): string {
    return this.stderrText;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Start capturing; a string is the reason capturing is not possible here. */
  static async start(o: CaptureOptions): Promise<LiveCapture | string> {
    let child: ChildProcess;
    try {
      child = spawn(o.tshark, ['-i', o.iface, '-f', o.filter, '-w', o.file, '-P', '-l', '-n'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      return `cannot run tshark: ${(e as Error).message}`;
    }
    const spawnError = new Promise<string>((resolve) => child.once('error', (e) => resolve(`cannot run tshark: ${e.message}`)));
    const cap = new LiveCapture(child);
    // tshark prints "Capturing on …" before dumpcap has opened the interface (it says so for a
    // device that does not exist, too). dumpcap opens the interface, then creates the file: the
    // file (or tshark's "Capture started." message) means packets are being recorded.
    const capturing = (): boolean => /Capturing on/.test(cap.stderrText) && (/Capture started/.test(cap.stderrText) || fileHasData(o.file));
    const ready = cap.until(() => cap.exited || capturing(), o.readyTimeoutMs ?? 20_000);
    const outcome = await Promise.race([ready.then(() => ''), spawnError]);
    if (outcome) return outcome;
    if (cap.exited || !capturing()) {
      const why = cap.exited ? `tshark exited (${cap.exitInfo.code ?? cap.exitInfo.signal})` : 'tshark did not start capturing in time';
      cap.kill();
      return `${why}: ${lastLines(cap.stderrText)}`;
    }
    return cap;
  }

  /**
   * Resolves true once `cond()` holds (checked on every output, on exit and every 100 ms),
   * false after `ms`.
   */
  private until(cond: () => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (v: boolean): void => {
        clearTimeout(timer);
        clearInterval(poll);
        const i = this.lineWaiters.indexOf(check);
        if (i >= 0) this.lineWaiters.splice(i, 1);
        resolve(v);
      };
      const check = (): void => {
        if (cond()) finish(true);
        else if (!this.lineWaiters.includes(check)) this.lineWaiters.push(check);
      };
      const timer = setTimeout(() => finish(cond()), ms);
      const poll = setInterval(check, 100);
      check();
    });
  }

  /** Wait (bounded) until a packet summary line matches: true when one did. */
  waitForLine(re: RegExp, ms: number): Promise<boolean> {
    return this.until(() => this.lines.some((l) => re.test(l)) || this.exited, ms).then(() => this.lines.some((l) => re.test(l)));
  }

  /** SIGINT, then wait up to `ms` for tshark to finish the file; SIGKILL after that. */
  async stop(ms = 10_000): Promise<CaptureStopResult> {
    let killed = false;
    if (!this.exited) {
      const gone = new Promise<void>((r) => this.exitWaiters.push(r));
      this.child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        gone.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ms))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        killed = true;
        this.kill();
        await Promise.race([gone, new Promise((r) => setTimeout(r, 2_000))]);
      }
    }
    return { ...this.exitInfo, killed, stderr: this.stderrText };
  }

  /** Kill tshark outright (teardown); harmless once it has exited. */
  kill(): void {
    if (!this.exited && this.child.pid !== undefined) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

function fileHasData(file: string): boolean {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}

function lastLines(s: string, n = 3): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^tshark:$|Running as user|packets? captured/.test(l))
    .slice(-n)
    .join(' | ');
}

// ---------------------------------------------------------------------------------------------
// Decoding with the LNet dissector
// ---------------------------------------------------------------------------------------------

/** Run tshark on a file (bounded); throws with its stderr when it fails. */
export function tsharkRun(tshark: string, args: string[], timeoutMs = 60_000): string {
  const r = spawnSync(tshark, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`tshark ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${lastLines(r.stderr ?? '')}`);
  return r.stdout;
}

/** LNet message types as the dissector numbers them (lnet_msg_type). */
export const LNET_TYPE_NAMES: Record<number, string> = { 0: 'ACK', 1: 'PUT', 2: 'GET', 3: 'REPLY', 4: 'HELLO' };

/** One LNet PDU as the dissector decoded it; u64 fields as bigint, absent fields undefined. */
export interface DissectedPdu {
  frame: number;
  /** Bytes on the wire of the frame that completed this PDU. */
  frameLen: number;
  /** TCP payload bytes of that frame. */
  tcpLen: number;
  /** How many LNet PDUs that frame completed. */
  pdusInFrame: number;
  stream: number;
  ipSrc: string;
  ipDst: string;
  srcPort: number;
  dstPort: number;
  /** Wireshark's Info column of the frame. */
  info: string;
  ksmType: number;
  /** `lnet.ib_csum`: where the dissector puts a socklnd message's checksum. */
  csum: number | undefined;
  zcReqCookie: bigint;
  zcAckCookie: bigint;
  /** From the `lnet.dest_nid` and `lnet.src_nid` subtrees: address, LND type, net number. */
  destNid: { addr: string; type: number; net: number };
  srcNid: { addr: string; type: number; net: number };
  /** The field the dissector labels "Src pid" (on the wire: the header's dest_pid). */
  labelSrcPid: number;
  /** The field the dissector labels "Dest pid" (on the wire: the header's src_pid). */
  labelDestPid: number;
  msgType: number;
  typeName: string;
  payloadLength: number;
  /** The message's wire handle (PUT ack_wmd, GET return_wmd, REPLY/ACK dst_wmd) as decoded. */
  wmdInterface: bigint;
  wmdObject: bigint;
  matchBits?: bigint;
  hdrData?: bigint;
  ptlIndex?: number;
  offset?: number;
  srcOffset?: number;
  sinkLength?: number;
  /** ACK: mlength. */
  mlength?: number;
}

export interface DissectedFrame {
  frame: number;
  frameLen: number;
  tcpLen: number;
  stream: number;
  info: string;
  /** `_ws.expert.message` values of the frame. */
  expert: string[];
  pdus: DissectedPdu[];
  /** Something in the frame did not line up with the per-type field layout. */
  problem?: string;
}

const FRAME_FIELDS = [
  'frame.number',
  'frame.len',
  'tcp.stream',
  'ip.src',
  'ip.dst',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.len',
  '_ws.col.Info',
  '_ws.expert.message',
] as const;

/** The dissector's fields (`tshark -G fields`), in the order it adds them to a PDU's tree. */
export const LNET_FIELDS = [
  'lnet.ksm_type',
  'lnet.ib_csum',
  'lnet.ksm_zc_req_cookie',
  'lnet.ksm_zc_ack_cookie',
  'lnet.nid.addr',
  'lnet.nid.type',
  'lnet.nid.net_interface',
  'lnet.src_pid',
  'lnet.dest_pid',
  'lnet.msg_type',
  'lnet.payload_length',
  'lnet.msg_dst_interface_cookie',
  'lnet.msg_dst_object_cookie',
  'lnet.msg_dst_match_bits',
  'lnet.msg_length',
  'lnet.msg_hdr_data',
  'lnet.ptl_index',
  'lnet.offset',
  'lnet.src_offset',
  'lnet.sink_length',
  'lnet.hello_incarnation',
  'lnet.hello_type',
] as const;

const AGG = '|';

/**
 * Frames TCP analysis flags as retransmissions repeat bytes an earlier frame of the capture
 * already carried (loopback drops segments under load, too): they are left out.
 */
export const NOT_RETRANSMITTED = '!tcp.analysis.retransmission && !tcp.analysis.spurious_retransmission && !tcp.analysis.fast_retransmission';

/** Which of `names` this tshark's dissectors do not register (`tshark -G fields`). */
export function missingFields(tshark: string, names: readonly string[]): string[] {
  const have = new Set(
    tsharkRun(tshark, ['-G', 'fields'])
      .split('\n')
      .map((l) => l.split('\t')[2])
      .filter((f): f is string => !!f),
  );
  return names.filter((n) => !have.has(n));
}

/**
 * Decode every frame of `file` that holds LNet, reading TCP `port` as LNet (`port` undefined:
 * the dissector's own registration, tcp/988).
 */
export function decodeLnet(tshark: string, file: string, port: number | undefined, displayFilter = `lnet && ${NOT_RETRANSMITTED}`): DissectedFrame[] {
  const fields = [...FRAME_FIELDS, ...LNET_FIELDS];
  const args = ['-r', file, '-n'];
  if (port !== undefined) args.push('-d', `tcp.port==${port},lnet`);
  args.push('-Y', displayFilter, '-T', 'fields', '-E', 'header=n', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`);
  for (const f of fields) args.push('-e', f);
  const out = tsharkRun(tshark, args);
  const frames: DissectedFrame[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    const col = (name: (typeof fields)[number]): string => cols[fields.indexOf(name)] ?? '';
    const list = (name: (typeof LNET_FIELDS)[number]): string[] => {
      const v = col(name);
      return v === '' ? [] : v.split(AGG);
    };
    frames.push(splitFrame(col, list));
  }
  return frames;
}

function num(s: string | undefined): number {
  if (s === undefined || s === '') return NaN;
  return Number(s.startsWith('0x') ? BigInt(s) : s);
}

function big(s: string | undefined): bigint {
  if (s === undefined || s === '') return -1n;
  return BigInt(s);
}

function splitFrame(
  col: (name: (typeof FRAME_FIELDS)[number]) => string,
  list: (name: (typeof LNET_FIELDS)[number]) => string[],
): DissectedFrame {
  const frame = num(col('frame.number'));
  const frameLen = num(col('frame.len'));
  const tcpLen = num(col('tcp.len'));
  const stream = num(col('tcp.stream'));
  const info = col('_ws.col.Info');
  const expertRaw = col('_ws.expert.message');
  const expert = expertRaw === '' ? [] : expertRaw.split(AGG);
  const types = list('lnet.msg_type').map(num);
  const q = Object.fromEntries(LNET_FIELDS.map((f) => [f, list(f)])) as Record<(typeof LNET_FIELDS)[number], string[]>;
  const take = (f: (typeof LNET_FIELDS)[number]): string | undefined => q[f].shift();
  const pdus: DissectedPdu[] = [];
  let problem: string | undefined;
  if (q['lnet.ksm_type'].length !== types.length) problem = `${q['lnet.ksm_type'].length} ksock headers for ${types.length} LNet messages`;
  for (const msgType of types) {
    const nid = (): { addr: string; type: number; net: number } => ({
      addr: take('lnet.nid.addr') ?? '',
      type: num(take('lnet.nid.type')),
      net: num(take('lnet.nid.net_interface')),
    });
    const p: DissectedPdu = {
      frame,
      frameLen,
      tcpLen,
      pdusInFrame: types.length,
      stream,
      ipSrc: col('ip.src'),
      ipDst: col('ip.dst'),
      srcPort: num(col('tcp.srcport')),
      dstPort: num(col('tcp.dstport')),
      info,
      ksmType: num(take('lnet.ksm_type')),
      csum: ((v) => (v === undefined ? undefined : num(v)))(take('lnet.ib_csum')),
      zcReqCookie: big(take('lnet.ksm_zc_req_cookie')),
      zcAckCookie: big(take('lnet.ksm_zc_ack_cookie')),
      destNid: nid(),
      srcNid: nid(),
      labelSrcPid: num(take('lnet.src_pid')),
      labelDestPid: num(take('lnet.dest_pid')),
      msgType,
      typeName: LNET_TYPE_NAMES[msgType] ?? `type ${msgType}`,
      payloadLength: num(take('lnet.payload_length')),
      wmdInterface: -1n,
      wmdObject: -1n,
    };
    take('lnet.msg_type');
    // dissect_lnet_{ack,put,get,reply,hello}: the fields each type adds, in order.
    if (msgType <= 3) {
      p.wmdInterface = big(take('lnet.msg_dst_interface_cookie'));
      p.wmdObject = big(take('lnet.msg_dst_object_cookie'));
    }
    if (msgType === 0 || msgType === 1 || msgType === 2) p.matchBits = big(take('lnet.msg_dst_match_bits'));
    if (msgType === 0) p.mlength = num(take('lnet.msg_length'));
    if (msgType === 1) {
      p.hdrData = big(take('lnet.msg_hdr_data'));
      p.ptlIndex = num(take('lnet.ptl_index'));
      p.offset = num(take('lnet.offset'));
    }
    if (msgType === 2) {
      p.ptlIndex = num(take('lnet.ptl_index'));
      p.srcOffset = num(take('lnet.src_offset'));
      p.sinkLength = num(take('lnet.sink_length'));
    }
    if (msgType === 4) {
      take('lnet.hello_incarnation');
      take('lnet.hello_type');
    }
    pdus.push(p);
  }
  const left = LNET_FIELDS.filter((f) => q[f].length > 0);
  if (left.length > 0) problem ??= `fields left over after ${types.length} messages: ${left.join(', ')}`;
  return { frame, frameLen, tcpLen, stream, info, expert, pdus, ...(problem ? { problem } : {}) };
}

/** A frame with TCP payload that is neither LNet, nor part of a reassembled LNet PDU, nor a retransmission. */
export interface UndecodedSegment {
  frame: number;
  stream: number;
  ipSrc: string;
  srcPort: number;
  payload: Buffer;
}

export function undecodedSegments(tshark: string, file: string, port: number): UndecodedSegment[] {
  const out = tsharkRun(tshark, [
    '-r',
    file,
    '-n',
    '-2',
    '-d',
    `tcp.port==${port},lnet`,
    '-Y',
    `tcp.len > 0 && !lnet && !tcp.reassembled_in && ${NOT_RETRANSMITTED}`,
    '-T',
    'fields',
    '-e',
    'frame.number',
    '-e',
    'tcp.stream',
    '-e',
    'ip.src',
    '-e',
    'tcp.srcport',
    '-e',
    'tcp.payload',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [f, s, ip, sp, hex] = l.split('\t');
      return { frame: num(f), stream: num(s), ipSrc: ip ?? '', srcPort: num(sp), payload: Buffer.from((hex ?? '').replace(/:/g, ''), 'hex') };
    });
}

/** The LNet lines of a `*.tshark-summary.txt` recording: Info column → frame lengths seen (headers included). */
export function summaryLnetLines(text: string): Map<string, Set<number>> {
  const m = new Map<string, Set<number>>();
  for (const line of text.split('\n')) {
    const r = /\sLNET (\d+) (LNET_.*?)\s*$/.exec(line);
    if (!r) continue;
    const set = m.get(r[2]!) ?? new Set<number>();
    set.add(Number(r[1]));
    m.set(r[2]!, set);
  }
  return m;
}

/** Byte-swap a u64 (the dissector reads an ACK's dst_wmd big-endian). */
export function bswap64(v: bigint): bigint {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b.readBigUInt64BE();
}
