export {
  generateMmoeSynthetic,
  type MmoeSyntheticOptions,
  type MmoeSyntheticData,
  type MmoeSyntheticPreset,
} from './mmoeSynthetic.js';
export { generateClickConversion, type ClickConversionOptions, type ClickConversionData } from './clickConversion.js';
