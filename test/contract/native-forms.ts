/**
 * How each upstream wire format documents the content the multimodal contract sends, as the objects the
 * emulated upstream must find in the request it received (`findNative`: a node of the body that has at
 * least these fields with these values):
 * - OpenAI Chat Completions (openai, azure-openai): parts as the client sent them: `image_url` {url},
 *   `input_audio` {data, format}; a tool message {role: tool, tool_call_id, content}.
 * - Anthropic Messages: an `image` block with a `base64` source {media_type, data} or a `url` source; a
 *   `tool_result` block {tool_use_id, content}. No audio input.
 * - Gemini / Vertex generateContent: a Part with `inlineData` {mimeType, data} (images and audio) or
 *   `fileData` {mimeType, fileUri}; a `functionResponse` {name, response} part.
 * - Bedrock Converse: an `image` ContentBlock {format, source: {bytes}} (bytes only, no URL source); a
 *   `toolResult` block {toolUseId, content: [{text}]}. No audio input.
 * - Cohere Chat v2: user content parts {type: image_url, image_url: {url}}; a tool message {role: tool,
 *   tool_call_id, content}. No audio input.
 */

export interface NativeForms {
  /** The form of an image_url part with this URL (data: or https:); undefined: the wire has none for it. */
  image(url: string): unknown;
  /** The form of an input_audio part; absent when the wire takes no audio. */
  audio?(data: string, format: string): unknown;
  /** The form of a tool message answering call `id` (function `name`) with the JSON text `content`. */
  toolResult(id: string, name: string, content: string): unknown;
}

/** The media type and base64 data of a data: URL. */
function dataUrl(url: string): { mime: string; data: string } | undefined {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { mime: m[1], data: m[2] } : undefined;
}

const openaiTool = (id: string, _name: string, content: string) => ({ role: 'tool', tool_call_id: id, content });

export const OPENAI_WIRE: NativeForms = {
  image: (url) => ({ type: 'image_url', image_url: { url } }),
  audio: (data, format) => ({ type: 'input_audio', input_audio: { data, format } }),
  toolResult: openaiTool,
};

export const ANTHROPIC_WIRE: NativeForms = {
  image(url) {
    const d = dataUrl(url);
    return d
      ? { type: 'image', source: { type: 'base64', media_type: d.mime, data: d.data } }
      : { type: 'image', source: { type: 'url', url } };
  },
  toolResult: (id, _name, content) => ({ type: 'tool_result', tool_use_id: id, content }),
};

export const GEMINI_WIRE: NativeForms = {
  image(url) {
    const d = dataUrl(url);
    // gemini/request.ts guesses the mime type of a URL from its extension (.png here)
    return d
      ? { inlineData: { mimeType: d.mime, data: d.data } }
      : { fileData: { mimeType: 'image/png', fileUri: url } };
  },
  audio: (data, format) => ({ inlineData: { mimeType: `audio/${format}`, data } }),
  toolResult: (_id, name, content) => ({ functionResponse: { name, response: JSON.parse(content) } }),
};

export const BEDROCK_WIRE: NativeForms = {
  image(url) {
    const d = dataUrl(url);
    return d ? { image: { format: d.mime.replace(/^image\//, ''), source: { bytes: d.data } } } : undefined;
  },
  toolResult: (id, _name, content) => ({ toolResult: { toolUseId: id, content: [{ text: content }] } }),
};

export const COHERE_WIRE: NativeForms = {
  image: (url) => ({ type: 'image_url', image_url: { url } }),
  toolResult: openaiTool,
};

/** True when `node` has every field of `want` with the same value (objects recursively; arrays item by item). */
export function matches(node: unknown, want: unknown): boolean {
  if (want === null || typeof want !== 'object') return node === want;
  if (Array.isArray(want))
    return Array.isArray(node) && node.length === want.length && want.every((w, i) => matches(node[i], w));
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return false;
  const n = node as Record<string, unknown>;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) => matches(n[k], v));
}

/** The first node of `tree` (depth first) that matches `want`, with its path; undefined when none does. */
export function findNative(tree: unknown, want: unknown, path = '$'): { node: unknown; path: string } | undefined {
  if (matches(tree, want)) return { node: tree, path };
  if (tree === null || typeof tree !== 'object') return undefined;
  for (const [k, v] of Object.entries(tree)) {
    const hit = findNative(v, want, Array.isArray(tree) ? `${path}[${k}]` : `${path}.${k}`);
    if (hit) return hit;
  }
  return undefined;
}
