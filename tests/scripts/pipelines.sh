# Sourced by tests/scripts/test after emulators.sh: a real MLflow tracking server and
# a real Airflow, each in a virtualenv under target/ (installed once), started on
# free loopback ports with throwaway state under target/pipelines, and seeded. All of
# it runs in the background while cargo builds; the tests wait for
# target/pipelines/seeded (or read target/pipelines/failed).
state=target/pipelines
rm -rf "$state"
mkdir -p "$state/mlflow" "$state/airflow/dags"
cp tests/airflow_dags/*.py "$state/airflow/dags/"

export MLOPSDASH_TEST_MLFLOW_URL="http://127.0.0.1:$(free_port)"
airflow_port=$(free_port)
export MLOPSDASH_TEST_AIRFLOW_URL="http://127.0.0.1:$airflow_port"
export MLOPSDASH_TEST_AIRFLOW_PASSWORDS="$PWD/$state/airflow/simple_auth_manager_passwords.json.generated"

(
  # The servers are this subshell's jobs, each leading its own process group (airflow
  # standalone forks a scheduler, an API server, ...): the groups stop with it.
  trap 'for p in $(jobs -p); do kill -- -"$p" 2>/dev/null || kill "$p" 2>/dev/null; done; exit' TERM INT EXIT
  fail() { echo "$1; see target/seed_pipelines.log, target/mlflow.log, target/airflow.log" >"$state/failed"; }
  { install target/mlflow-venv mlflow 'mlflow==3.17.2' &&
    install target/airflow-venv airflow 'apache-airflow==3.3.2'; } >target/pipelines-install.log 2>&1 ||
    { fail "installing mlflow or apache-airflow failed (target/pipelines-install.log)"; exit 1; }

  setsid target/mlflow-venv/bin/mlflow server --host 127.0.0.1 --port "${MLOPSDASH_TEST_MLFLOW_URL##*:}" \
    --workers 1 --backend-store-uri "sqlite:///$PWD/$state/mlflow/mlflow.db" \
    --artifacts-destination "$PWD/$state/mlflow/artifacts" >target/mlflow.log 2>&1 &

  (
    export AIRFLOW_HOME="$PWD/$state/airflow" PATH="$PWD/target/airflow-venv/bin:$PATH"
    export AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT=$airflow_port
    export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$airflow_port/execution/"
    # Two cores: one API worker, few task processes.
    export AIRFLOW__CORE__PARALLELISM=2 AIRFLOW__API__WORKERS=1
    export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
    export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=5 AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL=5
    exec setsid airflow standalone
  ) >target/airflow.log 2>&1 &

  if wait_for "$MLOPSDASH_TEST_MLFLOW_URL/health" target/mlflow.log 300 &&
    wait_for "$MLOPSDASH_TEST_AIRFLOW_URL/api/v2/monitor/health" target/airflow.log 300 &&
    python3 tests/scripts/seed_pipelines.py >target/seed_pipelines.log 2>&1; then
    touch "$state/seeded"
  else
    fail "MLflow or Airflow did not start or could not be seeded"
  fi
  wait
) &
pids+=($!)
