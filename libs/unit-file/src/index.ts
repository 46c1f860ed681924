export { UnitFileError } from './errors.js';
export { parseUnitFile } from './parse.js';
export { serializeUnitFile, unitHash } from './serialize.js';
export { optionValues, lastValue, type UnitOption } from './unit-option.js';
export { globMatch, globToRegExp } from './glob.js';
export { unitNameProblem, parseUnitName, templateName, instanceName, expandSpecifiers, unitSuffixes, type UnitName } from './unit-name.js';
export {
  fleetSection,
  fleetRequirements,
  splitQuotedList,
  machineIdMatches,
  metadataMatches,
  unitsConflict,
  fleetOptionsProblem,
  type FleetRequirements,
  type FleetOptionName,
} from './x-fleet.js';
export { unitOptionsProblem, maxLineLength } from './validate.js';
