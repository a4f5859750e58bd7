/** The rule's module is catalog/stir-unverified.ts (this path kept for its importers). */
export { stirUnverifiedRule } from './catalog/stir-unverified';
