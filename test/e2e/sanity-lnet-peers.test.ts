/**
 * lustre/tests/sanity-lnet.sh, the peer tests that need no kernel: tests 1–13, 19–26, 28 and
 * 99a (peer part), run against lnetd with lnetctl, each checked against the test's expected
 * document as the script checks it (export --backup compared semantically).
 */
import t from 'tap';
import { haveLnetdDist, startLnetd } from '../helpers/lnetd.js';
import { countPeerNids, Sanity } from '../helpers/sanity.js';

const skip = haveLnetdDist() ? false : 'dist/ is not built (npx tsc -p tsconfig.build.json)';

/** The expected `peer:` document of one MR peer (4-space style, as the script writes it). */
const peerDoc = (prim: string, nids: string[]): string =>
  `peer:\n    - primary nid: ${prim}\n      Multi-Rail: True\n      peer ni:\n${[prim, ...nids].map((n) => `        - nid: ${n}\n`).join('')}`;

t.test('sanity-lnet peer tests', { skip, timeout: 240_000 }, async (t) => {
  const d = await startLnetd(t);
  const s = new Sanity(t, d);

  /** compare_peer_add / compare_peer_del */
  const peerAdd = async (prim: string, nid: string | undefined, expected: string): Promise<void> => {
    await s.ok('peer', 'add', '--prim_nid', prim, ...(nid ? ['--nid', nid] : []));
    s.compare(await s.exportBackup(), expected, `peer add ${prim} ${nid ?? ''}`);
  };
  const peerDel = async (prim: string, nid: string | undefined, expected: string): Promise<void> => {
    await s.ok('peer', 'del', '--prim_nid', prim, ...(nid ? ['--nid', nid] : []));
    s.compare(await s.exportBackup(), expected, `peer del ${prim} ${nid ?? ''}`);
  };

  await t.test('test_1: Add peer with single nid (tcp)', async () => {
    await s.reinit();
    await peerAdd('1.1.1.1@tcp', undefined, s.withGlobal(peerDoc('1.1.1.1@tcp', [])));
  });

  await t.test('test_2: Add peer with single nid (o2ib)', async () => {
    await s.reinit();
    await peerAdd('2.2.2.2@o2ib', undefined, s.withGlobal(peerDoc('2.2.2.2@o2ib', [])));
  });

  await t.test('test_3: Add peer with tcp primary o2ib secondary', async () => {
    await s.reinit();
    await peerAdd('3.3.3.3@tcp', '3.3.3.3@o2ib', s.withGlobal(peerDoc('3.3.3.3@tcp', ['3.3.3.3@o2ib'])));
  });

  await t.test('test_4: Add peer with nidrange (tcp)', async () => {
    await s.reinit();
    const exp = s.withGlobal(peerDoc('4.4.4.4@tcp', ['4.4.4.1@tcp', '4.4.4.2@tcp', '4.4.4.3@tcp']));
    await peerAdd('4.4.4.4@tcp', '4.4.4.[1-3]@tcp', exp);
    // A range that overlaps the primary NID changes nothing more.
    await peerAdd('4.4.4.4@tcp', '4.4.4.[1-4]@tcp', exp);
  });

  await t.test('test_5: Add peer with nidrange (o2ib)', async () => {
    await s.reinit();
    const exp = s.withGlobal(peerDoc('5.5.5.5@o2ib', ['5.5.5.1@o2ib', '5.5.5.2@o2ib', '5.5.5.3@o2ib', '5.5.5.4@o2ib']));
    await peerAdd('5.5.5.5@o2ib', '5.5.5.[1-4]@o2ib', exp);
    await peerAdd('5.5.5.5@o2ib', '5.5.5.[1-4]@o2ib', exp);
    await peerAdd('5.5.5.5@o2ib', '5.5.5.[1,2,3-4]@o2ib', exp);
  });

  await t.test('test_6: Add peer with multiple nidranges', async () => {
    await s.reinit();
    const nids = [
      '6.6.6.0@tcp', '6.6.6.2@tcp', '6.6.6.4@tcp', '6.6.7.0@tcp', '6.6.7.2@tcp', '6.6.7.4@tcp',
      '6.6.1.0@o2ib', '6.6.1.3@o2ib', '6.6.1.6@o2ib', '6.6.3.0@o2ib', '6.6.3.3@o2ib', '6.6.3.6@o2ib',
      '6@gni', '10@gni', '6@kfi', '10@kfi', '6@bxi3f', '10@bxi3f',
    ];
    const expr = '6.6.[6-7].[0-4/2]@tcp,6.6.[1-4/2].[0-6/3]@o2ib,[6-12/4]@gni,[6-12/4]@kfi,[6-12/4]@bxi3f';
    await peerAdd('6.6.6.6@tcp', expr, s.withGlobal(peerDoc('6.6.6.6@tcp', nids)));
  });

  await t.test('test_7: Various peer delete tests', async () => {
    await s.reinit();
    const base = s.globalYaml;
    const cases: [string, string | undefined, string | undefined][] = [
      ['7.7.7.7@tcp', undefined, undefined],
      ['7.7.7.7@o2ib', undefined, undefined],
      ['7.7.7.7@tcp', '7.7.7.[8-12]@tcp', undefined],
      ['7.7.7.7@o2ib', '7.7.7.[8-12]@o2ib', undefined],
      ['7.7.7.7@tcp', '7.7.7.[9-12]@tcp,7.7.7.[13-15]@o2ib', undefined],
      ['7@gni', undefined, undefined],
      ['7@gni', '[8-12]@gni', undefined],
      ['7@kfi', undefined, undefined],
      ['7@kfi', '[8-12]@kfi', undefined],
      ['7@bxi3f', undefined, undefined],
      ['7@bxi3f', '[8-12]@bxi3f', undefined],
      ['7@gni', '[8-12]@gni,7.7.7.[1-4]@tcp,7.7.7.[5-9]@o2ib,[1-5]@kfi,[3-7]@bxi3f', undefined],
      // Deleting a list that contains the primary NID deletes the whole peer.
      ['1.1.1.1@tcp', '1.1.1.1@tcp,2.2.2.2@tcp,3.3.3.3@tcp,4.4.4.4@tcp', '1.1.1.1@tcp,2.2.2.2@tcp,3.3.3.3@tcp,4.4.4.4@tcp'],
    ];
    for (const [prim, add, del] of cases) {
      await s.ok('peer', 'add', '--prim_nid', prim, ...(add ? ['--nid', add] : []));
      await peerDel(prim, del, base);
    }
  });

  await t.test('test_8: Delete single secondary nid from peer (tcp)', async () => {
    await s.reinit();
    await s.ok('peer', 'add', '--prim_nid', '8.8.8.8@tcp', '--nid', '8.8.8.[10-15]@tcp');
    await peerDel('8.8.8.8@tcp', '8.8.8.13@tcp', s.withGlobal(peerDoc('8.8.8.8@tcp', ['8.8.8.10@tcp', '8.8.8.11@tcp', '8.8.8.12@tcp', '8.8.8.14@tcp', '8.8.8.15@tcp'])));
  });

  await t.test('test_9: Delete all secondary nids from peer (tcp)', async () => {
    await s.reinit();
    await s.ok('peer', 'add', '--prim_nid', '9.9.9.9@tcp', '--nid', '9.9.9.[11-16]@tcp');
    await peerDel('9.9.9.9@tcp', '9.9.9.[11-16]@tcp', s.withGlobal(peerDoc('9.9.9.9@tcp', [])));
  });

  await t.test('test_10: Delete single secondary nid from peer (o2ib)', async () => {
    await s.reinit();
    await s.ok('peer', 'add', '--prim_nid', '10.10.10.10@tcp', '--nid', '10.10.10.[12-16]@tcp');
    await peerDel('10.10.10.10@tcp', '10.10.10.14@tcp', s.withGlobal(peerDoc('10.10.10.10@tcp', ['10.10.10.12@tcp', '10.10.10.13@tcp', '10.10.10.15@tcp', '10.10.10.16@tcp'])));
  });

  await t.test('test_11: Delete all secondary nids from peer (o2ib)', async () => {
    await s.reinit();
    await s.ok('peer', 'add', '--prim_nid', '11.11.11.11@tcp', '--nid', '11.11.11.[13-17]@tcp');
    await peerDel('11.11.11.11@tcp', '11.11.11.[13-17]@tcp', s.withGlobal(peerDoc('11.11.11.11@tcp', [])));
  });

  await t.test('test_12: Delete a secondary nid from peer (tcp and o2ib)', async () => {
    await s.reinit();
    await s.ok('peer', 'add', '--prim_nid', '12.12.12.12@o2ib', '--nid', '[13-14/1].[13-15/2].13.13@o2ib,[15-16/3].[17-19/4].[1].[5-20/5]@tcp');
    await peerDel(
      '12.12.12.12@o2ib',
      '13.15.13.13@o2ib,15.17.1.15@tcp',
      s.withGlobal(peerDoc('12.12.12.12@o2ib', ['13.13.13.13@o2ib', '14.13.13.13@o2ib', '14.15.13.13@o2ib', '15.17.1.5@tcp', '15.17.1.10@tcp', '15.17.1.20@tcp'])),
    );
  });

  await t.test('test_13: Delete all secondary nids from peer (tcp and o2ib)', async () => {
    await s.reinit();
    const list = '[14-15].[1-2/1].[1].[100-254/10]@tcp,14.14.[254].14@o2ib';
    await s.ok('peer', 'add', '--prim_nid', '13.13.13.13@o2ib', '--nid', list);
    await peerDel('13.13.13.13@o2ib', list, s.withGlobal(peerDoc('13.13.13.13@o2ib', [])));
  });

  await t.test('test_19: Add peer with single nid (gni)', async () => {
    await s.reinit();
    await peerAdd('19@gni', undefined, s.withGlobal(peerDoc('19@gni', [])));
  });

  await t.test('test_20: Add peer with gni primary and tcp, o2ib secondary', async () => {
    await s.reinit();
    await peerAdd('20@gni', '20.20.20.20@tcp,20.20.20.20@o2ib', s.withGlobal(peerDoc('20@gni', ['20.20.20.20@tcp', '20.20.20.20@o2ib'])));
  });

  await t.test('test_21: Add peer with nidrange (gni)', async () => {
    await s.reinit();
    const exp = s.withGlobal(peerDoc('21@gni', ['22@gni', '23@gni', '24@gni', '25@gni']));
    await peerAdd('21@gni', '[22-25]@gni', exp);
    await peerAdd('21@gni', '[21-25]@gni', exp);
  });

  await t.test('test_22: Delete single secondary nid from peer (gni)', async () => {
    await s.reinit();
    await s.ok('peer', 'add', '--prim_nid', '22@gni', '--nid', '[24-29]@gni');
    await peerDel('22@gni', '26@gni', s.withGlobal(peerDoc('22@gni', ['24@gni', '25@gni', '27@gni', '28@gni', '29@gni'])));
  });

  await t.test('test_23: Delete all secondary nids from peer (gni)', async () => {
    await s.reinit();
    await s.ok('peer', 'add', '--prim_nid', '23@gni', '--nid', '[25-29]@gni');
    await peerDel('23@gni', '[25-29]@gni', s.withGlobal(peerDoc('23@gni', [])));
  });

  await t.test('test_24: Delete a secondary nid from peer (tcp, o2ib and gni)', async () => {
    await s.reinit();
    await s.ok('peer', 'add', '--prim_nid', '24@gni', '--nid', '[13-14/1].[13-15/2].13.13@o2ib,[15-16/3].[17-19/4].[1].[5-20/5]@tcp,[5-12/6]@gni');
    await peerDel(
      '24@gni',
      '5@gni,13.15.13.13@o2ib,15.17.1.15@tcp',
      s.withGlobal(peerDoc('24@gni', ['11@gni', '13.13.13.13@o2ib', '14.13.13.13@o2ib', '14.15.13.13@o2ib', '15.17.1.5@tcp', '15.17.1.10@tcp', '15.17.1.20@tcp'])),
    );
  });

  await t.test('test_25: Delete all secondary nids from peer (tcp, gni and o2ib)', async () => {
    await s.reinit();
    const list = '[26-27].[4-10/3].26.26@tcp,26.26.26.26@o2ib,[30-35]@gni';
    await s.ok('peer', 'add', '--prim_nid', '25@gni', '--nid', list);
    await peerDel('25@gni', list, s.withGlobal(peerDoc('25@gni', [])));
  });

  await t.test('test_26: Delete peer with primary nid locked', async () => {
    await s.reinit();
    await s.ok('peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--lock_prim');
    const show = await s.ok('peer', 'show', '-v', '4', '--nid', '1.1.1.1@tcp');
    const state = Number(/peer state: (\d+)/.exec(show.stdout)?.[1]);
    t.ok(state & (1 << 20), `peer state ${state} has LNET_PEER_LOCK_PRIMARY`);
    await s.ok('peer', 'del', '--prim_nid', '1.1.1.1@tcp');
    t.match((await s.ctl('peer', 'show', '--nid', '1.1.1.1@tcp')).stdout, /1\.1\.1\.1@tcp/, 'still listed');
    await s.ok('peer', 'del', '--prim_nid', '1.1.1.1@tcp', '--force');
    await s.fails('peer', 'show', '--nid', '1.1.1.1@tcp');
  });

  await t.test('test_28: Test peer_list', async () => {
    await s.reinit();
    // --ni is an abbreviation of --nid.
    await s.ok('peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--ni', '7.7.7.7@tcp');
    await s.ok('peer', 'add', '--prim_nid', '1.1.1.2@tcp', '--nid', '7.7.7.8@tcp');
    const list = await s.ok('peer', 'list');
    t.equal(countPeerNids(list.stdout).nids, 2, list.stdout);
    t.equal(list.stdout, 'peer list:\n-     nid: 1.1.1.1@tcp\n-     nid: 1.1.1.2@tcp\n');
  });

  await t.test('test_99a: Check various invalid inputs to lnetctl peer', async () => {
    await s.reinit();
    await s.fails('peer', 'add', '--prim_nid', 'foobar');
    await s.fails('peer', 'del', '--prim_nid', 'foobar');
    await s.fails('peer', 'del', '--prim_nid', '1.1.1.1@o2ib');
    await s.fails('peer', 'del', '--nid', '1.1.1.1@tcp');
    await s.fails('peer', 'add', '--nid', '1.1.1.1@tcp');
    await s.fails('peer', 'add');
    await s.fails('peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--nid', 'foobar');
    await s.fails('peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--nid', '1.1.1.[2-255]@tcp');
    await s.fails('peer', 'add', '--prim_nid', '1@foo');
    for (const nid of ['1@tcp', '1@o2ib', '1.1.1.1@gni']) await s.fails('peer', 'add', '--prim_nid', nid);
    for (const str of ['[2-1]@gni', '[a-f/x]@gni', '256.256.256.256@tcp', '1.1.1.1.[2-5/f]@tcp', '1.]2[.3.4@o2ib1.[2-4,[5-6],7-8].1.1@tcp', 'foobar'])
      await s.fails('peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--nid', str);
    s.compare(await s.exportBackup(), s.globalYaml, 'nothing was added by the failures');
  });
});
