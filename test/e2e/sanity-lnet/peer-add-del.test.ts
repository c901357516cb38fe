/**
 * sanity-lnet.sh (Lustre 2.17.0) tests 1–13, 19–26, 28 and 99a against lnetd: peer add/del/show
 * with tcp, o2ib, gni, kfi and bxi3f NIDs and NID ranges, locked primaries, `peer list`, bad
 * input. The import tests (0, 14–18b, 27, 99b) are in peer-import.test.ts. One tap subtest per
 * sanity test, named after it; see README.md for the full port table.
 *
 * Each test gets a fresh lnetd (sanity's `load_lnet`) and starts with `reinit_dlc`
 * (`lnetctl lnet unconfigure; lnetctl lnet configure`: only 0@lo), so peers on tcp, o2ib and
 * gni nets are peers on nets without a local NI, exactly as on the sanity node. The expected
 * documents are sanity's own heredocs plus the node's `export --backup` (define_global_yaml),
 * compared as `verify_compare_yaml` does (see sanity.ts), and the export is also compared byte
 * for byte with the kernel's layout.
 */
import t from 'tap';
import { showResult } from './sanity.js';
import { comparePeerAdd, comparePeerDel, mr, peerSuite } from './peers.js';

const { sanityTest, delTest } = peerSuite(t, 'peer');

sanityTest('1', 'Add peer with single nid (tcp)', async (t, n) => {
  const expected = `peer:
    - primary nid: 1.1.1.1@tcp
      Multi-Rail: True
      peer ni:
        - nid: 1.1.1.1@tcp
${n.globalYaml}`;
  await comparePeerAdd(t, n, expected, [mr('1.1.1.1@tcp')], '1.1.1.1@tcp');
});

sanityTest('2', 'Add peer with single nid (o2ib)', async (t, n) => {
  const expected = `peer:
    - primary nid: 2.2.2.2@o2ib
      Multi-Rail: True
      peer ni:
        - nid: 2.2.2.2@o2ib
${n.globalYaml}`;
  await comparePeerAdd(t, n, expected, [mr('2.2.2.2@o2ib')], '2.2.2.2@o2ib');
});

sanityTest('3', 'Add peer with tcp primary o2ib secondary', async (t, n) => {
  const expected = `peer:
    - primary nid: 3.3.3.3@tcp
      Multi-Rail: True
      peer ni:
        - nid: 3.3.3.3@tcp
        - nid: 3.3.3.3@o2ib
${n.globalYaml}`;
  await comparePeerAdd(t, n, expected, [mr('3.3.3.3@tcp', '3.3.3.3@o2ib')], '3.3.3.3@tcp', '3.3.3.3@o2ib');
});

sanityTest('4', 'Add peer with nidrange (tcp)', async (t, n) => {
  const expected = `peer:
    - primary nid: 4.4.4.4@tcp
      Multi-Rail: True
      peer ni:
        - nid: 4.4.4.4@tcp
        - nid: 4.4.4.1@tcp
        - nid: 4.4.4.2@tcp
        - nid: 4.4.4.3@tcp
${n.globalYaml}`;
  const peers = [mr('4.4.4.4@tcp', '4.4.4.1@tcp', '4.4.4.2@tcp', '4.4.4.3@tcp')];
  t.comment('Add peer with nidrange (tcp)');
  await comparePeerAdd(t, n, expected, peers, '4.4.4.4@tcp', '4.4.4.[1-3]@tcp');
  t.comment('Add peer with nidrange that overlaps primary nid (tcp)');
  await comparePeerAdd(t, n, expected, peers, '4.4.4.4@tcp', '4.4.4.[1-4]@tcp');
});

sanityTest('5', 'Add peer with nidrange (o2ib)', async (t, n) => {
  const expected = `peer:
    - primary nid: 5.5.5.5@o2ib
      Multi-Rail: True
      peer ni:
        - nid: 5.5.5.5@o2ib
        - nid: 5.5.5.1@o2ib
        - nid: 5.5.5.2@o2ib
        - nid: 5.5.5.3@o2ib
        - nid: 5.5.5.4@o2ib
${n.globalYaml}`;
  const peers = [mr('5.5.5.5@o2ib', '5.5.5.1@o2ib', '5.5.5.2@o2ib', '5.5.5.3@o2ib', '5.5.5.4@o2ib')];
  t.comment('Add peer with nidrange (o2ib)');
  await comparePeerAdd(t, n, expected, peers, '5.5.5.5@o2ib', '5.5.5.[1-4]@o2ib');
  t.comment('Add peer with nidranage that overlaps primary nid (o2ib)');
  await comparePeerAdd(t, n, expected, peers, '5.5.5.5@o2ib', '5.5.5.[1-4]@o2ib');
  t.comment('Add peer with nidranage that contain , plus primary nid (o2ib)');
  await comparePeerAdd(t, n, expected, peers, '5.5.5.5@o2ib', '5.5.5.[1,2,3-4]@o2ib');
});

sanityTest('6', 'Add peer with multiple nidranges', async (t, n) => {
  const others = [
    '6.6.6.0@tcp', '6.6.6.2@tcp', '6.6.6.4@tcp', '6.6.7.0@tcp', '6.6.7.2@tcp', '6.6.7.4@tcp',
    '6.6.1.0@o2ib', '6.6.1.3@o2ib', '6.6.1.6@o2ib', '6.6.3.0@o2ib', '6.6.3.3@o2ib', '6.6.3.6@o2ib',
    '6@gni', '10@gni', '6@kfi', '10@kfi', '6@bxi3f', '10@bxi3f',
  ];
  const expected = `peer:
    - primary nid: 6.6.6.6@tcp
      Multi-Rail: True
      peer ni:
        - nid: 6.6.6.6@tcp
${others.map((o) => `        - nid: ${o}\n`).join('')}${n.globalYaml}`;
  const nidExpr = '6.6.[6-7].[0-4/2]@tcp,6.6.[1-4/2].[0-6/3]@o2ib,[6-12/4]@gni,[6-12/4]@kfi,[6-12/4]@bxi3f';
  await comparePeerAdd(t, n, expected, [mr('6.6.6.6@tcp', ...others)], '6.6.6.6@tcp', nidExpr);
});

sanityTest('7', 'Various peer delete tests', async (t, n) => {
  const expected = n.globalYaml; // create_base_yaml_file
  const addDel = async (what: string, add: string[], delPrim: string, delNid?: string): Promise<void> => {
    t.comment(what);
    await n.ok(t, ['peer', 'add', ...add], 'Peer add');
    await comparePeerDel(t, n, expected, [], delPrim, delNid);
  };
  await addDel('Delete peer with single nid (tcp)', ['--prim_nid', '7.7.7.7@tcp'], '7.7.7.7@tcp');
  await addDel('Delete peer with single nid (o2ib)', ['--prim_nid', '7.7.7.7@o2ib'], '7.7.7.7@o2ib');
  await addDel('Delete peer that has multiple nids (tcp)', ['--prim_nid', '7.7.7.7@tcp', '--nid', '7.7.7.[8-12]@tcp'], '7.7.7.7@tcp');
  await addDel('Delete peer that has multiple nids (o2ib)', ['--prim_nid', '7.7.7.7@o2ib', '--nid', '7.7.7.[8-12]@o2ib'], '7.7.7.7@o2ib');
  await addDel('Delete peer that has both tcp and o2ib nids', ['--prim_nid', '7.7.7.7@tcp', '--nid', '7.7.7.[9-12]@tcp,7.7.7.[13-15]@o2ib'], '7.7.7.7@tcp');
  await addDel('Delete peer with single nid (gni)', ['--prim_nid', '7@gni'], '7@gni');
  await addDel('Delete peer that has multiple nids (gni)', ['--prim_nid', '7@gni', '--nid', '[8-12]@gni'], '7@gni');
  await addDel('Delete peer with single nid (kfi)', ['--prim_nid', '7@kfi'], '7@kfi');
  await addDel('Delete peer that has multiple nids (kfi)', ['--prim_nid', '7@kfi', '--nid', '[8-12]@kfi'], '7@kfi');
  await addDel('Delete peer with single nid (bxi3f)', ['--prim_nid', '7@bxi3f'], '7@bxi3f');
  await addDel('Delete peer that has multiple nids (bxi3f)', ['--prim_nid', '7@bxi3f', '--nid', '[8-12]@bxi3f'], '7@bxi3f');
  await addDel(
    'Delete peer that has tcp, o2ib, gni, kfi and bxi3f nids',
    ['--prim_nid', '7@gni', '--nid', '[8-12]@gni,7.7.7.[1-4]@tcp,7.7.7.[5-9]@o2ib,[1-5]@kfi,[3-7]@bxi3f'],
    '7@gni',
  );
  // `--prim` is getopt_long's unambiguous abbreviation of --prim_nid, as the shell test writes it.
  await addDel(
    'Delete peer that contains nid equal to primary nid',
    ['--prim', '1.1.1.1@tcp', '--nid', '1.1.1.1@tcp,2.2.2.2@tcp,3.3.3.3@tcp,4.4.4.4@tcp'],
    '1.1.1.1@tcp',
    '1.1.1.1@tcp,2.2.2.2@tcp,3.3.3.3@tcp,4.4.4.4@tcp',
  );
});

delTest('8', 'Delete single secondary nid from peer (tcp)', '8.8.8.8@tcp', '8.8.8.[10-15]@tcp', '8.8.8.13@tcp', [
  '8.8.8.10@tcp', '8.8.8.11@tcp', '8.8.8.12@tcp', '8.8.8.14@tcp', '8.8.8.15@tcp',
]);
delTest('9', 'Delete all secondary nids from peer (tcp)', '9.9.9.9@tcp', '9.9.9.[11-16]@tcp', '9.9.9.[11-16]@tcp', []);
delTest('10', 'Delete single secondary nid from peer (o2ib)', '10.10.10.10@tcp', '10.10.10.[12-16]@tcp', '10.10.10.14@tcp', [
  '10.10.10.12@tcp', '10.10.10.13@tcp', '10.10.10.15@tcp', '10.10.10.16@tcp',
]);
delTest('11', 'Delete all secondary nids from peer (o2ib)', '11.11.11.11@tcp', '11.11.11.[13-17]@tcp', '11.11.11.[13-17]@tcp', []);
delTest(
  '12',
  'Delete a secondary nid from peer (tcp and o2ib)',
  '12.12.12.12@o2ib',
  '[13-14/1].[13-15/2].13.13@o2ib,[15-16/3].[17-19/4].[1].[5-20/5]@tcp',
  '13.15.13.13@o2ib,15.17.1.15@tcp',
  ['13.13.13.13@o2ib', '14.13.13.13@o2ib', '14.15.13.13@o2ib', '15.17.1.5@tcp', '15.17.1.10@tcp', '15.17.1.20@tcp'],
);
delTest(
  '13',
  'Delete all secondary nids from peer (tcp and o2ib)',
  '13.13.13.13@o2ib',
  '[14-15].[1-2/1].[1].[100-254/10]@tcp,14.14.[254].14@o2ib',
  '[14-15].[1-2/1].[1].[100-254/10]@tcp,14.14.[254].14@o2ib',
  [],
);

sanityTest('19', 'Add peer with single nid (gni)', async (t, n) => {
  const expected = `peer:
    - primary nid: 19@gni
      Multi-Rail: True
      peer ni:
        - nid: 19@gni
${n.globalYaml}`;
  await comparePeerAdd(t, n, expected, [mr('19@gni')], '19@gni');
});

sanityTest('20', 'Add peer with gni primary and tcp, o2ib secondary', async (t, n) => {
  const expected = `peer:
    - primary nid: 20@gni
      Multi-Rail: True
      peer ni:
        - nid: 20@gni
        - nid: 20.20.20.20@tcp
        - nid: 20.20.20.20@o2ib
${n.globalYaml}`;
  await comparePeerAdd(t, n, expected, [mr('20@gni', '20.20.20.20@tcp', '20.20.20.20@o2ib')], '20@gni', '20.20.20.20@tcp,20.20.20.20@o2ib');
});

sanityTest('21', 'Add peer with nidrange (gni)', async (t, n) => {
  const expected = `peer:
    - primary nid: 21@gni
      Multi-Rail: True
      peer ni:
        - nid: 21@gni
        - nid: 22@gni
        - nid: 23@gni
        - nid: 24@gni
        - nid: 25@gni
${n.globalYaml}`;
  const peers = [mr('21@gni', '22@gni', '23@gni', '24@gni', '25@gni')];
  t.comment('Add peer with nidrange (gni)');
  await comparePeerAdd(t, n, expected, peers, '21@gni', '[22-25]@gni');
  t.comment('Add peer with nidrange that overlaps primary nid (gni)');
  await comparePeerAdd(t, n, expected, peers, '21@gni', '[21-25]@gni');
});

delTest('22', 'Delete single secondary nid from peer (gni)', '22@gni', '[24-29]@gni', '26@gni', ['24@gni', '25@gni', '27@gni', '28@gni', '29@gni']);
delTest('23', 'Delete all secondary nids from peer (gni)', '23@gni', '[25-29]@gni', '[25-29]@gni', []);
delTest(
  '24',
  'Delete a secondary nid from peer (tcp, o2ib and gni)',
  '24@gni',
  '[13-14/1].[13-15/2].13.13@o2ib,[15-16/3].[17-19/4].[1].[5-20/5]@tcp,[5-12/6]@gni',
  '5@gni,13.15.13.13@o2ib,15.17.1.15@tcp',
  ['11@gni', '13.13.13.13@o2ib', '14.13.13.13@o2ib', '14.15.13.13@o2ib', '15.17.1.5@tcp', '15.17.1.10@tcp', '15.17.1.20@tcp'],
);
delTest(
  '25',
  'Delete all secondary nids from peer (tcp, gni and o2ib)',
  '25@gni',
  '[26-27].[4-10/3].26.26@tcp,26.26.26.26@o2ib,[30-35]@gni',
  '[26-27].[4-10/3].26.26@tcp,26.26.26.26@o2ib,[30-35]@gni',
  [],
);

sanityTest('26', 'Delete peer with primary nid locked', async (t, n) => {
  await n.ok(t, ['peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--lock_prim'], 'Peer add with --lock_prim option');
  const sh = await n.lnetctl(['peer', 'show', '-v', '4', '--nid', '1.1.1.1@tcp']);
  const state = sh.stdout
    .split('\n')
    .filter((l) => /peer state/.test(l))
    .map((l) => Number(l.trim().split(/\s+/).at(-1)));
  // #define LNET_PEER_LOCK_PRIMARY BIT(20)
  t.ok(state.length === 1 && Number.isInteger(state[0]) && ((state[0] as number) & (1 << 20)) !== 0, "Peer state has the 'locked' bit set", {
    diag: showResult(sh),
  });
  await n.ok(t, ['peer', 'del', '--prim_nid', '1.1.1.1@tcp'], 'Peer del');
  const listed = await n.lnetctl(['peer', 'show', '--nid', '1.1.1.1@tcp']);
  t.match(listed.stdout, '1.1.1.1@tcp', '1.1.1.1@tcp is still listed', { diag: showResult(listed) });
  await n.ok(t, ['peer', 'del', '--prim_nid', '1.1.1.1@tcp', '--force'], 'Peer del --force');
  await n.fails(t, ['peer', 'show', '--nid', '1.1.1.1@tcp'], 'failed to delete 1.1.1.1@tcp');
});

sanityTest('28', 'Test peer_list', async (t, n) => {
  // `--ni` is getopt_long's abbreviation of --nid, as the shell test writes it.
  await n.ok(t, ['peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--ni', '7.7.7.7@tcp'], 'First peer add');
  await n.ok(t, ['peer', 'add', '--prim_nid', '1.1.1.2@tcp', '--nid', '7.7.7.8@tcp'], 'Second peer add');
  const r = await n.ok(t, ['peer', 'list'], 'peer list');
  const count = r.stdout.split('\n').filter((l) => /-\s+nid:/.test(l)).length;
  t.equal(count, 2, 'peer list reports 2 peers', { diag: showResult(r) });
});

sanityTest('99a', 'Check various invalid inputs to lnetctl peer', async (t, n) => {
  await n.fails(t, ['peer', 'add', '--prim_nid', 'foobar'], 'Invalid prim_nid - peer add');
  await n.fails(t, ['peer', 'del', '--prim_nid', 'foobar'], 'Invalid prim_nid - peer del');
  await n.fails(t, ['peer', 'del', '--prim_nid', '1.1.1.1@o2ib'], 'Delete non-existing peer');
  await n.fails(t, ['peer', 'del', '--nid', '1.1.1.1@tcp'], "Don't provide mandatory argument for peer del");
  await n.fails(t, ['peer', 'add', '--nid', '1.1.1.1@tcp'], "Don't provide mandatory argument for peer add");
  await n.fails(t, ['peer', 'add'], "Don't provide mandatory arguments peer add");
  await n.fails(t, ['peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--nid', 'foobar'], 'Invalid secondary nids');
  await n.fails(t, ['peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--nid', '1.1.1.[2-255]@tcp'], 'Exceed max nids per peer');
  await n.fails(t, ['peer', 'add', '--prim_nid', '1@foo'], 'Invalid net type');
  for (const nid of ['1@tcp', '1@o2ib', '1.1.1.1@gni']) await n.fails(t, ['peer', 'add', '--prim_nid', nid], `Check invalid primary nid - '${nid}'`);
  // The shell builds this list with a missing space, so the last two words run together.
  const invalidStrs = '[2-1]@gni [a-f/x]@gni 256.256.256.256@tcp 1.1.1.1.[2-5/f]@tcp 1.]2[.3.4@o2ib1.[2-4,[5-6],7-8].1.1@tcp foobar';
  for (const nidstr of invalidStrs.split(' '))
    await n.fails(t, ['peer', 'add', '--prim_nid', '1.1.1.1@tcp', '--nid', nidstr], `Check invalid nidstring - '${nidstr}'`);
  await n.fails(t, ['route', 'add', '--net', 'tcp', '--gateway', '1@gni'], 'Add non-local gateway');
});
