export { Prng, seededRandom } from './prng.js';
