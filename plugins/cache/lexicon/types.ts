/**
 * A lexical resource the semantic tier asks about words: their dictionary forms (lemmas) and
 * whether two words mean the same thing. The guard accepts a different word only when the lexicon
 * says so; the lexical embedder folds words the lexicon calls synonyms into one feature.
 */
export type PartOfSpeech = 'n' | 'v' | 'a' | 'r';

export interface Lexicon {
  /** Names the resource and its settings (part of the lexical embedder's id). */
  readonly id: string;
  /** Dictionary forms of a lower-case word, per part of speech it can be ('leaves' -> leaf? leave). */
  lemmas(word: string): Array<{ pos: PartOfSpeech; lemma: string }>;
  /** True when the two lower-case words (or multi-word terms joined by '_') are synonyms. */
  synonyms(a: string, b: string): boolean;
  /**
   * Ids of the meanings the word most likely has (at most one per part of speech): two synonyms
   * share at least one. Empty for a word the lexicon does not know.
   */
  concepts(word: string): string[];
  /**
   * Whether the word is more often a verb than anything else (for the order check: a name that
   * moves across a verb changes its role: "who beat Germany" / "who did Germany beat").
   */
  likelyVerb(word: string): boolean;
  /** Whether the word is known at all (as itself or through its lemmas). */
  knows(word: string): boolean;
}
