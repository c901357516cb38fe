// networks= parsing. Expected results follow lnet/lnet/config.c lnet_parse_networks,
// lnet_net_alloc, lnet_ni_alloc, lnet_ni_alloc_common and lnet_net_append_cpts (2.17.0),
// config.md §3 and the recorded 06-start-stop-modparams.txt.
import t from 'tap';
import { formatNetworks, parseNetworks, type NetSpec } from '../../src/config/index.js';
import { formatNet } from '../../src/nid/net.js';
import { checkTotal, expectParseError, Prng, total } from './helpers.js';

/** A compact view: `net:iface[cpts]|iface…@netcpts`. */
function view(specs: readonly NetSpec[]): string[] {
  return specs.map((s) => {
    const nis = s.nis.map((ni) => `${ni.interface ?? '*'}${ni.cpts ? `[${ni.cpts.join(',')}]` : ''}`).join('|');
    return `${formatNet(s.net)}:${nis}${s.cpts ? `@${s.cpts.join(',')}` : ''}`;
  });
}

// Source: lnet/lnet/config.c lnet_parse_networks, lnet_ni_alloc (cfs_expr_list_values); config.md §3.
t.test('config.md §3 examples and the recorded module parameter', async (t) => {
  // config.md §3: networks="tcp0(eth0),o2ib(ib0)[0,1]" and networks="tcp(eth0[0],eth1[1])".
  t.same(view(parseNetworks('tcp0(eth0),o2ib(ib0)[0,1]', { cptCount: 4 })), ['tcp:eth0', 'o2ib:ib0[0,1]@0,1']);
  // With exactly two CPTs, [0,1] names every CPT, which the kernel stores as "all".
  t.same(view(parseNetworks('tcp0(eth0),o2ib(ib0)[0,1]', { cptCount: 2 })), ['tcp:eth0', 'o2ib:ib0']);
  t.same(view(parseNetworks('tcp(eth0[0],eth1[1])', { cptCount: 2 })), ['tcp:eth0[0]|eth1[1]@0']);
  // 06-start-stop-modparams.txt: modprobe lnet networks="tcp0(eth0)" brought up 192.0.2.12@tcp.
  t.same(view(parseNetworks('tcp0(eth0)')), ['tcp:eth0']);
});

// Source: lnet/lnet/config.c lnet_parse_networks, lnet_net_alloc, lnet_ni_alloc, lnet_net_append_cpts.
t.test('valid forms (lnet_parse_networks)', async (t) => {
  const cases: [string, number, string[]][] = [
    ['', 1, []],
    ['   \t\n', 1, []],
    ['tcp', 1, ['tcp:*']],
    ['tcp0', 1, ['tcp:*']],
    ['tcp1,o2ib3', 1, ['tcp1:*', 'o2ib3:*']],
    // Loopback is implicit: skipped, with or without interfaces.
    ['lo', 1, []],
    ['lo(eth0),tcp', 1, ['tcp:*']],
    // A trailing ',' ends the list.
    ['tcp,', 1, ['tcp:*']],
    // Whitespace around every token, any C whitespace.
    [' tcp0 ( eth0 , eth1 ) , o2ib\t(\tib0 )\n', 1, ['tcp:eth0|eth1', 'o2ib:ib0']],
    // Text after a netspec up to the next ',' is skipped, not refused.
    ['tcp junk,o2ib', 1, ['tcp:*', 'o2ib:*']],
    ['tcp(eth0) junk', 1, ['tcp:eth0']],
    // The same net twice is one net with both NIs.
    ['tcp(eth0),tcp(eth1)', 1, ['tcp:eth0|eth1']],
    ['tcp,tcp', 1, ['tcp:*|*']],
    ['tcp,tcp(eth0)', 1, ['tcp:*|eth0']],
    // Interface names: anything but whitespace, '[', ']' and ','.
    ['tcp(eth0:1)', 1, ['tcp:eth0:1']],
    ['tcp(ib0.8001,bond0)', 1, ['tcp:ib0.8001|bond0']],
    // A single CPT: any list naming it means every CPT.
    ['tcp[0]', 1, ['tcp:*']],
    ['tcp(eth0)[0]', 1, ['tcp:eth0']],
    // The net-level list applies to interfaces without their own.
    ['tcp(eth0,eth1[2])[1]', 4, ['tcp:eth0[1]|eth1[2]@1']],
    ['tcp[1-3/2]', 4, ['tcp:*[1,3]@1,3']],
    ['tcp[ 0 , 2 ]', 4, ['tcp:*[0,2]@0,2']],
    // cfs_expr_list_values keeps duplicates: as many values as CPTs counts as "all".
    ['tcp(eth0[0,0])', 2, ['tcp:eth0']],
    ['tcp(eth0[0,0])', 3, ['tcp:eth0[0,0]@0,0']],
    // An NI on every CPT makes the net span every CPT.
    ['tcp(eth0[1],eth1)', 3, ['tcp:eth0[1]|eth1']],
  ];
  for (const [input, cptCount, want] of cases) t.same(view(parseNetworks(input, { cptCount })), want, JSON.stringify(input));
});

// Source: lnet/lnet/config.c in_array, lnet_net_append_cpts.
t.test("net CPT list keeps the kernel's inverted membership test (lnet_net_append_cpts)", async (t) => {
  // in_array() returns false when the value is present, and the caller negates it: a later
  // NI re-adds the CPTs the net already has and drops new ones.
  t.same(parseNetworks('tcp(eth0[0],eth1[1])', { cptCount: 3 })[0]!.cpts, [0]);
  t.same(parseNetworks('tcp(eth0[0],eth1[0,1])', { cptCount: 3 })[0]!.cpts, [0, 0]);
  t.same(parseNetworks('tcp(eth0[1,2]),tcp(eth1[2])', { cptCount: 4 })[0]!.cpts, [1, 2, 2]);
});

// Source: lnet/lnet/config.c lnet_parse_networks (failed_syntax), lnet_ni_alloc_common (lnet_ni_unique_net); lnet/lnet/nidstrings.c cfs_expr_list_parse, cfs_expr_list_values.
t.test('errors: EINVAL at the token the kernel flags', async (t) => {
  const cases: [string, number, number][] = [
    ['foo', 1, 0],
    ['tcp,foo', 1, 4],
    [',tcp', 1, 0],
    ['tcp,,o2ib', 1, 4],
    ['tcpx', 1, 0],
    ['lo1', 1, 0],
    ['tcp65536', 1, 0],
    ['tcp:1', 1, 3],
    ['tcp)', 1, 3],
    ['tcp]', 1, 3],
    ['tcp(eth0)(eth1)', 1, 9],
    ['tcp(eth0', 1, 4],
    ['tcp(eth0,)', 1, 9],
    ['tcp( eth0 , )', 1, 12],
    ['tcp()', 1, 4],
    ['tcp(,eth0)', 1, 4],
    ['tcp(eth0 eth1)', 1, 9],
    ['tcp(eth0])', 1, 8],
    ['tcp(eth0[0)', 1, 8],
    ['tcp[0', 1, 3],
    ['tcp[]', 1, 4],
    ['tcp[x]', 1, 4],
    ['tcp[2]', 2, 4],
    ['tcp(eth0[1])', 1, 9],
    // More values than CPTs (cfs_expr_list_values: count > max).
    ['tcp[0,0]', 1, 3],
    ['tcp(eth0[0,1,1])', 2, 8],
    // The same interface twice on one net (lnet_ni_unique_net).
    ['tcp(eth0,eth0)', 1, 9],
    ['tcp(eth0),tcp(eth0)', 1, 14],
  ];
  for (const [input, cptCount, pos] of cases) expectParseError(t, () => parseNetworks(input, { cptCount }), 'EINVAL', pos, JSON.stringify(input));
  // Longer than LNET_SINGLE_TEXTBUF_NOB.
  const e = expectParseError(t, () => parseNetworks(`tcp${' '.repeat(4094)}`), 'EINVAL', undefined, 'too long');
  t.match(e?.reason ?? '', /too long/);
  t.ok(parseNetworks(`tcp${' '.repeat(4093)}`), '4096 characters are fine');
  t.throws(() => parseNetworks('tcp', { cptCount: 0 }), RangeError, 'cptCount is checked');
});

// Source: lnet/lnet/config.c lnet_syntax (what the kernel prints).
t.test('error messages name the problem', async (t) => {
  const e = expectParseError(t, () => parseNetworks('tcp(eth0,eth0)'), 'EINVAL', 9, 'dup');
  t.match(e?.message ?? '', /interface 'eth0' given twice for net tcp/);
  const f = expectParseError(t, () => parseNetworks('tcp[3]', { cptCount: 2 }), 'EINVAL', 4, 'cpt');
  t.match(f?.message ?? '', /CPTs are 0\.\.1/);
});

// Source: lnet/lnet/config.c lnet_parse_networks (the printed form parses back).
t.test('formatNetworks round-trips', async (t) => {
  const inputs = ['tcp0(eth0),o2ib(ib0)[0,1]', 'tcp(eth0[0],eth1[1])', 'tcp,tcp(eth0)', 'tcp1(eth0[0,0]),o2ib3[2]', ''];
  for (const input of inputs) {
    const a = parseNetworks(input, { cptCount: 3 });
    t.same(parseNetworks(formatNetworks(a), { cptCount: 3 }), a, input);
  }
  t.equal(formatNetworks(parseNetworks('tcp0(eth0, eth1)[1]', { cptCount: 2 })), 'tcp(eth0[1]),tcp(eth1[1])');
});

// Source: lnet/lnet/config.c lnet_parse_networks.
t.test('fuzz: random and mutated networks strings', async (t) => {
  const rng = new Prng(0x6e657473);
  const alphabet = 'tcpo2iblgnkfe0123456789 ,()[]-:*/\t\n\fx';
  const seeds = ['tcp0(eth0),o2ib(ib0)[0,1]', 'tcp(eth0[0],eth1[1])', 'tcp[0-1]', 'o2ib1(ib0[1-3/2], ib1)', 'lo,tcp'];
  let parsed = 0;
  for (let i = 0; i < 4000; i++) {
    const input = i % 2 === 0 ? rng.string(alphabet, 40) : rng.mutate(rng.pick(seeds), alphabet);
    const cptCount = 1 + rng.int(4);
    const r = total(() => parseNetworks(input, { cptCount }));
    if (!checkTotal(t, r, input)) break;
    if (r.ok) {
      parsed++;
      const specs = r.value as NetSpec[];
      const again = total(() => parseNetworks(formatNetworks(specs), { cptCount }));
      if (!again.ok) {
        t.fail(`formatted form of ${JSON.stringify(input)} does not parse: ${String(again.error)}`);
        break;
      }
      t.same(again.value, specs, `round trip of ${JSON.stringify(input)}`);
    }
  }
  t.ok(parsed > 100, `a fair share parsed (${parsed})`);
});
