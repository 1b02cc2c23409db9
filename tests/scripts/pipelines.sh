# Sourced by tests/scripts/test after emulators.sh: installs a real MLflow tracking
# server and a real Airflow (once, into virtualenvs under target/), starts both on
# free loopback ports with throwaway state under target/, exports their URLs, and
# seeds them in the background (tests wait for target/pipelines/seeded).
install target/mlflow-venv mlflow 'mlflow==3.17.2'
install target/airflow-venv airflow 'apache-airflow==3.3.2'

state=target/pipelines
rm -rf "$state"
mkdir -p "$state/mlflow" "$state/airflow/dags"
cp tests/airflow_dags/*.py "$state/airflow/dags/"

port=$(free_port)
target/mlflow-venv/bin/mlflow server --host 127.0.0.1 --port "$port" --workers 1 \
  --backend-store-uri "sqlite:///$PWD/$state/mlflow/mlflow.db" \
  --artifacts-destination "$PWD/$state/mlflow/artifacts" >target/mlflow.log 2>&1 &
pids+=($!)
export MLOPSDASH_TEST_MLFLOW_URL="http://127.0.0.1:$port"

port=$(free_port)
(
  export AIRFLOW_HOME="$PWD/$state/airflow" PATH="$PWD/target/airflow-venv/bin:$PATH"
  export AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT=$port
  export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$port/execution/"
  # Two cores: one worker each, few task processes.
  export AIRFLOW__CORE__PARALLELISM=2 AIRFLOW__API__WORKERS=1
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
  export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=5 AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL=5
  exec airflow standalone
) >target/airflow.log 2>&1 &
pids+=($!)
export MLOPSDASH_TEST_AIRFLOW_URL="http://127.0.0.1:$port"
export MLOPSDASH_TEST_AIRFLOW_PASSWORDS="$PWD/$state/airflow/simple_auth_manager_passwords.json.generated"

# Seeded while cargo builds; the tests wait for the marker (or the failure file).
(
  if wait_for "$MLOPSDASH_TEST_MLFLOW_URL/health" target/mlflow.log 300 &&
    wait_for "$MLOPSDASH_TEST_AIRFLOW_URL/api/v2/monitor/health" target/airflow.log 300 &&
    python3 tests/scripts/seed_pipelines.py >target/seed_pipelines.log 2>&1; then
    touch "$state/seeded"
  else
    echo "see target/seed_pipelines.log, target/mlflow.log, target/airflow.log" >"$state/failed"
  fi
) &
pids+=($!)
