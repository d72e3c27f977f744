/**
 * The Anthropic Messages dialect: parse.ts turns a Messages body into the canonical request, render.ts
 * turns canonical answers, stream chunks and errors into Anthropic's shapes.
 */
import { anthropicErrorBody } from '../../core/http/anthropic-error.js';
import type { Dialect } from '../../core/http/dialect.js';
import { parseMessages } from './parse.js';
import { anthropicStreamEncoder, renderMessage } from './render.js';

export const anthropicDialect: Dialect = {
  name: 'anthropic',
  parseChat: parseMessages,
  renderChat: renderMessage,
  streamEncoder: anthropicStreamEncoder,
  errorBody: anthropicErrorBody,
};
