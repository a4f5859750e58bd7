import type { Call } from '../call';
import type { Scope } from '../config/schema';
import { callMatches } from '../dimensions';

/** True when the call falls inside the scope: every list given must match. */
export function inScope(call: Call, scope: Scope): boolean {
  return callMatches(call, scope);
}
