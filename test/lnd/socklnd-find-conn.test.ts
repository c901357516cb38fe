// Which connection a transmit takes (lnet/klnds/socklnd/socklnd_cb.c ksocknal_find_conn_locked):
// newest connection first, a typed match before a fallback, then the fewest bytes waiting, then
// with round_robin the connection least recently chosen (ksnc_tx_last_post, whole seconds).
// The selection alone, on stand-in connections: no sockets.
import t from 'tap';
import { SockLnd } from '../../lnd/socklnd/index.js';
import { KsockProtoVersion, SocklndConnType } from '../../src/wire/ksock-hello.js';

interface FakeConn {
  name: string;
  closed: boolean;
  rxState: string;
  version: KsockProtoVersion;
  type: SocklndConnType;
  txQueuedBytes: number;
  txLastPost: number;
  sock: { writableLength: number };
}

const conn = (name: string, type: SocklndConnType, o: Partial<FakeConn> = {}): FakeConn => ({
  name,
  closed: false,
  rxState: 'header',
  version: KsockProtoVersion.V3,
  type,
  txQueuedBytes: 0,
  txLastPost: 0,
  sock: { writableLength: 0 },
  ...o,
});

/** findConn of an LND with these params for a tx of `nob` bytes (a NOOP when nob is 0). */
function pick(conns: FakeConn[], nob: number, params: Record<string, number> = {}): FakeConn | undefined {
  const lnd = new SockLnd({ acceptPort: 1, params });
  const find = (lnd as unknown as { findConn(p: { conns: FakeConn[] }, tx: object): FakeConn | undefined }).findConn.bind(lnd);
  return find({ conns }, { msg: nob === 0 ? null : {}, nob, zcAckLo: 0, zcAckHi: 0 });
}

const SMALL = 96; // below min_bulk (1024): CONTROL is the typed match, BULK_OUT the fallback
const BULK = 96 + 4096;

t.test('a typed match wins over a fallback whatever is queued on it', async (t) => {
  const ctl = conn('control', SocklndConnType.CONTROL, { txQueuedBytes: 1 << 20 });
  const out = conn('bulk_out', SocklndConnType.BULK_OUT);
  t.equal(pick([ctl, out], SMALL)?.name, 'control');
  t.equal(pick([ctl, out], BULK)?.name, 'bulk_out');
  // BULK_IN never carries a message on V3; it is the typed match of a NOOP.
  const inn = conn('bulk_in', SocklndConnType.BULK_IN);
  t.equal(pick([inn], SMALL), undefined);
  t.equal(pick([ctl, inn, out], 0)?.name, 'bulk_in');
});

t.test('among equal matches: fewest bytes waiting, counting the socket buffer', async (t) => {
  const a = conn('a', SocklndConnType.BULK_OUT, { txQueuedBytes: 100 });
  const b = conn('b', SocklndConnType.BULK_OUT, { sock: { writableLength: 50 } });
  const c = conn('c', SocklndConnType.BULK_OUT, { txQueuedBytes: 60 });
  t.equal(pick([a, b, c], BULK)?.name, 'b');
});

t.test('equal bytes: the least recently chosen with round_robin, else the newest', async (t) => {
  const old = conn('old', SocklndConnType.BULK_OUT, { txLastPost: 5 });
  const mid = conn('mid', SocklndConnType.BULK_OUT, { txLastPost: 3 });
  const young = conn('young', SocklndConnType.BULK_OUT, { txLastPost: 3 });
  // mid and young tie on last post: the newest of them (connections are walked newest first).
  t.equal(pick([old, mid, young], BULK)?.name, 'young');
  for (const c of [old, mid, young]) c.txLastPost = 7;
  t.equal(pick([old, mid, young], BULK)?.name, 'young', 'all equal: the newest');
  const rr = [conn('a', SocklndConnType.BULK_OUT, { txLastPost: 1 }), conn('b', SocklndConnType.BULK_OUT, { txLastPost: 9 })];
  t.equal(pick(rr, BULK, { round_robin: 0 })?.name, 'b', 'round_robin=0: the newest, whatever its last post');
});

t.test('the chosen connection is stamped; closed and handshaking ones are skipped', async (t) => {
  const a = conn('a', SocklndConnType.CONTROL, { txLastPost: -1 });
  const b = conn('b', SocklndConnType.CONTROL, { closed: true, txLastPost: -5 });
  const c = conn('c', SocklndConnType.CONTROL, { rxState: 'handshake', txLastPost: -5 });
  t.equal(pick([a, b, c], SMALL)?.name, 'a');
  t.ok(a.txLastPost >= 0, 'tx_last_post set to now');
  t.equal(b.txLastPost, -5);
});

t.test('V1/V2 rules: ANY is typed for everything, BULK_IN a fallback', async (t) => {
  const any = conn('any', SocklndConnType.ANY, { version: KsockProtoVersion.V2, txQueuedBytes: 10 });
  const inn = conn('bulk_in', SocklndConnType.BULK_IN, { version: KsockProtoVersion.V2 });
  t.equal(pick([any, inn], SMALL)?.name, 'any');
  t.equal(pick([inn], SMALL)?.name, 'bulk_in');
});

t.test('the answer kept per peer: reused while it was the only best match and is open, never when it won on queues', async (t) => {
  const lnd = new SockLnd({ acceptPort: 1 });
  const find = (lnd as unknown as { findConn(p: object, tx: object): FakeConn | undefined }).findConn.bind(lnd);
  const tx = (nob: number): object => ({ msg: {}, nob, zcAckLo: 0, zcAckHi: 0 });
  const ctl = conn('control', SocklndConnType.CONTROL);
  const out = conn('bulk_out', SocklndConnType.BULK_OUT);
  const peer = { conns: [ctl, out], smallConn: undefined as FakeConn | undefined, bulkConn: undefined as FakeConn | undefined };
  t.equal(find(peer, tx(SMALL))?.name, 'control');
  t.equal(peer.smallConn?.name, 'control', 'the only typed match for a small message: kept');
  t.equal(find(peer, tx(BULK))?.name, 'bulk_out');
  t.equal(peer.bulkConn?.name, 'bulk_out', 'and for a bulk one');
  ctl.txLastPost = -1;
  t.equal(find(peer, tx(SMALL))?.name, 'control', 'reused');
  t.ok(ctl.txLastPost >= 0, 'and stamped as a full search would');
  ctl.closed = true;
  t.equal(find(peer, tx(SMALL))?.name, 'bulk_out', 'the kept connection closed: searched again, the fallback');
  // Two equal BULK_OUTs: the choice depends on what is queued, so it is made each time.
  const a = conn('a', SocklndConnType.BULK_OUT, { txQueuedBytes: 10 });
  const b = conn('b', SocklndConnType.BULK_OUT);
  const tied = { conns: [a, b], smallConn: undefined as FakeConn | undefined, bulkConn: undefined as FakeConn | undefined };
  t.equal(find(tied, tx(BULK))?.name, 'b');
  t.equal(tied.bulkConn, undefined, 'a choice made on queues is not kept');
  b.txQueuedBytes = 20;
  t.equal(find(tied, tx(BULK))?.name, 'a', 'the queues decide again');
});
