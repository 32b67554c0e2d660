#!/bin/bash
# test_apiserver.sh — kbpf-apiserver beyond kubectl: the official Python client, writes
# that survive kill -9, compaction that gives space back, 410 Expired watches, and a slow
# watcher that does not hold writers up. TAP output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apiserver.sh"
trap "cp $WORK/apiserver.log /tmp/apiserver-last.log 2>/dev/null; cleanup" EXIT
require_apiserver
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null || skip_all "python3-kubernetes missing (make deps)"
start_apiserver --watch-cache-size 100 --compaction-interval 1 ||
	{ not_ok "apiserver starts"; finish; exit 1; }

# The Python client's own TAP lines, renumbered into this file's.
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "python client: ${line#ok * - }" ;;
	"not ok "*) not_ok "python client: ${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done < <(/usr/bin/python3 "$ROOT/tests/integration/pyclient_check.py" 2>&1)

# --- every acknowledged write survives kill -9 ---
cat >"$WORK/writer.py" <<'EOF'
import json, sys, threading, urllib.request
url, out = sys.argv[1], sys.argv[2]
acked, lock = [], threading.Lock()
def writer(t):
    i = 0
    while True:
        name = "crash-%d-%d" % (t, i)
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": name}, "data": {"i": str(i)}}).encode()
        req = urllib.request.Request(url + "/api/v1/namespaces/default/configmaps", body,
                                     {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 201:
                    with lock:
                        acked.append(name)
                        open(out, "a").write(name + "\n")
        except Exception:
            return
        i += 1
ts = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
EOF
: >"$WORK/acked"
/usr/bin/python3 "$WORK/writer.py" "$API_URL" "$WORK/acked" &
WRITER=$!
PIDS="$PIDS $WRITER"
sleep 1.5
stop_apiserver -KILL
wait "$WRITER" 2>/dev/null
start_apiserver --watch-cache-size 100 --compaction-interval 1 >/dev/null
acked=$(wc -l <"$WORK/acked")
missing=$(kubectl get configmaps -o name | sed 's|configmap/||' | sort >"$WORK/present"
	  sort "$WORK/acked" | comm -23 - "$WORK/present" | wc -l)
check "all $acked writes acknowledged before kill -9 are there after restart ($missing missing)" \
	bash -c "[ $acked -gt 100 ] && [ $missing -eq 0 ]"

# --- a watch from a compacted revision gets 410 Expired ---
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
	-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"churn"},"data":{"i":"0"}}' \
	"$API_URL/api/v1/namespaces/default/configmaps"
rv_old=$(kubectl get configmap churn -o 'jsonpath={.metadata.resourceVersion}')
for i in $(seq 1 600); do
	curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d "{\"data\":{\"i\":\"$i\"}}" "$API_URL/api/v1/namespaces/default/configmaps/churn"
done
expect_out "a watch from a revision older than the watch cache gets ERROR 410 Expired" \
	'"type":"ERROR".*"reason":"Expired".*"code":410' \
	curl -s -m 5 "$API_URL/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$rv_old"
expect_out "a watch from a recent revision streams events" '"type":"MODIFIED"' \
	bash -c "rv=\$(kubectl get configmap churn -o 'jsonpath={.metadata.resourceVersion}'); \
		( sleep 0.5; kubectl patch configmap churn -p '{\"data\":{\"i\":\"x\"}}' >/dev/null ) & \
		curl -s -m 2 '$API_URL/api/v1/namespaces/default/configmaps?watch=true&resourceVersion='\$rv"
expect_out "watch bookmarks are sent when asked for" '"type":"BOOKMARK"' \
	curl -s -m 12 "$API_URL/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=$(kubectl get configmap churn -o 'jsonpath={.metadata.resourceVersion}')"
expect_out "timeoutSeconds ends a watch" '^0$' \
	bash -c "curl -s -o /dev/null -m 5 '$API_URL/api/v1/pods?watch=true&timeoutSeconds=1'; echo \$?"

# --- compaction gives space back ---
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
	-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web-small"}}' \
	"$API_URL/api/v1/namespaces/default/configmaps"
size_metric() { curl -s "$API_URL/metrics" | awk '/^apiserver_storage_size_bytes/ {print $2}'; }
big=$(head -c 60000 /dev/zero | tr '\0' 'x')
for i in $(seq 1 200); do
	curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d "{\"data\":{\"big\":\"$big$i\"}}" "$API_URL/api/v1/namespaces/default/configmaps/churn"
done
grown=$(size_metric)
# History is kept for the watch cache's 100 revisions: push the big ones out of it.
for i in $(seq 1 150); do
	curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d "{\"data\":{\"i\":\"$i\"}}" "$API_URL/api/v1/namespaces/default/configmaps/web-small" 2>/dev/null
done
sleep 3
shrunk=$(size_metric)
check "compaction gives space back (store $grown -> $shrunk bytes)" \
	bash -c "[ -n '$grown' ] && [ -n '$shrunk' ] && [ $shrunk -lt $((grown / 2)) ]"

# --- a slow watcher does not hold writers up ---
curl -s -N --limit-rate 200 "$API_URL/api/v1/configmaps?watch=true" >/dev/null &
SLOW=$!
PIDS="$PIDS $SLOW"
t0=$(date +%s%N)
for i in $(seq 1 300); do
	curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d "{\"data\":{\"big\":\"$big$i\"}}" "$API_URL/api/v1/namespaces/default/configmaps/churn"
done
ms=$((($(date +%s%N) - t0) / 1000000))
kill "$SLOW" 2>/dev/null
check "300 writes of 60 KB with a watcher reading 200 B/s take ${ms} ms" [ "$ms" -lt 20000 ]
expect_out "the server still answers after all that" '^ok$' curl -s "$API_URL/readyz"

# --- idle and slow clients time out; watches do not ---
stop_apiserver
start_apiserver --idle-timeout 2 >/dev/null
idle_closed() { # a connection that sends nothing is closed within the timeout
	/usr/bin/python3 - "$API_PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
t = time.time()
data = s.recv(1)
sys.exit(0 if data == b"" and time.time() - t < 6 else 1)
PY
}
slow_closed() { # a request trickling in a byte a second is cut off
	/usr/bin/python3 - "$API_PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
try:
    for b in b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n\r\n":
        s.send(bytes([b]))
        time.sleep(1)
    sys.exit(1 if s.recv(100) else 0)
except OSError:
    sys.exit(0)   # reset by the server: cut off
PY
}
watch_outlives_timeout() { # an event 4 s into a quiet watch still arrives
	local rv
	rv=$(curl -s "$API_URL/api/v1/namespaces/default/configmaps?limit=1" | json_get 'd["metadata"]["resourceVersion"]')
	( sleep 4; curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
		-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"late"}}' \
		"$API_URL/api/v1/namespaces/default/configmaps" ) &
	curl -s -m 7 "$API_URL/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$rv" |
		grep -q '"name":"late"'
}
check "an idle connection is closed after --idle-timeout" idle_closed
check "a client sending its request too slowly is cut off" slow_closed
check "a quiet watch outlives the idle timeout" watch_outlives_timeout

finish
