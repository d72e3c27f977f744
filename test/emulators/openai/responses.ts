/**
 * The OpenAI emulator's Responses module: POST /v1/responses in the documented wire format, a Response object
 * (`object: 'response'`, output items, usage with input/output token details) for JSON, and typed SSE for
 * streams (`event: <type>` + `data: {type, ..., sequence_number}`: response.created, response.in_progress,
 * output_item.added, content_part.added, output_text.delta, output_text.done, content_part.done,
 * output_item.done, function_call_arguments.delta/.done, response.completed | response.incomplete).
 *
 * Answers come from simulateChat: "echo: <text>" echoes, tools get function calls, json formats get JSON.
 * Model 'stream-error-midway' sends a delta then an `error` event; 'stream-truncated' drops the connection
 * after a delta.
 */
import { randomBytes } from 'node:crypto';
import type { ChatCompletionRequest, ChatMessage } from '../../../core/types.js';
import { simulateChat, wordPieces } from '../../../plugins/providers/mock/simulate.js';
import { type Exchange, sendJson } from './http.js';

const rid = (p: string) => `${p}_${randomBytes(24).toString('hex')}`;

const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join(' ')
      : '';

/** Just enough of the Responses request as a chat request to drive simulateChat. */
function asChat(body: any): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  if (body.instructions) messages.push({ role: 'system', content: body.instructions });
  const items = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : (body.input ?? []);
  for (const it of items) {
    if (!it.type || it.type === 'message') {
      const images = Array.isArray(it.content)
        ? it.content
            .filter((p: any) => p.type === 'input_image')
            .map((p: any) => ({ type: 'image_url', image_url: { url: p.image_url } }))
        : [];
      messages.push({ role: it.role, content: [{ type: 'text', text: textOf(it.content) }, ...images] });
    } else if (it.type === 'function_call')
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: [{ id: it.call_id, type: 'function', function: { name: it.name, arguments: it.arguments } }],
      });
    else if (it.type === 'function_call_output')
      messages.push({ role: 'tool', tool_call_id: it.call_id, content: String(it.output) });
  }
  const fmt = body.text?.format?.type;
  return {
    model: body.model,
    messages,
    tools: body.tools
      ?.filter((t: any) => t.type === 'function')
      .map((t: any) => ({ type: 'function', function: { name: t.name, parameters: t.parameters } })),
    tool_choice:
      typeof body.tool_choice === 'object'
        ? { type: 'function', function: { name: body.tool_choice.name } }
        : body.tool_choice,
    parallel_tool_calls: body.parallel_tool_calls,
    max_completion_tokens: body.max_output_tokens,
    response_format: fmt === 'json_object' || fmt === 'json_schema' ? { type: fmt } : undefined,
  };
}

export async function responsesRoutes({ rec, res, method, path }: Exchange): Promise<boolean> {
  if (method !== 'POST' || path !== '/v1/responses') return false;
  const body = rec.body ?? {};
  const chat = simulateChat(asChat(body), { created: 1_700_000_000 });
  const msg = chat.choices[0].message;
  const finish = chat.choices[0].finish_reason;
  const incomplete = finish === 'length';
  const output: any[] = [];
  if (msg.content) {
    output.push({
      id: rid('msg'),
      type: 'message',
      status: incomplete ? 'incomplete' : 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', annotations: [], logprobs: [], text: msg.content }],
    });
  }
  for (const tc of msg.tool_calls ?? []) {
    output.push({
      id: rid('fc'),
      type: 'function_call',
      status: 'completed',
      arguments: tc.function.arguments,
      call_id: tc.id,
      name: tc.function.name,
    });
  }
  const u = chat.usage!;
  const base = {
    id: rid('resp'),
    object: 'response',
    created_at: 1_700_000_000,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    model: `${body.model}-2025-01-01`,
    output: [] as any[],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: null },
    service_tier: 'default',
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: null,
  };
  const final = {
    ...base,
    status: incomplete ? 'incomplete' : 'completed',
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    output,
    usage: {
      input_tokens: u.prompt_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: u.completion_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: u.total_tokens,
    },
  };
  if (!body.stream) {
    sendJson(res, 200, final);
    return true;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  let seq = 0;
  const send = (type: string, payload: object) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...payload })}\n\n`);
  send('response.created', { response: base });
  send('response.in_progress', { response: base });
  for (const [output_index, item] of output.entries()) {
    if (item.type === 'message') {
      const t = item.content[0].text as string;
      send('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
      const ids = { item_id: item.id, output_index, content_index: 0 };
      send('response.content_part.added', {
        ...ids,
        part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
      });
      const pieces = wordPieces(t);
      for (const [i, delta] of pieces.entries()) {
        send('response.output_text.delta', { ...ids, delta, logprobs: [], obfuscation: 'x' });
        if (i === 0 && (body.model === 'stream-error-midway' || body.model === 'stream-truncated')) {
          await new Promise((r) => setTimeout(r, 20));
          if (body.model === 'stream-truncated') {
            res.socket?.destroy();
            return true;
          }
          send('error', {
            code: 'server_error',
            message: 'The server had an error while processing your request.',
            param: null,
          });
          res.end();
          return true;
        }
      }
      send('response.output_text.done', { ...ids, text: t, logprobs: [] });
      send('response.content_part.done', { ...ids, part: item.content[0] });
      send('response.output_item.done', { output_index, item });
    } else {
      send('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } });
      const half = Math.ceil(item.arguments.length / 2);
      for (const delta of [item.arguments.slice(0, half), item.arguments.slice(half)]) {
        send('response.function_call_arguments.delta', { item_id: item.id, output_index, delta, obfuscation: 'x' });
      }
      send('response.function_call_arguments.done', {
        item_id: item.id,
        output_index,
        name: item.name,
        arguments: item.arguments,
      });
      send('response.output_item.done', { output_index, item });
    }
  }
  send(incomplete ? 'response.incomplete' : 'response.completed', { response: final });
  res.end();
  return true;
}
