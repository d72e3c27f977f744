/**
 * The OpenAI emulator's files module, in OpenAI's documented formats: Files (multipart upload, list, retrieve,
 * delete, content) and Batches (create, retrieve, list, cancel; a batch completes on its first retrieve, its
 * output file holding one result line per input line with `response.body.usage` = RESULT_USAGE).
 * The Azure OpenAI emulator mounts its own instance under /openai/files and /openai/batches.
 */
import { type Exchange, sendJson, sendOpenAIError } from './http.js';

export const RESULT_USAGE = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };

export interface StoredFile {
  meta: {
    id: string;
    object: 'file';
    bytes: number;
    created_at: number;
    filename: string;
    purpose: string;
    status: string;
  };
  content: Buffer;
}

export interface FilesState {
  files: Map<string, StoredFile>;
  batches: Map<string, Record<string, any>>;
}

export function filesRoutes(state: FilesState) {
  const { files, batches } = state;
  let seq = 0;

  function storeFile(filename: string, purpose: string, content: Buffer, id = `file-${++seq}`): StoredFile['meta'] {
    const meta = {
      id,
      object: 'file' as const,
      bytes: content.length,
      created_at: 1,
      filename,
      purpose,
      status: 'processed',
    };
    files.set(id, { meta, content });
    return meta;
  }

  function complete(batch: Record<string, any>): void {
    const input = files.get(batch.input_file_id)?.content.toString('utf8') ?? '';
    const lines = input.split('\n').filter((l) => l.trim());
    const results = lines.map((l, i) => {
      const req = JSON.parse(l);
      const message = { role: 'assistant', content: 'batched answer' };
      return JSON.stringify({
        id: `batch_req_${i}`,
        custom_id: req.custom_id,
        error: null,
        response: {
          status_code: 200,
          request_id: `req_${i}`,
          body: {
            id: `chatcmpl-${i}`,
            object: 'chat.completion',
            created: 1,
            model: req.body?.model,
            choices: [{ index: 0, message, finish_reason: 'stop' }],
            usage: RESULT_USAGE,
          },
        },
      });
    });
    const content = Buffer.from(`${results.join('\n')}\n`);
    const out = storeFile('batch_output.jsonl', 'batch_output', content, `file-out-${++seq}`);
    Object.assign(batch, {
      status: 'completed',
      output_file_id: out.id,
      completed_at: 2,
      request_counts: { total: lines.length, completed: lines.length, failed: 0 },
    });
  }

  const notFound = (res: Exchange['res'], message: string) => sendOpenAIError(res, 404, { message });

  return ({ rec, res, method, path }: Exchange): boolean => {
    if (path === '/v1/files' && method === 'POST') {
      const file = rec.files?.find((f) => f.name === 'file');
      const purpose = rec.body?.purpose;
      if (!file || !purpose) {
        sendOpenAIError(res, 400, { message: "Missing required parameter: 'file' or 'purpose'." });
      } else sendJson(res, 200, storeFile(file.filename || 'upload', purpose, file.bytes));
      return true;
    }
    if (path === '/v1/files' && method === 'GET') {
      sendJson(res, 200, { object: 'list', data: [...files.values()].map((f) => f.meta), has_more: false });
      return true;
    }
    const fileMatch = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path);
    if (fileMatch) {
      const f = files.get(fileMatch[1]);
      if (!f) notFound(res, `No such File object: ${fileMatch[1]}`);
      else if (fileMatch[2] && method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(f.content.length) });
        res.end(f.content);
      } else if (method === 'DELETE') {
        files.delete(fileMatch[1]);
        sendJson(res, 200, { id: fileMatch[1], object: 'file', deleted: true });
      } else sendJson(res, 200, f.meta);
      return true;
    }
    if (path === '/v1/batches' && method === 'POST') {
      const b = rec.body ?? {};
      if (!files.has(b.input_file_id)) {
        sendOpenAIError(res, 400, { message: `No such File object: ${b.input_file_id}` });
        return true;
      }
      const batch = {
        id: `batch_${++seq}`,
        object: 'batch',
        endpoint: b.endpoint,
        errors: null,
        input_file_id: b.input_file_id,
        completion_window: b.completion_window,
        status: 'validating',
        output_file_id: null,
        error_file_id: null,
        created_at: 1,
        request_counts: { total: 0, completed: 0, failed: 0 },
        metadata: b.metadata ?? null,
      };
      batches.set(batch.id, batch);
      sendJson(res, 200, batch);
      return true;
    }
    if (path === '/v1/batches' && method === 'GET') {
      sendJson(res, 200, { object: 'list', data: [...batches.values()], has_more: false });
      return true;
    }
    const batchMatch = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (!batchMatch) return false;
    const b = batches.get(batchMatch[1]);
    if (!b) notFound(res, `No such Batch object: ${batchMatch[1]}`);
    else {
      if (batchMatch[2] && method === 'POST') Object.assign(b, { status: 'cancelled', cancelled_at: 3 });
      else if (b.status === 'validating') complete(b);
      sendJson(res, 200, b);
    }
    return true;
  };
}
