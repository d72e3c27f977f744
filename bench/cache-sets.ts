/**
 * Synthetic evaluation sets for the semantic cache, generated from templates (deterministic seed).
 * Each intent has a canonical prompt with slots, paraphrase variants of it (same slots: the cached
 * answer is right), and near-miss variants (a slot changed: a digit transposed, another name, an
 * added negation, another e-mail/URL/code, a swapped lower-case content word: the cached answer is
 * wrong). Nothing here comes from real users; it is built to exercise the guard's failure modes.
 */

export interface EvalPair {
  intent: string;
  /** The prompt whose answer is cached. */
  stored: string;
  /** The prompt that is looked up. */
  query: string;
  /** What the variant changes (paraphrase kind or near-miss kind). */
  kind: string;
}

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES = [
  'France',
  'Germany',
  'Spain',
  'Italy',
  'Japan',
  'Brazil',
  'Canada',
  'Kenya',
  'Norway',
  'Peru',
  'Egypt',
  'India',
  'Chile',
  'Ghana',
  'Poland',
  'Vietnam',
];
const CITIES = [
  'Paris',
  'Berlin',
  'Madrid',
  'Rome',
  'Tokyo',
  'Lima',
  'Oslo',
  'Cairo',
  'Nairobi',
  'Toronto',
  'Warsaw',
  'Hanoi',
  'Accra',
  'Santiago',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const PLANS = ['premium', 'basic', 'family', 'student', 'business', 'annual'];
const DISHES = ['pancakes', 'lasagna', 'risotto', 'brownies', 'dumplings', 'curry', 'omelette', 'pizza'];
const INGREDIENTS = ['eggs', 'butter', 'milk', 'garlic', 'onions', 'gluten', 'sugar', 'cheese'];
const LANGS = ['Spanish', 'German', 'French', 'Italian', 'Portuguese', 'Dutch'];
const PHRASES = [
  'good morning',
  'see you soon',
  'thank you very much',
  'where is the station',
  'happy birthday',
  'I am lost',
];
const UNITS = [
  ['miles', 'kilometers'],
  ['pounds', 'kilograms'],
  ['inches', 'centimeters'],
  ['gallons', 'liters'],
];
const NAMES = ['anna', 'omar', 'li', 'maria', 'kofi', 'sven', 'priya', 'diego'];

interface Intent {
  name: string;
  canon: (s: Slots) => string;
  paraphrases: Array<[kind: string, (s: Slots) => string]>;
  nearMisses: Array<[kind: string, (s: Slots, r: () => number) => string]>;
  slots: (r: () => number, i: number) => Slots;
}
type Slots = Record<string, string>;

const pick = <T>(xs: T[], r: () => number) => xs[Math.floor(r() * xs.length)];
const other = <T>(xs: T[], x: T, r: () => number) => {
  let y = pick(xs, r);
  while (y === x) y = pick(xs, r);
  return y;
};
const transpose = (n: string) => {
  const i = n.length - 2;
  return n.slice(0, i) + n[i + 1] + n[i] + n.slice(i + 2);
};
const digits = (r: () => number, k: number) => {
  let s = String(1 + Math.floor(r() * 9));
  while (s.length < k) s += Math.floor(r() * 10);
  return s;
};
const withDistinctTail = (r: () => number) => {
  let n = digits(r, 5);
  while (n[3] === n[4]) n = digits(r, 5);
  return n;
};

const INTENTS: Intent[] = [
  {
    name: 'order-status',
    slots: (r) => ({ n: withDistinctTail(r) }),
    canon: (s) => `Where is my order ${s.n}?`,
    paraphrases: [
      ['case+punctuation', (s) => `where is my order ${s.n}`],
      ['contraction', (s) => `Where's my order ${s.n}?`],
      ['filler', (s) => `Where is my order ${s.n}, please?`],
      ['reworded', (s) => `Can you tell me where my order ${s.n} is?`],
      ['added content word', (s) => `Where is my order ${s.n} right now?`],
    ],
    nearMisses: [
      ['digits transposed', (s) => `Where is my order ${transpose(s.n)}?`],
      ['number +1', (s) => `where is my order ${Number(s.n) + 1}`],
      ['negation', (s) => `Why is my order ${s.n} not here?`],
    ],
  },
  {
    name: 'capital',
    slots: (r) => ({ c: pick(COUNTRIES, r) }),
    canon: (s) => `What is the capital of ${s.c}?`,
    paraphrases: [
      ['contraction+case', (s) => `what's the capital of ${s.c.toLowerCase()}`],
      ['filler', (s) => `Tell me the capital of ${s.c}, please.`],
      ['fragment', (s) => `Capital of ${s.c}?`],
      ['added content word', (s) => `What is the capital city of ${s.c}?`],
    ],
    nearMisses: [
      ['other entity', (s, r) => `What is the capital of ${other(COUNTRIES, s.c, r)}?`],
      ['other entity, lower case', (s, r) => `what's the capital of ${other(COUNTRIES, s.c, r).toLowerCase()}`],
      ['other question', (s) => `What is the population of ${s.c}?`],
    ],
  },
  {
    name: 'invoice-email',
    slots: (r) => ({ e: `${pick(NAMES, r)}.${digits(r, 2)}@example.com` }),
    canon: (s) => `Send the invoice to ${s.e}`,
    paraphrases: [
      ['filler', (s) => `Please send the invoice to ${s.e}.`],
      ['reordered', (s) => `Send ${s.e} the invoice`],
    ],
    nearMisses: [
      ['other e-mail', (s) => `Send the invoice to ${s.e.replace(/\d/, (d) => String((Number(d) + 1) % 10))}`],
      ['other document', (s) => `Send the receipt to ${s.e}`],
    ],
  },
  {
    name: 'cancel-plan',
    slots: (r) => ({ p: pick(PLANS, r) }),
    canon: (s) => `Can I cancel my ${s.p} subscription?`,
    paraphrases: [
      ['case', (s) => `can i cancel my ${s.p} subscription`],
      ['filler', (s) => `Can I cancel my ${s.p} subscription, please?`],
      ['reworded', (s) => `Is it possible to cancel my ${s.p} subscription?`],
      ['inflection', (s) => `Cancelling my ${s.p} subscription: can I?`],
    ],
    nearMisses: [
      ['negation', (s) => `Can't I cancel my ${s.p} subscription?`],
      ['negation', (s) => `Can I not cancel my ${s.p} subscription?`],
      ['other plan (lower case)', (s, r) => `Can I cancel my ${other(PLANS, s.p, r)} subscription?`],
      ['other verb', (s) => `Can I pause my ${s.p} subscription?`],
    ],
  },
  {
    name: 'weather',
    slots: (r) => ({ c: pick(CITIES, r), d: pick(DAYS, r) }),
    canon: (s) => `What is the weather in ${s.c} on ${s.d}?`,
    paraphrases: [
      ['reordered', (s) => `${s.d}: what is the weather in ${s.c}?`],
      ['contraction', (s) => `What's the weather in ${s.c} on ${s.d}`],
      ['filler', (s) => `Please tell me the weather in ${s.c} on ${s.d}.`],
    ],
    nearMisses: [
      ['other city', (s, r) => `What is the weather in ${other(CITIES, s.c, r)} on ${s.d}?`],
      ['other day', (s, r) => `What is the weather in ${s.c} on ${other(DAYS, s.d, r)}?`],
    ],
  },
  {
    name: 'convert',
    slots: (r) => {
      const u = pick(UNITS, r);
      return { a: String(2 + Math.floor(r() * 500)), u1: u[0], u2: u[1] };
    },
    canon: (s) => `Convert ${s.a} ${s.u1} to ${s.u2}`,
    paraphrases: [
      ['filler', (s) => `Please convert ${s.a} ${s.u1} to ${s.u2}.`],
      ['reworded', (s) => `How many ${s.u2} is ${s.a} ${s.u1}?`],
    ],
    nearMisses: [
      ['other number', (s) => `Convert ${Number(s.a) * 10} ${s.u1} to ${s.u2}`],
      ['direction swapped', (s) => `Convert ${s.a} ${s.u2} to ${s.u1}`],
    ],
  },
  {
    name: 'book-table',
    slots: (r) => ({ k: pick(['two', 'three', 'four', 'five', 'six'], r), t: `${5 + Math.floor(r() * 5)}pm` }),
    canon: (s) => `Book a table for ${s.k} people at ${s.t}`,
    paraphrases: [
      ['case+filler', (s) => `please book a table for ${s.k} people at ${s.t}`],
      ['reordered', (s) => `At ${s.t}, book a table for ${s.k} people.`],
    ],
    nearMisses: [
      ['other count (words)', (s) => `Book a table for ${s.k === 'two' ? 'three' : 'two'} people at ${s.t}`],
      ['other time', (s) => `Book a table for ${s.k} people at ${s.t.replace(/\d/, (d) => String(Number(d) + 1))}`],
    ],
  },
  {
    name: 'recipe',
    slots: (r) => ({ d: pick(DISHES, r), i: pick(INGREDIENTS, r) }),
    canon: (s) => `How do I make ${s.d} without ${s.i}?`,
    paraphrases: [
      ['case', (s) => `how do i make ${s.d} without ${s.i}`],
      ['inflection', (s) => `How do I make ${s.d} without any ${s.i}? Thanks!`],
    ],
    nearMisses: [
      ['negation removed', (s) => `How do I make ${s.d} with ${s.i}?`],
      ['other dish (lower case)', (s, r) => `How do I make ${other(DISHES, s.d, r)} without ${s.i}?`],
    ],
  },
  {
    name: 'error-code',
    slots: (r) => ({ c: `E${digits(r, 4)}` }),
    canon: (s) => `What does error code ${s.c} mean?`,
    paraphrases: [
      ['case+filler', (s) => `what does error code ${s.c} mean, please`],
      ['reworded', (s) => `Explain error code ${s.c}`],
    ],
    nearMisses: [
      ['other code', (s) => `What does error code ${s.c.slice(0, -1)}${(Number(s.c.slice(-1)) + 3) % 10} mean?`],
    ],
  },
  {
    name: 'summarise-url',
    slots: (r) => ({ u: `https://news.example.com/articles/${digits(r, 6)}` }),
    canon: (s) => `Summarize the article at ${s.u}`,
    paraphrases: [
      ['filler', (s) => `Please summarize the article at ${s.u}.`],
      ['reordered', (s) => `${s.u} - summarize the article`],
    ],
    nearMisses: [
      ['other URL', (s) => `Summarize the article at ${s.u.replace(/\d$/, (d) => String((Number(d) + 1) % 10))}`],
    ],
  },
  {
    name: 'translate',
    slots: (r) => ({ p: pick(PHRASES, r), l: pick(LANGS, r) }),
    canon: (s) => `Translate "${s.p}" into ${s.l}`,
    paraphrases: [
      ['filler', (s) => `Please translate "${s.p}" into ${s.l}.`],
      ['case', (s) => `translate "${s.p}" into ${s.l.toLowerCase()}`],
    ],
    nearMisses: [
      ['other phrase', (s, r) => `Translate "${other(PHRASES, s.p, r)}" into ${s.l}`],
      ['other language', (s, r) => `Translate "${s.p}" into ${other(LANGS, s.l, r)}`],
    ],
  },
  {
    name: 'store-hours',
    slots: (r) => ({ d: pick(DAYS, r) }),
    canon: (s) => `Is the store open on ${s.d}?`,
    paraphrases: [
      ['case', (s) => `is the store open on ${s.d.toLowerCase()}`],
      ['filler', (s) => `Is the store open on ${s.d}, please?`],
    ],
    nearMisses: [
      ['negation', (s) => `Is the store not open on ${s.d}?`],
      ['antonym', (s) => `Is the store closed on ${s.d}?`],
      ['other day', (s, r) => `Is the store open on ${other(DAYS, s.d, r)}?`],
    ],
  },
];

/** Build the two sets: `pairsPerSet` pairs each, spread over the intents. */
export function buildSets(pairsPerSet = 600, seed = 42): { paraphrases: EvalPair[]; nearMisses: EvalPair[] } {
  const r = rng(seed);
  const paraphrases: EvalPair[] = [];
  const nearMisses: EvalPair[] = [];
  for (let i = 0; paraphrases.length < pairsPerSet || nearMisses.length < pairsPerSet; i++) {
    const intent = INTENTS[i % INTENTS.length];
    const s = intent.slots(r, i);
    const stored = intent.canon(s);
    if (paraphrases.length < pairsPerSet) {
      const [kind, f] = intent.paraphrases[Math.floor(i / INTENTS.length) % intent.paraphrases.length];
      paraphrases.push({ intent: intent.name, stored, query: f(s), kind });
    }
    if (nearMisses.length < pairsPerSet) {
      const [kind, f] = intent.nearMisses[Math.floor(i / INTENTS.length) % intent.nearMisses.length];
      nearMisses.push({ intent: intent.name, stored, query: f(s, r), kind });
    }
  }
  return { paraphrases, nearMisses };
}
