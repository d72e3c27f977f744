/**
 * The text of a chat request, as segments that checks read and masking rewrites: message content
 * (string or text parts) and the arguments of earlier tool calls. Images, audio and files are not
 * text and are left alone; so is earlier reasoning (thinking blocks are signed by their provider).
 */
import type { ChatCompletionRequest, ChatMessage, ContentPart } from '../../core/types.js';
import type { MessageRole } from './types.js';

export interface Segment {
  role: MessageRole;
  text: string;
  /** Where it lives: message index, then a text part index or a tool call index. */
  message: number;
  part?: number;
  toolCall?: number;
}

export function requestSegments(request: ChatCompletionRequest): Segment[] {
  const out: Segment[] = [];
  request.messages.forEach((m, message) => {
    const role = (m.role === 'function' ? 'tool' : m.role) as MessageRole;
    if (typeof m.content === 'string') {
      if (m.content) out.push({ role, text: m.content, message });
    } else if (Array.isArray(m.content)) {
      m.content.forEach((p, part) => {
        if (p.type === 'text' && typeof (p as { text?: unknown }).text === 'string' && (p as { text: string }).text) {
          out.push({ role, text: (p as { text: string }).text, message, part });
        }
      });
    }
    m.tool_calls?.forEach((c, toolCall) => {
      const args = c.function?.arguments;
      if (typeof args === 'string' && args) out.push({ role, text: args, message, toolCall });
    });
  });
  return out;
}

/** A copy of the request with some segments' text replaced (copy on write: untouched messages are shared). */
export function withSegments(
  request: ChatCompletionRequest,
  replaced: Array<{ segment: Segment; text: string }>,
): ChatCompletionRequest {
  const messages = [...request.messages];
  const copied = new Set<number>();
  for (const { segment: s, text } of replaced) {
    if (!copied.has(s.message)) {
      const m = messages[s.message];
      messages[s.message] = {
        ...m,
        ...(Array.isArray(m.content) ? { content: [...m.content] } : {}),
        ...(m.tool_calls ? { tool_calls: [...m.tool_calls] } : {}),
      } as ChatMessage;
      copied.add(s.message);
    }
    const m = messages[s.message];
    if (s.toolCall !== undefined) {
      const call = m.tool_calls![s.toolCall];
      m.tool_calls![s.toolCall] = { ...call, function: { ...call.function, arguments: text } };
    } else if (s.part !== undefined) {
      (m.content as ContentPart[])[s.part] = { ...(m.content as ContentPart[])[s.part], text } as ContentPart;
    } else m.content = text;
  }
  return { ...request, messages };
}

/** Replace [start, end) spans of `text` with what `by` returns for each. Spans must not overlap and be sorted. */
export function replaceSpans(
  text: string,
  spans: Array<{ start: number; end: number }>,
  by: (i: number) => string,
): string {
  let out = '';
  let at = 0;
  spans.forEach((s, i) => {
    out += text.slice(at, s.start) + by(i);
    at = s.end;
  });
  return out + text.slice(at);
}
