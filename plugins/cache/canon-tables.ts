/**
 * Word lists of the canonicaliser (canon.ts): number words, units, currencies, request framings,
 * function words. These are about the *form* of a request (how a number, a unit or a question is
 * written). Which words mean the same thing is the lexicon's business, never these lists'.
 */

export const UNITS_0_19 = (
  'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen ' +
  'fifteen sixteen seventeen eighteen nineteen'
).split(' ');
export const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
export const SCALES: Record<string, number> = {
  hundred: 100,
  thousand: 1000,
  million: 1e6,
  billion: 1e9,
  trillion: 1e12,
};

export const ORDINALS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
  thirteenth: 13,
  fourteenth: 14,
  fifteenth: 15,
  sixteenth: 16,
  seventeenth: 17,
  eighteenth: 18,
  nineteenth: 19,
  twentieth: 20,
  thirtieth: 30,
  fortieth: 40,
  fiftieth: 50,
  hundredth: 100,
};

/** Other words that carry a quantity, compared as they are. */
export const QUANTITY_WORDS = new Set(['half', 'quarter', 'twice', 'thrice', 'dozen', 'double', 'triple', 'once']);

/** Unit spellings -> canonical unit. Ambiguous one-letter units only count right after a number. */
export const UNITS: Record<string, string> = {};
const UNIT_GROUPS: Array<[string, string, boolean?]> = [
  ['km', 'km kms kilometer kilometers kilometre kilometres'],
  ['m', 'meter meters metre metres'],
  ['cm', 'cm cms centimeter centimeters centimetre centimetres'],
  ['mm', 'mm millimeter millimeters millimetre millimetres'],
  ['mi', 'mi mile miles'],
  ['ft', 'ft foot feet'],
  ['in', 'inch inches'],
  ['yd', 'yd yds yard yards'],
  ['kg', 'kg kgs kilo kilos kilogram kilograms kilogramme kilogrammes'],
  ['g', 'gram grams gramme grammes gr'],
  ['mg', 'mg milligram milligrams'],
  ['lb', 'lb lbs pound pounds'],
  ['oz', 'oz ounce ounces'],
  ['l', 'liter liters litre litres ltr'],
  ['ml', 'ml milliliter milliliters millilitre millilitres'],
  ['gal', 'gal gallon gallons'],
  ['cup', 'cup cups'],
  ['tsp', 'tsp teaspoon teaspoons'],
  ['tbsp', 'tbsp tbs tablespoon tablespoons'],
  ['celsius', 'celsius centigrade'],
  ['fahrenheit', 'fahrenheit'],
  ['kelvin', 'kelvin kelvins'],
  ['deg', 'degree degrees deg'],
  ['sec', 'sec secs second seconds'],
  ['min', 'min mins minute minutes'],
  ['hour', 'hr hrs hour hours'],
  ['day', 'day days'],
  ['week', 'wk wks week weeks'],
  ['month', 'month months'],
  ['year', 'yr yrs year years'],
  ['kb', 'kb kilobyte kilobytes'],
  ['mb', 'mb megabyte megabytes'],
  ['gb', 'gb gigabyte gigabytes'],
  ['tb', 'tb terabyte terabytes'],
  ['mph', 'mph'],
  ['kmh', 'kmh kph'],
  ['pct', 'percent percentage pct'],
  ['am', 'am a.m'],
  ['pm', 'pm p.m'],
];
for (const [unit, spellings] of UNIT_GROUPS) for (const s of spellings.split(' ')) UNITS[s] = unit;
/** Units written as one letter: only right after a number ("5 m", "20 C"). */
export const SHORT_UNITS: Record<string, string> = {
  m: 'm',
  g: 'g',
  l: 'l',
  s: 'sec',
  h: 'hour',
  c: 'celsius',
  f: 'fahrenheit',
  k: 'kelvin',
};

/** Currency words, codes and symbols -> ISO code. */
export const CURRENCIES: Record<string, string> = {};
for (const [code, spellings] of [
  ['usd', 'usd $ us$ dollar dollars buck bucks'],
  ['eur', 'eur € euro euros'],
  ['gbp', 'gbp £ sterling quid'],
  ['jpy', 'jpy ¥ yen'],
  ['cny', 'cny rmb yuan renminbi'],
  ['inr', 'inr ₹ rupee rupees'],
  ['chf', 'chf franc francs'],
  ['cad', 'cad'],
  ['aud', 'aud'],
  ['krw', 'krw ₩ won'],
  ['rub', 'rub ₽ ruble rubles rouble roubles'],
  ['btc', 'btc bitcoin bitcoins'],
] as const)
  for (const s of spellings.split(' ')) CURRENCIES[s] = code;
/** Of these, the ones that are ordinary words too: a currency only next to a number or another currency. */
export const AMBIGUOUS_CURRENCY = new Set(['won', 'franc', 'francs', 'buck', 'bucks', 'quid']);

/** Arithmetic operators in words and symbols -> canonical operator. */
export const OPERATORS: Record<string, string> = {
  '+': 'plus',
  plus: 'plus',
  '*': 'times',
  '×': 'times',
  x: 'times',
  times: 'times',
  multiplied: 'times',
  '/': 'div',
  '÷': 'div',
  div: 'div',
  divided: 'div',
  '-': 'minus',
  '−': 'minus',
  minus: 'minus',
  '√': 'sqrt',
};

/** Directional words: what follows them has a role (source, target, comparison ...). */
export const DIRECTIONAL: Record<string, string> = {
  to: 'to',
  into: 'to',
  onto: 'to',
  towards: 'to',
  toward: 'to',
  until: 'to',
  till: 'to',
  from: 'from',
  than: 'than',
  before: 'before',
  after: 'after',
  over: 'over',
  above: 'over',
  under: 'under',
  below: 'under',
};
/** Prepositions that do not give a role: "in/using/with X", "on Linux", "by train", "of France". */
export const PLAIN_PREPOSITIONS = new Set([
  'in',
  'on',
  'at',
  'by',
  'for',
  'with',
  'using',
  'via',
  'of',
  'about',
  'inside',
  'during',
  'through',
  'across',
  'around',
  'near',
  'per',
  'regarding',
  'concerning',
  'within',
  'without',
]);
/** Connectors whose two sides can be swapped without changing the request. */
export const SYMMETRIC = new Set(['and', 'or', 'vs', 'versus', 'between', ',', '&']);

export const NEGATIONS = new Set(
  (
    'not no never none nobody nothing nowhere neither nor without cannot except excluding ' + 'unless barely hardly'
  ).split(' '),
);

/** Question words: free to move in a sentence ("where is order 5" / "order 5: where is it"). */
export const WH = new Set(['what', 'who', 'whom', 'whose', 'which', 'where', 'when', 'why', 'how']);
/** Time adverbs and names: free to move ("Berlin weather tomorrow" / "tomorrow's weather in Berlin"). */
export const FREE_TIME = new Set(
  (
    'today tomorrow yesterday tonight now currently monday tuesday wednesday thursday ' +
    'friday saturday sunday weekend'
  ).split(' '),
);

/** Words that carry no content of their own in a request (function words and request fillers). */
export const FILLERS = new Set(
  (
    'a an the is are was were be been being am do does did done can could would should will shall may might must ' +
    'i me my mine myself you your yours we our us it its this that these those there here what whats which as and ' +
    'or but if so then please kindly tell explain describe give know let want like need just really actually ' +
    'simply briefly exactly thanks thank hi hello hey some any okay ok also s t d ll re ve m has have had say ' +
    'said mean means meaning way ways help able possible wondering wonder curious question quick short brief ' +
    'honestly basically anyway anyhow roughly approximately about regarding concerning in on at by for with using ' +
    "via of per inside during through across around near one's someone something somebody whether if"
  ).split(' '),
);

/** Sentence-initial words that are not names even when capitalised. */
export const COMMON_STARTERS = new Set(
  (
    'what whats which who whom whose how hows why when where is are was were do does did can could would should ' +
    'will shall may might must please tell give explain describe show list write summarize summarise translate ' +
    'help make create find compare calculate convert define i im ive id ill my we our you your it its this that ' +
    'these those there here the a an and or but so if hi hello hey dear thanks thank ok okay yes no not never ' +
    'none in on at for from to with about after before during since until get set send check track cancel change ' +
    'update delete remove add let lets any some all every each one two three first second next last now then also ' +
    'just only still again quick honestly really roughly best worst cheapest'
  ).split(' '),
);

/**
 * Request framings, longest first, matched on the lower-cased text after contractions were
 * expanded. They are removed: "how do I X", "how can I X", "what is the way to X" and "X" ask the
 * same. Each is a regular-expression source matched at a word boundary.
 */
export const FRAMINGS = [
  'i would like to know how to',
  'i want to know how to',
  'i need to know how to',
  'can you show me how to',
  'could you show me how to',
  'can you tell me how to',
  'could you tell me how to',
  'show me how to',
  'tell me how to',
  'explain how to',
  'teach me how to',
  'is there a way to',
  'is it possible to',
  'what is the (?:best |easiest |simplest |right |correct |proper |recommended )?way to',
  'what is a (?:good |simple |quick )?way to',
  'how (?:do|can|could|would|should|might|may|shall) (?:i|you|we|one)',
  'how does one',
  'how to',
  // an aside before the question: "quick one: ...", "quick question, ..."
  'quick (?:one|question)(?=\\s*[:,-])',
];

/** Words that only frame a computation or conversion when the prompt holds a number or a measure. */
export const COMPUTE_FRAMING = new Set([
  'calculate',
  'compute',
  'evaluate',
  'convert',
  'conversion',
  'equal',
  'equals',
  'equivalent',
  'result',
]);
