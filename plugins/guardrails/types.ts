/** Options of the guardrails plugin (the `guardrails` section of switchyard.config.ts). See docs/guardrails.md. */
import type { WordListOptions } from './checks/words.js';

export type GuardrailAction = 'block' | 'redact' | 'flag' | 'log';
export type GuardrailPhase = 'input' | 'output';
export type MessageRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export type PiiEntity =
  | 'email'
  | 'phone'
  | 'credit_card'
  | 'iban'
  | 'ip_address'
  | 'us_ssn'
  | 'uk_nino'
  | 'es_dni'
  | 'fr_nir'
  | 'it_fiscal_code'
  | 'br_cpf'
  | 'in_aadhaar';

/** PII: offline detectors with validation (Luhn, mod-97, national check digits). Rule ids "pii.<entity>". */
export interface PiiCheck {
  type: 'pii';
  /** Default: all. */
  entities?: PiiEntity[];
}

/** Secrets: API keys and tokens by their prefixes, private keys, JWTs, credentials. Rule ids "secrets.<kind>". */
export interface SecretsCheck {
  type: 'secrets';
  /** Default: all kinds (see docs/guardrails.md). */
  kinds?: string[];
}

/** Prompt-injection heuristics (weighted phrase rules). Rule ids "injection.<rule>". */
export interface InjectionCheck {
  type: 'injection';
  /** Score at which a text counts as an injection. Default 1. */
  threshold?: number;
}

/** Words, phrases and regular expressions. Rule id "words.<name>". */
export interface WordsCheck extends WordListOptions {
  type: 'words';
}

/** JSON-schema validation of structured outputs (output only). Rule ids "json_schema.invalid_json|mismatch". */
export interface JsonSchemaCheck {
  type: 'json-schema';
  /** Schema every answer must satisfy; default: the request's own response_format (json_schema / json_object). */
  schema?: Record<string, unknown>;
}

/** A provider's moderation endpoint (OpenAI's POST /v1/moderations format). Rule ids "moderation.<category>". */
export interface ModerationCheck {
  type: 'moderation';
  /** A configured provider whose adapter has moderations (openai and OpenAI-compatible ones). */
  provider: string;
  /** Default "omni-moderation-latest". */
  model?: string;
  /** Only these categories count. Default: any flagged category. */
  categories?: string[];
  /** Count a category when its score reaches this (instead of the endpoint's own flag). */
  threshold?: number;
  /** Default 2000 ms. */
  timeoutMs?: number;
}

/**
 * An external HTTP service: POST { phase, policy, requestId, model, texts } -> { flagged, rules? }.
 * Rule ids "webhook.<rule>".
 */
export interface WebhookCheck {
  type: 'webhook';
  /** http(s) URL, from the configuration only. */
  url: string;
  /** Extra request headers (e.g. the service's own auth). */
  headers?: Record<string, string>;
  /** Default 2000 ms. */
  timeoutMs?: number;
}

export type GuardrailCheck =
  | PiiCheck
  | SecretsCheck
  | InjectionCheck
  | WordsCheck
  | JsonSchemaCheck
  | ModerationCheck
  | WebhookCheck;

export interface GuardrailPolicy {
  /** Names the policy in verdicts, errors, the ledger and metrics. */
  id: string;
  /**
   * block: refuse (input) or cut the answer with an error (output); redact: mask what was found
   * (input: reversibly, values restored in the answer; output: irreversibly); flag: let it through,
   * say so in the x-switchyard-guardrails header and the verdicts; log: verdicts only.
   */
  action: GuardrailAction;
  /** Which side. Default 'input'. */
  on?: 'input' | 'output' | 'both';
  checks: GuardrailCheck[];
  /** Who and what the policy applies to; all given lists must match (each list: any entry). Default: everything. */
  match?: {
    /** Principal ids (virtual key / static key ids). */
    keys?: string[];
    projects?: string[];
    /** Requested model names or routed "provider/model" targets; `*` matches any characters. */
    models?: string[];
  };
  /** Input messages to check. Default: every role ('injection': user and tool). */
  roles?: MessageRole[];
  /**
   * When a remote check fails or times out: let the request through ('open') or refuse it ('closed').
   * Default: closed for block, open otherwise.
   */
  failMode?: 'open' | 'closed';
  /** redact on input: restore the values in answers. Default true. */
  restore?: boolean;
}

export interface GuardrailsOptions {
  policies: GuardrailPolicy[];
  stream?: {
    /**
     * Characters of a streamed answer held back so that a match is seen whole before any of it is
     * sent (the longest match the output checks guarantee to catch before release). Default 128.
     */
    holdBackChars?: number;
    /** Streams with remote output checks: text is released in windows of this size once they passed. Default 512. */
    remoteWindowChars?: number;
  };
  /** Send x-switchyard-guardrails (rule ids flagged, count redacted). Default true. */
  header?: boolean;
}
