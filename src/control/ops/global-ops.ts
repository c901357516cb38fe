/**
 * Global settings and statistics: `lnetctl set <param>`, `global show`, `stats show|reset`
 * (liblnetconfig's sysfs writes and ioctls, cYAML documents).
 */
import { Errno } from '../../errno.js';
import { GlobalSettingError, globalsOf, isGlobalName } from '../../lnet-globals.js';
import { cyamlError, quoted } from '../docs/error-docs.js';
import type { LNetModule } from '../lnet-module.js';
import { strerror } from '../../cli/strerror.js';
import { ControlError } from '../protocol.js';
import { reqInt, reqStr, type Args } from './args.js';
import type { OpRegistry } from './registry.js';
import { globalShowDoc, statsShowDoc } from '../show.js';

function globalSet(m: LNetModule, a: Args): { changed: string[] } {
  const name = reqStr(a, 'name');
  const value = reqInt(a, 'value');
  if (!isGlobalName(name)) throw new ControlError('EINVAL', `unknown global setting '${name}'`);
  // numa_range goes through an ioctl: LNet must be configured.
  if (name === 'numa_range' && !m.running)
    throw cyamlError('add', 'numa_range', -Errno.EINVAL, quoted(`cannot configure numa_range to ${value}: ${strerror(Errno.EINVAL)}`));
  try {
    return { changed: m.setGlobal(name, value) };
  } catch (e) {
    if (e instanceof GlobalSettingError) throw cyamlError('add', e.entity, e.rc, e.descr);
    throw e;
  }
}

function statsShow(m: LNetModule): unknown {
  if (!m.lnet || !m.running)
    throw cyamlError('show', 'statistics', -Errno.ENETDOWN, quoted(`cannot get lnet statistics: ${strerror(Errno.ENETDOWN)}`));
  return statsShowDoc(m.lnet.counters);
}

function statsReset(m: LNetModule): void {
  if (!m.lnet || !m.running)
    throw cyamlError('show', 'statistics', -Errno.EINVAL, quoted(`cannot reset lnet statistics: ${strerror(Errno.EINVAL)}`));
  m.lnet.resetStats();
}

export function registerGlobalOps(r: OpRegistry): void {
  r.add('global.set', (ctx, a) => globalSet(ctx.module, a));
  r.add('global.show', (ctx) => globalShowDoc(ctx.module.liveParams), false);
  r.add('global.get', (ctx) => globalsOf(ctx.module.liveParams), false);
  r.add('stats.show', (ctx) => statsShow(ctx.module), false);
  r.add('stats.reset', (ctx) => statsReset(ctx.module));
}
