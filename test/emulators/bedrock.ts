/**
 * Emulated Amazon Bedrock Runtime: Converse, ConverseStream (binary event stream) and InvokeModel
 * for Titan / Cohere embeddings. It authenticates like AWS: a Bedrock API key as a bearer token, or
 * a SigV4 signature that it recomputes from what it received (canonical request rules for non-S3
 * services: the path segments encoded again, sorted query, the signed headers' trimmed values, the
 * SHA-256 of the body), answering 403 with Bedrock's error shape (x-amzn-errortype + {"message"})
 * when anything is off. The signature check here is written independently of the plugin's signer.
 *
 * It also emulates the Agents for Amazon Bedrock runtime's Rerank API (POST /rerank: `queries` [one TEXT
 * query], `sources` [1..1000 INLINE TEXT documents], `rerankingConfiguration` BEDROCK_RERANKING_MODEL with a
 * foundation-model ARN of a rerank model and `numberOfResults` -> `{ results: [{ index, relevanceScore }] }`).
 *
 * Behaviour by model id: see the switch in `errorFor`; 'stream-error-midway' ends a stream with a
 * modelStreamErrorException message, 'stream-truncated' cuts the socket mid-frame, 'slow' waits 2 s;
 * ids containing 'reasoning' add a reasoningContent block, 'cache' reports cache-read tokens,
 * 'guardrail' stops with guardrail_intervened.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens, simulateChat, simulateEmbedding, wordPieces } from '../../plugins/providers/mock/simulate.js';
import type { ChatCompletionRequest, ChatMessage, ContentPart, FunctionTool } from '../../core/types.js';
import { rankDocuments } from './rerank.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface BedrockEmulatorOptions {
  /** accessKeyId -> secret (and session token for temporary credentials). */
  credentials?: Record<string, { secretAccessKey: string; sessionToken?: string }>;
  /** Accepted Bedrock API keys. */
  apiKeys?: string[];
}

export const EMULATOR_CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
export const EMULATOR_TEMP_CREDENTIALS = {
  accessKeyId: 'ASIAEMULATORTEMP0001',
  secretAccessKey: 'tempSecretKey/For+Emulator0000000000000',
  sessionToken: 'IQoJb3JpZ2luX2VjEMULATOR-session-token',
};

const CORAL = 'http://internal.amazon.com/coral/com.amazon.bedrock/';
const CORAL_SERVICE = 'http://internal.amazon.com/coral/com.amazon.coral.service/';

// ---------------------------------------------------------------- event-stream encoding

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < buf.length; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** One event-stream message with string (type 7) headers. */
export function encodeFrame(headers: Record<string, string>, payload: Uint8Array | string): Buffer {
  const hparts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const h = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
    h.writeUInt8(n.length, 0);
    n.copy(h, 1);
    h.writeUInt8(7, 1 + n.length);
    h.writeUInt16BE(v.length, 2 + n.length);
    v.copy(h, 4 + n.length);
    hparts.push(h);
  }
  const hbuf = Buffer.concat(hparts);
  const pbuf = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const total = 12 + hbuf.length + pbuf.length + 4;
  const out = Buffer.alloc(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(hbuf.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  hbuf.copy(out, 12);
  pbuf.copy(out, 12 + hbuf.length);
  out.writeUInt32BE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

/** Bedrock pads event payloads with a random "p" field (to hide lengths). */
const pad = (n: number) => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.slice(0, 1 + (n % 40));

function eventFrame(type: string, body: Record<string, unknown>, seq: number): Buffer {
  return encodeFrame(
    { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    JSON.stringify({ ...body, p: pad(seq * 7) }),
  );
}

// ---------------------------------------------------------------- SigV4 verification

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
const hex256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const mac = (k: string | Buffer, d: string) => createHmac('sha256', k).update(d).digest();
const AUTHORIZATION = new RegExp(
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,/.source +
    /\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.source,
);
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

interface AuthFailure {
  status: number;
  type: string;
  message: string;
}

function verifySigV4(
  req: IncomingMessage,
  raw: Buffer,
  creds: NonNullable<BedrockEmulatorOptions['credentials']>,
): AuthFailure | null {
  const authz = String(req.headers.authorization ?? '');
  const m = AUTHORIZATION.exec(authz);
  if (!m) {
    return {
      status: 403,
      type: 'IncompleteSignatureException',
      message:
        "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. " +
        `Authorization=${authz.split(' ')[0]}`,
    };
  }
  const [, akid, day, region, service, signedHeaders, signature] = m;
  const cred = creds[akid];
  if (!cred)
    return {
      status: 403,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  if (service !== 'bedrock')
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: `Credential should be scoped to correct service: 'bedrock'. `,
    };
  const names = signedHeaders.split(';');
  if (!names.includes('host'))
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    };
  const date = String(req.headers['x-amz-date'] ?? '');
  if (!/^\d{8}T\d{6}Z$/.test(date) || !names.includes('x-amz-date')) {
    return {
      status: 403,
      type: 'IncompleteSignatureException',
      message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    };
  }
  if (date.slice(0, 8) !== day) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message:
        'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ' +
        `'${day}' != '${date.slice(0, 8)}', from '${date}'.`,
    };
  }
  const when = Date.UTC(
    +date.slice(0, 4),
    +date.slice(4, 6) - 1,
    +date.slice(6, 8),
    +date.slice(9, 11),
    +date.slice(11, 13),
    +date.slice(13, 15),
  );
  if (Math.abs(Date.now() - when) > 15 * 60_000) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: `Signature expired: ${date} is now earlier than the allowed 15 minute window.`,
    };
  }
  if (cred.sessionToken !== undefined) {
    if (req.headers['x-amz-security-token'] !== cred.sessionToken) {
      return {
        status: 403,
        type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      };
    }
  }
  if (req.headers['x-amz-security-token'] !== undefined && !names.includes('x-amz-security-token')) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: SIGNATURE_MISMATCH,
    };
  }
  // Canonical request as AWS rebuilds it from what arrived.
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const canonicalPath =
    '/' +
    path
      .split('/')
      .filter((s) => s !== '')
      .map(rfc3986)
      .join('/');
  const canonicalQs = query
    .split('&')
    .filter(Boolean)
    .map((kv) => {
      const [k, v = ''] = kv.split('=');
      return [rfc3986(decodeURIComponent(k)), rfc3986(decodeURIComponent(v))];
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map((p) => p.join('='))
    .join('&');
  const values = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i].toLowerCase();
    values.set(k, [...(values.get(k) ?? []), req.rawHeaders[i + 1]]);
  }
  const canonicalHeaders = names
    .map((n) => `${n}:${(values.get(n) ?? []).map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`)
    .join('');
  const canonical =
    `${req.method}\n${canonicalPath}\n${canonicalQs}\n` + `${canonicalHeaders}\n${signedHeaders}\n${hex256(raw)}`;
  const scope = `${day}/${region}/${service}/aws4_request`;
  const sts = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${hex256(canonical)}`;
  const key = mac(mac(mac(mac(`AWS4${cred.secretAccessKey}`, day), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(sts).digest('hex');
  if (expected !== signature) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: SIGNATURE_MISMATCH,
    };
  }
  return null;
}

// ---------------------------------------------------------------- helpers

function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  const body = JSON.stringify({ message });
  const coral = /Signature|UnrecognizedClient|MissingAuthentication/.test(type) ? CORAL_SERVICE : CORAL;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': `${type}:${coral}`,
    ...extra,
  });
  res.end(body);
}

function errorFor(
  model: string,
): { status: number; type: string; message: string; headers?: Record<string, string> } | null {
  switch (model) {
    case 'error-400':
      return {
        status: 400,
        type: 'ValidationException',
        message:
          'Malformed input request: #: extraneous key [bogus] is not permitted, ' +
          'please reformat your input and try again.',
      };
    case 'error-401':
      return {
        status: 403,
        type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      };
    case 'error-403':
      return {
        status: 403,
        type: 'AccessDeniedException',
        message: "You don't have access to the model with the specified model ID.",
      };
    case 'error-404':
      return {
        status: 404,
        type: 'ResourceNotFoundException',
        message: 'Could not resolve the foundation model from the provided model identifier.',
      };
    case 'error-408':
      return {
        status: 408,
        type: 'ModelTimeoutException',
        message: 'Model has timed out in processing the request. Try your request again.',
      };
    case 'error-429':
      return {
        status: 429,
        type: 'ThrottlingException',
        message: 'Too many requests, please wait before trying again.',
        headers: { 'retry-after': '1' },
      };
    case 'error-500':
      return {
        status: 500,
        type: 'InternalServerException',
        message: 'The server encountered an internal error while processing the request.',
      };
    case 'error-503':
      return {
        status: 503,
        type: 'ServiceUnavailableException',
        message: 'Bedrock is unable to process your request.',
      };
    case 'overloaded':
      return {
        status: 429,
        type: 'ModelNotReadyException',
        message: 'Model is not ready for inference. Wait and try your request again.',
      };
    case 'context-too-long':
      return { status: 400, type: 'ValidationException', message: 'Input is too long for requested model.' };
    default:
      return null;
  }
}

type Block = Record<string, any>;

/** Validate a Converse body the way Bedrock does (the rules that matter to a translator). */
const START_WITH_USER =
  'A conversation must start with a user message. Try again with a conversation that starts with a user message.';

function validateConverse(body: any): string | null {
  if (!body || typeof body !== 'object') return 'Malformed input request, please reformat your input and try again.';
  const allowed = new Set([
    'messages',
    'system',
    'inferenceConfig',
    'toolConfig',
    'guardrailConfig',
    'additionalModelRequestFields',
    'additionalModelResponseFieldPaths',
    'performanceConfig',
    'promptVariables',
    'requestMetadata',
  ]);
  for (const k of Object.keys(body)) if (!allowed.has(k)) return `Unknown parameter in input: "${k}"`;
  const msgs = body.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) return START_WITH_USER;
  if (msgs[0].role !== 'user') return START_WITH_USER;
  let usesTools = false;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i];
    if (m.role !== 'user' && m.role !== 'assistant')
      return (
        `1 validation error detected: Value '${m.role}' at 'messages.${i + 1}.member.role' ` +
        'failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]'
      );
    if (i > 0 && msgs[i - 1].role === m.role)
      return (
        'A conversation must alternate between user and assistant roles. ' +
        'Make sure the conversation alternates between user and assistant roles and try again.'
      );
    if (!Array.isArray(m.content) || m.content.length === 0)
      return (
        `The content field in the Message object at messages.${i}.content is empty. ` +
        'Add a ContentBlock object to the content field and try again.'
      );
    for (const b of m.content as Block[]) {
      const keys = Object.keys(b);
      if (keys.length !== 1) return 'Each content block must set exactly one member.';
      if ('text' in b && (typeof b.text !== 'string' || !b.text.trim()))
        return 'The text field in the ContentBlock object is blank. Add text to the text field, and try again.';
      if ('image' in b) {
        if (!['png', 'jpeg', 'gif', 'webp'].includes(b.image?.format)) return 'The image format is not supported.';
        if (typeof b.image?.source?.bytes !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(b.image.source.bytes))
          return 'Invalid image bytes.';
      }
      if ('toolUse' in b || 'toolResult' in b) usesTools = true;
      if ('toolUse' in b && m.role !== 'assistant') return 'toolUse blocks are only allowed in assistant messages.';
      if ('toolResult' in b && m.role !== 'user') return 'toolResult blocks are only allowed in user messages.';
    }
  }
  if (usesTools && !body.toolConfig)
    return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  if (body.toolConfig) {
    if (!Array.isArray(body.toolConfig.tools) || !body.toolConfig.tools.length)
      return 'The toolConfig.tools list must not be empty.';
    for (const t of body.toolConfig.tools)
      if (!t.toolSpec?.name || !t.toolSpec?.inputSchema?.json)
        return 'Each tool needs toolSpec.name and toolSpec.inputSchema.json.';
  }
  const ic = body.inferenceConfig;
  if (ic) {
    for (const k of Object.keys(ic))
      if (!['maxTokens', 'temperature', 'topP', 'stopSequences'].includes(k))
        return `Unknown parameter in inferenceConfig: "${k}"`;
    if (ic.maxTokens !== undefined && !(Number.isInteger(ic.maxTokens) && ic.maxTokens >= 1))
      return (
        "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: " +
        'Member must have value greater than or equal to 1'
      );
  }
  if (
    body.system !== undefined &&
    (!Array.isArray(body.system) || body.system.some((s: Block) => typeof s.text !== 'string'))
  )
    return 'system must be a list of {text} blocks.';
  return null;
}

/** Converse request -> the OpenAI-shaped request simulateChat understands. */
function toSimRequest(model: string, body: any): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const systemText = (body.system ?? []).map((s: Block) => s.text).join('\n');
  if (systemText) messages.push({ role: 'system', content: systemText });
  for (const m of body.messages as Array<{ role: 'user' | 'assistant'; content: Block[] }>) {
    if (m.role === 'assistant') {
      const text = m.content
        .filter((b) => 'text' in b)
        .map((b) => b.text)
        .join('');
      const calls = m.content
        .filter((b) => 'toolUse' in b)
        .map((b) => ({
          id: b.toolUse.toolUseId,
          type: 'function' as const,
          function: { name: b.toolUse.name, arguments: JSON.stringify(b.toolUse.input) },
        }));
      messages.push({ role: 'assistant', content: text || null, ...(calls.length ? { tool_calls: calls } : {}) });
    } else {
      const parts: ContentPart[] = [];
      for (const b of m.content) {
        if ('toolResult' in b) {
          messages.push({
            role: 'tool',
            tool_call_id: b.toolResult.toolUseId,
            content: (b.toolResult.content ?? []).map((c: Block) => c.text ?? JSON.stringify(c.json)).join(''),
          });
        } else if ('text' in b) parts.push({ type: 'text', text: b.text });
        else if ('image' in b)
          parts.push({
            type: 'image_url',
            image_url: { url: `data:image/${b.image.format};base64,${b.image.source.bytes}` },
          });
      }
      if (parts.length) messages.push({ role: 'user', content: parts });
    }
  }
  const tools: FunctionTool[] | undefined = body.toolConfig?.tools?.map((t: Block) => ({
    type: 'function',
    function: { name: t.toolSpec.name, description: t.toolSpec.description, parameters: t.toolSpec.inputSchema.json },
  }));
  const tc = body.toolConfig?.toolChoice;
  return {
    model,
    messages,
    ...(tools ? { tools } : {}),
    ...(tc?.any
      ? { tool_choice: 'required' as const }
      : tc?.tool
        ? { tool_choice: { type: 'function' as const, function: { name: tc.tool.name } } }
        : {}),
    ...(body.inferenceConfig?.maxTokens ? { max_tokens: body.inferenceConfig.maxTokens } : {}),
    ...(/valid JSON/i.test(systemText) ? { response_format: { type: 'json_object' as const } } : {}),
  };
}

interface Answer {
  content: Block[];
  stopReason: string;
  usage: {
    inputTokens: number;
    outputTokens: number;
    totalTokens: number;
    cacheReadInputTokens?: number;
    cacheWriteInputTokens?: number;
  };
}

function answer(model: string, body: any): Answer {
  const sim = simulateChat(toSimRequest(model, body));
  const msg = sim.choices[0].message;
  const content: Block[] = [];
  let stopReason: string =
    sim.choices[0].finish_reason === 'length'
      ? 'max_tokens'
      : sim.choices[0].finish_reason === 'tool_calls'
        ? 'tool_use'
        : 'end_turn';
  if (model.includes('reasoning'))
    content.push({
      reasoningContent: {
        reasoningText: {
          text: 'The user wants an answer; I will give one.',
          signature: 'EqQBCkYIBxgCKkBemulatorSignature',
        },
      },
    });
  let text = typeof msg.content === 'string' ? msg.content : '';
  if (model.includes('guardrail')) {
    text = 'Sorry, the model cannot answer this question.';
    stopReason = 'guardrail_intervened';
  }
  for (const s of (body.inferenceConfig?.stopSequences ?? []) as string[]) {
    const at = text.indexOf(s);
    if (at !== -1) {
      text = text.slice(0, at);
      stopReason = 'stop_sequence';
    }
  }
  if (text) content.push({ text });
  for (const tc of msg.tool_calls ?? []) {
    content.push({
      toolUse: {
        toolUseId: `tooluse_${tc.id.replace(/^call_mock/, '')}`,
        name: tc.function.name,
        input: JSON.parse(tc.function.arguments),
      },
    });
  }
  const p = sim.usage!.prompt_tokens;
  const c = text
    ? countTokens(text) + (msg.tool_calls ? sim.usage!.completion_tokens : 0)
    : sim.usage!.completion_tokens;
  const usage: Answer['usage'] = model.includes('cache')
    ? {
        inputTokens: p - Math.floor(p / 2) - 1,
        outputTokens: c,
        totalTokens: p + c,
        cacheReadInputTokens: Math.floor(p / 2),
        cacheWriteInputTokens: 1,
      }
    : { inputTokens: p, outputTokens: c, totalTokens: p + c };
  return { content, stopReason, usage };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- rerank (agent runtime)

const RERANK_ARN = /^arn:aws:bedrock:[a-z0-9-]+::foundation-model\/(amazon\.rerank-v1:0|cohere\.rerank-v3-5:0)$/;

function rerank(body: any, res: ServerResponse): void {
  const invalid = (m: string) => sendError(res, 400, 'ValidationException', m);
  const q = body?.queries;
  if (!Array.isArray(q) || q.length !== 1 || q[0]?.type !== 'TEXT' || typeof q[0]?.textQuery?.text !== 'string')
    return invalid('queries must hold exactly one TEXT query');
  const sources = body.sources;
  if (!Array.isArray(sources) || sources.length < 1 || sources.length > 1000)
    return invalid('sources must hold 1 to 1000 items');
  const texts: string[] = [];
  for (const s of sources) {
    const d = s?.inlineDocumentSource;
    if (s?.type !== 'INLINE' || d?.type !== 'TEXT' || typeof d?.textDocument?.text !== 'string')
      return invalid('each source must be an INLINE TEXT document');
    texts.push(d.textDocument.text);
  }
  const c = body.rerankingConfiguration;
  const b = c?.bedrockRerankingConfiguration;
  if (c?.type !== 'BEDROCK_RERANKING_MODEL' || !b) return invalid('rerankingConfiguration is invalid');
  const arn = b.modelConfiguration?.modelArn;
  if (typeof arn !== 'string' || !RERANK_ARN.test(arn))
    return invalid(`The provided model ARN is not supported: ${arn}`);
  const n = b.numberOfResults;
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 1000))
    return invalid('numberOfResults must be 1..1000');
  const out = JSON.stringify({
    results: rankDocuments(q[0].textQuery.text, texts, n).map((r) => ({ index: r.index, relevanceScore: r.score })),
  });
  res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
  res.end(out);
}

// ---------------------------------------------------------------- server

export async function startBedrockEmulator(options: BedrockEmulatorOptions = {}): Promise<{
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}> {
  const creds = options.credentials ?? {
    [EMULATOR_CREDENTIALS.accessKeyId]: { secretAccessKey: EMULATOR_CREDENTIALS.secretAccessKey },
    [EMULATOR_TEMP_CREDENTIALS.accessKeyId]: {
      secretAccessKey: EMULATOR_TEMP_CREDENTIALS.secretAccessKey,
      sessionToken: EMULATOR_TEMP_CREDENTIALS.sessionToken,
    },
  };
  const apiKeys = new Set(options.apiKeys ?? ['test-key']);
  const requests: RecordedRequest[] = [];

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    let body: any;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = raw.toString('utf8');
    }
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });

    // Authentication first, as AWS does.
    const authz = req.headers.authorization;
    if (!authz) return sendError(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (authz.startsWith('Bearer ')) {
      if (!apiKeys.has(authz.slice(7)))
        return sendError(
          res,
          403,
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
    } else {
      const fail = verifySigV4(req, raw, creds);
      if (fail) return sendError(res, fail.status, fail.type, fail.message);
    }

    if (req.method === 'POST' && req.url === '/rerank') return rerank(body, res);
    const m = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec((req.url ?? '').split('?')[0]);
    if (req.method !== 'POST' || !m) return sendError(res, 404, 'UnknownOperationException', 'Unknown operation.');
    const model = decodeURIComponent(m[1]);
    const op = m[2];
    if (typeof body !== 'object' || body === null)
      return sendError(res, 400, 'SerializationException', 'Unable to parse the request body as JSON.');

    if (model === 'slow') await sleep(2000);
    const err = errorFor(model);
    if (err) return sendError(res, err.status, err.type, err.message, err.headers);

    if (op === 'invoke') return invoke(model, body, res);

    const invalid = validateConverse(body);
    if (invalid) return sendError(res, 400, 'ValidationException', invalid);
    const a = answer(model, body);
    const requestId = randomUUID();

    if (op === 'converse') {
      const out = JSON.stringify({
        output: { message: { role: 'assistant', content: a.content } },
        stopReason: a.stopReason,
        usage: a.usage,
        metrics: { latencyMs: 123 },
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(out),
        'x-amzn-requestid': requestId,
      });
      res.end(out);
      return;
    }

    // ConverseStream
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': requestId,
      'transfer-encoding': 'chunked',
    });
    const frames: Buffer[] = [];
    let seq = 0;
    frames.push(eventFrame('messageStart', { role: 'assistant' }, seq++));
    let blockIndex = 0;
    for (const b of a.content) {
      if (b.reasoningContent) {
        frames.push(
          eventFrame(
            'contentBlockDelta',
            {
              contentBlockIndex: blockIndex,
              delta: { reasoningContent: { text: b.reasoningContent.reasoningText.text } },
            },
            seq++,
          ),
        );
        frames.push(
          eventFrame(
            'contentBlockDelta',
            {
              contentBlockIndex: blockIndex,
              delta: { reasoningContent: { signature: b.reasoningContent.reasoningText.signature } },
            },
            seq++,
          ),
        );
      } else if (typeof b.text === 'string') {
        for (const piece of wordPieces(b.text))
          frames.push(
            eventFrame('contentBlockDelta', { contentBlockIndex: blockIndex, delta: { text: piece } }, seq++),
          );
      } else if (b.toolUse) {
        frames.push(
          eventFrame(
            'contentBlockStart',
            {
              contentBlockIndex: blockIndex,
              start: { toolUse: { toolUseId: b.toolUse.toolUseId, name: b.toolUse.name } },
            },
            seq++,
          ),
        );
        const json = JSON.stringify(b.toolUse.input);
        for (let i = 0; i < json.length; i += 7)
          frames.push(
            eventFrame(
              'contentBlockDelta',
              { contentBlockIndex: blockIndex, delta: { toolUse: { input: json.slice(i, i + 7) } } },
              seq++,
            ),
          );
      }
      frames.push(eventFrame('contentBlockStop', { contentBlockIndex: blockIndex }, seq++));
      blockIndex++;
    }
    if (model === 'stream-error-midway') {
      const cut = frames.slice(0, 3);
      cut.push(
        encodeFrame(
          {
            ':exception-type': 'modelStreamErrorException',
            ':content-type': 'application/json',
            ':message-type': 'exception',
          },
          JSON.stringify({
            message: 'The model encountered an error while streaming the response.',
            originalStatusCode: 500,
            originalMessage: 'upstream model failure',
          }),
        ),
      );
      for (const f of cut) res.write(f);
      res.end();
      return;
    }
    if (model === 'stream-truncated') {
      for (const f of frames.slice(0, 3)) res.write(f);
      res.write(frames[3].subarray(0, 10)); // half a frame, then the connection dies
      await sleep(20);
      res.socket?.destroy();
      return;
    }
    frames.push(eventFrame('messageStop', { stopReason: a.stopReason }, seq++));
    frames.push(eventFrame('metadata', { usage: a.usage, metrics: { latencyMs: 321 } }, seq++));
    // Write frames split at odd offsets so that the client sees messages across chunk boundaries.
    const all = Buffer.concat(frames);
    for (let i = 0; i < all.length; i += 97) {
      res.write(all.subarray(i, i + 97));
      if (i % 3 === 0) await sleep(0);
    }
    res.end();
  });

  function invoke(model: string, body: any, res: ServerResponse): void {
    const reply = (obj: unknown, tokens: number) => {
      const out = JSON.stringify(obj);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(out),
        'x-amzn-requestid': randomUUID(),
        'x-amzn-bedrock-input-token-count': String(tokens),
        'x-amzn-bedrock-invocation-latency': '42',
      });
      res.end(out);
    };
    if (/^amazon\.titan-embed-text-v2/.test(model)) {
      const allowed = new Set(['inputText', 'dimensions', 'normalize', 'embeddingTypes']);
      for (const k of Object.keys(body))
        if (!allowed.has(k))
          return sendError(
            res,
            400,
            'ValidationException',
            `Malformed input request: #: extraneous key [${k}] is not permitted, ` +
              'please reformat your input and try again.',
          );
      if (typeof body.inputText !== 'string' || !body.inputText)
        return sendError(
          res,
          400,
          'ValidationException',
          'Malformed input request: #/inputText: expected minLength: 1, actual: 0, ' +
            'please reformat your input and try again.',
        );
      const dims = body.dimensions ?? 1024;
      if (![256, 512, 1024].includes(dims))
        return sendError(
          res,
          400,
          'ValidationException',
          'Malformed input request: #/dimensions: 300 is not a valid enum value, ' +
            'please reformat your input and try again.',
        );
      const embedding = simulateEmbedding(body.inputText, dims);
      const tokens = countTokens(body.inputText);
      return reply({ embedding, inputTextTokenCount: tokens, embeddingsByType: { float: embedding } }, tokens);
    }
    if (/^cohere\.embed/.test(model)) {
      if (!Array.isArray(body.texts) || !body.texts.length)
        return sendError(
          res,
          400,
          'ValidationException',
          'Malformed input request: #: required key [texts] not found, please reformat your input and try again.',
        );
      if (!['search_document', 'search_query', 'classification', 'clustering'].includes(body.input_type))
        return sendError(
          res,
          400,
          'ValidationException',
          'Malformed input request: #: required key [input_type] not found, please reformat your input and try again.',
        );
      const tokens = body.texts.reduce((n: number, t: string) => n + countTokens(t), 0);
      return reply(
        {
          id: randomUUID(),
          texts: body.texts,
          embeddings: body.texts.map((t: string) => simulateEmbedding(t, 1024)),
          response_type: 'embeddings_floats',
        },
        tokens,
      );
    }
    sendError(res, 400, 'ValidationException', 'The provided model identifier is invalid.');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
