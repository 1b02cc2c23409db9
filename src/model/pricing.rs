//! What AWS charges for the requests the dashboard makes: public list prices
//! (us-east-1, November 2026), so the `:stats` view can show a session's API spend.

/// Not a request: how many metrics GetMetricData requests asked for, which is what
/// CloudWatch bills. Counted under this key beside the requests.
pub const METRICS_REQUESTED: &str = "CloudWatch:GetMetricData/metrics";

/// Whether a count is of requests, not of what requests were billed by (metrics
/// asked, samples processed), which are kept under "Service:Operation/what".
pub fn counts_requests(operation: &str) -> bool {
    !operation.contains('/')
}

/// GetMetricData is billed per metric requested, $0.01 per 1,000 (CloudWatch pricing);
/// the requests themselves are not billed again.
pub const CLOUDWATCH_PER_METRIC: f64 = 0.01 / 1000.0;
/// Other CloudWatch API requests (DescribeAlarms, ListMetrics, …): $0.01 per 1,000.
const CLOUDWATCH_PER_REQUEST: f64 = 0.01 / 1000.0;
/// S3 Standard LIST requests: $0.005 per 1,000.
const S3_LIST_PER_REQUEST: f64 = 0.005 / 1000.0;
/// S3 Standard GET requests (captured traffic, baselines, reports): $0.0004 per 1,000.
const S3_GET_PER_REQUEST: f64 = 0.0004 / 1000.0;
/// Cost Explorer API: $0.01 per request, pages included.
const COST_EXPLORER_PER_REQUEST: f64 = 0.01;
/// X-Ray traces retrieved or scanned: $0.50 per million; a request is counted as one.
const XRAY_PER_REQUEST: f64 = 0.5 / 1_000_000.0;
/// SQS standard queue requests (a DLQ's depth): $0.40 per million.
const SQS_PER_REQUEST: f64 = 0.4 / 1_000_000.0;
/// Amazon Managed Service for Prometheus: $0.10 per billion query samples processed.
pub const AMP_SAMPLES: &str = "AMP:QueryRange/samples";
const AMP_PER_SAMPLE: f64 = 0.1 / 1_000_000_000.0;

/// Estimated dollars for `calls` requests of `operation` ("Service:Operation").
/// SageMaker's, ECS's, Lambda's, Step Functions' and ELB's control planes, CloudWatch
/// Logs' FilterLogEvents and STS are free.
pub fn estimate(operation: &str, calls: u64) -> f64 {
    let (service, op) = operation.split_once(':').unwrap_or((operation, ""));
    let each = match (service, op) {
        _ if operation == METRICS_REQUESTED => CLOUDWATCH_PER_METRIC,
        _ if operation == AMP_SAMPLES => AMP_PER_SAMPLE,
        ("CloudWatch", "GetMetricData") => 0.0,
        ("CloudWatch", _) => CLOUDWATCH_PER_REQUEST,
        ("S3", op) if op.starts_with("List") => S3_LIST_PER_REQUEST,
        ("S3", "GetObject") => S3_GET_PER_REQUEST,
        // The SDK names the service "Cost Explorer".
        ("Cost Explorer" | "CostExplorer", _) => COST_EXPLORER_PER_REQUEST,
        ("XRay", _) => XRAY_PER_REQUEST,
        ("SQS", _) => SQS_PER_REQUEST,
        _ => 0.0,
    };
    each * calls as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paid_apis_cost_and_free_ones_do_not() {
        assert_eq!(estimate("SageMaker:ListEndpoints", 1000), 0.0);
        assert_eq!(estimate("STS:GetCallerIdentity", 5), 0.0);
        assert!((estimate("Cost Explorer:GetCostAndUsage", 3) - 0.03).abs() < 1e-12);
        assert_eq!(estimate("CloudWatch:GetMetricData", 1000), 0.0);
        let metrics = estimate("CloudWatch:GetMetricData/metrics", 1000);
        assert!((metrics - 0.01).abs() < 1e-12);
        assert!((estimate("CloudWatch:DescribeAlarms", 1000) - 0.01).abs() < 1e-12);
        assert!((estimate("S3:ListObjectsV2", 2000) - 0.01).abs() < 1e-12);
        assert!((estimate("S3:GetObject", 10_000) - 0.004).abs() < 1e-12);
        assert!((estimate("SQS:GetQueueAttributes", 1_000_000) - 0.4).abs() < 1e-12);
        assert_eq!(estimate("ECS:DescribeServices", 1000), 0.0);
        assert!((estimate(AMP_SAMPLES, 1_000_000_000) - 0.1).abs() < 1e-12);
        assert_eq!(estimate("AMP:QueryRange", 1000), 0.0);
        assert_eq!(estimate("Prometheus:QueryRange", 1000), 0.0);
    }

    #[test]
    fn what_requests_were_billed_by_is_not_a_request() {
        assert!(counts_requests("AMP:QueryRange"));
        assert!(!counts_requests(AMP_SAMPLES));
        assert!(!counts_requests(METRICS_REQUESTED));
    }
}
