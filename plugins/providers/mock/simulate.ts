/**
 * Deterministic simulation of a chat model, shared by the `mock` provider, the emulated upstreams in
 * the tests and the benchmark upstream. Same request in, same answer out; realistic usage numbers.
 *
 * Behaviour: "echo: <text>" in the last user message is echoed back; a request with tools (and
 * tool_choice other than "none") whose last message is from the user gets tool calls: every tool
 * named in the message, else the first (only one when parallel_tool_calls is false, the named one
 * for a named tool_choice); json_object / json_schema formats get a JSON reply; images and audio
 * clips (input_audio parts) are counted and mentioned; max_tokens truncates with finish_reason "length".
 * Audio output is added by simulate-audio.ts.
 */
import { createHash } from 'node:crypto';
import type {
  ChatCompletionRequest,
  ChatCompletionResponse,
  ChatMessage,
  FunctionTool,
  ToolCall,
  Usage,
} from '../../../core/types.js';

const WORDS = (
  'the a gateway routes every request to the model that fits it best while keeping costs low and ' +
  'answers fast so teams can ship features with confidence across providers regions and budgets without ' +
  'rewriting their code when a new model arrives or an old one fails'
).split(' ');

/** A rough token count: words and punctuation, as a BPE tokenizer would roughly see them. */
export function countTokens(text: string): number {
  const m = text.match(/[A-Za-z]+|\d{1,3}|[^\sA-Za-z\d]/g);
  return m ? m.length : 0;
}

export function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) =>
      p.type === 'text' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '',
    )
    .join(' ');
}

/** How many content parts of `type` the conversation holds. */
function partsIn(messages: ChatMessage[], type: string): number {
  let n = 0;
  for (const m of messages) if (Array.isArray(m.content)) for (const p of m.content) if (p.type === type) n++;
  return n;
}

/** "I see 2 images. I hear 1 audio clip. " for the media the conversation holds ('' for none). */
function mediaNote(messages: ChatMessage[]): string {
  const images = partsIn(messages, 'image_url');
  const clips = partsIn(messages, 'input_audio');
  return (
    (images ? `I see ${images} image${images > 1 ? 's' : ''}. ` : '') +
    (clips ? `I hear ${clips} audio clip${clips > 1 ? 's' : ''}. ` : '')
  );
}

export function promptTokens(req: ChatCompletionRequest): number {
  let n = 3;
  for (const m of req.messages) {
    n += 4 + countTokens(textOf(m.content));
    if (m.tool_calls) n += countTokens(JSON.stringify(m.tool_calls));
    if (Array.isArray(m.content)) for (const p of m.content) if (p.type === 'image_url') n += 85;
  }
  if (req.tools) n += countTokens(JSON.stringify(req.tools));
  return n;
}

function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** mulberry32: a tiny deterministic PRNG. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exampleValue(schema: Record<string, unknown> | undefined): unknown {
  const s = schema ?? {};
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  switch (s.type) {
    case 'string':
      return 'mock';
    case 'number':
      return 1.5;
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Record<string, unknown>>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) out[k] = exampleValue(v);
      return out;
    }
    default:
      return null;
  }
}

function chooseTools(req: ChatCompletionRequest, lastText: string): FunctionTool[] {
  const tools = req.tools ?? [];
  const choice = req.tool_choice;
  if (choice && typeof choice === 'object')
    return tools.filter((t) => t.function.name === choice.function.name).slice(0, 1);
  const named = tools.filter((t) => lastText.includes(t.function.name));
  const picked = named.length ? named : tools.slice(0, 1);
  return req.parallel_tool_calls === false ? picked.slice(0, 1) : picked;
}

export interface SimulateOptions {
  /** Value of `created` (defaults to now). */
  created?: number;
}

export function simulateChat(req: ChatCompletionRequest, options: SimulateOptions = {}): ChatCompletionResponse {
  const last = req.messages[req.messages.length - 1];
  const lastText = textOf(last?.content);
  const seedText = JSON.stringify(req.messages);
  const id = `chatcmpl-mock${seedOf(seedText).toString(16)}`;
  const created = options.created ?? Math.floor(Date.now() / 1000);
  const pTokens = promptTokens(req);
  const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? Infinity;

  const wantsTools = req.tools?.length && req.tool_choice !== 'none' && last?.role === 'user';
  if (wantsTools) {
    const calls: ToolCall[] = chooseTools(req, lastText).map((t, i) => ({
      id: `call_mock${seedOf(seedText + i).toString(16)}`,
      type: 'function',
      function: {
        name: t.function.name,
        arguments: JSON.stringify(exampleValue({ type: 'object', ...t.function.parameters })),
      },
    }));
    if (calls.length) {
      const cTokens = calls.reduce((n, c) => n + countTokens(c.function.arguments) + 3, 0);
      return {
        id,
        object: 'chat.completion',
        created,
        model: req.model,
        choices: [
          { index: 0, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' },
        ],
        usage: usage(pTokens, cTokens),
      };
    }
  }

  let text: string;
  const echo = /echo:\s*([\s\S]*)$/i.exec(lastText);
  if (echo) text = echo[1];
  else if (last?.role === 'tool')
    text = `Based on the tool result (${countTokens(textOf(last.content))} tokens), here is the answer.`;
  else {
    const r = rng(seedOf(seedText));
    const n = 12 + Math.floor(r() * 28);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(r() * WORDS.length)]);
    text = mediaNote(req.messages) + words.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.';
  }
  const format = req.response_format?.type;
  if (format === 'json_object' || format === 'json_schema') text = JSON.stringify({ reply: text });

  let finish: 'stop' | 'length' = 'stop';
  let cTokens = countTokens(text);
  if (cTokens > maxTokens) {
    const parts = text.match(/\S+\s*/g) ?? [];
    let kept = '';
    for (const p of parts) {
      if (countTokens(kept + p) > maxTokens) break;
      kept += p;
    }
    text = kept.trimEnd();
    cTokens = countTokens(text);
    finish = 'length';
  }
  const n = Math.max(1, req.n ?? 1);
  return {
    id,
    object: 'chat.completion',
    created,
    model: req.model,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant' as const, content: text, refusal: null },
      finish_reason: finish,
      logprobs: null,
    })),
    usage: usage(pTokens, cTokens * n),
    system_fingerprint: 'fp_mock',
  };
}

function usage(prompt: number, completion: number): Usage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

/** Split text into word-sized stream pieces ("Hello", " world", "."). */
export function wordPieces(text: string): string[] {
  return text.match(/\s*\S+/g) ?? (text ? [text] : []);
}

/** A deterministic bag-of-words embedding (feature hashing), L2-normalised. */
export function simulateEmbedding(text: string, dims = 256): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    const h = seedOf(w);
    v[h % dims] += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}
