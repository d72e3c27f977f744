-- wrk script for the benchmark (bench/wrk.ts runs it): POST /v1/chat/completions with a unique prompt
-- per request (so a response cache only ever misses), optionally streamed, and one line of JSON with
-- the results at the end.
--
--   wrk -t1 -c64 -d4s -s bench/wrk.lua http://127.0.0.1:PORT -- MODEL STREAM ["Name: value" ...]
--   (STREAM is "stream" or "plain"; then any extra request headers, e.g. "Authorization: Bearer sk-...")

local counter = 0
local threads = 0
local prefix = ""
local model = "gpt-4o-mini"
local stream = false
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

function init(args)
  model = args[1] or model
  stream = args[2] == "stream"
  for i = 3, #args do
    local name, value = string.match(args[i], "^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
  -- thread id and a random tag: prompts differ between threads and between runs against one server
  math.randomseed(os.time() + (thread_id or 0) * 7919)
  prefix = string.format("%d-%d", thread_id or 0, math.random(1, 2147483647))
end

function request()
  counter = counter + 1
  local body
  if stream then
    body = string.format(
      '{"model":"%s","messages":[{"role":"user","content":"Benchmark prompt %s-%d: say something short."}],"stream":true,"stream_options":{"include_usage":true}}',
      model, prefix, counter)
  else
    body = string.format(
      '{"model":"%s","messages":[{"role":"user","content":"Benchmark prompt %s-%d: say something short."}]}',
      model, prefix, counter)
  end
  return wrk.format("POST", "/v1/chat/completions", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
