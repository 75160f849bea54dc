export {
  aliCcpSpec,
  loadAliCcp,
  ALI_CCP_SPARSE_FIELDS,
  ALI_CCP_DENSE_FIELDS,
  type LoadAliCcpOptions,
} from './ali-ccp.js';
export {
  aliExpressSpec,
  aliExpressCountryDir,
  loadAliExpress,
  ALIEXPRESS_COUNTRIES,
  type AliExpressCountry,
  type LoadAliExpressOptions,
} from './ali-express.js';
