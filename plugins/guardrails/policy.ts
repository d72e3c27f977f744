/**
 * Policies compiled at boot: their checks built once, their scope (keys, projects, models) as
 * predicates, and the combinations that cannot work refused with a message naming the option.
 */
import type { RequestContext } from '../../core/context.js';
import type { Gateway } from '../../core/gateway-types.js';
import { PluginOptionsError } from '../../core/plugin.js';
import { scoreInjection } from './checks/injection.js';
import { jsonSchemaCheck, type DocumentCheck } from './checks/json-schema.js';
import type { Detector, Match } from './checks/match.js';
import { PII_DETECTORS, PII_ENTITIES } from './checks/pii.js';
import { moderationCheck, webhookCheck, type RemoteCheck } from './checks/remote.js';
import { SECRET_DETECTORS, SECRET_TYPES } from './checks/secrets.js';
import { wordListDetectors } from './checks/words.js';
import type { GuardrailAction, GuardrailPolicy, MessageRole } from './types.js';

/** A check over text, offline and synchronous. Locating checks report spans (they can redact). */
export interface TextCheck {
  readonly type: 'pii' | 'secrets' | 'words' | 'injection';
  readonly locates: boolean;
  /** Roles this check reads by default (undefined: all). */
  readonly roles?: ReadonlySet<MessageRole>;
  /** Matches; a non-locating check reports one match per rule over the whole text. */
  find(text: string): Match[];
}

export interface CompiledPolicy {
  readonly id: string;
  readonly action: GuardrailAction;
  readonly input: boolean;
  readonly output: boolean;
  readonly failClosed: boolean;
  readonly restore: boolean;
  readonly roles?: ReadonlySet<MessageRole>;
  readonly text: TextCheck[];
  readonly remote: RemoteCheck[];
  readonly documents: DocumentCheck[];
  applies(ctx: RequestContext): boolean;
}

function detectorsCheck(type: 'pii' | 'secrets' | 'words', detectors: Detector[]): TextCheck {
  return {
    type,
    locates: true,
    find(text) {
      if (detectors.length === 1) return detectors[0].find(text);
      const out: Match[] = [];
      for (const d of detectors) for (const m of d.find(text)) out.push(m);
      return out;
    },
  };
}

function injectionCheck(threshold: number): TextCheck {
  return {
    type: 'injection',
    locates: false,
    roles: new Set<MessageRole>(['user', 'tool']),
    find(text) {
      const { score, rules } = scoreInjection(text);
      if (score < threshold) return [];
      return rules.map((rule) => ({ rule, label: '', start: 0, end: text.length, priority: 0 }));
    },
  };
}

/** `openai/*` -> /^openai\/.*$/ */
const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

function scope(match: GuardrailPolicy['match']): (ctx: RequestContext) => boolean {
  if (!match) return () => true;
  const keys = match.keys && new Set(match.keys);
  const projects = match.projects && new Set(match.projects);
  const models = match.models?.map(glob);
  return (ctx) => {
    if (keys && !keys.has(ctx.principal?.id ?? '')) return false;
    if (projects && !projects.has(ctx.principal?.project ?? '')) return false;
    if (models) {
      const names = [ctx.requestedModel, ...ctx.targets.map((t) => `${t.provider}/${t.model}`)];
      if (!models.some((re) => names.some((n) => re.test(n)))) return false;
    }
    return true;
  };
}

export function compilePolicies(gateway: Gateway, policies: GuardrailPolicy[]): CompiledPolicy[] {
  const ids = new Set<string>();
  return policies.map((p, i) => {
    const fail = (path: string, detail: string): never => {
      throw new PluginOptionsError('guardrails', `policies[${i}]${path}`, detail);
    };
    if (ids.has(p.id)) fail('.id', `repeats the id "${p.id}": every policy needs its own`);
    ids.add(p.id);
    const on = p.on ?? 'input';
    const text: TextCheck[] = [];
    const remote: RemoteCheck[] = [];
    const documents: DocumentCheck[] = [];
    p.checks.forEach((c, j) => {
      const at = `.checks[${j}]`;
      switch (c.type) {
        case 'pii':
          text.push(
            detectorsCheck(
              'pii',
              (c.entities ?? PII_ENTITIES).flatMap((e) => PII_DETECTORS[e]),
            ),
          );
          break;
        case 'secrets':
          text.push(
            detectorsCheck(
              'secrets',
              (c.kinds ?? SECRET_TYPES).flatMap((k) => SECRET_DETECTORS[k]),
            ),
          );
          break;
        case 'words':
          if (!c.words?.length && !c.patterns?.length) fail(at, 'has neither words nor patterns');
          try {
            text.push(detectorsCheck('words', wordListDetectors(c)));
          } catch (e) {
            fail(at, `has a ${(e as Error).message}`);
          }
          break;
        case 'injection':
          text.push(injectionCheck(c.threshold ?? 1));
          break;
        case 'json-schema':
          if (on !== 'output') fail(at, 'checks answers only: set the policy\'s `on` to "output"');
          try {
            documents.push(jsonSchemaCheck(c.schema));
          } catch (e) {
            fail(at, (e as Error).message);
          }
          break;
        case 'moderation':
          remote.push(moderationCheck(gateway, c));
          break;
        case 'webhook':
          remote.push(webhookCheck(gateway, c));
          break;
      }
      if (p.action === 'redact' && !(c.type === 'pii' || c.type === 'secrets' || c.type === 'words')) {
        fail(
          at,
          `cannot redact: a ${c.type} check does not say where in the text its finding is ` +
            '(use block, flag or log)',
        );
      }
    });
    return {
      id: p.id,
      action: p.action,
      input: on !== 'output',
      output: on !== 'input',
      failClosed: (p.failMode ?? (p.action === 'block' ? 'closed' : 'open')) === 'closed',
      restore: p.restore !== false,
      roles: p.roles && new Set(p.roles),
      text,
      remote,
      documents,
      applies: scope(p.match),
    };
  });
}

/** The provider names of moderation checks (checked once every plugin has applied). */
export function moderationProviders(policies: GuardrailPolicy[]): Array<{ path: string; provider: string }> {
  const out: Array<{ path: string; provider: string }> = [];
  policies.forEach((p, i) =>
    p.checks.forEach((c, j) => {
      if (c.type === 'moderation') out.push({ path: `policies[${i}].checks[${j}].provider`, provider: c.provider });
    }),
  );
  return out;
}
