//! What changed, recorded and replayed, as a person uses it on `--demo`: the bad
//! deploy of recommendation-engine in `:changes` with its author, its marker and what
//! moved after it; the incident report `E` writes, read line by line; the session
//! recorded on disk, and after a restart the past scrubbed back to and opened with
//! `--at`, the same fleet as it was and no live source.

use crate::tmux::{launch, Tmux};

/// History every 10 s (the shortest), reports into the test's home.
fn config(t: &Tmux) -> std::path::PathBuf {
    let path = t.home().join("config.toml");
    let out = t.home().join("reports");
    std::fs::write(
        &path,
        format!(
            "[history]\nevery_seconds = 10\n[export]\ndir = \"{}\"\n",
            out.display()
        ),
    )
    .unwrap();
    path
}

fn reports(t: &Tmux, extension: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(t.home().join("reports"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == extension));
    files.sort();
    files
}

fn report_count(t: &Tmux) -> usize {
    reports(t, "md").len()
}

/// The newest report's text (names sort by time).
fn newest_report(t: &Tmux) -> String {
    std::fs::read_to_string(reports(t, "md").last().unwrap()).unwrap()
}

fn time(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn recorded_at(snapshot: &serde_json::Value) -> jiff::Timestamp {
    time(snapshot["recorded_at"].as_str().unwrap())
}

/// The first report and its screen.
fn report(t: &Tmux) -> (String, String) {
    let read = |ext| std::fs::read_to_string(reports(t, ext).first().unwrap()).unwrap();
    (read("md"), read("svg"))
}

#[test]
fn a_bad_deploy_is_found_reported_recorded_and_replayed_after_a_restart() {
    let t = Tmux::start(160, 48);
    let config = config(&t);
    launch(&t, &format!("--demo --config {}", config.display()));
    t.wait_for(
        "▲ changed",
        "recommendation-engine's row naming the deploy (15 s in)",
    );

    t.keys(&[":", "changes", "Enter"]);
    t.wait_for_all(
        &[
            "UpdateEndpoint recommendation-engine-prod",
            "by ci-deploy-role (cloudtrail)",
        ],
        "the bad deploy with its author in :changes",
    );
    t.keys(&[":", "model recommendation-engine", "Enter"]);
    t.wait_for_all(
        &["since v7 was deployed", "by ci-deploy-role: p99 ×", "▲"],
        "the deploy marker and what moved since it",
    );
    // A rollback opened and cancelled: an action the report must list.
    t.keys(&["B"]);
    t.wait_for("y/enter confirm", "the rollback dialog");
    t.keys(&["Escape"]);
    t.wait_for("rollback cancelled", "the cancel");
    t.keys(&["E"]);
    t.wait_for("incident report written:", "the report written");
    let (md, svg) = report(&t);
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "# Incident report: recommendation-engine");
    assert!(lines[2].starts_with("demo · seed 42 · as of "), "{md}");
    assert!(lines[2].ends_with(" · health **crit**"), "{md}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("| ENDPOINT | crit | 5xx ")),
        "{md}"
    );
    let latest = lines.iter().position(|l| *l == "## Latest change").unwrap();
    assert!(
        lines[latest + 2].contains(
            " · deploy · UpdateEndpoint recommendation-engine-prod (config \
             recommendation-engine-prod-config-v7) · by ci-deploy-role (cloudtrail)"
        ),
        "{md}"
    );
    assert!(lines[latest + 4].starts_with("Since then: p99 ×"), "{md}");
    assert!(lines[latest + 4].contains("5xx "), "{md}");
    assert!(
        lines.iter().any(|l| l.starts_with("| ModelLatency.p99 | ")),
        "{md}"
    );
    assert!(
        lines.iter().any(
            |l| l.contains("| deploy | UpdateEndpoint recommendation-engine-prod")
                && l.ends_with("| ci-deploy-role | cloudtrail |")
        ),
        "{md}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("| recommendation-engine-prod-5xx-rate | Alarm |")),
        "{md}"
    );
    let actions = lines
        .iter()
        .position(|l| *l == "## Actions taken (audit log)")
        .unwrap();
    assert!(
        lines[actions + 4].contains("| Requested | rollback | sagemaker:UpdateEndpoint |"),
        "{md}"
    );
    assert!(
        lines[actions + 5].contains("| Cancelled | rollback |"),
        "{md}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("Screen: [recommendation-engine-"),
        "{md}"
    );
    assert!(svg.starts_with("<svg") && svg.contains("recommendation-engine"));

    // Headless, a moment of the recorded past: `snapshot --at` and `export --at` read
    // the records (while the dashboard records them too), with no live source.
    let headless = |at: &str, args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlopsdash"))
            .args(args)
            .args(["--demo", "--config", config.to_str().unwrap(), "--at", at])
            .env_clear()
            .env("HOME", t.home())
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The moment to come back to, on the dashboard's own clock (a test process's
    // clock need not agree with it): a later report's, once a record taken after the
    // first report (the incident already on screen) is as old as that moment.
    let as_of = |md: &str| {
        let at = md
            .lines()
            .nth(2)
            .unwrap()
            .split(" · as of ")
            .nth(1)
            .unwrap();
        format!("{}T{}Z", &at[..10], &at[11..19])
    };
    let seen = as_of(&md);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let (incident, json) = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no record after {seen}"
        );
        // Polled: each round asks for a report and reads the record it names.
        std::thread::sleep(std::time::Duration::from_secs(1));
        let written = report_count(&t);
        t.keys(&["E"]);
        let md = loop {
            assert!(std::time::Instant::now() < deadline, "no further report");
            if report_count(&t) > written {
                break newest_report(&t);
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        let at = as_of(&md);
        let json: serde_json::Value =
            serde_json::from_str(&headless(&at, &["snapshot", "--json"])).unwrap();
        if recorded_at(&json) >= time(&seen) {
            break (at, json);
        }
    };
    t.keys(&["q"]);
    t.assert_clean_shell("the first session");

    // Restarted: the fresh demo is healthy for 15 s; a step back shows the past.
    launch(&t, &format!("--demo --config {}", config.display()));
    t.wait_for("pipeline (8)", "the restarted demo");
    t.keys(&["<"]);
    t.wait_for("◀ PAST", "the recorded past, marked");
    t.keys(&["Escape"]);
    t.wait_for("live again", "back to live");
    t.keys(&["q"]);
    t.assert_clean_shell("the second session");

    assert!(recorded_at(&json) <= time(&incident), "{json:#}");
    let rec = crate::aws::row(&json, "recommendation-engine");
    assert_eq!(rec["health"], "crit");
    assert!(rec["last_change"]["what"]
        .as_str()
        .unwrap()
        .starts_with("UpdateEndpoint recommendation-engine-prod"));
    let dir = t.home().join("headless");
    let written = headless(
        &incident,
        &[
            "export",
            "recommendation-engine",
            "--dir",
            dir.to_str().unwrap(),
        ],
    );
    let md = std::fs::read_to_string(written.trim()).unwrap();
    assert!(md.contains("(recorded past) · health **crit**"), "{md}");

    // Opened at the incident: the fleet as it was, and nothing live to go back to.
    launch(
        &t,
        &format!("--demo --config {} --at {}", config.display(), incident),
    );
    let past = t.wait_for_all(
        &["◀ PAST", "✖ recommendation-engine"],
        "the incident as recorded",
    );
    assert!(past.contains("▲ changed"), "{past}");
    t.keys(&[":", "model recommendation-engine", "Enter"]);
    t.wait_for("since v7 was deployed", "the deploy, read from the record");
    t.keys(&["B"]);
    t.wait_for("this is the recorded past", "no action on the past");
    t.keys(&["Escape"]);
    t.wait_for("started with --at", "no live fleet to return to");
    t.keys(&["q"]);
    t.assert_clean_shell("the past session");
}
