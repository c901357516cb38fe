import { map, seq, type DocMap } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';
import type { Nid } from '../../nid/nid.js';
import { formatNid } from '../../nid/nid-string.js';
import { formatProcessId, LNET_PID_LUSTRE } from '../../nid/process-id.js';
import type { PingResult } from '../../ping.js';
import { negErrno, strerror } from './error-docs.js';
import type { ErrnoName } from '../../errno.js';

/** The outcome of pinging or discovering one target. */
export type PingOutcome =
  | {
      /** The NID asked for (its pid decides how peer NIs print). */
      readonly target: Nid;
      /** The pid asked for (default 12345): other pids print peer NIs as `pid-nid`. */
      readonly pid?: number;
      readonly result: PingResult;
    }
  | {
      readonly target: Nid | string;
      readonly pid?: number;
      /** The kernel's (negative) errno, or its name. */
      readonly errno: number | ErrnoName;
      /**
       * The kernel's text; default `failed to ping <nid>` / `failed to discover <nid>`. lnetctl
       * appends `: <strerror>` to texts starting "failed to ".
       */
      readonly descr?: string;
    };

export interface PingDoc {
  /** What lnetctl prints on stdout (libyaml, indent 2). */
  readonly document: PrintableDoc;
  /** 0, or 255 (-1) when any target failed. */
  readonly exitCode: number;
}

function successNode(o: Extract<PingOutcome, { result: PingResult }>): DocMap {
  const pid = o.pid ?? LNET_PID_LUSTRE;
  const r = o.result;
  return map([
    ['primary nid', formatNid(r.primaryNid)],
    ['Multi-Rail', r.multiRail],
    ['peer_ni', seq(r.peerNis.map((p) => map([['nid', pid === LNET_PID_LUSTRE ? formatNid(p.nid) : formatProcessId(p)]])))],
  ]);
}

/**
 * `lnetctl ping` / `lnetctl discover` output (yaml_lnet_ping_display over the kernel's
 * lnet_ping_show_dump / lnet_ping_cmd): the answered targets under `ping:` (or `discover:`),
 * then the failures under `manage:` as `- ping:` items with errno and descr, on stdout, exit
 * 255 when any failed (05-cli-behaviours.txt).
 */
export function buildPingDoc(kind: 'ping' | 'discover', outcomes: readonly PingOutcome[]): PingDoc {
  const ok = outcomes.filter((o): o is Extract<PingOutcome, { result: PingResult }> => 'result' in o);
  const failed = outcomes.filter((o): o is Exclude<PingOutcome, { result: PingResult }> => !('result' in o));
  const entries: [string, ReturnType<typeof seq>][] = [];
  if (ok.length > 0) entries.push([kind, seq(ok.map(successNode))]);
  if (failed.length > 0) {
    entries.push([
      'manage',
      seq(
        failed.map((f) => {
          const errno = negErrno(f.errno);
          const target = typeof f.target === 'string' ? f.target : formatNid(f.target);
          const base = f.descr ?? `failed to ${kind} ${target}`;
          const descr = base.startsWith('failed to ') ? `${base}: ${strerror(errno)}` : base;
          return map([
            [kind, null],
            ['errno', errno],
            ['descr', descr],
          ]);
        }),
      ),
    ]);
  }
  return { document: printable(map(entries), 'libyaml2'), exitCode: failed.length > 0 ? 255 : 0 };
}
