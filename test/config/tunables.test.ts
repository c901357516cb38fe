// Module parameters: names, defaults and setters. Defaults are checked against the sysfs
// values recorded on a kernel node (02-ping-discover-A-module-params.txt,
// 04-o2ib-rxe-A-o2ib-params.txt). Setter behaviour follows kernel/params.c (param_set_int,
// param_set_uint, param_set_charp, parse_one), lnet/lnet/api-ni.c (sensitivity_set,
// recovery_interval_set, max_recovery_ping_interval_set, intf_max_set, discovery_set,
// drop_asym_route_set, transaction_to_set, retry_count_set, response_tracking_set),
// lnet/lnet/router.c (rtr_sensitivity_set, lnet_rtrpools_alloc for forwarding=),
// lnet/lnet/acceptor.c (accept2secure), socklnd_modparams.c and o2iblnd_modparams.c
// (param_set_tos, kiblnd_tunables_setup for ib_mtu).
import t from 'tap';
import {
  applyTunable,
  applyTunables,
  DEFAULT_PARAMS,
  findTunable,
  lnetLndTimeout,
  MODULE_NAMES,
  parseTunable,
  sysfsLines,
  TUNABLES,
  type ModuleName,
} from '../../src/config/index.js';
import { checkTotal, expectLNetError, expectParseError, Prng, readInterop, total } from './helpers.js';

// Source: the module_param lines; values from 02-ping-discover-A-module-params.txt and 04-o2ib-rxe-A-o2ib-params.txt.
t.test('defaults equal the recorded sysfs values', async (t) => {
  const recorded = readInterop('02-ping-discover-A-module-params.txt').split('\n');
  for (const m of ['lnet', 'ksocklnd'] as const) {
    const want = recorded.filter((l) => l.startsWith(`${m}.`));
    t.same(sysfsLines(m, DEFAULT_PARAMS[m]), want, `${m}: ${want.length} parameters`);
  }
  const o2ib = readInterop('04-o2ib-rxe-A-o2ib-params.txt')
    .split('\n')
    .filter((l) => l.startsWith('ko2iblnd.'));
  t.same(sysfsLines('ko2iblnd', DEFAULT_PARAMS.ko2iblnd), o2ib, `ko2iblnd: ${o2ib.length} parameters`);
  t.equal(lnetLndTimeout(DEFAULT_PARAMS.lnet), 49, '(150 - 1) / (2 + 1)');
});

// Source: MODULE_PARM_DESC lines; kernel/params.c parameq.
t.test('every parameter is described', async (t) => {
  for (const m of MODULE_NAMES) {
    for (const s of TUNABLES[m]) {
      t.ok(s.description.length > 0 && s.module === m, `${m}.${s.name} has a description`);
      t.equal(typeof s.default, s.type === 'charp' ? 'string' : 'number', `${m}.${s.name} default type`);
    }
  }
  t.equal(findTunable('lnet', 'lnet-retry-count')?.name, 'lnet_retry_count', "'-' and '_' are the same (parameq)");
  t.equal(findTunable('ksocklnd', 'protocol'), undefined, 'debug-only socklnd parameter is absent');
});

// Source: kernel/params.c param_set_int, param_set_uint, param_set_charp, parse_one.
t.test('generic setters (param_set_int / uint / charp)', async (t) => {
  const cases: [ModuleName, string, string, number | string | string][] = [
    ['lnet', 'accept_port', '1988', 1988],
    ['lnet', 'accept_port', '0x7c4', 1988],
    ['lnet', 'accept_port', '03704', 1988],
    ['lnet', 'accept_port', '-1', -1],
    ['lnet', 'accept_port', '+7', 7],
    ['lnet', 'accept_port', '7\n', 7],
    ['lnet', 'accept_port', '', 'EINVAL'],
    ['lnet', 'accept_port', ' 7', 'EINVAL'],
    ['lnet', 'accept_port', '7s', 'EINVAL'],
    ['lnet', 'accept_port', '2147483648', 'ERANGE'],
    ['lnet', 'lnet_numa_range', '4294967295', 4294967295],
    ['lnet', 'lnet_numa_range', '-1', 'EINVAL'],
    ['lnet', 'lnet_numa_range', '4294967296', 'ERANGE'],
    ['ksocklnd', 'conns_per_peer', '4', 4],
    ['ksocklnd', 'credits', '0x100', 256],
    ['ko2iblnd', 'wrq_sge', '-2', 'EINVAL'],
    ['ko2iblnd', 'ipif_name', 'ib1', 'ib1'],
    ['lnet', 'networks', 'tcp0(eth0)', 'tcp0(eth0)'],
    ['lnet', 'networks', '', ''],
    ['lnet', 'networks', 'x'.repeat(1024), 'x'.repeat(1024)],
    ['lnet', 'networks', 'x'.repeat(1025), 'ENOSPC'],
  ];
  for (const [m, name, text, want] of cases) {
    const label = `${m}.${name}=${JSON.stringify(text.length > 20 ? `${text.slice(0, 8)}…(${text.length})` : text)}`;
    if (typeof want === 'string' && /^E[A-Z]+$/.test(want)) expectParseError(t, () => parseTunable(m, name, text), want, undefined, label);
    else t.equal(parseTunable(m, name, text), want, label);
  }
  expectParseError(t, () => parseTunable('lnet', 'networks', undefined), 'EINVAL', undefined, 'no value');
  expectParseError(t, () => parseTunable('lnet', 'no_such', '1'), 'ENOENT', undefined, 'unknown parameter');
});

// Source: lnet/lnet/acceptor.c accept2secure; lnet/lnet/router.c lnet_rtrpools_alloc; o2iblnd_modparams.c kiblnd_tunables_setup.
t.test('LNet enumerations checked at startup in the kernel (accept, forwarding, ib_mtu)', async (t) => {
  for (const v of ['secure', 'all', 'none']) t.equal(parseTunable('lnet', 'accept', v), v);
  for (const v of ['Secure', 'yes', '', 'secure ']) expectParseError(t, () => parseTunable('lnet', 'accept', v), 'EINVAL', undefined, `accept=${v}`);
  for (const v of ['', 'enabled', 'disabled']) t.equal(parseTunable('lnet', 'forwarding', v), v);
  expectParseError(t, () => parseTunable('lnet', 'forwarding', 'on'), 'EINVAL', undefined, 'forwarding=on');
  t.equal(findTunable('lnet', 'accept')?.checkedAt, 'startup');
  for (const v of ['0', '256', '4096']) t.equal(parseTunable('ko2iblnd', 'ib_mtu', v), Number(v));
  for (const v of ['1000', '8192', '-1']) expectParseError(t, () => parseTunable('ko2iblnd', 'ib_mtu', v), 'EINVAL', undefined, `ib_mtu=${v}`);
});

// Source: socklnd_modparams.c and o2iblnd_modparams.c param_set_tos.
t.test('tos (param_set_tos): -1..255, ERANGE outside', async (t) => {
  for (const m of ['ksocklnd', 'ko2iblnd'] as const) {
    t.equal(parseTunable(m, 'tos', '-1'), -1);
    t.equal(parseTunable(m, 'tos', '0xb8'), 184);
    expectParseError(t, () => parseTunable(m, 'tos', '256'), 'ERANGE', undefined, `${m} tos=256`);
    expectParseError(t, () => parseTunable(m, 'tos', '-2'), 'ERANGE', undefined, `${m} tos=-2`);
    expectParseError(t, () => parseTunable(m, 'tos', 'x'), 'EINVAL', undefined, `${m} tos=x`);
  }
});

// Source: lnet/lnet/api-ni.c sensitivity_set .. response_tracking_set; lnet/lnet/router.c rtr_sensitivity_set.
t.test('LNet custom setters', async (t) => {
  const ok: [string, string, number][] = [
    ['lnet_health_sensitivity', '1000', 1000],
    ['lnet_health_sensitivity', '0', 0],
    ['lnet_max_recovery_ping_interval', '1', 1],
    ['lnet_interfaces_max', '16', 16],
    ['lnet_interfaces_max', '15', 200], // below LNET_INTERFACES_MIN: the default
    ['lnet_interfaces_max', '-5', 200],
    ['lnet_peer_discovery_disabled', '5', 1],
    ['lnet_peer_discovery_disabled', '0', 0],
    ['lnet_drop_asym_route', '4294967297', 1], // unsigned long stored in an unsigned int
    ['lnet_response_tracking', '0', 0],
    ['lnet_response_tracking', '3', 3],
    ['router_sensitivity_percentage', '0', 0],
    ['router_sensitivity_percentage', '100', 100],
    ['lnet_transaction_timeout', '3', 3],
    ['lnet_retry_count', '150', 150], // "smaller than" in the message, but equal is accepted
    ['lnet_retry_count', '0', 0],
  ];
  for (const [name, text, want] of ok) t.equal(parseTunable('lnet', name, text), want, `${name}=${text}`);
  const bad: [string, string, string][] = [
    ['lnet_health_sensitivity', '1001', 'EINVAL'],
    ['lnet_health_sensitivity', '-1', 'EINVAL'],
    ['lnet_health_sensitivity', '18446744073709551616', 'ERANGE'],
    ['lnet_max_recovery_ping_interval', '0', 'EINVAL'],
    ['lnet_interfaces_max', '2147483648', 'ERANGE'],
    ['lnet_response_tracking', '4', 'EINVAL'],
    ['lnet_response_tracking', 'x', 'EINVAL'],
    ['lnet_response_tracking', '18446744073709551616', 'EINVAL'], // this setter maps every failure to EINVAL
    ['router_sensitivity_percentage', '101', 'EINVAL'],
    ['lnet_transaction_timeout', '2', 'EINVAL'], // not above lnet_retry_count (2)
    ['lnet_transaction_timeout', '0', 'EINVAL'],
    ['lnet_retry_count', '151', 'EINVAL'], // above lnet_transaction_timeout (150)
    ['lnet_peer_discovery_disabled', 'yes', 'EINVAL'],
  ];
  for (const [name, text, code] of bad) expectParseError(t, () => parseTunable('lnet', name, text), code, undefined, `${name}=${text}`);
  // lnet_recovery_interval is deprecated: any value is accepted and ignored, with a warning.
  const warnings: string[] = [];
  const p = applyTunable('lnet', DEFAULT_PARAMS.lnet, 'lnet_recovery_interval', 'anything', (w) => warnings.push(w));
  t.equal(p.lnet_recovery_interval, 1);
  t.match(warnings, [/deprecated/]);
  const w2: string[] = [];
  applyTunable('lnet', DEFAULT_PARAMS.lnet, 'lnet_interfaces_max', '3', (w) => w2.push(w));
  t.match(w2, [/too small, setting to 200/]);
});

// Source: lnet/lnet/api-ni.c transaction_to_set, retry_count_set, sensitivity_set.
t.test('order matters, as at insmod (cross-parameter setters)', async (t) => {
  // Lowering the timeout below the retry count needs the retry count lowered first.
  expectParseError(
    t,
    () => applyTunables('lnet', [['lnet_transaction_timeout', '2'], ['lnet_retry_count', '1']]),
    'EINVAL',
    undefined,
    'timeout first',
  );
  const p = applyTunables('lnet', [['lnet_retry_count', '1'], ['lnet_transaction_timeout', '2']]);
  t.equal(p.lnet_transaction_timeout, 2);
  t.equal(lnetLndTimeout(p), 1);
  // Health off zeroes the retry count, and then the retry count cannot be raised.
  const off = applyTunables('lnet', [['lnet_health_sensitivity', '0']]);
  t.equal(off.lnet_retry_count, 0);
  expectParseError(t, () => applyTunable('lnet', off, 'lnet_retry_count', '1'), 'EINVAL', undefined, 'retry with health off');
  t.equal(applyTunable('lnet', off, 'lnet_retry_count', '0').lnet_retry_count, 0);
  // Only a change from non-zero to zero resets it.
  const again = applyTunables('lnet', [['lnet_retry_count', '0'], ['lnet_health_sensitivity', '0'], ['lnet_health_sensitivity', '50']]);
  t.equal(again.lnet_retry_count, 0);
  t.equal(again.lnet_health_sensitivity, 50);
  // The input object is never modified.
  t.equal(DEFAULT_PARAMS.lnet.lnet_retry_count, 2);
  expectLNetError(t, () => parseTunable('lnet', 'lnet_retry_count', '1', off), 'EINVAL', 'context given explicitly');
});

// Source: all setters above.
t.test('fuzz: every parameter with random values', async (t) => {
  const rng = new Prng(0x74756e65);
  const values = ['0', '1', '-1', '255', '256', '0x10', '010', '4294967296', '18446744073709551616', 'secure', 'all', 'x', '', ' 1', '1\n'];
  let n = 0;
  for (const m of MODULE_NAMES) {
    for (const s of TUNABLES[m]) {
      for (let i = 0; i < 40; i++) {
        const text = rng.chance(0.5) ? rng.pick(values) : rng.string('0123456789xX+-abcdefgh \n', 12);
        const r = total(() => parseTunable(m, s.name, rng.chance(0.05) ? undefined : text));
        if (!checkTotal(t, r, `${m}.${s.name}=${text}`)) return;
        n++;
      }
    }
  }
  t.ok(n > 3000, `${n} values tried`);
});
