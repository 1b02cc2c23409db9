//! X-Ray: real segment documents put into moto and read back as a waterfall; the
//! calls moto gets wrong (GetTraceSummaries) or leaves empty (GetServiceGraph) from
//! the SDK's mocks, shaped like AWS's documentation.

use aws_sdk_xray::operation::batch_get_traces::BatchGetTracesOutput;
use aws_sdk_xray::operation::get_service_graph::GetServiceGraphOutput;
use aws_sdk_xray::operation::get_trace_summaries::GetTraceSummariesOutput;
use aws_sdk_xray::types::*;
use aws_sdk_xray::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use mlopsdash::source::aws::xray::{XraySettings, XraySource};
use mlopsdash::source::{Source, Update};

use crate::aws::moto_url;
use crate::seed::sdk;

fn settings() -> XraySettings {
    XraySettings {
        window_minutes: 15,
        max_traces: 20,
        filter: None,
    }
}

fn trace_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    format!(
        "1-{:08x}-{:024x}",
        now.as_secs(),
        now.as_nanos() % (1u128 << 96)
    )
}

#[tokio::test]
async fn segments_put_into_xray_come_back_as_a_waterfall() {
    let config = sdk(&moto_url()).await;
    let client = Client::new(&config);
    let id = trace_id();
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        - 5.0;
    let api = format!(
        r#"{{"trace_id":"{id}","id":"70de5b6f19ff9a0a","name":"demand-api","start_time":{t0},"end_time":{},
            "http":{{"response":{{"status":200}}}},
            "subsegments":[{{"id":"0a0b0c0d0e0f0102","name":"demand-forecasting-prod","start_time":{},"end_time":{}}}]}}"#,
        t0 + 1.2,
        t0 + 0.1,
        t0 + 1.1
    );
    let model = format!(
        r#"{{"trace_id":"{id}","id":"1a2b3c4d5e6f7081","parent_id":"0a0b0c0d0e0f0102","name":"model container",
            "start_time":{},"end_time":{},"fault":true,"http":{{"response":{{"status":500}}}}}}"#,
        t0 + 0.15,
        t0 + 1.05
    );
    client
        .put_trace_segments()
        .trace_segment_documents(api)
        .trace_segment_documents(model)
        .send()
        .await
        .unwrap();
    let source = XraySource::from_client(client, settings(), &[]);
    let found = source.waterfalls(vec![id.clone()]).await.unwrap();
    assert_eq!(found.len(), 1);
    let (got, w) = &found[0];
    assert_eq!(got, &id);
    let shape: Vec<(&str, usize, u64)> = w
        .spans
        .iter()
        .map(|s| (s.name.as_str(), s.depth, s.duration_ms.round() as u64))
        .collect();
    assert_eq!(
        shape,
        vec![
            ("demand-api", 0, 1200),
            ("demand-forecasting-prod", 1, 1000),
            ("model container", 2, 900)
        ]
    );
    assert_eq!(
        (w.spans[2].http_status, w.spans[2].fault),
        (Some(500), true)
    );
}

#[tokio::test]
async fn where_trace_summaries_cannot_be_read_the_service_map_still_shows() {
    // moto answers GetTraceSummaries in a shape the SDK rejects.
    let mut source = XraySource::new(
        &sdk(&moto_url()).await,
        &Default::default(),
        settings(),
        &[],
    );
    let Update::Fleet { fleet, .. } = source.fetch().await else {
        panic!("the service map failed too")
    };
    let traces = fleet.traces.unwrap();
    assert!(traces.traces.is_empty());
    assert!(traces.problem.unwrap().contains("xray:GetTraceSummaries"));
}

fn service(
    id: i32,
    name: &str,
    kind: &str,
    total: i64,
    errors: i64,
    faults: i64,
    calls: &[i32],
) -> Service {
    let mut s = Service::builder()
        .reference_id(id)
        .name(name)
        .r#type(kind)
        .summary_statistics(
            ServiceStatistics::builder()
                .total_count(total)
                .ok_count(total - errors - faults)
                .error_statistics(
                    ErrorStatistics::builder()
                        .total_count(errors)
                        .throttle_count(0)
                        .other_count(errors)
                        .build(),
                )
                .fault_statistics(
                    FaultStatistics::builder()
                        .total_count(faults)
                        .other_count(faults)
                        .build(),
                )
                .total_response_time(total as f64 * 0.2)
                .build(),
        )
        .response_time_histogram(HistogramEntry::builder().value(0.1).count(90).build())
        .response_time_histogram(HistogramEntry::builder().value(2.5).count(10).build());
    for c in calls {
        s = s.edges(Edge::builder().reference_id(*c).build());
    }
    s.build()
}

#[tokio::test]
async fn the_service_map_and_traces_are_ranked_worst_first() {
    let graph = mock!(Client::get_service_graph).then_output(|| {
        GetServiceGraphOutput::builder()
            .services(service(
                1,
                "retail-api",
                "AWS::ApiGateway::Stage",
                1000,
                10,
                0,
                &[2],
            ))
            .services(service(
                2,
                "demand-forecasting-prod",
                "AWS::SageMaker::Endpoint",
                800,
                0,
                40,
                &[],
            ))
            .build()
    });
    let summaries = mock!(Client::get_trace_summaries)
        .match_requests(|r| r.filter_expression() == Some("service(\"retail-api\")"))
        .then_output(|| {
            let summary = |id: &str, secs: f64, fault: bool, status: i32| {
                TraceSummary::builder()
                    .id(id)
                    .duration(secs)
                    .has_fault(fault)
                    .has_error(false)
                    .has_throttle(false)
                    .http(
                        Http::builder()
                            .http_method("POST")
                            .http_url("https://api/forecast")
                            .http_status(status)
                            .build(),
                    )
                    .build()
            };
            GetTraceSummariesOutput::builder()
                .trace_summaries(summary("1-a", 3.0, false, 200))
                .trace_summaries(summary("1-b", 1.1, true, 500))
                .trace_summaries(summary("1-c", 0.2, false, 200))
                .build()
        });
    let batch = mock!(Client::batch_get_traces).then_output(|| {
        BatchGetTracesOutput::builder()
            .traces(
                Trace::builder()
                    .id("1-b")
                    .segments(
                        Segment::builder()
                            .id("s")
                            .document(
                                r#"{"id":"s","name":"retail-api","start_time":1,"end_time":2.1}"#,
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let client = mock_client!(
        aws_sdk_xray,
        RuleMode::MatchAny,
        [&graph, &summaries, &batch]
    );
    let mapping = mlopsdash::config::ModelMapping {
        name: "demand".into(),
        endpoint: Some("demand-forecasting-prod".into()),
        ..Default::default()
    };
    let settings = XraySettings {
        filter: Some("service(\"retail-api\")".into()),
        ..settings()
    };
    let mut source = XraySource::from_client(client, settings, &[mapping]);
    let Update::Fleet { fleet, .. } = source.fetch().await else {
        panic!("xray failed")
    };
    let t = fleet.traces.unwrap();
    let first = &t.services[0];
    assert_eq!(
        (first.name.as_str(), first.fault_rate),
        ("demand-forecasting-prod", 5.0)
    );
    assert_eq!(
        first.model.as_deref(),
        Some("demand"),
        "linked through the endpoint"
    );
    assert_eq!(first.p99_ms, Some(2500.0));
    assert_eq!(first.avg_ms.round(), 200.0);
    assert_eq!(t.services[1].calls, vec!["demand-forecasting-prod"]);
    assert_eq!(t.services[1].error_rate, 1.0);
    let order: Vec<&str> = t.traces.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(
        order,
        vec!["1-b", "1-a", "1-c"],
        "faulty first, then slowest"
    );
    assert_eq!(
        t.traces[0].entry.as_deref(),
        Some("POST https://api/forecast")
    );
    assert_eq!(
        t.traces[0].waterfall.as_ref().unwrap().spans[0]
            .duration_ms
            .round(),
        1100.0
    );
}
