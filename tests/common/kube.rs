//! A Kubernetes API server (tests/scripts/kube_server.py, answering from
//! tests/fixtures/k8s/cluster.json) and a real Prometheus with backfilled series in
//! KServe/Knative's and the FastAPI instrumentator's metric names, both on loopback,
//! both stopped when dropped. Shared by the tests and the benchmark, which each use
//! part of it.
#![allow(dead_code)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct KubeServer {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl KubeServer {
    /// The server of tests/fixtures/k8s/cluster.json.
    pub fn start(dir: &Path) -> KubeServer {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        KubeServer::start_with(dir, &root.join("tests/fixtures/k8s/cluster.json"), 2)
    }

    /// The server of the objects in `fixture`, `page` objects a page at most.
    pub fn start_with(dir: &Path, fixture: &Path, page: usize) -> KubeServer {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        // moto's virtualenv has `cryptography` for the server's certificate.
        let venv = root.join("target/emulator-venv/bin/python");
        let python = if venv.exists() {
            venv
        } else {
            PathBuf::from("python3")
        };
        let mut child = Command::new(python)
            .arg(root.join("tests/scripts/kube_server.py"))
            .arg(fixture)
            .arg(dir)
            .env("KUBE_SERVER_PAGE", page.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .expect("kube_server.py printed its port");
        KubeServer {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// A kubeconfig whose user runs `aws eks get-token`, as update-kubeconfig writes.
    pub fn kubeconfig(&self, context: &str) -> PathBuf {
        self.kubeconfig_at(context, &self.url())
    }

    /// The same, reaching the server at `url` (a proxy in front of it).
    pub fn kubeconfig_at(&self, context: &str, url: &str) -> PathBuf {
        let path = self.dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {context}\nclusters:\n- name: test\n  cluster:\n    server: {url}\n    certificate-authority: ca.pem\ncontexts:\n- name: {context}\n  context: {{cluster: test, user: eks}}\nusers:\n- name: eks\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [--region, us-east-1, eks, get-token, --cluster-name, ml-test, --output, json]\n"
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The PATCH bodies the server received, one JSON per line.
    pub fn patches(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.join("patches.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Every request line the server answered ("GET /apis/…?limit=…").
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("requests.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for KubeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A user Prometheus's web config lets in, and the bcrypt hash it stores.
pub const PROM_USER: &str = "grafana";
pub const PROM_PASSWORD: &str = "prom-test-password";
const PROM_PASSWORD_BCRYPT: &str = "$2b$04$vlUhXkY/NZY1j2uf70jAPu29Fnkwq/dTRmOWXnmSqOSJpJDIMXbLu";

pub struct Prometheus {
    child: Child,
    pub url: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last three hours of the test fleet's traffic, one sample a minute, ending
/// at `now` (seconds): fraud-detector's KServe revisions (the canary 00007 takes
/// 10% and answers 30% of it with 5xx), pricing-api's three FastAPI pods, and the
/// team's MAPE gauge.
pub fn openmetrics(now: i64) -> String {
    let mut out = series(
        now,
        &["fraud-detector"],
        (&["recsys-api"], &["pricing-api"]),
    );
    out.push_str("# TYPE model_mape gauge\n");
    for i in 0..=MINUTES {
        let t = now - (MINUTES - i) * 60;
        out.push_str(&format!(
            "model_mape{{model=\"pricing\",job=\"evaluator\"}} 7.5 {t}\n"
        ));
    }
    out.push_str("# EOF\n");
    out
}

const MINUTES: i64 = 180;

/// Three hours of traffic for InferenceServices in `serving` (revisions 00006 at 90%,
/// canary 00007 at 10% failing 30% of it) and Deployments in `apps` (three pods,
/// 2 a second each, 1% 5xx; `meshed` ones seen by Istio's sidecars too), in
/// KServe/Knative's, Istio's and the FastAPI instrumentator's names.
pub fn series(now: i64, isvcs: &[&str], (plain, meshed): (&[&str], &[&str])) -> String {
    let deployments: Vec<&str> = plain.iter().chain(meshed).copied().collect();
    let mut out = String::new();
    out.push_str("# TYPE revision_app_request_count unknown\n");
    for isvc in isvcs {
        let knative = |rev: &str, class: &str, code: &str| {
            format!(
                "namespace_name=\"serving\",configuration_name=\"{isvc}-predictor\",revision_name=\"{isvc}-predictor-{rev}\",response_code=\"{code}\",response_code_class=\"{class}\",namespace=\"serving\",pod=\"{isvc}-{rev}-deployment-1\""
            )
        };
        let flows: [(String, f64); 3] = [
            (knative("00006", "2xx", "200"), 9.0),
            (knative("00007", "2xx", "200"), 0.7),
            (knative("00007", "5xx", "500"), 0.3),
        ];
        for (labels, per_second) in &flows {
            counter(
                &mut out,
                now,
                "revision_app_request_count",
                labels,
                *per_second,
            );
        }
    }
    out.push_str("# TYPE revision_app_request_latencies histogram\n");
    for isvc in isvcs {
        for rev in ["00006", "00007"] {
            let labels = format!(
                "namespace_name=\"serving\",configuration_name=\"{isvc}-predictor\",revision_name=\"{isvc}-predictor-{rev}\""
            );
            // Milliseconds, as Knative records them: all under 50 ms, half under 10.
            let buckets = [("10.0", 0.5), ("50.0", 1.0), ("+Inf", 1.0)];
            let name = "revision_app_request_latencies";
            histogram(&mut out, now, name, &labels, (1.0, 12.0), &buckets);
        }
    }
    let pods = |d: &str| -> Vec<String> {
        ["q4w8e", "r5t6y", "u7i8o"]
            .iter()
            .map(|p| format!("{d}-7c9f8d6b5-{p}"))
            .collect()
    };
    out.push_str("# TYPE http_requests counter\n");
    for d in &deployments {
        for pod in pods(d) {
            for (status, per_second) in [("2xx", 2.0), ("5xx", 0.02)] {
                let labels = format!(
                    "handler=\"/predict\",method=\"POST\",status=\"{status}\",namespace=\"apps\",pod=\"{pod}\",job=\"{d}\""
                );
                counter(&mut out, now, "http_requests_total", &labels, per_second);
            }
        }
    }
    // The same Deployments in an Istio mesh: its sidecars see the same traffic
    // (a little more: health checks the app does not instrument), which must be
    // counted once, Istio's.
    out.push_str("# TYPE istio_requests counter\n");
    for d in meshed {
        for (code, per_second) in [("200", 6.3), ("503", 0.063)] {
            let labels = format!(
                "reporter=\"destination\",destination_workload=\"{d}\",destination_workload_namespace=\"apps\",response_code=\"{code}\""
            );
            counter(&mut out, now, "istio_requests_total", &labels, per_second);
        }
    }
    out.push_str("# TYPE istio_request_duration_milliseconds histogram\n");
    for d in meshed {
        let labels = format!(
            "reporter=\"destination\",destination_workload=\"{d}\",destination_workload_namespace=\"apps\""
        );
        let buckets = [("100", 0.9), ("250", 0.995), ("1000", 1.0), ("+Inf", 1.0)];
        let name = "istio_request_duration_milliseconds";
        histogram(&mut out, now, name, &labels, (6.0, 50.0), &buckets);
    }
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    for d in &deployments {
        for pod in pods(d) {
            let labels =
                format!("handler=\"/predict\",method=\"POST\",namespace=\"apps\",pod=\"{pod}\"");
            // Seconds, as the instrumentator records them: 99% under 0.25 s.
            let buckets = [("0.1", 0.9), ("0.25", 0.995), ("1.0", 1.0), ("+Inf", 1.0)];
            let name = "http_request_duration_seconds";
            histogram(&mut out, now, name, &labels, (2.0, 0.05), &buckets);
        }
    }
    out
}

/// A counter of `name{labels}` growing `per_second`, a point a minute for the window.
fn counter(out: &mut String, now: i64, name: &str, labels: &str, per_second: f64) {
    for i in 0..=MINUTES {
        let t = now - (MINUTES - i) * 60;
        let v = per_second * (i * 60) as f64;
        out.push_str(&format!("{name}{{{labels}}} {v} {t}\n"));
    }
}

/// A histogram of `name{labels}`: `per_second` observations, `mean` each on average,
/// `buckets` (upper bound, cumulative share), a point a minute for the window.
fn histogram(
    out: &mut String,
    now: i64,
    name: &str,
    labels: &str,
    (per_second, mean): (f64, f64),
    buckets: &[(&str, f64)],
) {
    for i in 0..=MINUTES {
        let t = now - (MINUTES - i) * 60;
        let n = (i * 60) as f64 * per_second;
        for (le, share) in buckets {
            let v = n * share;
            out.push_str(&format!("{name}_bucket{{{labels},le=\"{le}\"}} {v} {t}\n"));
        }
        out.push_str(&format!("{name}_count{{{labels}}} {n} {t}\n"));
        out.push_str(&format!("{name}_sum{{{labels}}} {} {t}\n", n * mean));
    }
}

/// A TCP proxy on a free loopback port in front of `port`, holding every chunk the
/// client sends for `latency`: AWS's in-region round trip, TLS and all.
pub async fn delayed(port: u16, latency: Duration) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let own = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        tokio::time::sleep(latency).await;
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = sw.shutdown().await;
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    let _ = cw.shutdown().await;
                };
                tokio::join!(up, down);
            });
        }
    });
    own
}

/// A real Prometheus on a free loopback port, its storage backfilled with
/// `metrics` (OpenMetrics) by promtool; behind basic auth when `auth`.
pub fn prometheus(dir: &Path, metrics: &str, auth: bool) -> Prometheus {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let input = dir.join("series.om");
    std::fs::write(&input, metrics).unwrap();
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&data)
        .output()
        .expect("promtool (Debian's prometheus package; tests/scripts/test installs it)");
    assert!(
        out.status.success(),
        "promtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("prometheus.yml");
    std::fs::write(&config, "global: {}\n").unwrap();
    let mut c = Command::new("prometheus");
    c.arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=30d")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap());
    if auth {
        let web = dir.join("web.yml");
        std::fs::write(
            &web,
            format!("basic_auth_users:\n  {PROM_USER}: {PROM_PASSWORD_BCRYPT}\n"),
        )
        .unwrap();
        c.arg(format!("--web.config.file={}", web.display()));
    }
    // Stopped when dropped, ready or not.
    let prometheus = Prometheus {
        child: c.spawn().expect("prometheus (Debian's package)"),
        url: format!("http://127.0.0.1:{port}"),
    };
    let ready = Instant::now();
    while ready.elapsed() < Duration::from_secs(60) {
        if is_ready(port) {
            return prometheus;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "prometheus did not listen within 60 s: see {}",
        dir.join("prometheus.log").display()
    );
}

/// Whether `/-/ready` answers 200 (the TSDB is loaded), asked with the test user.
fn is_ready(port: u16) -> bool {
    use base64::Engine;
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{PROM_USER}:{PROM_PASSWORD}"));
    let asked = write!(
        s,
        "GET /-/ready HTTP/1.0\r\nAuthorization: Basic {auth}\r\n\r\n"
    );
    let mut answer = String::new();
    asked.is_ok() && s.read_to_string(&mut answer).is_ok() && answer.starts_with("HTTP/1.0 200")
}
