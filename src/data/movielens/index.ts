export {
  loadMovieLens100k,
  MOVIELENS_GENRES,
  type MovieLens100k,
  type Ratings,
  type MovieLensUsers,
  type MovieLensItems,
} from './load-movie-lens.js';
export { loadMovieLensDataset, movieLensSchema, type MovieLensDatasetOptions } from './movie-lens-dataset.js';
export { movieLensCandidates, ageBucket, type CandidateOptions, type CandidateTable } from './candidates.js';
