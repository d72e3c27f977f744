/**
 * Koa handlers of the media endpoints in OpenAI's format: POST /v1/moderations, /v1/images/generations,
 * /v1/audio/speech (binary answer streamed back) and /v1/audio/transcriptions|translations (multipart,
 * audio-upload.ts). Each runs auth -> route -> admit (budget hold from its estimate) -> attempts -> meter
 * (core/media.ts), and always ends with the meter record.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import type Koa from 'koa';
import type { MediaContext, MediaOperation } from '../context.js';
import { errors, type GatewayError } from '../errors.js';
import type { Gateway } from '../gateway-types.js';
import { admitMedia, attemptMedia } from '../media.js';
import { asGatewayError } from '../pipeline.js';
import { clientClosed } from '../upstream.js';
import type { MediaUsage } from '../usage.js';
import { compile } from '../validation.js';
import { readJson } from './body.js';
import { answeredImages, imageShape, imageTokens } from './image-units.js';
import { createContext, type RequestStart } from '../request-context.js';
import { imageGenerationsRequestSchema, moderationsRequestSchema, speechRequestSchema } from './media-schema.js';
import { check, openaiErrorBody } from './openai-dialect.js';
import { RequestLife } from './request-life.js';
import { responseHeaders, safeHeaders, writeJson } from './respond.js';

type Json = Record<string, unknown>;
type Request = MediaContext['request'];

/** Builds the request's context once the ingress has parsed it (before admission). */
export type StartMedia = (operation: MediaOperation, request: Request, estimate?: MediaUsage) => MediaContext;

/** How a served request ended (errors after the answer started, e.g. an audio stream cut midway). */
export interface Served {
  status: number;
  error?: GatewayError;
}

export type Serve = (kctx: Koa.Context, base: RequestStart, start: StartMedia) => Promise<Served>;

/**
 * Context, shutdown tracking, errors in the client's format and the meter record around one `serve`. The
 * dialect (the record's `dialect`) and its error body are OpenAI's unless given (rerank: Cohere's).
 */
export function mediaHandler(
  gw: Gateway,
  serve: Serve,
  errorBody: (err: GatewayError) => unknown = openaiErrorBody,
  dialect = 'openai',
): Koa.Middleware {
  return async (kctx) => {
    const life = new RequestLife<MediaContext>(gw, kctx);
    const { base } = life;
    const start: StartMedia = (operation, request, estimate) => {
      const made = createContext(gw, 'media', { ...base, dialect, operation, request, mediaEstimate: estimate });
      life.ctx = made;
      return made;
    };
    try {
      const served = await serve(kctx, base, start);
      if (life.cut) life.end(503, errors.shuttingDown());
      else if (base.signal.aborted && served.status === 200) life.end(499, clientClosed());
      else life.end(served.status, served.error);
    } catch (e) {
      life.fail(e, errorBody);
    } finally {
      await life.close();
    }
  };
}

const validateModerations = compile<Request>(moderationsRequestSchema);
const validateImages = compile<Request>(imageGenerationsRequestSchema);
const validateSpeech = compile<Request & { input: string }>(speechRequestSchema);

/** A JSON body with OpenAI's default model filled in when the client left it out. */
async function jsonBody(kctx: Koa.Context, limit: number, defaultModel?: string): Promise<unknown> {
  const body = await readJson(kctx, limit);
  if (defaultModel && body && typeof body === 'object' && !Array.isArray(body) && (body as Json).model === undefined) {
    return { ...(body as Json), model: defaultModel };
  }
  return body;
}

/** POST /v1/moderations (model defaults to OpenAI's, omni-moderation-latest). */
export function moderationsHandler(gw: Gateway): Koa.Middleware {
  return mediaHandler(gw, async (kctx, _base, start) => {
    const body = await jsonBody(kctx, gw.config.server.bodyLimit, 'omni-moderation-latest');
    const request = check(validateModerations, body);
    const ctx = start('moderations', request);
    await admitMedia(gw, ctx);
    const answer = await attemptMedia(gw, ctx, true, (a, target, call) =>
      a.moderations!({ ...request, model: target.model }, call),
    );
    if (!Array.isArray(answer.results)) {
      throw errors.upstreamBadResponse(ctx.target!.provider, 'a moderation answer has no results');
    }
    writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(answer));
    return { status: 200 };
  });
}

/** POST /v1/images/generations (JSON; model defaults to OpenAI's, dall-e-2), priced per image. */
export function imageGenerationsHandler(gw: Gateway): Koa.Middleware {
  return mediaHandler(gw, async (kctx, _base, start) => {
    const request = check(validateImages, await jsonBody(kctx, gw.config.server.bodyLimit, 'dall-e-2'));
    const ctx = start('images', request, { images: Number(request.n ?? 1), ...imageShape(request) });
    await admitMedia(gw, ctx);
    const answer = await attemptMedia(gw, ctx, true, (a, target, call) =>
      a.imageGenerations!({ ...request, model: target.model }, call),
    );
    const tokens = imageTokens(answer);
    if (tokens) ctx.usage = tokens.usage;
    ctx.media = {
      images: answeredImages(ctx.target!.provider, answer),
      ...imageShape(request, answer),
      ...(tokens?.imageInputTokens ? { imageInputTokens: tokens.imageInputTokens } : {}),
    };
    writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(answer));
    return { status: 200 };
  });
}

/** POST /v1/audio/speech: the upstream's audio streamed back as it comes, priced per input character. */
export function speechHandler(gw: Gateway): Koa.Middleware {
  return mediaHandler(gw, async (kctx, base, start) => {
    const request = check(validateSpeech, await readJson(kctx, gw.config.server.bodyLimit));
    const characters = [...request.input].length;
    const ctx = start('speech', request, { characters });
    await admitMedia(gw, ctx);
    const audio = await attemptMedia(gw, ctx, true, (a, target, call) =>
      a.speech!({ ...request, model: target.model }, call),
    );
    ctx.media = { characters };
    const res = kctx.res;
    try {
      const headers = { 'content-type': audio.contentType, 'cache-control': 'no-cache' };
      res.writeHead(200, safeHeaders(responseHeaders(ctx), headers));
      kctx.respond = false;
      for await (const chunk of audio.body) {
        if (ctx.ttftMs === undefined) ctx.ttftMs = performance.now() - ctx.startedAt;
        if (!(await writeBytes(res, chunk, base.signal))) break;
      }
      if (!base.signal.aborted) res.end();
      return { status: 200 };
    } catch (e) {
      const error = asGatewayError(e, ctx);
      const where = { status: error.status, code: error.code, provider: ctx.target?.provider };
      ctx.log.warn(where, 'audio stream failed after it started');
      res.destroy(); // the client sees a cut download, not a complete file
      return { status: error.status, error };
    } finally {
      audio.close();
    }
  });
}

/** Write and wait for the socket to drain when its buffer is full. False if the client is gone. */
async function writeBytes(res: ServerResponse, bytes: Uint8Array, signal: AbortSignal): Promise<boolean> {
  if (res.destroyed || signal.aborted) return false;
  if (res.write(bytes)) return true;
  try {
    await once(res, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}
