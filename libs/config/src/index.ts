export { defineConfig, loadConfigOrExit, kebabCase, ConfigError, type ConfigDefinition, type ConfigSchema, type ConfigOf, type Fields, type ParseOutcome, type ValueSource } from './define-config.js';
export { string, integer, boolean, oneOf, list, urlList, keyValues, duration, ConfigValueError, type Field } from './fields.js';
