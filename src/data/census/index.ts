export {
  CENSUS_COLUMNS,
  CENSUS_NUMERIC,
  CENSUS_NOT_INPUTS,
  CENSUS_TASKS,
  CENSUS_TRAIN_FILE,
  CENSUS_TEST_FILE,
  EDUCATION_AT_LEAST_ASSOCIATE,
  censusSpec,
  type CensusGroup,
  type CensusFile,
} from './census-columns.js';
export { loadCensus, bundledCensusDir, type LoadCensusOptions, type CensusData } from './load-census.js';
export { fetchCensus, UCI_CENSUS_BASE_URL, type FetchCensusOptions } from './fetch-census.js';
