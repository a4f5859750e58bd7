/** The Insights rules, each now one module in catalog/ (this path kept for its importers). */
export { highJitterRule } from './catalog/high-jitter';
export { highPostDialDelayRule } from './catalog/high-post-dial-delay';
export { highRttRule } from './catalog/high-rtt';
export { lowQualityScoreRule } from './catalog/low-quality-score';
export { packetLossRule } from './catalog/packet-loss';
