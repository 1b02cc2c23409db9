"""DAGs of two teams with different conventions, for mlopsdash's tests.

attrition: tagged `model:attrition`, roles told by tags (etl, training).
demand: untagged, named in mlopsdash's config (etl_dag, training_dag).
"""
from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="attrition_etl", schedule="@daily", start_date=datetime(2026, 1, 1),
     catchup=False, tags=["model:attrition", "etl"])
def attrition_etl():
    @task
    def extract():
        return 1234

    @task
    def load(rows):
        print(f"loaded {rows} rows")

    load(extract())


@dag(dag_id="train_attrition", schedule=None, start_date=datetime(2026, 1, 1),
     catchup=False, tags=["model:attrition", "training"])
def train_attrition():
    @task
    def prepare():
        return "s3://features/attrition/2026-12-01/"

    @task(retries=0)
    def fit(features):
        print(f"reading {features}")
        raise ValueError("feature 'tenure' is 34% null in the new extract; refusing to train")

    fit(prepare())


@dag(dag_id="ingest_sales_daily", schedule="0 2 * * *", start_date=datetime(2026, 1, 1),
     catchup=False)
def ingest_sales_daily():
    @task
    def copy_sales():
        print("copied")

    copy_sales()


@dag(dag_id="demand_retrain", schedule=None, start_date=datetime(2026, 1, 1), catchup=False)
def demand_retrain():
    @task
    def fit(**context):
        print(context["dag_run"].conf)

    fit()


@dag(dag_id="demand_backfill", schedule=None, start_date=datetime(2026, 1, 1), catchup=False)
def demand_backfill():
    @task
    def fit(**context):
        print(context["dag_run"].conf)

    fit()


attrition_etl()
train_attrition()
ingest_sales_daily()
demand_retrain()
demand_backfill()
