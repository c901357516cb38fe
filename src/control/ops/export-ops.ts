/** `lnetctl export [--backup]`: the running configuration as the documents lnetctl prints. */
import { Errno } from '../../errno.js';
import { netlinkError } from '../docs/error-docs.js';
import { exportDocs } from '../show.js';
import { optBool } from './args.js';
import type { OpRegistry } from './registry.js';

export function registerExportOps(r: OpRegistry): void {
  r.add(
    'export',
    (ctx, a) => {
      const m = ctx.module;
      if (!m.lnet || !m.running) throw netlinkError('show', 'net', -Errno.ENETDOWN, 'Unspecific failure');
      return exportDocs(m.lnet, optBool(a, 'backup'));
    },
    false,
  );
}
