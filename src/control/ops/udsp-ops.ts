/**
 * User-defined selection policies: `lnetctl udsp add|del|show`. The UDSP engine is not in
 * ulnet yet, so these answer as a kernel without the UDSP ioctls would: liblnetconfig's cYAML
 * errors with "Operation not supported".
 */
import { Errno } from '../../errno.js';
import { cyamlErrorDoc, DocumentError } from '../docs/error-docs.js';
import { strerror } from '../../cli/strerror.js';
import type { OpRegistry } from './registry.js';

/** liblnetconfig_udsp.c: add keeps errno as rc (positive), del gets -1, show -errno. */
function unsupported(what: 'add' | 'del' | 'show'): DocumentError {
  const text = `"cannot ${what === 'show' ? 'get' : what} udsp: ${strerror(Errno.EOPNOTSUPP)}"`;
  const rc = what === 'add' ? Errno.EOPNOTSUPP : what === 'del' ? -1 : -Errno.EOPNOTSUPP;
  return new DocumentError('EOPNOTSUPP', text, cyamlErrorDoc(what === 'show' ? 'show' : 'add', 'udsp', rc, text), rc & 0xff);
}

export function registerUdspOps(r: OpRegistry): void {
  r.add('udsp.add', () => {
    throw unsupported('add');
  });
  r.add('udsp.del', () => {
    throw unsupported('del');
  });
  r.add('udsp.show', () => {
    throw unsupported('show');
  }, false);
}
