import type { LNetEvent } from '../../src/core/event.js';

/**
 * An event's own state without its message (`owner`, `view`): what reset() must restore. The
 * message is compared by identity, not deeply (its header keeps its last use's fields).
 */
export function eventState(ev: LNetEvent): { state: Record<string, unknown>; owner: unknown; view: unknown } {
  const r = ev as unknown as Record<string, unknown>;
  const state: Record<string, unknown> = {};
  for (const k of Object.keys(r)) if (k !== 'owner' && k !== 'view') state[k] = r[k];
  return { state, owner: r.owner, view: r.view };
}
