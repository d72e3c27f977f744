/**
 * Answers on their way to the client: non-streamed responses (transformResponse) and streams
 * (transformStream), both through Channels, so the same checks, redaction and restoration apply.
 */
import type { ChatContext } from '../../core/context.js';
import type { ChatCompletionChunk, ChatCompletionResponse, ToolCallDelta } from '../../core/types.js';
import { Channel, type ChannelOptions } from './channel.js';
import type { GuardState } from './verdicts.js';

export interface OutputSettings {
  holdBack: number;
  remoteWindow: number;
}

export async function guardResponse(
  state: GuardState,
  response: ChatCompletionResponse,
  ctx: ChatContext,
  s: OutputSettings,
): Promise<ChatCompletionResponse> {
  const run = async (kind: ChannelOptions['kind'], text: string): Promise<string> => {
    const ch = new Channel(state, ctx, { kind, ...s });
    return (await ch.push(text)) + (await ch.flush());
  };
  const choices = [];
  for (const choice of response.choices) {
    const m = choice.message;
    const message = { ...m };
    if (typeof m.reasoning_content === 'string' && m.reasoning_content) {
      message.reasoning_content = await run('reasoning', m.reasoning_content);
    }
    if (typeof m.content === 'string' && m.content) message.content = await run('content', m.content);
    if (m.tool_calls?.length) {
      message.tool_calls = [];
      for (const c of m.tool_calls) {
        const args = c.function?.arguments;
        if (!args) message.tool_calls.push(c);
        else message.tool_calls.push({ ...c, function: { ...c.function, arguments: await run('arguments', args) } });
      }
    }
    choices.push({ ...choice, message });
  }
  return { ...response, choices };
}

type Delta = ChatCompletionChunk['choices'][number]['delta'];

/** The channels of one choice, in the order a choice produces them: reasoning, content, tool calls. */
class ChoiceChannels {
  readonly reasoning: Channel;
  readonly content: Channel;
  readonly tools = new Map<number, Channel>();
  #lastTool = -1;
  #stage = 0; // 0 reasoning, 1 content, 2 tools

  constructor(private readonly make: (kind: ChannelOptions['kind']) => Channel) {
    this.reasoning = make('reasoning');
    this.content = make('content');
  }

  /** Run one delta through the channels; what is earlier in the choice is flushed before what follows it. */
  async apply(d: Delta, out: Delta, finished: boolean): Promise<void> {
    let reasoning = '';
    let content = '';
    const tools: ToolCallDelta[] = [];
    if (typeof d.reasoning_content === 'string' && d.reasoning_content) {
      reasoning = await this.reasoning.push(d.reasoning_content);
    }
    if (typeof d.content === 'string' && d.content) {
      if (this.#stage < 1) reasoning += await this.reasoning.flush();
      this.#stage = Math.max(this.#stage, 1);
      content = await this.content.push(d.content);
    }
    for (const tc of d.tool_calls ?? []) {
      if (this.#stage < 2) {
        reasoning += await this.reasoning.flush();
        content += await this.content.flush();
        this.#stage = 2;
      }
      if (tc.index !== this.#lastTool) {
        const prev = this.tools.get(this.#lastTool);
        if (prev?.holding) tools.push({ index: this.#lastTool, function: { arguments: await prev.flush() } });
        this.#lastTool = tc.index;
      }
      let ch = this.tools.get(tc.index);
      if (!ch) this.tools.set(tc.index, (ch = this.make('arguments')));
      const args = tc.function?.arguments ? await ch.push(tc.function.arguments) : undefined;
      tools.push(args === undefined ? tc : { ...tc, function: { ...tc.function, arguments: args } });
    }
    if (finished) {
      reasoning += await this.reasoning.flush();
      content += await this.content.flush();
      for (const [index, ch] of this.tools) {
        const rest = await ch.flush();
        if (rest) tools.push({ index, function: { arguments: rest } });
      }
    }
    setText(out, 'reasoning_content', d, reasoning);
    setText(out, 'content', d, content);
    if (tools.length) out.tool_calls = tools;
    else delete out.tool_calls;
  }
}

/** Put released text in `out`, keeping the field's presence as the provider sent it (or adding it for a flush). */
function setText(out: Delta, field: 'content' | 'reasoning_content', d: Delta, text: string): void {
  if (text) out[field] = text;
  else if (typeof d[field] === 'string' && d[field]) out[field] = '';
}

/** A delta with nothing left to say (and no role, refusal or other field) need not be sent. */
function empty(d: Delta): boolean {
  for (const [k, v] of Object.entries(d)) {
    if (v === undefined || v === null) continue;
    if ((k === 'content' || k === 'reasoning_content') && v === '') continue;
    return false;
  }
  return true;
}

export async function* guardStream(
  state: GuardState,
  chunks: AsyncIterable<ChatCompletionChunk>,
  ctx: ChatContext,
  s: OutputSettings,
): AsyncGenerator<ChatCompletionChunk> {
  const choices = new Map<number, ChoiceChannels>();
  const make = (kind: ChannelOptions['kind']) => new Channel(state, ctx, { kind, ...s });
  const channelsOf = (i: number) => {
    let c = choices.get(i);
    if (!c) choices.set(i, (c = new ChoiceChannels(make)));
    return c;
  };
  const ended = new Set<number>();
  let last: ChatCompletionChunk | undefined;
  for await (const chunk of chunks) {
    last = chunk;
    const out: ChatCompletionChunk = { ...chunk, choices: [] };
    for (const choice of chunk.choices) {
      const delta: Delta = { ...choice.delta };
      const finished = choice.finish_reason !== null && choice.finish_reason !== undefined;
      await channelsOf(choice.index).apply(choice.delta ?? {}, delta, finished);
      if (finished) ended.add(choice.index);
      if (!finished && empty(delta) && !choice.logprobs) continue;
      out.choices.push({ ...choice, delta });
    }
    if (out.choices.length || !chunk.choices.length || chunk.usage) yield out;
  }
  // A stream that ended without a finish_reason: send what is held rather than drop it.
  if (!last) return;
  const tail: ChatCompletionChunk = {
    id: last.id,
    object: 'chat.completion.chunk',
    created: last.created,
    model: last.model,
    choices: [],
  };
  for (const [index, c] of choices) {
    if (ended.has(index)) continue;
    const delta: Delta = {};
    await c.apply({}, delta, true);
    if (!empty(delta)) tail.choices.push({ index, delta, finish_reason: null });
  }
  if (tail.choices.length) yield tail;
}
