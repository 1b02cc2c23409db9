//! A loopback proxy in front of an emulator that adds AWS's in-region latency or
//! injects the faults AWS and the networks in front of it produce: throttling in
//! each protocol's own shape (JSON `ThrottlingException`, XML `Throttling`, S3's
//! `SlowDown`), bare 503s, answers held for seconds, and a black hole that accepts
//! and never answers. HTTP/1.1 with Content-Length bodies, as the SDK sends them.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The latency a benchmark adds to every request: MLOPSDASH_BENCH_LATENCY_MS, else
/// AWS's in-region 60 ms when measuring (`--bench`) and none in a smoke run.
pub fn bench_latency_ms(bench: bool) -> u64 {
    std::env::var("MLOPSDASH_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 60 } else { 0 })
}

/// What the proxy does to each request; fractions are drawn per request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Added before every request is forwarded.
    pub latency: Duration,
    pub throttled: f64,
    pub unavailable: f64,
    /// Answered only after two seconds.
    pub held: f64,
    /// Accepts and never answers.
    pub black_hole: bool,
    /// Requests whose body holds this text (e.g. an account id in a role ARN) are
    /// refused with AccessDenied, as STS refuses a role the caller may not assume.
    pub denied: Option<&'static str>,
    /// Requests that hold this text (a resource's name) are answered this much
    /// later; the timeline calls their operation "<operation> (slowed)".
    pub slow: Option<(&'static str, Duration)>,
}

pub struct Proxy {
    pub url: String,
    faults: Arc<Mutex<Faults>>,
    requests: Arc<AtomicU64>,
    services: Services,
}

/// When each request went through, and what it asked: shared by the proxies of one
/// run, so the round trips in a row are counted across services.
#[derive(Clone, Default)]
pub struct Timeline(Arc<Mutex<Vec<Span>>>);

#[derive(Clone)]
struct Span {
    start: Instant,
    end: Instant,
    operation: String,
}

impl Timeline {
    fn record(&self, start: Instant, operation: String) {
        let end = Instant::now();
        self.0.lock().unwrap().push(Span {
            start,
            end,
            operation,
        });
    }

    /// How many requests for `operation` have been answered so far.
    pub fn answered(&self, operation: &str) -> usize {
        let spans = self.0.lock().unwrap();
        spans.iter().filter(|s| s.operation == operation).count()
    }

    /// The longest chain of requests since `since` each of which started only after
    /// the one before had been answered: the round trips a run waited for in a row,
    /// whatever made it wait (an answer it needed, or a limit on requests in flight).
    pub fn critical_path(&self, since: Instant) -> Vec<String> {
        let mut spans: Vec<Span> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.start >= since)
            .cloned()
            .collect();
        spans.sort_by_key(|s| s.end);
        // longest[i]: the chain ending with spans[i], and the span before it there.
        let mut longest: Vec<(usize, Option<usize>)> = Vec::with_capacity(spans.len());
        for i in 0..spans.len() {
            let before = (0..i)
                .filter(|j| spans[*j].end <= spans[i].start)
                .max_by_key(|j| longest[*j].0);
            longest.push((before.map_or(1, |j| longest[j].0 + 1), before));
        }
        let mut at = (0..spans.len()).max_by_key(|i| longest[*i].0);
        let mut chain = Vec::new();
        while let Some(i) = at {
            chain.push(spans[i].operation.clone());
            at = longest[i].1;
        }
        chain.reverse();
        chain
    }
}

/// The operation a request names: the JSON target's, the CBOR path's, the query
/// form's Action, else S3's method.
fn operation_of(request: &[u8]) -> String {
    let text = String::from_utf8_lossy(request);
    let head = String::from_utf8_lossy(head_of(request));
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    if let Some(target) = header("x-amz-target") {
        return target.rsplit('.').next().unwrap_or_default().to_string();
    }
    let path = head.split_whitespace().nth(1).unwrap_or_default();
    if path.contains("/operation/") {
        return path.rsplit('/').next().unwrap_or_default().to_string();
    }
    if let Some(action) = text.split("Action=").nth(1) {
        return action.split('&').next().unwrap_or_default().to_string();
    }
    let method = head.split_whitespace().next().unwrap_or_default();
    format!("S3 {method}")
}

/// Requests by the service their signature names ("s3", "sagemaker", "monitoring").
type Services = Arc<Mutex<std::collections::BTreeMap<String, u64>>>;

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (http://host:port).
    pub async fn start(upstream: &str, faults: Faults) -> Proxy {
        Proxy::timed(upstream, faults, Timeline::default()).await
    }

    /// As `start`, recording each request on `timeline`.
    pub async fn timed(upstream: &str, faults: Faults, timeline: Timeline) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let faults = Arc::new(Mutex::new(faults));
        let requests = Arc::new(AtomicU64::new(0));
        let services = Services::default();
        let (f, n, by) = (faults.clone(), requests.clone(), services.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, f, n, by) = (upstream.clone(), f.clone(), n.clone(), by.clone());
                let timeline = timeline.clone();
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, (&f, &n), (&by, &timeline)).await;
                });
            }
        });
        Proxy {
            url,
            faults,
            requests,
            services,
        }
    }

    pub fn set(&self, faults: Faults) {
        *self.faults.lock().unwrap() = faults;
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Requests so far by the service their SigV4 credential scope names.
    pub fn services(&self) -> std::collections::BTreeMap<String, u64> {
        self.services.lock().unwrap().clone()
    }
}

/// A cheap per-request draw in [0, 1): no shared RNG state, no crate.
fn draw(n: u64) -> f64 {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    (faults, requests): (&Mutex<Faults>, &AtomicU64),
    (services, timeline): (&Services, &Timeline),
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_message(&mut client, &mut buffer).await? else {
            return Ok(());
        };
        let start = Instant::now();
        let n = requests.fetch_add(1, Ordering::SeqCst);
        let f = *faults.lock().unwrap();
        if f.black_hole {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(f.latency).await;
        let slowed = f
            .slow
            .filter(|(text, _)| String::from_utf8_lossy(&request).contains(text));
        if let Some((_, late)) = slowed {
            tokio::time::sleep(late).await;
        }
        let roll = draw(n);
        let head = String::from_utf8_lossy(head_of(&request)).to_ascii_lowercase();
        *services
            .lock()
            .unwrap()
            .entry(signed_for(&head))
            .or_default() += 1;
        let refused = f
            .denied
            .is_some_and(|d| String::from_utf8_lossy(&request).contains(d));
        let answer = if refused {
            let body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                        <Message>User is not authorized to perform: sts:AssumeRole</Message>\
                        </Error></ErrorResponse>";
            response(403, "text/xml", body)
        } else if roll < f.throttled {
            throttle(&head)
        } else if roll < f.throttled + f.unavailable {
            response(503, "text/plain", "")
        } else {
            if roll < f.throttled + f.unavailable + f.held {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            forward(upstream, &request).await?
        };
        client.write_all(&answer).await?;
        let operation = operation_of(&request);
        timeline.record(
            start,
            match slowed {
                Some(_) => format!("{operation} (slowed)"),
                None => operation,
            },
        );
        if !framed(head_of(&answer)) {
            return Ok(());
        }
    }
}

/// The service a request is signed for: `Credential=AKID/date/region/service/aws4_request`.
fn signed_for(head: &str) -> String {
    head.split("credential=")
        .nth(1)
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unsigned")
        .to_string()
}

/// Throttling as each protocol says it.
fn throttle(head: &str) -> Vec<u8> {
    if head.contains("x-amz-target:") {
        let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
        return response(400, "application/x-amz-json-1.1", body);
    }
    if head.contains("smithy-protocol: rpc-v2-cbor") {
        // A CBOR error body is the emulator's to write: a bare 503 says the same.
        return response(503, "text/plain", "");
    }
    if head.contains("application/x-www-form-urlencoded") {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
                    <Message>Rate exceeded</Message></Error></ErrorResponse>";
        return response(400, "text/xml", body);
    }
    let body =
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
    response(503, "application/xml", body)
}

fn response(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} Fault\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends one request upstream on its own connection and reads the whole answer.
async fn forward(upstream: &str, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(request).await?;
    let mut buffer = Vec::new();
    if request.starts_with(b"HEAD ") {
        // The answer to HEAD has a Content-Length but no body.
        let mut chunk = [0u8; 16 * 1024];
        while find(&buffer, b"\r\n\r\n").is_none() {
            let read = server.read(&mut chunk).await?;
            if read == 0 {
                break;
            }
            buffer.extend_from_slice(&chunk[..read]);
        }
        return Ok(buffer);
    }
    Ok(read_message(&mut server, &mut buffer)
        .await?
        .unwrap_or_default())
}

fn head_of(message: &[u8]) -> &[u8] {
    let end = find(message, b"\r\n\r\n").map_or(message.len(), |i| i + 4);
    &message[..end]
}

/// Whether the message says where it ends (else the connection's end does).
fn framed(head: &[u8]) -> bool {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    head.contains("content-length:") && !head.contains("connection: close")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One HTTP message (head and Content-Length or chunked body), or None at EOF.
/// Bytes read past it stay in `buffer` for the next one.
async fn read_message(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = find(buffer, b"\r\n\r\n").map(|i| i + 4) {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let total = match length {
                Some(len) => Some(end + len),
                None if head.contains("transfer-encoding: chunked") => {
                    find(&buffer[end..], b"0\r\n\r\n").map(|i| end + i + 5)
                }
                // No body, unless the peer closes to end it (a response).
                None if head.starts_with("http/")
                    && !head.contains(" 204 ")
                    && !head.contains(" 304 ") =>
                {
                    None
                }
                None => Some(end),
            };
            if let Some(total) = total.filter(|t| buffer.len() >= *t) {
                let rest = buffer.split_off(total);
                return Ok(Some(std::mem::replace(buffer, rest)));
            }
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok((!buffer.is_empty()).then(|| std::mem::take(buffer)));
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}
