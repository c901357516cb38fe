// Starting an instance from module parameters, as `lctl network up` does with
// options lnet networks=/ip2nets= (lnet/lnet/api-ni.c lnet_parse_networks path, config.c).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LNet, MemoryFabric, formatNid } from '../../src/index.js';

const ifaces = [
  { name: 'lo', addresses: ['127.0.0.1'], loopback: true },
  { name: 'eth9', addresses: ['10.5.0.1', 'fe80::1'] },
  { name: 'eth10', addresses: ['10.6.0.1'] },
];

t.test('networks= from modprobe text names the interface; its IPv4 address makes the NID', async (t) => {
  const fabric = new MemoryFabric();
  const a = await LNet.startFromModuleParams(
    { modprobe: 'options lnet networks="tcp0(eth9),tcp1(eth10)" lnet_transaction_timeout=40\n', interfaces: ifaces },
    { lnds: { tcp: fabric.lnd() } },
  );
  t.teardown(() => a.shutdown());
  t.same(a.nids().map(formatNid), ['0@lo', '10.5.0.1@tcp', '10.6.0.1@tcp1']);
  t.equal(a.core.params.transaction_timeout, 40);
});

t.test('insmod-style arguments, ip2nets, and the default first interface', async (t) => {
  const fabric = new MemoryFabric();
  const a = await LNet.startFromModuleParams({ args: { lnet: 'ip2nets="tcp1(eth10) 10.6.0.*; tcp2 192.168.*.*"' }, interfaces: ifaces }, { lnds: { tcp: fabric.lnd() } });
  t.teardown(() => a.shutdown());
  t.same(a.nids().map(formatNid), ['0@lo', '10.6.0.1@tcp1'], 'only the matching ip2nets entry contributes');
  const b = await LNet.startFromModuleParams({ interfaces: ifaces }, { lnds: { tcp: new MemoryFabric().lnd() } });
  t.teardown(() => b.shutdown());
  t.same(b.nids().map(formatNid), ['0@lo', '10.5.0.1@tcp'], 'no networks= means "tcp" on the first non-loopback interface');
});

t.test('a modprobe file; errors name what to fix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ulnet-mp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'lustre.conf');
  writeFileSync(file, '# LNet\noptions lnet networks="tcp(eth10)"\n');
  const fabric = new MemoryFabric();
  const a = await LNet.startFromModuleParams({ file, interfaces: ifaces }, { lnds: { tcp: fabric.lnd() } });
  t.teardown(() => a.shutdown());
  t.same(a.nids().map(formatNid), ['0@lo', '10.6.0.1@tcp']);
  await t.rejects(LNet.startFromModuleParams({ modprobe: 'options lnet networks="tcp(eth77)"', interfaces: ifaces }, { lnds: { tcp: fabric.lnd() } }), {
    code: 'ENODEV',
    message: /eth77/,
  });
  await t.rejects(
    LNet.startFromModuleParams({ modprobe: 'options lnet networks="tcp(eth9)" ip2nets="tcp 10.*.*.*"', interfaces: ifaces }, { lnds: { tcp: fabric.lnd() } }),
    { code: 'EINVAL' },
  );
  await t.rejects(LNet.startFromModuleParams({ modprobe: 'options lnet networks="tcp(eth9)"', interfaces: ifaces }, {}), { code: 'ENODEV' });
});
