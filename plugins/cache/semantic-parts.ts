/**
 * The semantic tier's modules (embedders, WordNet, the vector index, the journal, the verifier), which
 * the cache plugin imports only when a config turns the tier on: a gateway with the exact tier alone
 * does not load or keep them (~0.5 MiB of heap, bench/profile-notes.md).
 */
export { ngramEmbedder } from './embedders/ngram.js';
export { providerEmbedder } from './embedders/provider.js';
export { wordnetEmbedder } from './embedders/wordnet.js';
export { Journal, roundTrip } from './journal.js';
export { wordnet } from './lexicon/wordnet.js';
export { SemanticTier } from './semantic.js';
export { Verifier } from './verifier.js';
