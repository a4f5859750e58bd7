/** The rule's module is catalog/zentrunk-hangup.ts (this path kept for its importers). */
export { zentrunkHangupRule } from './catalog/zentrunk-hangup';
