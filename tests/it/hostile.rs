//! Servers that misbehave: an MLflow and an Airflow (a few lines of Python, started
//! here on loopback) that page for ever, answer a 1 GiB body, or never answer.
//! `snapshot` must end on its own, exit non-zero with one error line naming the
//! server, and leave no secret of the URL or the environment in any output or file.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::aws::{ministack_url, moto_url};

/// The hostile server of `mode`, killed when dropped.
struct Hostile {
    child: Child,
    port: u16,
}

impl Hostile {
    fn start(mode: &str) -> Hostile {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/hostile_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(mode)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap();
        Hostile { child, port }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file under `dir`, read.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

/// `snapshot` against `server` as MLflow or Airflow (`which`), with AWS an empty
/// region of moto: its exit code, stdout and stderr, killed after `bound` (a hang
/// guard, not a timing assertion).
fn snapshot(
    which: &str,
    server: &Hostile,
    home: &Path,
    bound: Duration,
) -> (Option<i32>, String, String) {
    let secret_url = format!("http://alice:url-s3cret@127.0.0.1:{}", server.port);
    // The user's own file holds the URL; everything the tool writes is under HOME.
    let config = home.with_extension("toml");
    let airflow = match which {
        "airflow" => format!("[airflow]\nurl = \"{secret_url}\"\napi = \"v2\"\n"),
        _ => String::new(),
    };
    std::fs::write(&config, airflow).unwrap();
    let mut c = crate::binary::aws_binary(home, &ministack_url(), &ministack_url());
    c.args([
        "snapshot",
        "--endpoint-url",
        &moto_url(),
        "--region",
        "me-central-1",
    ])
    .args(["--config", &config.display().to_string()])
    .env("AIRFLOW_USERNAME", "bob")
    .env("AIRFLOW_PASSWORD", "env-s3cret")
    .env("MLFLOW_TRACKING_TOKEN", "token-s3cret")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if which == "mlflow" {
        c.env("MLFLOW_TRACKING_URI", &secret_url);
    }
    let child = c.spawn().unwrap();
    let pid = child.id();
    let started = Instant::now();
    let guard = std::thread::spawn(move || {
        while started.elapsed() < bound {
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    });
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < bound,
        "{which} {}: snapshot did not end on its own",
        server.port
    );
    drop(guard);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_server_that_pages_for_ever_answers_a_gigabyte_or_hangs_ends_in_one_line() {
    // The hang waits out one request's deadline (20 s); the rest answer at once.
    for mode in ["pages", "huge", "hang"] {
        for which in ["mlflow", "airflow"] {
            let server = Hostile::start(mode);
            let home = tempfile::tempdir().unwrap();
            let (code, stdout, stderr) =
                snapshot(which, &server, home.path(), Duration::from_secs(150));
            let what = format!("{which} {mode}:\n{stdout}\n{stderr}");
            assert_eq!(code, Some(3), "nothing gathered, and said so: {what}");
            let errors: Vec<&str> = stdout
                .lines()
                .filter(|l| l.starts_with("error: "))
                .collect();
            assert_eq!(errors.len(), 1, "one line: {what}");
            assert!(
                errors[0].contains(&format!("127.0.0.1:{}", server.port)),
                "the line names the server: {what}"
            );
            let everything = files(home.path())
                .into_iter()
                .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
                .chain([stdout.clone(), stderr.clone()]);
            for text in everything {
                for secret in ["url-s3cret", "env-s3cret", "token-s3cret", "alice:"] {
                    assert!(!text.contains(secret), "{secret} leaked: {what}");
                }
            }
        }
    }
}
