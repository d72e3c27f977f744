/**
 * Secrets in prompts: provider API keys by their documented prefixes, cloud and repository tokens,
 * JWTs, private-key blocks, and credentials written into URLs or `password = ...` assignments.
 */
import { regexDetector, withHint, type Detector, type Match } from './match.js';

const S = 100;
const key = (name: string, re: RegExp, label = 'API_KEY') => regexDetector(`secrets.${name}`, label, S, re);

/** Values that name a secret rather than hold one: placeholders, variables, code. */
const NOT_A_VALUE = new RegExp(
  '^(?:\\*+|x+|\\.+|<|\\$|\\{\\{|%|os\\.|process\\.env|env\\.|getenv|config\\.|' +
    'settings\\.|none$|null$|undefined$|true$|false$|your)|[()[\\]]',
  'i',
);

/** Mask only the value of a `name = value` assignment (group 1), not the name. */
function assignment(name: string, label: string, re: RegExp): Detector {
  const base = regexDetector(`secrets.${name}`, label, S, re);
  return {
    ...base,
    find(text) {
      const out: Match[] = [];
      for (const m of text.matchAll(re)) {
        const value = m[1];
        if (NOT_A_VALUE.test(value)) continue;
        const at = m.index! + m[0].lastIndexOf(value);
        out.push({ rule: base.rule, label, start: at, end: at + value.length, priority: S });
      }
      return out;
    },
  };
}

const B = '(?<![A-Za-z0-9_-])'; // token start
const E = '(?![A-Za-z0-9_-])'; // token end
const re = (s: string, flags = 'g') => new RegExp(s, flags);
/** A PEM armour line of a private key (`-----BEGIN RSA PRIVATE KEY-----`). */
const PEM = (edge: 'BEGIN' | 'END') => `-----${edge} (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----`;

export const SECRET_DETECTORS: Record<string, Detector[]> = {
  anthropic_key: [key('anthropic_key', re(`${B}sk-ant-(?:api|admin|oat)\\d{2}-[A-Za-z0-9_-]{20,}${E}`))],
  openai_key: [key('openai_key', re(`${B}sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}${E}`))],
  aws_access_key: [key('aws_access_key', re(`(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])`))],
  aws_secret_key: [
    assignment(
      'aws_secret_key',
      'API_KEY',
      /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    ),
  ],
  github_token: [
    key('github_token', re(`${B}(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})${E}`), 'TOKEN'),
  ],
  gitlab_token: [key('gitlab_token', re(`${B}glpat-[A-Za-z0-9_-]{20,}${E}`), 'TOKEN')],
  slack_token: [key('slack_token', re(`${B}xox[abposr]-[A-Za-z0-9-]{10,}${E}`), 'TOKEN')],
  stripe_key: [key('stripe_key', re(`${B}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}${E}`))],
  google_api_key: [key('google_api_key', re(`${B}AIza[0-9A-Za-z_-]{35}${E}`))],
  huggingface_token: [key('huggingface_token', re(`${B}hf_[A-Za-z0-9]{30,}${E}`), 'TOKEN')],
  sendgrid_key: [key('sendgrid_key', re(`${B}SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}${E}`))],
  npm_token: [key('npm_token', re(`${B}npm_[A-Za-z0-9]{36}${E}`), 'TOKEN')],
  jwt: [key('jwt', re(`${B}eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}${E}`), 'TOKEN')],
  private_key: [key('private_key', re(`${PEM('BEGIN')}(?:[\\s\\S]{0,8192}?${PEM('END')})?`), 'PRIVATE_KEY')],
  url_credentials: [
    withHint(
      '://',
      assignment('url_credentials', 'PASSWORD', /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@]{1,64}:([^\s@/]{3,128})@/g),
    ),
  ],
  password: [
    assignment(
      'password',
      'PASSWORD',
      re(
        '\\b(?:password|passwd|pwd|passphrase|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)' +
          '["\']?\\s*[:=]\\s*["\']?([^\\s"\'`,;]{8,200})',
        'gi',
      ),
    ),
  ],
};

export const SECRET_TYPES = Object.keys(SECRET_DETECTORS);
