/**
 * `lnetctl import [--add|--del|--show|--exec] FILE` (lnetctl.c jt_import, config.md §5.10):
 * the document read into a list of operations, checked the way lnetctl and the kernel check
 * them, with no side effects; the caller applies them. A rejected document throws a
 * DocumentError carrying the kernel's error document (`<op>:` / `-     import:` / errno /
 * descr) or, for YAML syntax errors, libyaml's message; both exit 234. Checks that need the
 * node's state (does the net exist, is retry_count below transaction_timeout, …) are left to
 * whoever applies the operations.
 */
import { Errno } from '../errno.js';
import {
  cyamlError,
  DocumentError,
  importError,
  quoted,
  textError,
  type NetlinkOp,
} from '../control/docs/error-docs.js';
import { LndType } from '../nid/lnd-type.js';
import { LNET_NET_ANY, netType, tryParseNet } from '../nid/net.js';
import { nidIsAny, nidKey, type Nid } from '../nid/nid.js';
import { tryParseNid } from '../nid/nid-string.js';
import { parseProcessId } from '../nid/process-id.js';
import type { LocalInterface } from './local-interfaces.js';
import type { GlobalImportKey, ImportMode, ImportNetRule, ImportOp, ImportPeerNi, ImportPlan } from './import-doc-ops.js';
import { extractLong, ImportRefusal, parseNetItem, resolveNetRule } from './import-doc-net.js';
import { kernelValue, readYamlStream, scalarText, type YNode } from './import-doc-values.js';

export type { ImportMode, ImportOp, ImportPlan } from './import-doc-ops.js';

/** The netlink flags of each mode, as the error document names them. */
export function importNetlinkOp(mode: ImportMode): NetlinkOp {
  return mode === 'del' ? 'del' : mode === 'show' ? 'show' : 'add';
}

/** global_params of lnetctl.c: the keys a global setting may have (max_intf is max_interfaces). */
const GLOBAL_KEYS: Record<string, GlobalImportKey> = {
  numa_range: 'numa_range',
  max_interfaces: 'max_interfaces',
  max_intf: 'max_interfaces',
  discovery: 'discovery',
  drop_asym_route: 'drop_asym_route',
  retry_count: 'retry_count',
  transaction_timeout: 'transaction_timeout',
  health_sensitivity: 'health_sensitivity',
  recovery_interval: 'recovery_interval',
  router_sensitivity: 'router_sensitivity',
  lnd_timeout: 'lnd_timeout',
  response_tracking: 'response_tracking',
  recovery_limit: 'recovery_limit',
  max_recovery_ping_interval: 'max_recovery_ping_interval',
};

/** Sections sent to the kernel as they are (cmd_mappings); ping and discover only with --exec. */
const KERNEL_SECTIONS: Record<string, { execOnly: boolean }> = {
  peer: { execOnly: false },
  route: { execOnly: false },
  discover: { execOnly: true },
  ping: { execOnly: true },
  routing: { execOnly: false },
  buffers: { execOnly: false },
  numa: { execOnly: false },
};

/** A refusal by the kernel (extack text) or lnetctl, in the import error document. */
const refuse = (errno: number, descr: string): never => {
  throw new ImportRefusal(errno, descr);
};

const own = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

/**
 * Parse an import document. `mode` is the command's option (default `add`). Operations come
 * in document order; sections lnetctl would skip are skipped the same way.
 */
export function parseImportDocument(text: string, mode: ImportMode = 'add'): ImportPlan {
  const op = importNetlinkOp(mode);
  const docs = readYamlStream(text);
  if (!Array.isArray(docs)) {
    const p = docs;
    throw textError('EINVAL', `${p.scanner ? 'Scanner' : 'Parser'} error: ${p.message} at line ${p.line}, column ${p.column}\n`);
  }
  const ops: ImportOp[] = [];
  const warnings: string[] = [];
  try {
    for (const doc of docs) topLevel(doc, mode, ops, warnings);
  } catch (e) {
    if (e instanceof DocumentError) throw e;
    if (e instanceof ImportRefusal) throw importError(op, e.errno, e.descr);
    throw e;
  }
  return { mode, ops, warnings };
}

function topLevel(doc: YNode, mode: ImportMode, ops: ImportOp[], warnings: string[]): void {
  if (doc.t === 'scalar') {
    // A lone scalar is read as a global parameter name.
    return globalParam(doc.text, undefined, mode, ops);
  }
  if (doc.t === 'seq') {
    for (const item of doc.items) topLevel(item, mode, ops, warnings);
    return;
  }
  for (const [key, value] of doc.entries) {
    const section = own(KERNEL_SECTIONS, key);
    if (section && section.execOnly === (mode === 'exec')) {
      kernelSection(key, value, mode, ops);
    } else if (key === 'udsp') {
      udspSection(value, ops);
    } else if (key === 'net' || key === 'ip2nets') {
      netSection(value, key === 'ip2nets', ops, warnings);
    } else if (key === 'global') {
      if (value.t === 'map') for (const [k, v] of value.entries) globalParam(k, v, mode, ops);
      else if (value.t === 'scalar') globalParam(value.text, undefined, mode, ops);
      else for (const item of value.items) topLevel(item, mode, ops, warnings);
    } else {
      globalParam(key, value, mode, ops);
    }
  }
}

// ------------------------------------------------------------------------ global parameters

/**
 * handle_global_parameter and yaml_import_global_settings: a known key with a number.
 * lnetctl's own range checks (liblnetconfig) are made here and reported as it reports them
 * (cYAML documents); the kernel's parameter checks are left to the caller.
 */
function globalParam(key: string, value: YNode | undefined, mode: ImportMode, ops: ImportOp[]): void {
  const k = own(GLOBAL_KEYS, key);
  if (!k) refuse(-Errno.EINVAL, `invalid key '${key}'`);
  const v = extractLong(key, value);
  switch (mode) {
    case 'exec':
      return; // yaml_import_global_settings has nothing to do for --exec
    case 'add':
      if (k === 'lnd_timeout') return; // shown, never set
      checkGlobalRange(k!, v);
      return void ops.push({ op: 'global', key: k!, value: v });
    case 'del': {
      // --del resets numa_range, max_interfaces and discovery to their defaults; nothing else.
      const dflt = ({ numa_range: 0, max_interfaces: 200, discovery: 1 } as Partial<Record<GlobalImportKey, number>>)[k!];
      if (dflt !== undefined) ops.push({ op: 'global', key: k!, value: dflt });
      return;
    }
    case 'show':
      return void ops.push({ op: 'global', key: k!, value: v });
  }
}

function checkGlobalRange(k: GlobalImportKey, v: number): void {
  // The config functions take an int.
  const i = (v << 0) | 0;
  if (k === 'response_tracking' && (i < 0 || i > 3))
    throw cyamlError('add', 'response_tracking', 'EINVAL', quoted('Valid values are: 0, 1, 2, or 3'));
  if (k === 'recovery_limit' && i < 0) throw cyamlError('add', 'recovery_limit', 'EINVAL', quoted('Must be greater than or equal to 0'));
  if (k === 'max_recovery_ping_interval' && i <= 0)
    throw cyamlError('add', 'maximum recovery ping interval', 'EINVAL', quoted('must be strictly positive'));
}

// ------------------------------------------------------------------------ net and ip2nets

function netSection(value: YNode, isIp2nets: boolean, ops: ImportOp[], warnings: string[]): void {
  const items = value.t === 'seq' ? value.items : value.t === 'map' ? [value] : [];
  for (const item of items) ops.push({ op: 'net', rule: parseNetItem(item, isIp2nets, warnings) });
}

// ------------------------------------------------------------------------ UDSP

/** handle_udsp_sequences: a rule is taken when its mapping ends with an idx. */
function udspSection(value: YNode, ops: ImportOp[]): void {
  const items = value.t === 'seq' ? value.items : [value];
  for (const item of items) {
    if (item.t !== 'map') continue;
    let idx = -1;
    let priority = -1;
    const rule: { src?: string; dst?: string; rte?: string } = {};
    const visit = (n: YNode): void => {
      if (n.t !== 'map') return;
      for (const [k, v] of n.entries) {
        if (k === 'idx' || k === 'priority') {
          const num = extractLong(k, v);
          if (k === 'idx') idx = num;
          else priority = num;
        } else if (k === 'src' || k === 'dst' || k === 'rte') {
          rule[k] = scalarText(v) ?? '';
        } else visit(v);
      }
    };
    visit(item);
    if (idx !== -1) ops.push({ op: 'udsp', idx, priority, ...rule });
  }
}

// ------------------------------------------------------------------------ kernel sections

function kernelSection(key: string, value: YNode, mode: ImportMode, ops: ImportOp[]): void {
  switch (key) {
    case 'peer':
      return peerSection(value, mode, ops);
    case 'route':
      return routeSection(value, ops);
    case 'routing':
      return mapSection(value, (get) => {
        const e = get('enable');
        ops.push({ op: 'routing', enable: e !== undefined && e === 1 });
      });
    case 'buffers':
      return mapSection(value, (get) => ops.push({ op: 'buffers', tiny: get('tiny') ?? 0, small: get('small') ?? 0, large: get('large') ?? 0 }));
    case 'numa':
      return mapSection(value, (get) => ops.push({ op: 'numa', range: get('range') ?? 0 }));
    case 'ping':
    case 'discover':
      return pingSection(key, value, ops);
  }
}

/** routing/buffers/numa: a mapping of integers (nla_extract_val: "Invalid type for attribute"). */
function mapSection(value: YNode, take: (get: (k: string) => number | undefined) => void): void {
  const entries = value.t === 'map' ? value.entries : [];
  take((k) => {
    let out: number | undefined;
    for (const [key, v] of entries) {
      if (key !== k) continue;
      const kv = kernelValue(v);
      if (kv.type !== 'int') refuse(-Errno.EINVAL, 'Invalid type for attribute');
      out = (kv as { value: number }).value;
    }
    return out;
  });
}

function kernelNid(v: YNode | undefined, notScalar: string, unparsable: string, errno = -Errno.EINVAL): Nid {
  const kv = kernelValue(v);
  if (kv.type !== 'str') refuse(-Errno.EINVAL, notScalar);
  const nid = tryParseNid((kv as { value: string }).value.trim());
  if (!nid) refuse(errno, unparsable);
  return nid!;
}

/** lnet_route_cmd: one route per item; net and gateway required. */
function routeSection(value: YNode, ops: ImportOp[]): void {
  if (value.t !== 'seq') return;
  for (const item of value.items) {
    if (item.t !== 'map') continue;
    let net = LNET_NET_ANY;
    let gateway: Nid | undefined;
    let hops = -1;
    let priority = 0;
    let alive: boolean | undefined;
    let notifyTime: number | undefined;
    for (const [k, v] of item.entries) {
      const kv = kernelValue(v);
      switch (k) {
        case 'net': {
          if (kv.type !== 'str') refuse(-Errno.EINVAL, 'net is invalid key');
          const n = tryParseNet((kv as { value: string }).value);
          if (n === undefined) refuse(-Errno.ENODEV, 'cannot parse remote net');
          if (netType(n!) === LndType.LOLND) refuse(-Errno.EACCES, 'setting @lo not allowed');
          net = n!;
          break;
        }
        case 'gateway':
          gateway = kernelNid(v, 'gateway is invalid key', 'cannot parse gateway', -Errno.ENODEV);
          break;
        case 'state':
          if (kv.type !== 'str') refuse(-Errno.EINVAL, 'state is invalid key');
          if ((kv as { value: string }).value === 'up') alive = true;
          else if ((kv as { value: string }).value === 'down') alive = false;
          else refuse(-Errno.EINVAL, 'status string bad value');
          break;
        case 'notify_time':
          if (kv.type !== 'int') refuse(-Errno.EINVAL, 'notify_time is invalid key');
          notifyTime = (kv as { value: number }).value;
          if (notifyTime > Date.now() / 1000) refuse(-Errno.EINVAL, 'notify_time is in the future');
          break;
        case 'hop': {
          if (kv.type !== 'int') refuse(-Errno.EINVAL, 'hop has invalid key');
          const h = (kv as { value: number }).value;
          // The kernel keeps hops as u32: -1 (undefined) is allowed, other values 1..255.
          if ((h < 1 || h > 255) && h !== -1) refuse(-Errno.EINVAL, 'invalid hop count must be between 1 and 255');
          hops = h;
          break;
        }
        case 'priority': {
          if (kv.type !== 'int') refuse(-Errno.EINVAL, 'priority has invalid key');
          const p = (kv as { value: number }).value;
          if (p < 0) refuse(-Errno.EINVAL, 'invalid priority, must not be negative');
          priority = p;
          break;
        }
      }
    }
    if (net === LNET_NET_ANY) refuse(-Errno.ENODEV, 'missing mandatory parameter: network');
    if (!gateway || nidIsAny(gateway)) refuse(-Errno.ENODEV, 'missing mandatory parameter: gateway');
    ops.push({
      op: 'route',
      net,
      gateway: gateway!,
      hops,
      priority,
      ...(alive !== undefined ? { alive } : {}),
      ...(notifyTime !== undefined ? { notifyTime } : {}),
    });
  }
}

/** lnet_peer_ni_cmd / lnet_parse_peer_nis: one peer per item. */
function peerSection(value: YNode, mode: ImportMode, ops: ImportOp[]): void {
  if (value.t !== 'seq') return;
  for (const item of value.items) {
    if (item.t !== 'map') continue;
    let prim: Nid | undefined;
    let multiRail = true;
    let peerState: number | undefined;
    let nis: ImportPeerNi[] | undefined;
    for (const [k, v] of item.entries) {
      switch (k) {
        case 'primary nid':
          prim = kernelNid(v, 'invalid primary NID type', 'unsupported primary NID');
          break;
        case 'Multi-Rail': {
          const kv = kernelValue(v);
          if (kv.type !== 'int') refuse(-Errno.EINVAL, 'invalid MR flag param');
          multiRail = (kv as { value: number }).value !== 0;
          break;
        }
        case 'peer state': {
          const kv = kernelValue(v);
          if (kv.type !== 'int') refuse(-Errno.EINVAL, 'invalid peer state param');
          peerState = (kv as { value: number }).value >>> 0;
          break;
        }
        case 'peer ni': {
          if (!prim) refuse(-Errno.EINVAL, 'missing required primary NID');
          if (v.t !== 'seq') refuse(-Errno.EINVAL, 'invalid NIDs list');
          nis = [];
          for (const ni of (v as Extract<YNode, { t: 'seq' }>).items) {
            if (ni.t !== 'map') continue;
            let nid: Nid | undefined;
            let healthValue: number | undefined;
            for (const [nk, nv] of ni.entries) {
              if (nk === 'nid') nid = kernelNid(nv, 'invalid secondary NID', 'unsupported secondary NID');
              else if (nk === 'health stats') healthValue = peerNiHealth(nv);
            }
            if (nid) nis.push(healthValue === undefined ? { nid } : { nid, healthValue });
          }
          break;
        }
      }
    }
    if (!prim) refuse(-Errno.EINVAL, 'missing primary NID');
    // For --del a list that names the primary means the whole peer (create_some false).
    const wholePeer = mode === 'del' && nis !== undefined && nis.some((n) => nidKey(n.nid) === nidKey(prim!));
    ops.push({
      op: 'peer',
      primaryNid: prim!,
      multiRail,
      ...(peerState !== undefined ? { peerState } : {}),
      ...(nis !== undefined && !wholePeer ? { nis } : {}),
    });
  }
}

/** `health stats:` of a peer NI may hold only `health value: N` (lnet_parse_peer_nis). */
function peerNiHealth(v: YNode): number {
  if (v.t !== 'map') return refuse(-Errno.EINVAL, 'invalid health configuration');
  let value = -1;
  for (const [k, x] of v.entries) {
    if (k !== 'health value') refuse(-Errno.EINVAL, 'wrong health config format');
    const kv = kernelValue(x);
    if (kv.type !== 'int') refuse(-Errno.EINVAL, 'invalid health config format');
    value = Math.max(0, Math.min(1000, (kv as { value: number }).value));
  }
  return value;
}

/** ping/discover for --exec: the NIDs of the `nids` list, and ping's timeout (ms) and source. */
function pingSection(kind: 'ping' | 'discover', value: YNode, ops: ImportOp[]): void {
  const targets: string[] = [];
  let timeoutMs: number | undefined;
  let source: Nid | undefined;
  const collect = (n: YNode): void => {
    if (n.t === 'scalar') {
      const kv = kernelValue(n);
      if (kv.type !== 'str') return;
      const t = kv.value.trim();
      try {
        parseProcessId(t);
      } catch {
        // ping refuses the request; discover reports the NID as failed and carries on.
        if (kind === 'ping') refuse(-Errno.EINVAL, 'cannot parse NID');
        return;
      }
      targets.push(t);
    } else if (n.t === 'seq') n.items.forEach(collect);
    else n.entries.forEach(([, v]) => collect(v));
  };
  if (value.t === 'map') {
    for (const [k, v] of value.entries) {
      if (kind === 'ping' && k === 'timeout') {
        const kv = kernelValue(v);
        if (kv.type !== 'int') refuse(-Errno.EINVAL, 'invalid timeout param');
        const ms = (kv as { value: number }).value;
        // Out-of-range timeouts keep the default (api-ni.c lnet_ping_show_start).
        if (ms > 0 && ms < 180 * 1000) timeoutMs = ms;
      } else if (kind === 'ping' && k === 'source') {
        source = kernelNid(v, 'invalid source param', 'invalid source nid');
      } else if (v.t !== 'scalar') collect(v);
    }
  } else if (value.t === 'seq') collect(value);
  if (kind === 'ping') {
    if (targets.length === 0) refuse(-Errno.EINVAL, 'Ping needs NID targets');
    ops.push({ op: 'ping', targets, ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(source ? { source } : {}) });
  } else ops.push({ op: 'discover', targets });
}

// ------------------------------------------------------------------------ resolution

/**
 * The net and ip2nets rules made concrete for a node with these interfaces: each rule's
 * interfaces resolved (lustre_lnet_resolve_ip2nets_rule); ip2nets rules that match nothing or
 * name a net an earlier rule configured are dropped, and an ip2nets sequence that applies no
 * rule is refused ("No ip2nets rules applied"); a net rule that matches nothing is refused
 * (LUSTRE_CFG_RC_NO_MATCH, -ENOMSG).
 */
export function resolveImportNets(plan: ImportPlan, ifaces: readonly LocalInterface[]): ImportPlan {
  const op = importNetlinkOp(plan.mode);
  const out: ImportOp[] = [];
  // ip2nets rules come in runs (one `ip2nets:` sequence each); track the run's nets.
  let runNets: Set<number> | undefined;
  let runApplied = 0;
  const endRun = (): void => {
    if (runNets && runApplied === 0) throw importError(op, -Errno.EINVAL, 'No ip2nets rules applied');
    runNets = undefined;
    runApplied = 0;
  };
  for (const o of plan.ops) {
    if (o.op !== 'net' || o.rule.source !== 'ip2nets') endRun();
    if (o.op !== 'net') {
      out.push(o);
      continue;
    }
    const rule = o.rule;
    const r = resolveNetRule(rule, ifaces);
    if (rule.source === 'ip2nets') {
      runNets ??= new Set();
      if ('noMatch' in r || runNets.has(rule.net)) continue;
      runNets.add(rule.net);
      runApplied++;
    } else if ('noMatch' in r) {
      throw importError(op, -Errno.ENOMSG, r.noMatch);
    }
    const resolved: ImportNetRule = { ...rule, interfaces: (r as { interfaces: ImportNetRule['interfaces'] }).interfaces };
    out.push({ op: 'net', rule: resolved });
  }
  endRun();
  return { ...plan, ops: out };
}
