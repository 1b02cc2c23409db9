# Sourced by tests/scripts/test and tests/scripts/bench-gather: installs the AWS emulators (once,
# into target/), starts them on free loopback ports, exports their URLs, and stops
# them when the calling script exits.
# The AWS emulators, each in a virtualenv kept under target/ (cargo clean removes them):
# moto for SageMaker, S3, STS, ...; ministack for CloudWatch, whose current protocol
# (Smithy RPC v2 CBOR) moto does not speak. Separate venvs: their botocore pins differ.
install() { # venv, marker binary, packages...
  local venv=$1 marker=$2
  shift 2
  if [ ! -x "$venv/bin/$marker" ] || ! "$venv/bin/pip" show -q "${@%%[=[]*}" >/dev/null 2>&1; then
    echo "tests/scripts/test: installing $* into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$@"
  fi
}
install target/emulator-venv moto_server 'moto[server]==5.2.5'
install target/ministack-venv python 'ministack==1.5.33' 'cbor2==6.3.0'

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # url, log, [seconds]
  python3 - "$1" "$2" "${3:-30}" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(f"server did not start: {sys.argv[1]}; see {sys.argv[2]}")
PY
}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

port=$(free_port)
target/emulator-venv/bin/moto_server -H 127.0.0.1 -p "$port" >target/moto.log 2>&1 &
pids+=($!)
export MLOPSDASH_TEST_MOTO_URL="http://127.0.0.1:$port"

# Both emulators stand for one AWS account: moto's. An action checks that what it
# changes is in the account its credentials are (ARNs against STS).
port=$(free_port)
MINISTACK_ACCOUNT_ID=123456789012 BIND_HOST=127.0.0.1 GATEWAY_PORT=$port \
  target/ministack-venv/bin/python -m ministack \
  >target/ministack.log 2>&1 &
pids+=($!)
export MLOPSDASH_TEST_MINISTACK_URL="http://127.0.0.1:$port"

wait_for "$MLOPSDASH_TEST_MOTO_URL/moto-api/" target/moto.log
wait_for "$MLOPSDASH_TEST_MINISTACK_URL/_ministack/health" target/ministack.log
