/**
 * Offline PII detectors: e-mail, phone, payment card (Luhn and issuer prefix), IBAN (country length
 * and mod-97), IPv4/IPv6, plus the national ids in national-ids.ts. Each favours precision on the
 * hard cases measured in bench/guardrails-eval.ts (order numbers, versions, netmasks, file names).
 */
import { isIPv6 } from 'node:net';
import { luhn, mod97 } from './checksums.js';
import { before, digitsOf, regexDetector, type Detector, type Match } from './match.js';
import { NATIONAL_ID_DETECTORS } from './national-ids.js';

const FILE_EXTENSIONS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'js',
  'ts',
  'css',
  'html',
  'json',
  'md',
  'txt',
  'pdf',
  'py',
]);

const EMAIL_AT = new RegExp(
  '[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@' +
    '(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])',
  'y',
);
const LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const ALNUM = /[A-Za-z0-9]/;

/** E-mail addresses, found from each "@" (a scan from every letter costs ten times more). */
export const email: Detector = {
  rule: 'pii.email',
  label: 'EMAIL',
  priority: 70,
  find(text) {
    const out: Match[] = [];
    let skipTo = 0;
    for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
      if (at < skipTo) continue;
      let s = at;
      while (s > 0 && at - s <= 64 && LOCAL_CHAR.test(text[s - 1])) s--;
      if (at - s > 64) continue; // a longer local part is not an address
      while (s < at && !ALNUM.test(text[s])) s++;
      if (s === at) continue;
      EMAIL_AT.lastIndex = s;
      const m = EMAIL_AT.exec(text);
      if (!m || FILE_EXTENSIONS.has(m[1].toLowerCase())) continue;
      out.push({ rule: 'pii.email', label: 'EMAIL', start: s, end: s + m[0].length, priority: 70 });
      skipTo = s + m[0].length;
    }
    return out;
  },
};

const PHONE_WORDS = new RegExp(
  '(?:phone|tel|call|mobile|cell|fax|ring|text me|whatsapp|sms|contact|' +
    't[ée]l[ée]fono|telefon|t[ée]l)\\W{0,3}(?:\\w+\\W+){0,2}$',
);

/** Phone numbers: +international (8-15 digits), North American (xxx) xxx-xxxx, and national 0-prefixed forms. */
export const phone = regexDetector(
  'pii.phone',
  'PHONE',
  50,
  new RegExp(
    `(?<![\\w+.\\-/])(?:${[
      '\\+\\d{1,3}[\\s.-]?(?:\\(\\d{1,4}\\)[\\s.-]?)?\\d(?:[\\s.-]?\\d){5,13}', // +44 20 7946 0958, +49 (0)30 ...
      '\\(\\d{3}\\)\\s?\\d{3}[\\s.-]\\d{4}', // (415) 555-0132
      '\\d{3}[.-]\\d{3}[.-]\\d{4}', // 415-555-0132
      '\\d{3} \\d{3} \\d{4}',
      '0\\d{1,4}(?:[\\s.-]\\d{2,8}){1,4}', // 030 1234567, 01 23 45 67 89
      '0\\d{9,10}', // 07700900123 (only after a phone word)
    ].join('|')})(?![\\w\\-/]|\\.\\d)`,
    'g',
  ),
  (m, text) => {
    const s = m[0];
    const n = digitsOf(s).length;
    if (s.startsWith('+')) return n >= 8 && n <= 15;
    if (s[0] === '0') {
      if (n < 9 || n > 11) return false;
      // national forms without a separator are only phones in a phone context
      if (!/[\s.-]/.test(s) || /^\d{4}-\d{2}-\d{2}/.test(s)) return PHONE_WORDS.test(before(text, m.index, 30));
      return !/^\d{2,4}[./-]\d{2}[./-]\d{2,4}$/.test(s); // dates
    }
    return n === 10;
  },
);

/** Issuer prefixes and the lengths each network issues: Visa, Mastercard, Amex, Diners, Discover/UnionPay/JCB,
 * Maestro. */
const CARD_NETWORKS: Array<[RegExp, number[]]> = [
  [/^4/, [13, 16, 19]],
  [/^(?:5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720))/, [16]],
  [/^3[47]/, [15]],
  [/^3(?:0[0-5]|[689])/, [14, 15, 16, 17, 18, 19]],
  [/^(?:6011|6[45]|62|35)/, [16, 17, 18, 19]],
  [/^(?:5[06-9]|6[37])/, [12, 13, 14, 15, 16, 17, 18, 19]],
];
const cardShape = (d: string) => CARD_NETWORKS.some(([re, lengths]) => re.test(d) && lengths.includes(d.length));

/** Payment cards: 12-19 digits (spaces or dashes between groups), a known issuer prefix with its lengths, Luhn. */
export const creditCard = regexDetector(
  'pii.credit_card',
  'CREDIT_CARD',
  90,
  /(?<![\w\-.])\d(?:[ -]?\d){11,18}(?![\w-]|\.\d)/g,
  (m) => {
    const d = digitsOf(m[0]);
    if (!cardShape(d) || !luhn(d)) return false;
    // groups, when present, are 4-6 digits (e.g. 4-4-4-4, 4-6-5): not a phone or a date
    const groups = m[0].split(/[ -]/);
    return groups.length === 1 || groups.every((g) => g.length >= 3 && g.length <= 6);
  },
);

/** IBAN lengths by country (SWIFT IBAN registry). */
const IBAN_LENGTH: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** IBAN: a known country, its exact length, check digits by mod-97 (spaces every 4 characters allowed). */
export const iban = regexDetector(
  'pii.iban',
  'IBAN',
  85,
  /(?<![A-Za-z0-9])([A-Z]{2})(\d{2})(?: ?[A-Z0-9]{1,4}){3,8}/g,
  (m, text) => {
    const want = IBAN_LENGTH[m[1]];
    if (!want) return false;
    // take exactly the country's length (the pattern may have run into a following word)
    const s = m[0];
    let count = 0;
    let i = 0;
    for (; i < s.length && count < want; i++) if (s[i] !== ' ') count++;
    if (count < want) return false;
    const next = text[m.index + i];
    if (next !== undefined && /[A-Za-z0-9]/.test(next)) return false; // part of a longer token
    const compact = s.slice(0, i).replace(/ /g, '');
    return mod97(compact.slice(4) + compact.slice(0, 4)) === 1 ? [m.index, m.index + i] : false;
  },
);

/** Words after which a dotted quad is a version, an OID, a netmask or a section number, not an address. */
const NOT_AN_ADDRESS = new RegExp(
  '\\b(?:v|version|ver\\.?|release|build|firmware|fw|rev|revision|sdk|api|node|' +
    'python|chrome|ios|android|oid|netmask|mask|subnet|' +
    'section|chapter|clause|article|figure|fig\\.?|table|step|rule|§)' +
    '\\s*[:#=]?\\s*$',
);
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

/** IPv4, not a version number, OID or netmask; loopback and 0.0.0.0 are not personal data. */
export const ipv4 = regexDetector(
  'pii.ip_address',
  'IP_ADDRESS',
  60,
  new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g'),
  (m, text) => !/^(?:127\.|0\.0\.0\.0$|255\.)/.test(m[0]) && !NOT_AN_ADDRESS.test(before(text, m.index, 16)),
);

/** IPv6 (full or compressed), validated by node:net; not loopback (::1). */
export const ipv6 = regexDetector(
  'pii.ip_address',
  'IP_ADDRESS',
  60,
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g,
  (m) => isIPv6(m[0]) && m[0] !== '::1' && (m[0].match(/[0-9A-Fa-f]/g)?.length ?? 0) >= 4,
);

export const PII_DETECTORS: Record<string, Detector[]> = {
  email: [email],
  phone: [phone],
  credit_card: [creditCard],
  iban: [iban],
  ip_address: [ipv4, ipv6],
  ...Object.fromEntries(NATIONAL_ID_DETECTORS.map((d) => [d.rule.slice('pii.'.length), [d]])),
};

/** Every PII entity name the `pii` check accepts. */
export const PII_ENTITIES = Object.keys(PII_DETECTORS);
