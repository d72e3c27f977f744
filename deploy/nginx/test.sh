#!/usr/bin/env bash
# Tests deploy/nginx/switchyard.conf: three instances behind nginx (ports from the conf rewritten to
# free ones), requests spread over all three, SSE streaming through the proxy, a cache entry shared
# through Redis, and an instance killed mid-test without failed requests.
# Needs nginx, redis (127.0.0.1:6379) and curl. Run from the repository: deploy/nginx/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install -y nginx)"; exit 2; }
redis-cli ping >/dev/null || { echo "Redis is not reachable on 127.0.0.1:6379"; exit 2; }

work=$(mktemp -d)
prefix="nginx-test-$$:"
pids=()
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli --scan --pattern "${prefix}*" | xargs -r redis-cli del >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
ports=($(free_port) $(free_port) $(free_port))
front=$(free_port)

for p in "${ports[@]}"; do
  REDIS_PREFIX="$prefix" node bin/switchyard.js start --config deploy/nginx/test.config.ts --port "$p" >"$work/gw-$p.log" 2>&1 &
  pids+=($!)
done
for p in "${ports[@]}"; do
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$p/ready" >/dev/null && break; sleep 0.1; done
done

sed -e "s/127.0.0.1:4001/127.0.0.1:${ports[0]}/" -e "s/127.0.0.1:4002/127.0.0.1:${ports[1]}/" -e "s/127.0.0.1:4003/127.0.0.1:${ports[2]}/" \
    -e "s/listen 8080;/listen 127.0.0.1:${front};/" deploy/nginx/switchyard.conf >"$work/site.conf"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  include $work/site.conf;
}
CONF
nginx -t -c "$work/nginx.conf" -p "$work" 2>&1 | tail -1
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$front/health" >/dev/null && break; sleep 0.1; done

url="http://127.0.0.1:$front/v1/chat/completions"
chat() { curl -s -D - -o /dev/null -H 'content-type: application/json' -d "{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}" "$url"; }

# 1. spread: 30 requests (all 200) reach all three instances
served=$(for i in $(seq 1 30); do chat "spread $i $$" | tr -d '\r' | awk -F': ' 'NR==1{split($0,a," "); if (a[2]!="200") print "status " a[2]} tolower($1)=="x-served-by"{print $2}'; done | sort | uniq -c)
echo "$served"
[ "$(echo "$served" | wc -l)" -eq 3 ] && ! echo "$served" | grep -q status || { echo "FAIL: not 30 answers spread over 3 instances"; exit 1; }

# 2. streaming through nginx: chunks and [DONE]
stream=$(curl -sN -H 'content-type: application/json' -d '{"model":"mock-small","stream":true,"messages":[{"role":"user","content":"stream please"}]}' "$url")
echo "$stream" | grep -q 'data: \[DONE\]' || { echo "FAIL: no [DONE] in the stream"; exit 1; }
echo "stream: $(echo "$stream" | grep -c '^data: ') events"

# 3. the cache is shared: the same request, whichever instance answers, is a hit after the first
chat "cached question $$" >/dev/null
hits=$(for i in $(seq 1 6); do chat "cached question $$" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-switchyard-cache"{print $2}'; done | sort | uniq -c)
echo "cache: $hits"
[ "$(echo "$hits" | awk '{print $2}')" = "hit" ] || { echo "FAIL: not every repeat was a hit"; exit 1; }

# 4. one instance killed: nginx retries the refused connection on another; no failed request
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
codes=$(for i in $(seq 1 20); do curl -s -o /dev/null -w '%{http_code}\n' -H 'content-type: application/json' -d "{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"after kill $i\"}]}" "$url"; done | sort | uniq -c)
echo "after kill: $codes"
[ "$(echo "$codes" | awk '{print $2}')" = "200" ] || { echo "FAIL: requests failed after an instance died"; exit 1; }
echo "PASS: nginx config (deploy/nginx/switchyard.conf) with 3 instances"
