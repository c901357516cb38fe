/**
 * Optional cross-check against Wireshark's LNet dissector, when tshark is installed:
 * the LNet message types it sees in 02-ping-discover.pcap are the ones we decode.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { interopFile } from '../helpers/interop.js';
import { readPcap, tcpConnections } from '../helpers/pcap.js';
import { walkSocklnd } from '../helpers/socklnd-walk.js';

const pcapUrl = interopFile('02-ping-discover.pcap');
const tshark = spawnSync('sh', ['-c', 'command -v tshark'], { encoding: 'utf8' }).stdout.trim();
const skip = !tshark ? 'tshark not installed' : !existsSync(pcapUrl) ? 'recording absent' : false;

t.test('tshark sees the same LNet message types per frame', { skip }, async (t) => {
  const r = spawnSync(tshark, ['-r', fileURLToPath(pcapUrl), '-Y', 'lnet', '-T', 'fields', '-e', 'frame.number', '-e', 'lnet.msg_type'], {
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  const theirs = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      const [frame, types] = l.split('\t');
      return (types ?? '').split(',').filter(Boolean).map((ty) => `${frame}:${Number(ty)}`);
    })
    .sort();
  const ours: string[] = [];
  for (const c of tcpConnections(readPcap(readFileSync(pcapUrl)))) {
    const w = walkSocklnd(c);
    for (const f of [...w.active.frames, ...w.passive.frames]) ours.push(`${f.pcapFrame}:${f.frame.lnet!.type}`);
  }
  t.same(ours.sort(), theirs);
});
