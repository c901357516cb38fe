/** Every operation lnetd serves. */
import { registerExportOps } from './export-ops.js';
import { registerGlobalOps } from './global-ops.js';
import { registerImportOps } from './import-ops.js';
import { registerLNetOps } from './lnet-ops.js';
import { registerNetOps } from './net-ops.js';
import { registerParamOps } from './param-ops.js';
import { registerPeerOps } from './peer-ops.js';
import { registerPingOps } from './ping-ops.js';
import { OpRegistry } from './registry.js';
import { registerRouteOps } from './route-ops.js';
import { registerUdspOps } from './udsp-ops.js';

export { OpRegistry, type OpContext } from './registry.js';

export function lnetdOperations(): OpRegistry {
  const r = new OpRegistry();
  registerLNetOps(r);
  registerNetOps(r);
  registerPeerOps(r);
  registerRouteOps(r);
  registerGlobalOps(r);
  registerPingOps(r);
  registerUdspOps(r);
  registerExportOps(r);
  registerImportOps(r);
  registerParamOps(r);
  return r;
}
