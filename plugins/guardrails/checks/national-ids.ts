/**
 * National identifiers of a few countries, each with its structural rules and check digits:
 * US SSN, UK National Insurance number, Spanish DNI/NIE, French NIR, Italian codice fiscale,
 * Brazilian CPF, Indian Aadhaar.
 */
import { verhoeff } from './checksums.js';
import { before, digitsOf, regexDetector, type Detector } from './match.js';

const P = 80;

/** US SSN in its written form (3-2-4 with dashes or spaces); area not 000, 666 or 9xx, no zero group or serial. */
const usSsn = regexDetector(
  'pii.us_ssn',
  'US_SSN',
  P,
  /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g,
);

/**
 * UK National Insurance number: two prefix letters (not D F I Q U V; second not O; not BG GB NK KN TN NT ZZ),
 * 6 digits, A-D.
 */
const ukNino = regexDetector(
  'pii.uk_nino',
  'UK_NINO',
  P,
  new RegExp(
    '(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)' +
      '[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D](?![A-Za-z0-9])',
    'g',
  ),
);

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
/** Spanish DNI (8 digits + check letter) and NIE (X/Y/Z + 7 digits + check letter). */
const esDni = regexDetector(
  'pii.es_dni',
  'ES_DNI',
  P,
  /(?<![A-Za-z0-9])([XYZ]-?\d{7}|\d{8})-?([A-Z])(?![A-Za-z0-9])/g,
  (m) => {
    const body = m[1].replace('-', '').replace(/^[XYZ]/, (c) => String('XYZ'.indexOf(c)));
    return DNI_LETTERS[Number(body) % 23] === m[2];
  },
);

/** French NIR (sécurité sociale): sex, year, month, department (2A/2B), commune, order, key = 97 - n mod 97. */
const frNir = regexDetector(
  'pii.fr_nir',
  'FR_NIR',
  P,
  /(?<![\dA-Za-z])([12]) ?(\d{2}) ?(0[1-9]|1[0-2]|[2-9]\d) ?(\d{2}|2[AB]) ?(\d{3}) ?(\d{3}) ?(\d{2})(?![\dA-Za-z])/g,
  (m) => {
    const dept = m[4] === '2A' ? '19' : m[4] === '2B' ? '18' : m[4];
    const n = BigInt(m[1] + m[2] + m[3] + dept + m[5] + m[6]);
    return 97n - (n % 97n) === BigInt(m[7]);
  },
);

/** Values of characters in odd positions (1st, 3rd, ...): digits 0-9 map like letters A-J. */
const CF_ODD_VALUES = '1 0 5 7 9 13 15 17 19 21 2 4 18 20 11 3 6 8 12 14 16 10 22 25 24 23'.split(' ').map(Number);
const cfOdd = (c: string) => CF_ODD_VALUES[c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : c.charCodeAt(0) - 65];
const cfEven = (c: string) => (c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : c.charCodeAt(0) - 65);

/** Italian codice fiscale: 6 letters, birth year, month letter, day (+40 for women), place, check letter. */
const itFiscalCode = regexDetector(
  'pii.it_fiscal_code',
  'IT_FISCAL_CODE',
  P,
  /(?<![A-Za-z0-9])[A-Z]{6}\d{2}[ABCDEHLMPRST][0-7]\d[A-Z]\d{3}[A-Z](?![A-Za-z0-9])/g,
  (m) => {
    const s = m[0];
    let sum = 0;
    for (let i = 0; i < 15; i++) sum += i % 2 === 0 ? cfOdd(s[i]) : cfEven(s[i]);
    return String.fromCharCode(65 + (sum % 26)) === s[15];
  },
);

function cpfValid(d: string): boolean {
  if (/^(\d)\1{10}$/.test(d)) return false;
  for (const len of [9, 10]) {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += Number(d[i]) * (len + 1 - i);
    const check = ((sum * 10) % 11) % 10;
    if (check !== Number(d[len])) return false;
  }
  return true;
}

/** Brazilian CPF in its written form 000.000.000-00, with both check digits. */
const brCpf = regexDetector('pii.br_cpf', 'BR_CPF', P, /(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d-])/g, (m) =>
  cpfValid(digitsOf(m[0])),
);

const AADHAAR_WORDS = /(?:aadhaa?r|uidai|uid)\W{0,3}(?:\w+\W+){0,2}$/;

/** Indian Aadhaar: 12 digits, first 2-9, Verhoeff; grouped 4-4-4, or bare next to the word Aadhaar/UID. */
const inAadhaar = regexDetector(
  'pii.in_aadhaar',
  'IN_AADHAAR',
  P,
  /(?<![\d-])[2-9]\d{3}([ -]?)\d{4}\1\d{4}(?![\d-])/g,
  (m, text) => verhoeff(digitsOf(m[0])) && (m[1] !== '' || AADHAAR_WORDS.test(before(text, m.index, 30))),
);

export const NATIONAL_ID_DETECTORS: Detector[] = [usSsn, ukNino, esDni, frNir, itFiscalCode, brCpf, inAadhaar];
