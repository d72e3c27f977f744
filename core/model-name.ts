/**
 * The rule for model names a client sends (`model`, each name of a `models` list, the
 * x-switchyard-target header): 1 to 256 printable ASCII characters without spaces (0x21-0x7E).
 * Every real model id fits (`gpt-4.1-mini`, `accounts/fireworks/models/x`, `ft:gpt-4o:org::id`,
 * `claude-3-5-sonnet-v2@20241022`, `@cf/meta/llama-3-8b-instruct`, Bedrock ARNs); nothing else
 * reaches routing, so client-chosen names cannot put megabytes or control characters into metric
 * labels, headers, logs or the ledger. A name that breaks the rule is a 400 at the ingress.
 */
import { errors } from './errors.js';

export const MODEL_NAME_MAX = 256;
const MODEL_NAME = /^[\x21-\x7E]+$/;

export function isModelName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= MODEL_NAME_MAX && MODEL_NAME.test(name);
}

/** Throw a 400 (rendered in the client's dialect) unless `name` follows the rule. */
export function checkModelName(name: unknown, param = 'model'): string {
  if (isModelName(name)) return name;
  throw modelNameError(name, param);
}

/** The 400 for a name that breaks the rule. */
export function modelNameError(name: unknown, param = 'model') {
  const got =
    typeof name !== 'string'
      ? `a ${name === null ? 'null' : typeof name}`
      : name.length > MODEL_NAME_MAX
        ? `${name.length} characters`
        : name.length === 0
          ? 'an empty string'
          : 'a character outside that range';
  return errors.invalidRequest(
    `\`${param}\` must be a model name of 1 to ${MODEL_NAME_MAX} printable ASCII characters ` +
      `without spaces (got ${got}).`,
    param,
  );
}
