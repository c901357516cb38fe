// The shared LND compliance suite against the TCP LND (real sockets on 127.0.0.x).
import t from 'tap';
import { lndCompliance } from './compliance.js';
import { sockLndFactory } from '../helpers/lnd-factories.js';

lndCompliance(t, sockLndFactory);
