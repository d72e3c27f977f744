#!/bin/bash
# ab.sh '<json config>' [seconds]  -> cpu ms/request and rps at c=64
cd /work/main
node .tmpbench/gw.mjs 9933 "$1" > /tmp/gwlog.txt 2>&1 &
pid=$!
sleep 1.5
node bench/.build/load.mjs '{"url":"http://127.0.0.1:9933","path":"/v1/chat/completions","headers":{},"model":"bench/bench-model","stream":false,"concurrency":64,"warmupMs":1500,"durationMs":100}' > /dev/null
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
out=$(node bench/.build/load.mjs '{"url":"http://127.0.0.1:9933","path":"/v1/chat/completions","headers":{},"model":"bench/bench-model","stream":false,"concurrency":64,"warmupMs":0,"durationMs":'${2:-5}'000}' | tail -1)
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
kill $pid; wait $pid 2>/dev/null
node -e "const r=JSON.parse(process.argv[1]); console.log(process.argv[3].padEnd(60), 'rps', r.rps.toFixed(0), 'cpu ms/req', ((process.argv[2]*10)/r.requests).toFixed(3))" "$out" $((t1-t0)) "$1"
