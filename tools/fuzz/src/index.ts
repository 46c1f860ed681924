export { FuzzPrng, caseSeed } from './prng.js';
export { GENERATORS, judge, describeRequest, type DaemonName, type FuzzCase } from './cases.js';
export { encodeRequest, sendRaw, slowClient, type RawOutcome, type RawRequest } from './raw-http.js';
export { fuzzDaemon, fuzzOptionsFromEnv, formatFailure, type Failure, type FuzzOptions, type FuzzResult } from './fuzz.js';
export { Daemons, fatalLines, type RunningDaemon } from './daemons.js';
