// The LND compliance suite against the in-memory LND (lnd/memlnd). It has no connections, so
// the connection-loss check is skipped; restart is shutdown + a new instance on the same fabric.
import t from 'tap';
import { memLndFactory } from '../helpers/lnd-factories.js';
import { lndCompliance } from './compliance.js';

lndCompliance(t, memLndFactory);
