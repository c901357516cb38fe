/**
 * `lnetctl import [--add|--del|--show|--exec]`: the document is parsed and checked completely
 * first (src/config/import-doc.ts), then applied. Unlike the kernel, which applies a document
 * section by section, lnetd applies it atomically: when an operation fails, the ones already
 * done are undone in reverse order, so a bad document changes nothing, and the error document
 * is the one the kernel prints for the failing part.
 */
import { Errno } from '../../errno.js';
import { LNetError } from '../../errors.js';
import { parseImportDocument, resolveImportNets, importNetlinkOp, type ImportOp, type ImportPlan } from '../../config/import-doc.js';
import { GlobalSettingError } from '../../lnet-globals.js';
import type { LNet } from '../../lnet.js';
import { formatNet } from '../../nid/net.js';
import { nidKey } from '../../nid/nid.js';
import { formatNid } from '../../nid/nid-string.js';
import { map } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';
import { cyamlError, DocumentError, importError } from '../docs/error-docs.js';
import { buildNetShow } from '../docs/net-show.js';
import { buildPeerShow } from '../docs/peer-show.js';
import { buildRouteShow } from '../docs/route-show.js';
import type { LNetModule } from '../lnet-module.js';
import { pingDoc, type PingOutcome } from '../show.js';
import { udspAdd } from './udsp-ops.js';
import { oneOf, reqStr, type Args } from './args.js';
import type { OpRegistry } from './registry.js';

type Mode = ImportPlan['mode'];
type Undo = () => Promise<void> | void;

export interface ImportReply {
  /** Documents for stdout (--show, --exec). */
  output?: PrintableDoc[];
  /** lnetctl's warnings for stderr ("Ignoring unrecognized key …"). */
  warnings?: string[];
  /** Non-zero when an --exec ping or discovery failed (lnetctl exits -1). */
  exitCode?: number;
}

/** The running instance, or the kernel's answer for an import while LNet is down. */
function need(m: LNetModule, mode: Mode): LNet {
  if (!m.lnet || !m.running) throw importError(importNetlinkOp(mode), -Errno.ENETDOWN, 'Network is down');
  return m.lnet;
}

/** A failure inside an operation as the import error document (the kernel's extack text). */
function asImportError(mode: Mode, e: unknown, descr?: string): DocumentError {
  if (e instanceof DocumentError) return e;
  if (e instanceof GlobalSettingError) return cyamlError('add', e.entity, e.rc, e.descr);
  if (e instanceof LNetError) return importError(importNetlinkOp(mode), e.errno, descr ?? e.message.replace(/^[A-Z0-9]+: /, ''));
  return importError(importNetlinkOp(mode), -Errno.EIO, String(e));
}

/** Apply one --add operation; returns how to undo it. */
async function add(m: LNetModule, lnet: LNet, o: ImportOp): Promise<Undo | undefined> {
  switch (o.op) {
    case 'net': {
      const r = o.rule;
      const before = new Set(lnet.core.nis.map((ni) => ni));
      // Unset (-1) or non-positive credits keep the LND's defaults, as the kernel does.
      const tunables = Object.fromEntries(
        Object.entries(r.tunables ?? {}).filter(([k, v]) => typeof v === 'number' && (k === 'peer_timeout' ? v >= 0 : v > 0)),
      );
      if ((r.lndTunables?.conns_per_peer ?? 0) > 127) throw importError('add', -Errno.ERANGE, 'failed to parse lnd tunables');
      try {
        await lnet.addNet({
          net: formatNet(r.net),
          tunables,
          nis: r.interfaces.map((i) => ({
            interfaces: [i.name],
            ...(i.cpts ? { cpts: [...i.cpts] } : r.cpts ? { cpts: [...r.cpts] } : {}),
            ...(r.lndTunables ? { lndTunables: { ...r.lndTunables } } : {}),
          })),
        });
      } catch (e) {
        const le = e instanceof LNetError ? e : new LNetError('EIO', String(e));
        const code = le.code === 'ENODEV' || le.code === 'EADDRNOTAVAIL' ? -Errno.ENETDOWN : le.errno;
        throw importError('add', code, le.code === 'ENOSPC' ? 'too many NIs, check lnet_interfaces_max' : 'cannot add LNet NI');
      }
      const added = lnet.core.nis.filter((ni) => !before.has(ni));
      return async () => {
        for (const ni of added.reverse()) await lnet.core.delNi(ni);
      };
    }
    case 'route': {
      lnet.addRoute(formatNet(o.net), o.gateway, o.hops, o.priority);
      return () => void lnet.routes.del(o.net, o.gateway);
    }
    case 'peer': {
      const existed = lnet.core.peerTable.get(nidKey(o.primaryNid));
      const nids = (o.nis ?? []).map((n) => n.nid).filter((n) => nidKey(n) !== nidKey(o.primaryNid));
      const known = new Set(existed ? existed.nids.map(nidKey) : []);
      lnet.discovery.add({ primNid: formatNid(o.primaryNid), nids: nids.map(formatNid), nonMr: !o.multiRail });
      for (const ni of o.nis ?? []) if (ni.healthValue !== undefined) lnet.setPeerNiHealth(ni.healthValue, ni.nid);
      if (o.peerState !== undefined) {
        const p = lnet.core.peerTable.get(nidKey(o.primaryNid));
        if (p) p.state = o.peerState;
      }
      return () => {
        if (!existed) lnet.discovery.del({ primNid: formatNid(o.primaryNid), force: true });
        else {
          const extra = nids.filter((n) => !known.has(nidKey(n)));
          if (extra.length > 0) lnet.discovery.del({ primNid: formatNid(o.primaryNid), nids: extra.map(formatNid), force: true });
        }
      };
    }
    case 'global': {
      if (o.key === 'lnd_timeout') return undefined;
      const saved = { ...m.liveParams };
      // An import key other than lnd_timeout is the global of the same name.
      m.setGlobal(o.key, o.value);
      return () => void Object.assign(m.liveParams, saved);
    }
    case 'numa': {
      const saved = m.liveParams.numa_range;
      m.setGlobal('numa_range', o.range);
      return () => void (m.liveParams.numa_range = saved);
    }
    case 'routing': {
      const was = lnet.router.routingEnabled;
      try {
        if (o.enable) lnet.router.enable();
        else lnet.router.disable();
      } catch (e) {
        throw importError('add', e instanceof LNetError ? e.errno : -Errno.EINVAL, `cannot ${o.enable ? 'enable' : 'disable'} routing`);
      }
      return () => {
        if (was === lnet.router.routingEnabled) return;
        try {
          if (was) lnet.router.enable();
          else lnet.router.disable();
        } catch {
          // stopping routing cannot be taken back at once; it settles by itself
        }
      };
    }
    case 'buffers': {
      const before = lnet.router.totals();
      lnet.router.adjust({ tiny: o.tiny, small: o.small, large: o.large });
      return () => lnet.router.adjust(before);
    }
    case 'udsp': {
      const before = lnet.core.udsp.list().length;
      udspAdd(m, {
        ...(o.src !== undefined ? { src: o.src } : {}),
        ...(o.dst !== undefined ? { dst: o.dst } : {}),
        ...(o.rte !== undefined ? { rte: o.rte } : {}),
        ...(o.priority >= 0 ? { priority: o.priority } : {}),
        idx: o.idx,
      });
      // A new rule went in at its index; an existing one only changed priority (not undone).
      if (lnet.core.udsp.list().length === before) return undefined;
      const at = Math.min(o.idx >= 0 ? o.idx : before, before);
      return () => lnet.core.udsp.del(at);
    }
    case 'ping':
    case 'discover':
      return undefined;
  }
}

/** --add: everything or nothing. */
async function importAdd(m: LNetModule, plan: ImportPlan): Promise<ImportReply> {
  const lnet = need(m, 'add');
  const undo: Undo[] = [];
  try {
    for (const o of plan.ops) {
      const u = await add(m, lnet, o);
      if (u) undo.push(u);
    }
  } catch (e) {
    for (const u of undo.reverse()) {
      try {
        await u();
      } catch (ue) {
        m.logger.error('import: undoing an applied operation failed', { error: String(ue) });
      }
    }
    throw asImportError('add', e);
  }
  return { ...(plan.warnings.length ? { warnings: [...plan.warnings] } : {}) };
}

/** --del: every object must exist before anything is deleted. */
async function importDel(m: LNetModule, plan: ImportPlan): Promise<ImportReply> {
  const lnet = need(m, 'del');
  const steps: (() => Promise<void> | void)[] = [];
  for (const o of plan.ops) {
    switch (o.op) {
      case 'net': {
        const nis = lnet.core.nis.filter((ni) => ni.net === o.rule.net);
        if (nis.length === 0) throw importError('del', -Errno.EINVAL, 'cannot del network');
        const wanted = o.rule.interfaces.length === 0 ? nis : nis.filter((ni) => o.rule.interfaces.some((i) => i.name === ni.interfaces[0]));
        if (wanted.length === 0) throw importError('del', -Errno.ENODEV, 'cannot del LNet NI');
        steps.push(async () => {
          for (const ni of wanted) await lnet.core.delNi(ni);
        });
        break;
      }
      case 'route':
        if (lnet.routes.list({ net: o.net }).length === 0) throw importError('del', -Errno.ENOENT, 'failed to delete route');
        steps.push(() => void lnet.routes.del(o.net, o.gateway));
        break;
      case 'peer': {
        const peer = lnet.core.peerTable.get(nidKey(o.primaryNid));
        if (!peer || nidKey(peer.primaryNid) !== nidKey(o.primaryNid)) throw importError('del', -Errno.ENOENT, 'failed to del peer');
        if (peer.nids.some((n) => lnet.routes.isGateway(n))) throw importError('del', -Errno.EBUSY, 'failed to del peer');
        const nids = (o.nis ?? []).map((n) => formatNid(n.nid));
        steps.push(() => lnet.discovery.del({ primNid: formatNid(o.primaryNid), ...(nids.length ? { nids } : {}), force: true }));
        break;
      }
      case 'global':
        if (o.key !== 'lnd_timeout') {
          const key = o.key;
          steps.push(() => void m.setGlobal(key, o.value));
        }
        break;
      case 'udsp':
        if (!lnet.core.udsp.get(o.idx)) throw cyamlError('add', 'udsp', -1, '"cannot del udsp: No such file or directory"');
        steps.push(() => lnet.core.udsp.del(o.idx));
        break;
      default:
        break;
    }
  }
  try {
    for (const s of steps) await s();
  } catch (e) {
    throw asImportError('del', e);
  }
  return { ...(plan.warnings.length ? { warnings: [...plan.warnings] } : {}) };
}

/** --show: the listed objects as their show commands print them. */
function importShow(m: LNetModule, plan: ImportPlan): ImportReply {
  const lnet = need(m, 'show');
  const output: PrintableDoc[] = [];
  const globals: [string, number][] = [];
  const live = m.liveParams as unknown as Record<string, number>;
  for (const o of plan.ops) {
    if (o.op === 'net') {
      const d = buildNetShow(lnet, { net: o.rule.net, verbose: 0 });
      if (d) output.push(d);
    } else if (o.op === 'route') {
      const d = buildRouteShow(lnet.routes.list({ net: o.net, gateway: o.gateway }), { verbose: false });
      if (d) output.push(d);
    } else if (o.op === 'peer') {
      const d = buildPeerShow(lnet, { nid: o.primaryNid, routes: lnet.routes.list() });
      if (d) output.push(d);
    } else if (o.op === 'global') {
      const param = o.key === 'max_interfaces' ? 'lnet_interfaces_max' : o.key === 'discovery' ? undefined : o.key;
      const v = o.key === 'discovery' ? (m.liveParams.lnet_peer_discovery_disabled ? 0 : 1) : o.key === 'lnd_timeout' ? lnet.globals.lnd_timeout : live[param!];
      if (v !== undefined) globals.push([o.key, v]);
    }
  }
  if (globals.length) output.push(printable(map([['global', map(globals)]]), 'cyaml'));
  return { output, ...(plan.warnings.length ? { warnings: [...plan.warnings] } : {}) };
}

/** --exec: the ping and discover sections. */
async function importExec(m: LNetModule, plan: ImportPlan): Promise<ImportReply> {
  const lnet = need(m, 'exec');
  const output: PrintableDoc[] = [];
  let failed = false;
  for (const o of plan.ops) {
    if (o.op !== 'ping' && o.op !== 'discover') continue;
    const outcomes: PingOutcome[] = [];
    for (const text of o.targets) {
      const id = lnet.parseTarget(text);
      try {
        const result =
          o.op === 'ping'
            ? await lnet.ping(id, { timeoutMs: o.timeoutMs ?? 1000, ...(o.source ? { source: o.source } : {}) })
            : await lnet.discover(id, { timeoutMs: lnet.core.params.transaction_timeout * 1000 });
        outcomes.push({ ok: true, target: id, result });
      } catch (e) {
        const errno = e instanceof LNetError && e.code !== 'ETIMEDOUT' ? e.errno : -Errno.EIO;
        outcomes.push({ ok: false, target: id, errno });
      }
    }
    const d = pingDoc(o.op, outcomes);
    output.push(d.document);
    if (d.exitCode !== 0) failed = true;
  }
  return { output, ...(failed ? { exitCode: 255 } : {}) };
}

async function runImport(m: LNetModule, a: Args): Promise<ImportReply> {
  const mode = oneOf<Mode>(a, 'mode', ['add', 'del', 'show', 'exec'], 'add');
  const text = reqStr(a, 'text');
  // Parse and check the whole document before touching anything.
  let plan = parseImportDocument(text, mode);
  if (mode === 'add' || mode === 'del') plan = resolveImportNets(plan, m.interfaces());
  switch (mode) {
    case 'add':
      return importAdd(m, plan);
    case 'del':
      return importDel(m, plan);
    case 'show':
      return importShow(m, plan);
    case 'exec':
      return importExec(m, plan);
  }
}

export function registerImportOps(r: OpRegistry): void {
  // --exec waits for pings; the others change configuration under the module mutex.
  r.add('import', (ctx, a) => runImport(ctx.module, a));
}
