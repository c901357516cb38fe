import { map, type DocMap } from '../../cli/yaml/doc.js';
import type { ElementStats, MsgTypeStats } from '../../core/counters.js';
import type { UdspInfo } from './inputs.js';

/** `statistics:` of an NI or peer NI: the sums over message types. */
export function statisticsNode(s: ElementStats): DocMap {
  return map([
    ['send_count', s.send.total()],
    ['recv_count', s.recv.total()],
    ['drop_count', s.drop.total()],
  ]);
}

/** `sent_stats:` / `received_stats:` / `dropped_stats:` in the key-table order. */
export function msgStatsNode(m: MsgTypeStats): DocMap {
  return map([
    ['put', m.put],
    ['get', m.get],
    ['reply', m.reply],
    ['ack', m.ack],
    ['hello', m.hello],
  ]);
}

/** The udsp info block; -1/-1 when no rule applies (what every recording shows). */
export function udspInfoNode(info: UdspInfo | undefined): DocMap {
  const i = info ?? { netPriority: -1, nidPriority: -1 };
  const nids = (list: readonly string[] | undefined): DocMap | undefined =>
    list && list.length > 0 ? map(list.map((n, k) => [`NID-${k}`, n] as const)) : undefined;
  return map([
    ['net priority', i.netPriority],
    ['nid priority', i.nidPriority],
    ['Preferred gateway NIDs', nids(i.preferredGateways)],
    ['Preferred source NIDs', nids(i.preferredSources)],
  ]);
}
