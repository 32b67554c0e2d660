# apiserver.sh — start a fresh kbpf-apiserver for a test and point the real kubectl at it
# (sourced after lib.sh). Each run gets its own data directory, port and kubeconfig.

APISERVER=$BUILD/bin/kbpf-apiserver
# Below the kernel's ephemeral range (32768-60999), where no client socket takes it first.
API_PORT=$((10000 + $$ % 20000))
API_URL=http://127.0.0.1:$API_PORT
API_DATA=$WORK/apiserver
export KUBECONFIG=$WORK/kubeconfig

require_apiserver() {
	[ -x "$APISERVER" ] || skip_all "$APISERVER is not built (run make)"
	command -v kubectl >/dev/null || skip_all "kubectl missing"
	command -v curl >/dev/null || skip_all "curl missing"
}

write_kubeconfig() {
	cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kbpf-test
  cluster:
    server: $API_URL
contexts:
- name: kbpf-test
  context:
    cluster: kbpf-test
    user: kbpf-test
    namespace: default
current-context: kbpf-test
users:
- name: kbpf-test
  user: {}
EOF
}

# start_apiserver [extra flags]: until /readyz answers. A port someone else holds is
# given up for another (once per try; the kubeconfig follows).
start_apiserver() {
	local try seen
	for try in 1 2 3 4 5; do
		seen=$(cat "$WORK/apiserver.log" 2>/dev/null | wc -l)
		"$APISERVER" --data-dir "$API_DATA" --secure-port "$API_PORT" "$@" \
			>>"$WORK/apiserver.log" 2>&1 &
		API_PID=$!
		PIDS="$PIDS $API_PID"
		write_kubeconfig
		for _ in $(seq 1 100); do
			# Ours serving, not another test's apiserver on the same port.
			tail -n +$((seen + 1)) "$WORK/apiserver.log" |
				grep -q "listening on $API_URL\$" &&
				curl -sf "$API_URL/readyz" >/dev/null 2>&1 && return 0
			kill -0 "$API_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$API_PID" 2>/dev/null && break
		grep -qi "address already in use" "$WORK/apiserver.log" || break
		API_PORT=$((10000 + (API_PORT - 10000 + 7919) % 20000))
		API_URL=http://127.0.0.1:$API_PORT
		echo "# port in use; trying $API_PORT" >>"$WORK/apiserver.log"
	done
	echo "# apiserver did not come up:"
	sed 's/^/#   /' "$WORK/apiserver.log"
	return 1
}

stop_apiserver() {
	kill "${1:--TERM}" "$API_PID" 2>/dev/null
	wait "$API_PID" 2>/dev/null
}

# expect_out DESC PATTERN CMD...: CMD's output (stdout+stderr) matches the grep -E PATTERN.
expect_out() {
	local desc=$1 pattern=$2 out
	shift 2
	out=$("$@" 2>&1)
	if printf '%s\n' "$out" | grep -qE -- "$pattern"; then
		ok "$desc"
	else
		not_ok "$desc"
		printf '%s\n' "$out" | sed 's/^/# /' | head -40
		echo "# (expected /$pattern/)"
	fi
}
