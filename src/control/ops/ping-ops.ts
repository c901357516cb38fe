/**
 * `lnetctl ping` and `lnetctl discover` (LNET_CMD_PING, api-ni.c lnet_ping_show_start/dump):
 * each target pinged (or discovered) in turn; failures are reported per target, in the reply,
 * not as a failure of the whole request.
 */
import { Errno } from '../../errno.js';
import { LNetError } from '../../errors.js';
import type { PingResult } from '../../ping.js';
import { formatProcessId, LNET_PID_LUSTRE, parseProcessId, type ProcessId } from '../../nid/process-id.js';
import { formatNid } from '../../nid/nid-string.js';
import { netlinkError } from '../docs/error-docs.js';
import type { LNetModule } from '../lnet-module.js';
import { optBool, optInt, optStr, optStrs, type Args } from './args.js';
import type { OpRegistry } from './registry.js';
import { pingDoc, type PingOutcome } from '../show.js';

/** DEFAULT_PEER_TIMEOUT: the longest a ping may wait (and what it waits without a timeout). */
const DEFAULT_PEER_TIMEOUT_MS = 180_000;

function targets(kind: 'ping' | 'discover', a: Args): { text: string; id: ProcessId }[] {
  const words = (optStrs(a, 'nids') ?? []).flatMap((w) => w.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (words.length === 0) throw netlinkError('manage', kind, -Errno.ENOENT, 'Ping needs NID targets');
  return words.map((text) => {
    try {
      const r = parseProcessId(text, { flavor: 'userspace' });
      return { text, id: { nid: r.nid, pid: r.pid ?? LNET_PID_LUSTRE } };
    } catch {
      throw netlinkError('manage', kind, -Errno.EINVAL, 'cannot parse NID');
    }
  });
}

/** What a failed ping or discovery reports: the kernel's errno (a timeout is EIO, as lnet_ping gives). */
function failure(id: ProcessId, e: unknown): PingOutcome {
  let errno = -Errno.EIO;
  if (e instanceof LNetError && e.code !== 'ETIMEDOUT' && e.code !== 'ECANCELED') errno = e.errno;
  return { ok: false, target: id, errno };
}

async function run(m: LNetModule, kind: 'ping' | 'discover', a: Args): Promise<unknown> {
  const lnet = m.lnet;
  if (!lnet || !m.running) throw netlinkError('manage', kind, -Errno.ENETDOWN, 'Network is down');
  const list = targets(kind, a);
  const t = optInt(a, 'timeoutMs');
  // Like the kernel: a timeout outside (0, DEFAULT_PEER_TIMEOUT) means the default.
  const timeoutMs = t !== undefined && t > 0 && t < DEFAULT_PEER_TIMEOUT_MS ? t : kind === 'ping' ? 1000 : DEFAULT_PEER_TIMEOUT_MS;
  const source = optStr(a, 'source');
  const outcomes: PingOutcome[] = [];
  for (const { id } of list) {
    try {
      let r: PingResult;
      if (kind === 'ping') r = await lnet.ping(id, { timeoutMs, ...(source !== undefined ? { source } : {}) });
      else {
        r = await lnet.discover(id, { timeoutMs: Math.min(timeoutMs, lnet.core.params.transaction_timeout * 1000), force: optBool(a, 'force') });
      }
      outcomes.push({ ok: true, target: id, result: r });
    } catch (e) {
      m.logger.debug(`${kind} failed`, { target: formatProcessId(id), error: String(e) });
      outcomes.push(failure(id, e));
    }
  }
  // The document for lnetctl, and the plain outcomes for lctl and library callers.
  const results = outcomes.map((o) =>
    o.ok
      ? {
          target: formatProcessId(o.target),
          ok: true,
          primaryNid: formatNid(o.result.primaryNid),
          multiRail: o.result.multiRail,
          nids: o.result.peerNis.map((p) => (p.pid === LNET_PID_LUSTRE ? formatNid(p.nid) : formatProcessId(p))),
        }
      : { target: formatProcessId(o.target), ok: false, errno: o.errno },
  );
  return { ...pingDoc(kind, outcomes), results };
}

export function registerPingOps(r: OpRegistry): void {
  r.add('ping', (ctx, a) => run(ctx.module, 'ping', a), false);
  r.add('discover', (ctx, a) => run(ctx.module, 'discover', a), false);
}
