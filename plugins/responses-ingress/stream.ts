/**
 * Responses API streaming: canonical chunks -> the typed SSE events (`event: <type>` + JSON with
 * `sequence_number`), in OpenAI's order: response.created, response.in_progress, then per output item
 * output_item.added, (content_part.added, output_text.delta*, output_text.done, content_part.done |
 * function_call_arguments.delta*, function_call_arguments.done | reasoning_text deltas), output_item.done,
 * and response.completed / response.incomplete. A failure after the stream began sends an `error` event
 * then response.failed. Chunks from a native upstream carry its raw events, which are relayed as is.
 */
import type { ChatContext } from '../../core/context.js';
import type { GatewayError } from '../../core/errors.js';
import type { ChatCompletionChunk, FinishReason, ToolCallDelta } from '../../core/types.js';
import type { StreamEncoder } from '../../core/http/dialect.js';
import { nativeQueueOf, type NativeQueue } from './native.js';
import { baseResponse, newId, outputText, statusFor, toResponsesUsage, type ResponseMeta } from './translate.js';

type Json = Record<string, unknown>;

interface Item {
  kind: 'message' | 'reasoning' | 'function_call';
  id: string;
  index: number;
  text: string;
  callId?: string;
  name?: string;
  signature?: string;
  done: boolean;
}

export class ResponsesStreamEncoder implements StreamEncoder {
  /** The final Response object once the stream completed (to store for previous_response_id). */
  final?: Json;
  readonly #ctx: ChatContext;
  readonly #meta: ResponseMeta;
  #mode?: 'native' | 'translated';
  #native?: NativeQueue;
  #seq = 0;
  #started = false;
  readonly #items: Item[] = [];
  /** The open message or reasoning item (function calls stay open until the end). */
  #open?: Item;
  readonly #tools = new Map<number, Item>();
  #finish: FinishReason = null;

  constructor(ctx: ChatContext, meta: ResponseMeta) {
    this.#ctx = ctx;
    this.#meta = meta;
  }

  chunk(c: ChatCompletionChunk): string {
    if (!this.#mode) {
      this.#native = nativeQueueOf(c);
      this.#mode = this.#native ? 'native' : 'translated';
    }
    if (this.#native) return this.#flush();
    let out = this.#start();
    const ch = c.choices.find((x) => x.index === 0);
    if (!ch) return out;
    const d = ch.delta ?? {};
    if (typeof d.reasoning_content === 'string' && d.reasoning_content)
      out += this.#append('reasoning', d.reasoning_content);
    if (typeof d.reasoning_signature === 'string' && this.#open?.kind === 'reasoning')
      this.#open.signature = d.reasoning_signature;
    if (typeof d.content === 'string' && d.content) out += this.#append('message', d.content);
    for (const tc of d.tool_calls ?? []) out += this.#tool(tc);
    if (ch.finish_reason) this.#finish = ch.finish_reason;
    return out;
  }

  end(): string {
    if (this.#native) {
      const out = this.#flush();
      this.final = this.#native.completed;
      return out;
    }
    let out = this.#start();
    for (const item of this.#items) out += this.#close(item);
    const { status, incomplete_details } = statusFor(this.#finish);
    const response = {
      ...this.#base(status),
      incomplete_details,
      output: this.#items.map((i) => this.#itemObject(i, status === 'completed' ? 'completed' : 'incomplete')),
      usage: toResponsesUsage(this.#ctx.usage),
    };
    this.final = response;
    return out + this.#event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
  }

  error(err: GatewayError): string {
    let out: string;
    let response: Json;
    if (this.#native) {
      out = this.#flush();
      this.#seq = this.#native.lastSeq + 1;
      response = { ...(this.#native.snapshot ?? this.#base('failed')), status: 'failed' };
    } else {
      out = this.#start();
      response = {
        ...this.#base('failed'),
        output: this.#items.map((i) => this.#itemObject(i, 'incomplete')),
        usage: toResponsesUsage(this.#ctx.usage),
      };
    }
    response.error = { code: err.code ?? 'server_error', message: err.message };
    out += this.#event('error', { code: err.code, message: err.message, param: err.param });
    return out + this.#event('response.failed', { response });
  }

  #flush(): string {
    const q = this.#native!;
    let out = '';
    for (const ev of q.events) out += `event: ${ev.event}\ndata: ${ev.data}\n\n`;
    q.events.length = 0;
    return out;
  }

  #event(type: string, payload: Json): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload, sequence_number: this.#seq++ })}\n\n`;
  }

  #base(status: string): Json {
    return baseResponse({ ...this.#meta, model: this.#ctx.target?.model ?? this.#meta.model }, status);
  }

  #start(): string {
    if (this.#started) return '';
    this.#started = true;
    const response = this.#base('in_progress');
    return this.#event('response.created', { response }) + this.#event('response.in_progress', { response });
  }

  #itemObject(item: Item, status: string): Json {
    switch (item.kind) {
      case 'message':
        return {
          id: item.id,
          type: 'message',
          status,
          role: 'assistant',
          content: item.done || status !== 'in_progress' ? [outputText(item.text)] : [],
        };
      case 'reasoning':
        return {
          id: item.id,
          type: 'reasoning',
          summary: [],
          content: status === 'in_progress' ? [] : [{ type: 'reasoning_text', text: item.text }],
          ...(item.signature ? { encrypted_content: item.signature } : {}),
          status,
        };
      default:
        return {
          id: item.id,
          type: 'function_call',
          status,
          arguments: status === 'in_progress' ? '' : item.text,
          call_id: item.callId,
          name: item.name,
        };
    }
  }

  #add(kind: Item['kind'], extra: Partial<Item> = {}): { item: Item; out: string } {
    const prefix = kind === 'message' ? 'msg' : kind === 'reasoning' ? 'rs' : 'fc';
    const item: Item = { kind, id: newId(prefix), index: this.#items.length, text: '', done: false, ...extra };
    this.#items.push(item);
    let out = this.#event('response.output_item.added', {
      output_index: item.index,
      item: this.#itemObject(item, 'in_progress'),
    });
    if (kind === 'message') {
      out += this.#event('response.content_part.added', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        part: outputText(''),
      });
    } else if (kind === 'reasoning') {
      out += this.#event('response.content_part.added', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        part: { type: 'reasoning_text', text: '' },
      });
    }
    return { item, out };
  }

  /** Text or reasoning text: continue the open item of that kind, else close it and open a new one. */
  #append(kind: 'message' | 'reasoning', delta: string): string {
    let out = '';
    if (this.#open?.kind !== kind) {
      if (this.#open) out += this.#close(this.#open);
      const added = this.#add(kind);
      this.#open = added.item;
      out += added.out;
    }
    const item = this.#open!;
    item.text += delta;
    const type = kind === 'message' ? 'response.output_text.delta' : 'response.reasoning_text.delta';
    return (
      out +
      this.#event(type, {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        delta,
        ...(kind === 'message' ? { logprobs: [] } : {}),
      })
    );
  }

  #tool(tc: ToolCallDelta): string {
    let out = '';
    let item = this.#tools.get(tc.index);
    if (!item) {
      if (this.#open) out += this.#close(this.#open);
      this.#open = undefined;
      const added = this.#add('function_call', { callId: tc.id ?? newId('call'), name: tc.function?.name ?? '' });
      item = added.item;
      this.#tools.set(tc.index, item);
      out += added.out;
    } else if (tc.function?.name && !item.name) {
      item.name = tc.function.name;
    }
    const delta = tc.function?.arguments;
    if (delta) {
      item.text += delta;
      out += this.#event('response.function_call_arguments.delta', {
        item_id: item.id,
        output_index: item.index,
        delta,
      });
    }
    return out;
  }

  #close(item: Item): string {
    if (item.done) return '';
    item.done = true;
    if (this.#open === item) this.#open = undefined;
    const ids = { item_id: item.id, output_index: item.index };
    let out = '';
    if (item.kind === 'message') {
      out += this.#event('response.output_text.done', { ...ids, content_index: 0, text: item.text, logprobs: [] });
      out += this.#event('response.content_part.done', { ...ids, content_index: 0, part: outputText(item.text) });
    } else if (item.kind === 'reasoning') {
      out += this.#event('response.reasoning_text.done', { ...ids, content_index: 0, text: item.text });
      out += this.#event('response.content_part.done', {
        ...ids,
        content_index: 0,
        part: { type: 'reasoning_text', text: item.text },
      });
    } else {
      out += this.#event('response.function_call_arguments.done', { ...ids, name: item.name, arguments: item.text });
    }
    const status = this.#finish === 'length' || this.#finish === 'content_filter' ? 'incomplete' : 'completed';
    return (
      out + this.#event('response.output_item.done', { output_index: item.index, item: this.#itemObject(item, status) })
    );
  }
}
