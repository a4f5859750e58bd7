import type { Call } from '../call';
import type { Scope } from '../config/schema';

/** True when the call falls inside the scope: every list given must match. */
export function inScope(call: Call, scope: Scope): boolean {
  if (scope.directions && (call.direction === null || !scope.directions.includes(call.direction))) {
    return false;
  }
  if (scope.trunkDomains && (call.trunkDomain === null || !scope.trunkDomains.includes(call.trunkDomain))) {
    return false;
  }
  if (scope.countries) {
    const countries = [call.fromCountry, call.toCountry].filter((c): c is string => c !== null);
    if (!countries.some((c) => scope.countries?.includes(c))) return false;
  }
  return true;
}
