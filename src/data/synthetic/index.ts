export {
  generateMmoeSynthetic,
  type MmoeSyntheticOptions,
  type MmoeSyntheticData,
  type MmoeSyntheticPreset,
} from './mmoe-synthetic.js';
export { generateClickConversion, type ClickConversionOptions, type ClickConversionData } from './click-conversion.js';
