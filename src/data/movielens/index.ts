export {
  loadMovieLens100k,
  MOVIELENS_GENRES,
  type MovieLens100k,
  type Ratings,
  type MovieLensUsers,
  type MovieLensItems,
} from './loadMovieLens.js';
export { loadMovieLensDataset, movieLensSchema, type MovieLensDatasetOptions } from './movieLensDataset.js';
export { movieLensCandidates, ageBucket, type CandidateOptions, type CandidateTable } from './candidates.js';
