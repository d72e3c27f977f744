/**
 * Prompt-injection heuristics: weighted phrase rules over normalised text (NFKC, lower case, zero-width
 * characters removed, whitespace collapsed). A text is an injection when the weights of the distinct
 * rules it matches reach the threshold (default 1): strong signals (an instruction override, a fake
 * chat-template token, a request for the system prompt) suffice alone, weak ones ("from now on you
 * are", "jailbreak") only together. Precision and recall on a labelled set: docs/guardrails.md.
 */

export interface InjectionRule {
  id: string;
  weight: number;
  pattern: RegExp;
  /** Match against the text with its line breaks kept (for rules anchored at line starts). */
  lines?: boolean;
}

/** One pattern from alternatives (source text), so each alternative gets its own line. */
const any = (...alternatives: string[]) => new RegExp(alternatives.join('|'));

const OVERRIDE_VERBS =
  '(?:ignore|disregard|forget|skip|override|bypass|drop|abandon|neglect|' +
  "do not follow|don't follow|stop following)";
const DETERMINERS = '(?:all |any |every |the |your |my |their |its |our |these |those |of )*';
const QUALIFIERS =
  '(?:previous|prior|preceding|above|earlier|initial|original|system|old|' +
  'all (?:the )?(?:other|above|prior|previous)|any (?:other|previous|prior))';
const ORDERS =
  '(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|constraints|commands|' +
  'orders|programming|context)';
const NO_RULES = '(?:restrictions|rules|limits|filters|guidelines)';
const SAFEGUARDS = 'filters?|guidelines|guardrails|safeguards|restrictions|policies|censorship|alignment';
const BYPASS = 'bypass|disable|turn off|switch off|deactivate|ignore|remove|circumvent|evade';

/** Chat-template tokens and role tags (ChatML, Llama, Llama 3, XML-style). */
const TEMPLATE_TOKENS =
  '<\\|(?:im_start|im_end|system|endoftext|start_header_id|end_header_id|eot_id)\\|?>|' +
  '\\[/?inst\\]|<</?sys>>|</?system>';

export const INJECTION_RULES: InjectionRule[] = [
  // "ignore all previous instructions", "disregard the above rules", "forget your system prompt"
  {
    id: 'injection.ignore_instructions',
    weight: 1,
    pattern: any(
      `${OVERRIDE_VERBS} ${DETERMINERS}(?:${QUALIFIERS} )(?:\\w+ ){0,2}${ORDERS}`,
      `${OVERRIDE_VERBS} (?:all|everything) (?:you (?:were|have been) (?:told|given|instructed)|(?:that )?(?:came )?` +
        '(?:before|above)|the above)',
      `${OVERRIDE_VERBS} (?:all |any )?(?:of )?your (?:\\w+ )?` +
        '(?:instructions|rules|guidelines|programming|restrictions)',
    ),
  },
  // German, French, Spanish, Italian, Portuguese forms of the same
  {
    id: 'injection.ignore_instructions',
    weight: 1,
    pattern: any(
      'ignorier(?:e|en sie)? (?:alle )?(?:vorherigen|bisherigen|obigen|vorigen) (?:anweisungen|instruktionen|regeln)',
      'ignore[zr]? (?:toutes )?les (?:instructions|consignes|règles) (?:précédentes|ci-dessus|antérieures)',
      'oublie[zr]? (?:toutes )?(?:les |tes |vos )(?:instructions|consignes)',
      'ignora (?:todas )?las (?:instrucciones|reglas) (?:anteriores|previas)',
      'olvida (?:todas )?(?:las |tus )instrucciones',
      'ignora (?:tutte )?le istruzioni (?:precedenti|sopra)',
      'ignore (?:todas )?as instruções anteriores',
    ),
  },
  // a replacement of the model's role or task
  {
    id: 'injection.new_instructions',
    weight: 0.6,
    pattern: any(
      '\\b(?:new|updated|real|actual|true) (?:instructions|task|objective|rules)\\s*(?::|are\\b|is\\b)',
      '\\bfrom now on,? (?:you|your|act|respond|answer|only)',
      '\\byour (?:new|real|only) (?:task|job|goal|purpose|role) is\\b',
    ),
  },
  {
    id: 'injection.role_override',
    weight: 0.6,
    pattern: any(
      '\\byou are (?:now|no longer) (?:a|an|the|in|my|free|called|going)\\b',
      `\\byou (?:have|had) no ${NO_RULES}\\b`,
    ),
  },
  // a persona defined by having no rules: DAN and its kin, "an uncensored assistant", "pretend you have no rules"
  {
    id: 'injection.jailbreak_persona',
    weight: 1,
    pattern: any(
      '\\bdo anything now\\b',
      '\\b(?:dan|stan|dude|aim) mode\\b',
      '\\byou are dan\\b',
      '\\bdeveloper mode (?:enabled|activated)\\b',
      '\\bdeveloper mode on\\b(?! (?:my|your|the|a|an|android|ios|iphone|chrome|windows|mac)\\b)',
      '\\bjailbreak(?:ed)? mode\\b',
      '\\bgod mode (?:enabled|on|activated)\\b',
      '\\b(?:unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|amoral) ' +
        '(?:ai|assistant|model|chatbot|bot|version of you)\\b',
      `\\bpretend (?:that )?you (?:are|have|had) (?:no|not any) ${NO_RULES}`,
    ),
  },
  {
    id: 'injection.jailbreak_word',
    weight: 0.5,
    pattern: any(
      '\\bjailbreak',
      '\\benable developer mode\\b',
      '\\bno (?:restrictions|limits|filters|censorship) (?:apply|at all)',
      '\\bwithout (?:any )?(?:restrictions|filters|censorship|limitations)\\b',
    ),
  },
  // prompt leaking
  {
    id: 'injection.prompt_leak',
    weight: 1,
    pattern: any(
      '(?:reveal|show|print|repeat|output|display|tell me|give me|share|spell out|leak|dump|write out|' +
        'what (?:is|are|was|were))(?: me)? ' +
        '(?:your|the|all (?:of )?your|the full|your full|your entire|the entire) (?:\\w+ )?' +
        '(?:system|initial|hidden|original|secret|internal|developer|pre-?prompt) ' +
        '(?:prompt|instructions|message|rules|directives|guidelines|configuration)',
      '(?:repeat|print|output|show) (?:the |all )?(?:words|text|everything|the content) ' +
        '(?:above|before|that came before)',
      '(?:what|how) (?:does|would|did|do) your (?:system |initial |hidden |original )?(?:prompt|instructions) ' +
        '(?:say|look like|contain)',
      '(?:what|everything) (?:was|is) written (?:above|at the (?:beginning|start|top))',
      'beginning with ["\']?you are',
    ),
  },
  // fake chat-template tokens and role headers inside user content: structure (a line start) is strong
  {
    id: 'injection.template_tokens',
    weight: 1,
    lines: true,
    pattern: new RegExp(
      [
        `^\\s*(?:${TEMPLATE_TOKENS})`,
        `(?:${TEMPLATE_TOKENS})\\s*(?:system|user|assistant)?\\s*$`,
        '^\\s*#{2,}\\s*(?:system|instruction)s?\\s*:?$',
        '^\\s*(?:system|assistant)\\s*:\\s*(?:you|ignore|new|override)',
      ].join('|'),
      'm',
    ),
  },
  { id: 'injection.template_tokens', weight: 0.5, pattern: new RegExp(TEMPLATE_TOKENS) },
  // safety bypass requests (addressed to the model's own safeguards: strong; in general: weaker)
  {
    id: 'injection.safety_bypass',
    weight: 1,
    pattern: any(`\\b(?:${BYPASS}|drop) (?:all (?:of )?)?your (?:\\w+ )?(?:${SAFEGUARDS}|safety)\\b`),
  },
  {
    id: 'injection.safety_bypass',
    weight: 0.8,
    pattern: any(
      `\\b(?:${BYPASS}) (?:all |any |your |the |its )*` +
        `(?:safety|content|moderation|ethical|security)? ?(?:${SAFEGUARDS})\\b`,
    ),
  },
  // authority claims
  {
    id: 'injection.authority',
    weight: 0.5,
    pattern: any(
      "\\b(?:this is|message from|i am|i'm) (?:your|the|an?) " +
        '(?:developer|administrator|admin|creator|system|openai|anthropic|operator)\\b',
      '\\b(?:system|admin|developer) (?:override|message|notice|command)\\s*:',
      '\\bsudo\\b',
    ),
  },
  // exfiltration of the conversation or secrets
  {
    id: 'injection.exfiltration',
    weight: 1,
    pattern: any(
      '\\b(?:send|post|upload|forward|email|leak|exfiltrate|transmit) (?:the |this |all |your |our )*' +
        '(?:conversation|chat|system prompt|credentials|passwords?|api keys?|secrets?|tokens?|user data)' +
        '(?: history| log| transcript)? (?:to|at|via)\\b',
      '!\\[[^\\]]*\\]\\(https?://[^)\\s]*[?&][^)\\s]*=(?:\\{|\\$|%7b)',
    ),
  },
];

/** Unicode tag characters (invisible ASCII) and runs of zero-width characters hide instructions. */
const HIDDEN = /[\u{E0000}-\u{E007F}]|[\u200B-\u200D\u2060\uFEFF]{3,}/u;
const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u{E0000}-\u{E007F}]/gu;

/** NFKC, zero-width characters removed, lower case, one kind of apostrophe; line breaks kept. */
export function normaliseLines(text: string): string {
  return text
    .normalize('NFKC')
    .replace(ZERO_WIDTH, '')
    .toLowerCase()
    .replace(/[’`]/g, "'")
    .replace(/[^\S\n]+/g, ' ');
}

export interface InjectionScore {
  score: number;
  /** Distinct rule ids that matched. */
  rules: string[];
}

/** Score one text: the sum of the highest weight of each distinct rule id that matched. */
export function scoreInjection(text: string, rules: InjectionRule[] = INJECTION_RULES): InjectionScore {
  const best = new Map<string, number>();
  if (HIDDEN.test(text)) best.set('injection.hidden_text', 1);
  const lines = normaliseLines(text);
  const flat = lines.replace(/\s+/g, ' ');
  for (const r of rules) {
    if ((best.get(r.id) ?? 0) >= r.weight) continue;
    if (r.pattern.test(r.lines ? lines : flat)) best.set(r.id, r.weight);
  }
  let score = 0;
  for (const w of best.values()) score += w;
  return { score: Math.round(score * 100) / 100, rules: [...best.keys()] };
}
