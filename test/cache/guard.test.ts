/**
 * The semantic tier's false-hit guard (v2), rule by rule: what each canonicalisation lets through
 * and, adversarially, what it must never let through. Plus property tests over generated prompts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyse } from '../../plugins/cache/canon.js';
import { embedNgrams } from '../../plugins/cache/embedders/ngram.js';
import { embedLexical } from '../../plugins/cache/embedders/wordnet.js';
import { features, guard } from '../../plugins/cache/guard.js';
import { wordnet } from '../../plugins/cache/lexicon/wordnet.js';

const refused = (a: string, b: string) => guard(a, b);
const accepts = (a: string, ...bs: string[]) => {
  for (const b of bs) assert.equal(guard(a, b), undefined, `"${a}" should answer "${b}"`);
};
const refuses = (a: string, b: string, why?: string) => {
  const r = guard(a, b);
  assert.notEqual(r, undefined, `"${a}" must not answer "${b}"`);
  if (why) assert.equal(r, why, `"${a}" vs "${b}"`);
  assert.notEqual(guard(b, a), undefined, `"${b}" must not answer "${a}"`);
};

test('numbers: digits, separators and number words are one form, compared in order', () => {
  accepts('Book a table for 2', 'Book a table for two');
  accepts(
    'What is 15% of 80?',
    'What is fifteen percent of eighty?',
    'what is 15 per cent of 80',
    'What is 15 percent of 80',
  );
  accepts('Refund 1,000 dollars', 'refund 1000 dollars', 'Refund a thousand dollars', 'Refund $1000');
  accepts('Is 97 a prime number?', 'Is ninety-seven a prime number?');
  accepts('Set the oven to 180 degrees', 'Set the oven to one hundred eighty degrees', 'Set the oven to 180°');
  accepts('Buy a dozen eggs', 'Buy 12 eggs');
  refuses('Track order 48213', 'track order 48231', 'numbers');
  refuses('What is 15% of 80?', 'What is 80% of 15?', 'numbers');
  refuses('What is 15% of 80?', 'What is 15 of 80?', 'numbers');
  refuses('What is 2.5% of 200?', 'What is 25% of 200?', 'numbers');
  refuses('Who won the 2018 World Cup?', 'Who won the 2014 World Cup?', 'numbers');
  refuses('Book a table for two people', 'book a table for three people', 'numbers');
  refuses('What is -20 degrees Celsius in Fahrenheit?', 'What is 20 degrees Celsius in Fahrenheit?', 'numbers');
  refuses('Set an alarm for 6:30 am', 'Set an alarm for 6:30 pm', 'numbers');
});

test('scope: ordinals are numbers ("first" / "last", "second fastest")', () => {
  accepts('Show the first 10 rows', 'Show the 1st ten rows');
  refuses('Show me the first 10 rows of the table', 'Show me the last 10 rows of the table');
  refuses('What is the fastest land animal?', 'What is the second fastest land animal?', 'numbers');
  refuses('How do I undo the last commit?', 'How do I undo the last 3 commits?', 'numbers');
});

test('units and direction: a unit belongs to its number; converting the other way is another request', () => {
  accepts(
    'Convert 5 miles to kilometers',
    'Convert 5 mi to km',
    'How many kilometers is 5 miles?',
    'What is 5 miles in km?',
    'convert five miles to kilometers',
  );
  accepts(
    'What is 20 degrees Celsius in Fahrenheit?',
    'What is 20°C in Fahrenheit?',
    'What is 20 °C in °F?',
    'Convert 20 degrees Celsius to Fahrenheit',
  );
  accepts('How many ounces are in a pound?', 'How many oz in a lb?', 'A pound is how many ounces?');
  refuses('Convert 5 miles to kilometers', 'Convert 5 kilometers to miles', 'numbers');
  refuses('Convert 5 miles to kilometers', 'How many miles is 5 kilometers?', 'numbers');
  refuses('Convert 5 miles to kilometers', 'Convert 5 miles to meters');
  refuses('How many ounces are in a pound?', 'How many pounds are in an ounce?', 'numbers');
  refuses('What is 20 degrees Celsius in Fahrenheit?', 'What is 20 degrees Fahrenheit in Celsius?', 'numbers');
  refuses('How do I convert Celsius to Fahrenheit?', 'How do I convert Fahrenheit to Celsius?', 'relations');
  refuses('How do I convert Celsius to Fahrenheit?', 'How do I convert Fahrenheit into Celsius?', 'relations');
  refuses('Set a timer for 10 minutes', 'Set a timer for 10 hours', 'numbers');
  refuses('Find all files larger than 100 MB', 'Find all files larger than 100 GB', 'numbers');
});

test('currency: symbols, codes and words are one currency; amount, currency and direction must agree', () => {
  accepts(
    'Convert 100 USD to EUR',
    'Convert $100 to EUR',
    'Convert 100 dollars to euros',
    'How much is $100 in euros?',
    'convert 100 usd to €',
  );
  accepts('Best laptop under $1000', 'Best laptop under 1000 dollars', 'best laptop under 1000 USD');
  refuses('Convert 100 USD to EUR', 'Convert 100 EUR to USD', 'numbers');
  refuses('Convert 100 USD to EUR', 'How much is 100 euros in dollars?', 'numbers');
  refuses('Convert 100 USD to EUR', 'Convert 100 USD to GBP');
  refuses('Transfer $500 to savings', 'Transfer €500 to savings', 'numbers');
  refuses('How much is £50 in dollars?', 'How much is $50 in dollars?', 'numbers');
  refuses('Best laptop under $1000', 'Best laptop under $500', 'numbers');
});

test('framings: "how do I / how can I / what is the way to / how to" and the bare request are one request', () => {
  accepts(
    'How do I sort a list in Python?',
    'How can I sort a list in Python?',
    'What is the way to sort a list in Python?',
    "What's the best way to sort a list in Python?",
    'how to sort a list in python',
    'Sort a list in Python',
    "I'd like to know how to sort a list in Python",
    'Is there a way to sort a list in Python?',
  );
  accepts('Translate "thank you" to Japanese', 'How do you say "thank you" in Japanese?');
  refuses('How do I sort a list in Python?', 'Why do I sort a list in Python?', 'lexical');
  refuses('How do I cancel my subscription?', "Why can't I cancel my subscription?");
  refuses('How long should I boil an egg?', 'How should I boil an egg?', 'lexical');
  refuses('How many calories are in a banana?', 'Which calories are in a banana?', 'lexical');
});

test('prepositions: in / using / with X are one; with / without, by / to, within / after are not', () => {
  accepts('How do I sort a list in Python?', 'How do I sort a list using Python?', 'How do I sort a list with Python?');
  accepts('Paris weather today', 'weather in Paris today', "What's the weather in Paris today?");
  refuses('How do I sort a list in Python?', 'How do I sort a list in JavaScript?');
  refuses('How do I sort a list in Python?', 'How do I sort a list in Ruby?', 'entities');
  refuses('Make a salad without onions', 'Make a salad with onions', 'negation');
  refuses('Increase the volume by 20%', 'Increase the volume to 20%', 'relations');
  refuses('Can I get a refund within 14 days?', 'Can I get a refund after 14 days?', 'relations');
  refuses('Show orders placed before January 1', 'Show orders placed after January 1', 'relations');
  refuses('Best laptop under $1000', 'Best laptop over $1000', 'relations');
});

test('synonyms come only from the lexicon (WordNet: the most frequent sense of both words)', () => {
  accepts('Can I buy a ticket online?', 'Can I purchase a ticket online?');
  accepts('Is the Pacific bigger than the Atlantic?', 'Is the Pacific larger than the Atlantic?');
  accepts('Recommend a good horror film', 'Recommend a good horror movie');
  accepts('When did World War I start?', 'When did World War I begin?');
  // antonyms and other relations are never synonyms
  refuses('Is the Pacific bigger than the Atlantic?', 'Is the Pacific smaller than the Atlantic?', 'lexical');
  refuses('Can I buy a ticket online?', 'Can I sell a ticket online?', 'lexical');
  refuses('How do I open the file?', 'How do I close the file?', 'lexical');
  refuses('How do I start the server?', 'How do I stop the server?', 'lexical');
  refuses('Can dogs eat grapes?', 'Can animals eat grapes?', 'lexical');
  // a rarer sense does not count: java is first an island, then coffee
  refuses('how do i make java', 'how do i make coffee', 'lexical');
  // look-alike names and inflected acronyms are not the same name
  refuses('What is the capital of Austria?', 'What is the capital of Australia?', 'entities');
  refuses('Make an HTTP request in Node.js', 'Make an HTTPS request in Node.js', 'entities');
  refuses('Do I need a visa for the US?', 'Do I need a visa for the UK?', 'entities');
  accepts('Do I need a visa to visit Japan from the US?', 'Do I need a visa to visit Japan from the USA?');
  // what WordNet does not relate is refused, however close in meaning
  refuses('Delete all files older than 30 days', 'Remove all files older than 30 days', 'lexical');
  assert.equal(guard('Can I buy a ticket online?', 'Can I purchase a ticket online?', { synonyms: false }), 'lexical');
});

test('inflections, spelling variants and derivations match; added or dropped content words do not', () => {
  accepts('How do I cancel my order?', 'how to cancel orders', 'Cancelling my order');
  accepts('Who wrote Hamlet?', 'Who has written Hamlet?');
  accepts('Summarize the plot of Hamlet', 'Summarise the plot of Hamlet');
  accepts('How do I center a div?', 'how do i centre a div');
  accepts('Install Docker on Ubuntu', 'installation of Docker on Ubuntu');
  refuses('What is the capital of Australia?', 'What is the capital city of Australia?', 'lexical');
  refuses('How do I reset my password?', 'How do I reset my password without email?');
  refuses('Add a column named email to the users table', 'Drop the column named email from the users table');
  refuses(
    'Write a function to reverse a string in JavaScript',
    'Write a function to reverse an array in JavaScript',
    'lexical',
  );
});

test('roles and order: swapped roles never pass, symmetric reorderings do', () => {
  refuses('Did Germany beat Brazil in 2014?', 'Did Brazil beat Germany in 2014?', 'relations');
  refuses('did germany beat brazil in 2014', 'did brazil beat germany in 2014', 'relations');
  refuses('Who beat Germany?', 'Who did Germany beat?', 'relations');
  refuses('Is Rust faster than Go?', 'Is Go faster than Rust?', 'relations');
  refuses('How do I get from Paris to Lyon by train?', 'How do I get from Lyon to Paris by train?', 'relations');
  refuses('Transfer $500 from savings to checking', 'Transfer $500 from checking to savings', 'relations');
  refuses('Send the report to maria@example.com', 'Send the report from maria@example.com', 'relations');
  refuses('Copy report.txt to backup.txt', 'Copy backup.txt to report.txt', 'relations');
  refuses('What is the exchange rate from yen to dollars?', 'What is the exchange rate from dollars to yen?');
  refuses('What is 50 divided by 2?', 'What is 2 divided by 50?', 'numbers');
  refuses('Translate "bonjour" from French into English', 'Translate "bonjour" from English into French', 'relations');
  accepts("What's the difference between TCP and UDP?", 'What is the difference between UDP and TCP?');
  accepts('Which is bigger, the Pacific or the Atlantic?', 'Which is bigger, the Atlantic or the Pacific?');
  accepts('Send the report to maria@example.com', 'Send maria@example.com the report');
  accepts(
    'How do I get from Paris to Lyon by train?',
    'How do I get to Lyon from Paris by train?',
    'By train, how do I get from Paris to Lyon?',
  );
  accepts('Where is order 48213?', 'Order 48213: where is it?');
  accepts('What is the capital of Australia?', "Australia's capital?");
});

test('passives: a question about the agent is the active question; a named agent keeps its role', () => {
  accepts(
    'Who discovered penicillin?',
    'Penicillin was discovered by whom?',
    'Who was penicillin discovered by?',
    'By whom was penicillin discovered?',
  );
  accepts('Who wrote Pride and Prejudice?', 'Pride and Prejudice was written by whom?');
  accepts('Who owns Amazon?', 'Who is Amazon owned by?');
  // the agent of a passive is the subject of the active verb: these ask the opposite
  refuses('Who beat Germany?', 'Who was beaten by Germany?', 'relations');
  refuses('Who discovered penicillin?', 'Who was discovered by penicillin?', 'relations');
  refuses('Who owns Amazon?', 'Who is owned by Amazon?', 'relations');
  refuses('Who did Germany beat?', 'Germany was beaten by whom?', 'relations');
  refuses('Who did Nadal beat?', 'Who was Nadal beaten by?', 'relations');
  refuses('Who discovered penicillin?', 'What was discovered by Fleming?');
  // "by" that is no agent stays a plain preposition
  accepts('Sort the list by name', 'sort the list by name please');
});

test('coordinated nouns swap freely ("RAM and ROM"); coordinated verbs and roles around a verb do not', () => {
  accepts("What's the difference between RAM and ROM?", "What's the difference between ROM and RAM?");
  refuses('Copy RAM to ROM', 'Copy ROM to RAM', 'relations');
  refuses('Is RAM faster than ROM?', 'Is ROM faster than RAM?', 'relations');
  refuses('Build and deploy the app', 'Deploy and build the app', 'relations');
  refuses('Encrypt and compress the file', 'Compress and encrypt the file', 'relations');
  refuses('Who did Germany and Brazil beat?', 'Who beat Germany and Brazil?', 'relations');
});

test('acronyms of terms the lexicon knows, and Roman numerals inside a term', () => {
  accepts('What year did World War II end?', 'What year did WWII end?', 'What year did World War 2 end?');
  accepts('When did World War I start?', 'When did WWI start?', 'When did World War 1 start?');
  refuses('What year did World War II end?', 'What year did WWI end?');
  refuses('When did World War I start?', 'When did WWII start?');
  refuses('When did World War I start?', 'When did World War II start?');
  // initials of words that are no term of the lexicon do not count
  refuses('What is AI?', 'What is Apple Intelligence?', 'entities');
  refuses('Is the WWF a charity?', 'Is the World Wide Fund a charity?');
  // the pronoun stays a pronoun
  accepts('Can I cancel my order?', 'can i cancel my order');
});

test('a one-letter unit after "how many / how much" is a unit, and still its own unit', () => {
  accepts('How many grams of sugar in a teaspoon?', 'How many g of sugar in a tsp?');
  accepts('How many meters in a mile?', 'How many m in a mile?');
  refuses('How many kilograms in a pound?', 'How many g in a pound?');
  refuses('How many meters in a mile?', 'How many km in a mile?');
  refuses('How many grams of sugar in a teaspoon?', 'How many g of sugar in a cup?');
});

test('subtraction: "subtract A from B" and "A subtracted from B" are "B minus A"', () => {
  accepts('What is 9 minus 4?', 'Subtract 4 from 9', '4 subtracted from 9', 'What is 9 - 4?');
  refuses('What is 9 minus 4?', 'Subtract 9 from 4', 'numbers');
  refuses('What is 9 minus 4?', 'What is 4 minus 9?', 'numbers');
  refuses('Subtract 4 from 9', '9 subtracted from 4', 'numbers');
  refuses('Subtract 4 from 9', 'Add 4 to 9');
});

test('an aside before the question ("quick one:") is a framing; "one" elsewhere is a number', () => {
  accepts('Did Germany beat Brazil in 2014?', 'Quick one: did Germany beat Brazil in 2014?');
  accepts('Did Germany beat Brazil in 2014?', 'Quick question, did Germany beat Brazil in 2014?');
  refuses('Did Germany beat Brazil in 2014?', 'Quick one: did Germany beat Brazil in one match in 2014?', 'numbers');
  refuses('Give me a quick one-line summary', 'Give me a quick summary');
});

test('identifiers and negation', () => {
  refuses('Email john@example.com the report', 'Email jane@example.com the report', 'identifiers');
  refuses('Summarise https://a.example/x', 'Summarise https://a.example/y', 'identifiers');
  refuses('What does user_id mean', 'What does userId mean', 'identifiers');
  refuses('Apply code SAVE10', 'Apply code SAVE20', 'identifiers');
  accepts('Check ticket #4411', 'check ticket #4411 please');
  accepts('How much does an iPhone 15 cost?', 'how much does an iphone 15 cost');
  refuses('Can I cancel my subscription?', "Can't I cancel my subscription?", 'negation');
  refuses('Is the store open on Sunday?', 'Is the store not open on Sunday?', 'negation');
  refuses('List all files', 'List all files except logs', 'negation');
  accepts('I do not want a refund', "I don't want a refund");
  refuses('Is it safe to eat raw eggs?', 'Is it unsafe to eat raw eggs?', 'lexical');
});

test('entities: names and quoted text must be in the other prompt', () => {
  refuses('What is the capital of France?', 'What is the capital of Germany?', 'entities');
  refuses('Tell me about "blue" cars', 'Tell me about "red" cars', 'entities');
  refuses('Translate "good morning" into French', 'Translate "good night" into French', 'entities');
  refuses('Compare AWS pricing', 'Compare GCP pricing', 'entities');
  accepts('What is the capital of France?', "what's the capital of france");
  accepts('Add a column named email to the users table', 'add a column named "email" to the users table');
  accepts('When did World War II end?', 'When did World War 2 end?');
  refuses('When did World War II end?', 'When did World War I end?');
});

test('each check can be switched off', () => {
  assert.equal(guard('Track order 48213', 'track order 48231', { numbers: false, identifiers: false }), undefined);
  assert.equal(guard('what is the capital of france', 'what is the capital of germany', { lexical: false }), undefined);
  assert.equal(guard('Did Germany beat Brazil?', 'Did Brazil beat Germany?', { relations: false }), undefined);
  assert.equal(guard('Can I cancel?', "Can't I cancel?", { negation: false }), undefined);
});

test('the canonical form: what the guard compares (no prompt text beyond words and numbers)', () => {
  const lx = wordnet();
  const keys = (t: string) => analyse(t, lx).tokens.map((x) => x.key);
  assert.deepEqual(keys('What is fifteen percent of eighty?'), ['15|pct', '80']);
  assert.deepEqual(keys('How many kilometers is 5 miles?'), ['km', '5|mi']);
  assert.deepEqual(keys('Convert $100 to EUR'), ['100|usd', 'eur']);
  assert.deepEqual(keys('How do I cancel my subscription?'), ['cancel', 'subscription']);
  assert.deepEqual(keys('When did World War II end?'), ['when', 'world_war_ii', 'end']);
  const f = features('Please email ops@example.com about order 12 for Acme, not "urgent"');
  assert.equal(f.negations, 1);
  assert.deepEqual(
    f.tokens.filter((t) => t.kind === 'id').map((t) => t.key),
    ['ops@example.com'],
  );
  assert.deepEqual(
    f.tokens.filter((t) => t.entity).map((t) => t.key),
    ['acme', 'urgent'],
  );
});

// --- properties over generated prompts ---
const NAMES = ['Germany', 'Brazil', 'Spain', 'Italy', 'Japan', 'Kenya', 'Peru', 'Chile', 'Norway', 'Egypt'];
const TEMPLATES = [
  (n: string) => `Where is my order ${n}?`,
  (n: string) => `What is ${n}% of 80?`,
  (n: string) => `Convert ${n} miles to km`,
  (n: string) => `Book a table for ${n} at 7pm`,
  (n: string) => `What happened in ${n}?`,
  (n: string) => `Is ${n} a prime number?`,
];
const SURFACE = [
  (s: string) => s.toLowerCase(),
  (s: string) => s.replace(/[?.!]$/, ''),
  (s: string) => `Please, ${s[0].toLowerCase()}${s.slice(1)}`,
  (s: string) => `${s} Thanks!`,
  (s: string) => (s.toUpperCase() === s ? s : `  ${s}  `),
];

test('property: a different number in the same request is always refused', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 99_999 }),
      fc.integer({ min: 0, max: 99_999 }),
      fc.nat(TEMPLATES.length - 1),
      (a, b, t) => {
        fc.pre(a !== b);
        return guard(TEMPLATES[t](String(a)), TEMPLATES[t](String(b))) !== undefined;
      },
    ),
    { numRuns: 300 },
  );
});

test('property: swapping two names around a verb or a direction is always refused', () => {
  const frames = [
    (x: string, y: string) => `Did ${x} beat ${y} in 2014?`,
    (x: string, y: string) => `Flights from ${x} to ${y} on Friday`,
    (x: string, y: string) => `Is ${x} bigger than ${y}?`,
    (x: string, y: string) => `Who won when ${x} played ${y}?`,
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...NAMES),
      fc.constantFrom(...NAMES),
      fc.nat(frames.length - 1),
      fc.boolean(),
      (x, y, f, lower) => {
        fc.pre(x !== y);
        const c = (s: string) => (lower ? s.toLowerCase() : s);
        return guard(c(frames[f](x, y)), c(frames[f](y, x))) !== undefined;
      },
    ),
    { numRuns: 300 },
  );
});

test('property: case, punctuation, padding and politeness never change the verdict to a refusal', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 99_999 }),
      fc.nat(TEMPLATES.length - 1),
      fc.nat(SURFACE.length - 1),
      (n, t, s) => {
        const p = TEMPLATES[t](String(n));
        return guard(p, SURFACE[s](p)) === undefined;
      },
    ),
    { numRuns: 300 },
  );
});

test('embedders: unit vectors; the lexical one puts rewordings close and near misses below them', () => {
  const lx = wordnet();
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
  const a = embedNgrams('What is the capital of France?', 256);
  assert.ok(Math.abs(dot(a, a) - 1) < 1e-5);
  assert.ok(dot(a, embedNgrams("what's the capital of france, please", 256)) > 0.9);
  assert.ok(dot(a, embedNgrams('Write a haiku about autumn leaves', 256)) < 0.3);
  const e = (t: string) => embedLexical(t, 256, lx);
  const q = e('How do I sort a list in Python?');
  assert.ok(Math.abs(dot(q, q) - 1) < 1e-5);
  assert.ok(dot(q, e('What is the way to sort a list using Python?')) > 0.95);
  assert.ok(dot(e('Can I buy a ticket online?'), e('Can I purchase a ticket online?')) > 0.7);
  assert.ok(
    dot(e('Can I buy a ticket online?'), e('Can I purchase a ticket online?')) >
      dot(embedNgrams('Can I buy a ticket online?', 256), embedNgrams('Can I purchase a ticket online?', 256)),
  );
  assert.ok(dot(q, e('Write a haiku about autumn leaves')) < 0.3);
});
