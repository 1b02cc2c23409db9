"""Seeds the test MLflow and Airflow servers through their own REST APIs.

MLflow: "attrition" (aliases champion/challenger, a finished and a failed run) and
"DemandForecaster" (legacy stages, no aliases), "ledger-anomaly" (versions registered
from a path, without a run: one with no run_id, one with an empty one). Airflow: runs of attrition_etl
(succeeds), train_attrition (fails), ingest_sales_daily (succeeds); demand_retrain
and demand_backfill stay paused with no run (the latter is the retrain action's target).
"""
import json
import os
import sys
import time
import urllib.request

MLFLOW = os.environ["MLOPSDASH_TEST_MLFLOW_URL"] + "/api/2.0/mlflow/"
AIRFLOW = os.environ["MLOPSDASH_TEST_AIRFLOW_URL"]
PASSWORDS = os.environ["MLOPSDASH_TEST_AIRFLOW_PASSWORDS"]


def call(url, body=None, method=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"))
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def mlflow(path, body=None, method=None):
    return call(MLFLOW + path, body, method)


def run(experiment, name, status, start, minutes, metrics, tags=()):
    r = mlflow("runs/create", {"experiment_id": experiment, "run_name": name,
                                "start_time": start, "tags": [dict(key=k, value=v) for k, v in tags]})
    run_id = r["run"]["info"]["run_id"]
    for step, (key, values) in enumerate(metrics.items()):
        for i, v in enumerate(values):
            mlflow("runs/log-metric", {"run_id": run_id, "key": key, "value": v,
                                       "timestamp": start + i * 60_000, "step": i})
    mlflow("runs/update", {"run_id": run_id, "status": status, "end_time": start + minutes * 60_000})
    return run_id


def seed_mlflow():
    now = int(time.time() * 1000)
    hour = 3_600_000
    attrition = mlflow("experiments/create", {"name": "attrition"})["experiment_id"]
    good = run(attrition, "attrition-xgb-0412", "FINISHED", now - 30 * hour, 42,
               {"auc": [0.84, 0.89, 0.91], "logloss": [0.52, 0.41, 0.33]})
    run(attrition, "attrition-xgb-0413", "FAILED", now - 6 * hour, 3, {"auc": [0.80]},
        tags=[("error", "CUDA out of memory while fitting fold 3")])
    mlflow("registered-models/create", {"name": "attrition"})
    for v in range(1, 4):
        mlflow("model-versions/create", {"name": "attrition", "run_id": good,
                                          "source": f"s3://ml-artifacts/attrition/v{v}/model.tar.gz"})
    mlflow("registered-models/alias", {"name": "attrition", "alias": "champion", "version": "2"})
    mlflow("registered-models/alias", {"name": "attrition", "alias": "challenger", "version": "3"})

    demand = mlflow("experiments/create", {"name": "demand-forecasting"})["experiment_id"]
    fit = run(demand, "prophet-weekly", "FINISHED", now - 50 * hour, 18, {"mape": [9.1, 7.9]})
    mlflow("registered-models/create", {"name": "DemandForecaster"})
    for v in range(1, 3):
        mlflow("model-versions/create", {"name": "DemandForecaster", "run_id": fit,
                                          "source": f"s3://ml-artifacts/demand/{v}/"})
    mlflow("model-versions/transition-stage",
           {"name": "DemandForecaster", "version": "1", "stage": "Production",
            "archive_existing_versions": False})
    mlflow("model-versions/transition-stage",
           {"name": "DemandForecaster", "version": "2", "stage": "Staging",
            "archive_existing_versions": False})
    # Registered from a path, not from a run: the row's runs are its experiment's.
    ledger = mlflow("experiments/create", {"name": "ledger-anomaly"})["experiment_id"]
    run(ledger, "isolation-forest-nightly", "FINISHED", now - 9 * hour, 7, {"silhouette": [0.41, 0.47]})
    mlflow("registered-models/create", {"name": "ledger-anomaly"})
    mlflow("model-versions/create", {"name": "ledger-anomaly", "source": "s3://ml-artifacts/ledger/v1/"})
    mlflow("model-versions/create", {"name": "ledger-anomaly", "run_id": "",
                                      "source": "s3://ml-artifacts/ledger/v2/"})
    # A copy the action tests may change freely.
    mlflow("registered-models/create", {"name": "attrition-actions"})
    for v in range(1, 3):
        mlflow("model-versions/create", {"name": "attrition-actions", "run_id": good,
                                          "source": f"s3://ml-artifacts/attrition-actions/v{v}/"})
    mlflow("registered-models/alias", {"name": "attrition-actions", "alias": "champion", "version": "1"})


def seed_airflow():
    password = json.load(open(PASSWORDS))["admin"]
    token = call(AIRFLOW + "/auth/token", {"username": "admin", "password": password})["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    api = AIRFLOW + "/api/v2/"
    wanted = ["attrition_etl", "train_attrition", "ingest_sales_daily", "demand_retrain",
              "demand_backfill"]
    deadline = time.time() + 240
    while True:
        dags = {d["dag_id"] for d in call(api + "dags?limit=100", headers=auth)["dags"]}
        if set(wanted) <= dags:
            break
        if time.time() > deadline:
            sys.exit(f"DAGs not parsed: have {sorted(dags)}")
        time.sleep(2)
    runs = []
    for dag in ["attrition_etl", "train_attrition", "ingest_sales_daily"]:
        call(api + f"dags/{dag}", {"is_paused": False}, method="PATCH", headers=auth)
        r = call(api + f"dags/{dag}/dagRuns", {"logical_date": None, "conf": {}}, headers=auth)
        runs.append((dag, r["dag_run_id"]))
    # Unpausing a scheduled DAG also starts its latest interval: wait for every run.
    for dag, _ in runs:
        while True:
            listed = call(api + f"dags/{dag}/dagRuns?limit=20", headers=auth)["dag_runs"]
            states = [r["state"] for r in listed]
            if states and all(s in ("success", "failed") for s in states):
                print(dag, states)
                break
            if time.time() > deadline:
                sys.exit(f"{dag} still {states}")
            time.sleep(2)


seed_mlflow()
seed_airflow()
print("seeded")
