/** Small pieces of request translation that native providers share. */
import type { ChatMessage } from '../types.js';

/** The text of a message's content: the string, or its text parts joined (other parts ignored). */
export function textOnly(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p.type === 'text' ? String((p as { text?: unknown }).text ?? '') : '')).join('');
}

/** Tool-call arguments (JSON text) parsed; empty or blank is {}; text that is not JSON throws `invalid()`. */
export function parseToolArguments(args: string | undefined | null, invalid: () => Error): unknown {
  if (!args || !args.trim()) return {};
  try {
    return JSON.parse(args);
  } catch {
    throw invalid();
  }
}

/**
 * Append `items` as a turn of `role` under `key` (e.g. 'content', 'parts'), merged into the last turn
 * when it has the same role: for APIs that require alternating roles. Nothing is added for no items.
 */
export function pushTurn<R extends string, K extends string, I>(
  turns: Array<{ role: R } & Record<K, I[]>>,
  key: K,
  role: R,
  items: I[],
): void {
  if (!items.length) return;
  const last = turns[turns.length - 1];
  if (last && last.role === role) last[key].push(...items);
  else turns.push({ role, [key]: items } as { role: R } & Record<K, I[]>);
}

/** The text of every system and developer message, in order, as `{ text }` parts (empty ones left out). */
export function systemTexts(messages: readonly ChatMessage[]): Array<{ text: string }> {
  return messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => ({ text: textOnly(m.content) }))
    .filter((p) => p.text);
}
