/**
 * Emulated Google upstreams: the Gemini API (generativelanguage) and Vertex AI, plus an OAuth token
 * endpoint for service-account JWTs. Wire facts reproduced:
 *  - Gemini: POST /v1beta/models/{model}:generateContent | :streamGenerateContent?alt=sse |
 *    :batchEmbedContents; key in x-goog-api-key (or ?key=). No key -> 403 PERMISSION_DENIED
 *    ("Method doesn't allow unregistered callers..."); a wrong key -> 400 INVALID_ARGUMENT with
 *    ErrorInfo reason API_KEY_INVALID (what the live API answers).
 *  - Vertex: POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent |
 *    :streamGenerateContent?alt=sse | :predict; Authorization: Bearer <token>; otherwise 401
 *    UNAUTHENTICATED.
 *  - Both: :predict on an "imagen-*" model is Imagen image generation (imagen.ts).
 *  - POST /token (form): grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<RS256 JWT>;
 *    the signature is verified against keys registered with trustKey(); answers
 *    {access_token, expires_in, token_type} or 400 {error: "invalid_grant", error_description}.
 *  - Errors: {error: {code, message, status, details?}}; 429 carries retry-after: 1 and RetryInfo.
 *  - Parts: inlineData with an audio/* mimeType is heard as audio, any other inlineData or fileData is seen
 *    as an image (the simulated answer counts them).
 *  - Streams: `data: <GenerateContentResponse>\r\n\r\n` per chunk, no terminator; the connection
 *    closes after the chunk with finishReason (and full usageMetadata).
 */
import { createPublicKey, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simulateChat, simulateEmbedding, countTokens, wordPieces } from '../../plugins/providers/mock/simulate.js';
import type { ChatCompletionRequest, ChatMessage, FunctionTool } from '../../core/types.js';
import { imagenPredict } from './imagen.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface GeminiEmulator {
  url: string;
  requests: RecordedRequest[];
  /** Accept service-account JWTs signed by this key for this client_email. */
  trustKey(clientEmail: string, publicKeyPem: string | KeyObject): void;
  /** Access tokens issued by /token (in order). */
  issuedTokens: string[];
  close(): Promise<void>;
}

export const GEMINI_TEST_KEY = 'test-key';
export const VERTEX_TEST_TOKEN = 'test-token';

const UNAUTHENTICATED_MESSAGE =
  'Request had invalid authentication credentials. ' +
  'Expected OAuth 2 access token, login cookie or other valid authentication credential.';
const INTERNAL_MESSAGE =
  'An internal error has occurred. Please retry or report in ' +
  'https://developers.generativeai.google/guide/troubleshooting';
const DEVCONSOLE = 'https://developers.google.com/identity/sign-in/web/devconsole-project';

const ERRORS: Record<string, { code: number; status: string; message: string; details?: unknown[] }> = {
  'error-400': {
    code: 400,
    status: 'INVALID_ARGUMENT',
    message: 'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
  },
  'error-401': {
    code: 401,
    status: 'UNAUTHENTICATED',
    message: UNAUTHENTICATED_MESSAGE,
  },
  'error-403': { code: 403, status: 'PERMISSION_DENIED', message: 'Permission denied: Consumer has been suspended.' },
  'error-404': {
    code: 404,
    status: 'NOT_FOUND',
    message: 'models/error-404 is not found for API version v1beta, or is not supported for generateContent.',
  },
  'error-429': {
    code: 429,
    status: 'RESOURCE_EXHAUSTED',
    message: 'You exceeded your current quota, please check your plan and billing details.',
    details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' }],
  },
  'error-500': {
    code: 500,
    status: 'INTERNAL',
    message: INTERNAL_MESSAGE,
  },
  'error-503': { code: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
  'error-504': { code: 504, status: 'DEADLINE_EXCEEDED', message: 'Deadline expired before operation could complete.' },
  overloaded: { code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
  'context-too-long': {
    code: 400,
    status: 'INVALID_ARGUMENT',
    message: 'The input token count (1300000) exceeds the maximum number of tokens allowed (1048576).',
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(
  res: ServerResponse,
  e: { code: number; status: string; message: string; details?: unknown[] },
): void {
  sendJson(
    res,
    e.code,
    { error: { code: e.code, message: e.message, status: e.status, ...(e.details ? { details: e.details } : {}) } },
    e.code === 429 ? { 'retry-after': '1' } : {},
  );
}

/** Gemini request -> canonical request, so that simulateChat can answer it. */
function toCanonical(model: string, body: any): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const sys = (body.systemInstruction?.parts ?? []).map((p: any) => p.text ?? '').join('\n');
  if (sys) messages.push({ role: 'system', content: sys });
  for (const c of body.contents ?? []) {
    const texts: any[] = [];
    for (const p of c.parts ?? []) {
      if (typeof p.text === 'string') texts.push({ type: 'text', text: p.text });
      else if (/^audio\//.test(p.inlineData?.mimeType ?? '')) {
        const format = p.inlineData.mimeType.slice('audio/'.length);
        texts.push({ type: 'input_audio', input_audio: { data: p.inlineData.data, format } });
      } else if (p.inlineData || p.fileData) texts.push({ type: 'image_url', image_url: { url: 'x' } });
      else if (p.functionCall) {
        messages.push({
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'x',
              type: 'function',
              function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) },
            },
          ],
        });
      } else if (p.functionResponse) {
        messages.push({ role: 'tool', tool_call_id: 'x', content: JSON.stringify(p.functionResponse.response) });
      }
    }
    if (texts.length) messages.push({ role: c.role === 'model' ? 'assistant' : 'user', content: texts });
  }
  const tools: FunctionTool[] = (body.tools ?? []).flatMap((t: any) =>
    (t.functionDeclarations ?? []).map((d: any) => ({
      type: 'function',
      function: { name: d.name, description: d.description, parameters: d.parameters },
    })),
  );
  const fc = body.toolConfig?.functionCallingConfig;
  const g = body.generationConfig ?? {};
  return {
    model,
    messages,
    ...(tools.length ? { tools } : {}),
    ...(fc?.mode === 'NONE' ? { tool_choice: 'none' as const } : {}),
    ...(fc?.mode === 'ANY' && fc.allowedFunctionNames?.length === 1
      ? { tool_choice: { type: 'function' as const, function: { name: fc.allowedFunctionNames[0] } } }
      : {}),
    ...(g.responseMimeType === 'application/json' ? { response_format: { type: 'json_object' as const } } : {}),
    ...(g.maxOutputTokens ? { max_tokens: g.maxOutputTokens } : {}),
    ...(g.candidateCount ? { n: g.candidateCount } : {}),
  };
}

interface Answer {
  candidates: Array<{ parts: any[]; finishReason: string }>;
  usage: Record<string, number>;
  responseId: string;
}

function answer(model: string, body: any): Answer {
  const sim = simulateChat(toCanonical(model, body));
  const thinking = model.includes('thinking');
  const stops: string[] = body.generationConfig?.stopSequences ?? [];
  const candidates = sim.choices.map((c) => {
    const parts: any[] = [];
    if (thinking) parts.push({ text: 'Let me think this through.', thought: true });
    let finishReason = c.finish_reason === 'length' ? 'MAX_TOKENS' : 'STOP';
    if (typeof c.message.content === 'string') {
      let text = c.message.content;
      for (const s of stops) {
        const at = text.indexOf(s);
        if (at !== -1) {
          text = text.slice(0, at);
          finishReason = 'STOP';
        }
      }
      parts.push({ text });
    }
    for (const tc of c.message.tool_calls ?? []) {
      parts.push({
        functionCall: { name: tc.function.name, args: JSON.parse(tc.function.arguments) },
        ...(thinking ? { thoughtSignature: 'c2lnbmF0dXJlLTE=' } : {}),
      });
    }
    return { parts, finishReason };
  });
  const prompt = sim.usage!.prompt_tokens;
  const cand = sim.usage!.completion_tokens;
  const thoughts = thinking ? 6 : 0;
  const cached = model.includes('cached') ? Math.min(prompt, 4) : 0;
  const usage: Record<string, number> = {
    promptTokenCount: prompt,
    candidatesTokenCount: cand,
    totalTokenCount: prompt + cand + thoughts,
  };
  if (thoughts) usage.thoughtsTokenCount = thoughts;
  if (cached) usage.cachedContentTokenCount = cached;
  return { candidates, usage, responseId: randomBytes(9).toString('base64url') };
}

function fullResponse(model: string, a: Answer): any {
  return {
    candidates: a.candidates.map((c, index) => ({
      content: { parts: c.parts, role: 'model' },
      finishReason: c.finishReason,
      index,
    })),
    usageMetadata: { ...a.usage, promptTokensDetails: [{ modality: 'TEXT', tokenCount: a.usage.promptTokenCount }] },
    modelVersion: model,
    responseId: a.responseId,
  };
}

async function stream(
  res: ServerResponse,
  model: string,
  a: Answer,
  mode: 'normal' | 'error' | 'truncate',
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\r\n\r\n`);
  const partial = { promptTokenCount: a.usage.promptTokenCount, totalTokenCount: a.usage.promptTokenCount };
  // Per candidate: thought parts, then text in word pieces, then function calls whole.
  const events: Array<{ index: number; parts: any[] }> = [];
  a.candidates.forEach((c, index) => {
    for (const p of c.parts) {
      if (p.thought) events.push({ index, parts: [p] });
      else if (typeof p.text === 'string')
        for (const w of wordPieces(p.text)) events.push({ index, parts: [{ text: w }] });
    }
    const calls = c.parts.filter((p) => p.functionCall);
    if (calls.length) events.push({ index, parts: calls });
  });
  let sent = 0;
  for (const ev of events) {
    send({
      candidates: [{ content: { parts: ev.parts, role: 'model' }, index: ev.index }],
      usageMetadata: partial,
      modelVersion: model,
      responseId: a.responseId,
    });
    sent++;
    await sleep(1);
    if (mode !== 'normal' && sent === 2) break;
  }
  if (mode === 'error') {
    send({
      error: {
        code: 500,
        message: INTERNAL_MESSAGE,
        status: 'INTERNAL',
      },
    });
    res.end();
    return;
  }
  if (mode === 'truncate') {
    res.socket?.destroy();
    return;
  }
  send({
    candidates: a.candidates.map((c, index) => ({
      content: { parts: [{ text: '' }], role: 'model' },
      finishReason: c.finishReason,
      index,
    })),
    usageMetadata: a.usage,
    modelVersion: model,
    responseId: a.responseId,
  });
  res.end();
}

function b64urlJson(s: string): any {
  return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
}

export async function startGeminiEmulator(): Promise<GeminiEmulator> {
  const requests: RecordedRequest[] = [];
  const trusted = new Map<string, KeyObject>();
  const tokens = new Set<string>([VERTEX_TEST_TOKEN]);
  const issuedTokens: string[] = [];

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://emulator');
    let body: any = raw;
    if (req.headers['content-type']?.includes('application/x-www-form-urlencoded'))
      body = Object.fromEntries(new URLSearchParams(raw));
    else {
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return sendJson(res, 400, {
          error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' },
        });
      }
    }
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, headers: { ...req.headers }, body });

    if (req.method === 'POST' && url.pathname === '/token') {
      if (body.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || typeof body.assertion !== 'string') {
        return sendJson(res, 400, {
          error: 'unsupported_grant_type',
          error_description: 'Invalid grant_type: ' + body.grant_type,
        });
      }
      const [h, c, sig] = body.assertion.split('.');
      let header: any;
      let claims: any;
      try {
        header = b64urlJson(h);
        claims = b64urlJson(c);
      } catch {
        return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT.' });
      }
      const key = trusted.get(claims.iss);
      const now = Math.floor(Date.now() / 1000);
      const ok =
        header.alg === 'RS256' &&
        key &&
        sig &&
        createVerify('RSA-SHA256').update(`${h}.${c}`).verify(key, Buffer.from(sig, 'base64url'));
      if (!ok) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      if (
        claims.aud !== `http://${req.headers.host}/token` ||
        typeof claims.exp !== 'number' ||
        claims.exp < now ||
        claims.iat > now + 60
      ) {
        return sendJson(res, 400, {
          error: 'invalid_grant',
          error_description:
            'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
        });
      }
      if (claims.scope !== 'https://www.googleapis.com/auth/cloud-platform') {
        return sendJson(res, 400, { error: 'invalid_scope', error_description: 'Invalid OAuth scope.' });
      }
      const token = `ya29.emu-${randomBytes(12).toString('hex')}`;
      tokens.add(token);
      issuedTokens.push(token);
      return sendJson(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
    }

    const gem = /^\/v1beta\/models\/([^/:]+):(\w+)$/.exec(url.pathname);
    const vtx = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(\w+)$/.exec(
      url.pathname,
    );
    if (req.method !== 'POST' || (!gem && !vtx)) {
      return sendJson(res, 404, { error: { code: 404, message: `Method not found.`, status: 'NOT_FOUND' } });
    }
    if (gem) {
      const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
      if (!key) {
        return sendJson(res, 403, {
          error: {
            code: 403,
            message:
              "Method doesn't allow unregistered callers (callers without established identity). " +
              'Please use API Key or other form of API consumer identity to call this API.',
            status: 'PERMISSION_DENIED',
          },
        });
      }
      if (key !== GEMINI_TEST_KEY) {
        return sendJson(res, 400, {
          error: {
            code: 400,
            message: 'API key not valid. Please pass a valid API key.',
            status: 'INVALID_ARGUMENT',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: 'API_KEY_INVALID',
                domain: 'googleapis.com',
                metadata: { service: 'generativelanguage.googleapis.com' },
              },
            ],
          },
        });
      }
    } else {
      const auth = req.headers.authorization ?? '';
      const m = /^Bearer (.+)$/.exec(auth);
      if (!m || !tokens.has(m[1])) {
        return sendError(res, {
          code: 401,
          status: 'UNAUTHENTICATED',
          message: `${UNAUTHENTICATED_MESSAGE} See ${DEVCONSOLE}.`,
        });
      }
    }
    const model = gem ? gem[1] : vtx![3];
    const method = gem ? gem[2] : vtx![4];

    if (model === 'slow') await sleep(2000);
    if (ERRORS[model]) return sendError(res, ERRORS[model]);

    if (method === 'batchEmbedContents' && gem) {
      const reqs: any[] = body?.requests ?? [];
      if (reqs.some((r) => r.model !== `models/${model}`)) {
        return sendError(res, {
          code: 400,
          status: 'INVALID_ARGUMENT',
          message: 'Model in request does not match model in path.',
        });
      }
      return sendJson(res, 200, {
        embeddings: reqs.map((r) => ({
          values: simulateEmbedding(r.content.parts.map((p: any) => p.text).join(' '), r.outputDimensionality ?? 8),
        })),
      });
    }
    if (method === 'predict' && model.startsWith('imagen-')) {
      const { status, body: answer } = imagenPredict(model, body);
      return sendJson(res, status, answer);
    }
    if (method === 'predict' && vtx) {
      const dims = body?.parameters?.outputDimensionality ?? 8;
      return sendJson(res, 200, {
        predictions: (body?.instances ?? []).map((i: any) => ({
          embeddings: {
            values: simulateEmbedding(i.content, dims),
            statistics: { token_count: countTokens(i.content), truncated: false },
          },
        })),
        metadata: {
          billableCharacterCount: (body?.instances ?? []).reduce((n: number, i: any) => n + i.content.length, 0),
        },
      });
    }
    if (method !== 'generateContent' && method !== 'streamGenerateContent') {
      return sendError(res, {
        code: 404,
        status: 'NOT_FOUND',
        message: `models/${model} is not found, or is not supported for ${method}.`,
      });
    }
    if (!Array.isArray(body?.contents) || !body.contents.length) {
      return sendError(res, {
        code: 400,
        status: 'INVALID_ARGUMENT',
        message: '* GenerateContentRequest.contents: contents is not specified',
      });
    }
    if (model === 'blocked-prompt') {
      return sendJson(res, 200, {
        promptFeedback: {
          blockReason: 'SAFETY',
          safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }],
        },
        usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
        modelVersion: model,
        responseId: 'blocked1',
      });
    }
    if (model === 'safety') {
      const r = {
        candidates: [
          {
            finishReason: 'SAFETY',
            index: 0,
            safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }],
          },
        ],
        usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
        modelVersion: model,
        responseId: 'safety1',
      };
      if (method === 'generateContent') return sendJson(res, 200, r);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify(r)}\r\n\r\n`);
      return;
    }
    const a = answer(model, body);
    if (method === 'generateContent') return sendJson(res, 200, fullResponse(model, a));
    if (url.searchParams.get('alt') !== 'sse') {
      return sendError(res, {
        code: 400,
        status: 'INVALID_ARGUMENT',
        message: 'This emulator only streams with alt=sse.',
      });
    }
    const mode = model === 'stream-error-midway' ? 'error' : model === 'stream-truncated' ? 'truncate' : 'normal';
    await stream(res, model, a, mode);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    issuedTokens,
    trustKey(clientEmail, publicKey) {
      trusted.set(clientEmail, typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
