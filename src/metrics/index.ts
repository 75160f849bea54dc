export { rocAuc } from './auc.js';
export { logLoss, accuracy, type LogLossOptions, type AccuracyOptions } from './classification.js';
export { rmse, mae } from './regression.js';
export { ndcgAtK, hitRateAtK, type RankingOptions } from './ranking.js';
export type { NumberArray } from './selection.js';
