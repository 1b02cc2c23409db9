//! Team mode on moto: a collector gathers the fleet once and writes its states to S3;
//! viewers read them (`snapshot --from`, the dashboard `--from`) with no SageMaker or
//! CloudWatch request of their own — counted by the proxy every viewer request goes
//! through, by the service each is signed for. A viewer's action runs as the viewer.

use std::io::Read;
use std::process::{Command, Output};

use crate::aws::{ministack_url, moto_url};
use crate::proxy::{Faults, Proxy};
use crate::seed::{sdk, seed_convention, seed_registered_model, unique, Convention};
use crate::tmux::{launch, Tmux};

struct Team {
    bucket: String,
    /// Two naming conventions: the registry's `<m>-prod`, and a tag on an unrelated name.
    registered: String,
    tagged: String,
    config: tempfile::NamedTempFile,
    home: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

fn seed_team() -> Team {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let registered = unique("team-churn");
    let tagged = unique("team-ranker");
    let bucket = unique("team-state");
    rt.block_on(async {
        let aws = sdk(&moto_url()).await;
        // Its v2 waits for approval: the viewer approves it.
        let pending = ["Approved", "PendingManualApproval"];
        seed_registered_model(&aws, &registered, &pending, 1, &[]).await;
        seed_convention(&aws, &tagged, Convention::Tagged).await;
        crate::seed::s3(&aws)
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
    });
    let mut config = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut config, b"[aws]\nrefresh_seconds = 10\n").unwrap();
    Team {
        bucket,
        registered,
        tagged,
        config,
        home: tempfile::tempdir().unwrap(),
        rt,
    }
}

/// The binary with the test's AWS: everything at `endpoint` (moto, or a proxy in
/// front of it), CloudWatch and CloudTrail at ministack unless `endpoint` is a proxy
/// that must see them too.
fn mlopsdash(team: &Team, endpoint: &str, metrics: &str, args: &[&str]) -> Output {
    binary(team, endpoint, metrics).args(args).output().unwrap()
}

/// The binary on `team`'s config and home, AWS at `endpoint`.
fn binary(team: &Team, endpoint: &str, metrics: &str) -> Command {
    let mut c = crate::binary::aws_binary(team.home.path(), metrics, metrics);
    c.args(["--region", "us-east-1", "--endpoint-url", endpoint])
        .args(["--config", &team.config.path().display().to_string()]);
    c
}

fn collect(team: &Team, prefix: &str, count: u32) -> Output {
    let to = format!("s3://{}/{prefix}", team.bucket);
    let count = count.to_string();
    let out = mlopsdash(
        team,
        &moto_url(),
        &ministack_url(),
        &["collect", "--to", &to, "--every", "10", "--count", &count],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `snapshot --json --from` through a counting proxy: its exit code, its JSON (or
/// stderr when it printed none), and the requests it made by service.
fn snapshot_from(
    team: &Team,
    prefix: &str,
) -> (
    Option<i32>,
    Result<serde_json::Value, String>,
    std::collections::BTreeMap<String, u64>,
) {
    let proxy = team
        .rt
        .block_on(Proxy::start(&moto_url(), Faults::default()));
    // "prefix/ --at TIME": more arguments after the prefix.
    let mut words = prefix.split(' ');
    let from = format!("s3://{}/{}", team.bucket, words.next().unwrap());
    let args: Vec<&str> = ["snapshot", "--json", "--from", &from]
        .into_iter()
        .chain(words)
        .collect();
    let out = mlopsdash(team, &proxy.url, &proxy.url, &args);
    let json = serde_json::from_slice(&out.stdout)
        .map_err(|_| String::from_utf8_lossy(&out.stderr).trim().to_string());
    (out.status.code(), json, proxy.services())
}

fn keys(team: &Team, prefix: &str) -> Vec<String> {
    team.rt.block_on(async {
        let listed = crate::seed::s3(&sdk(&moto_url()).await)
            .list_objects_v2()
            .bucket(&team.bucket)
            .prefix(prefix)
            .send()
            .await
            .unwrap();
        let mut keys: Vec<String> = listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect();
        keys.sort();
        keys
    })
}

fn get(team: &Team, key: &str) -> Vec<u8> {
    team.rt.block_on(async {
        crate::seed::get_object(&sdk(&moto_url()).await, &team.bucket, key).await
    })
}

fn put(team: &Team, key: &str, body: Vec<u8>) {
    team.rt.block_on(async {
        crate::seed::put_object(&sdk(&moto_url()).await, &team.bucket, key, body).await
    });
}

fn inflate(stored: &[u8]) -> serde_json::Value {
    let mut json = String::new();
    flate2::read::GzDecoder::new(stored)
        .read_to_string(&mut json)
        .unwrap();
    serde_json::from_str(&json).unwrap()
}

fn deflate(json: &serde_json::Value) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json.to_string().as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// A pointer at `key`, written at `written_at`.
fn point(team: &Team, prefix: &str, key: &str, written_at: &str) {
    let pointer = serde_json::json!({
        "schema": {"major": 1, "minor": 0},
        "key": key,
        "written_at": written_at,
        "bytes": 0,
    });
    put(
        team,
        &format!("{prefix}latest.json"),
        pointer.to_string().into_bytes(),
    );
}

#[test]
fn a_collector_writes_states_and_a_pointer_that_viewers_read_without_asking_aws() {
    let team = seed_team();
    let once = collect(&team, "oncall/", 1);
    let states = keys(&team, "oncall/states/");
    assert_eq!(states.len(), 1, "{states:?}");
    let log = String::from_utf8_lossy(&once.stderr);
    assert!(log.contains(&format!("wrote {}", states[0])), "{log}");
    // Several refreshes: a state each, the pointer at the newest; a state past the
    // retention (24 h by default) is deleted.
    let expired = "oncall/states/2026-01-01/080000.000Z.json.gz";
    put(&team, expired, b"old".to_vec());
    collect(&team, "oncall/", 2);
    let states = keys(&team, "oncall/states/");
    assert_eq!(states.len(), 3, "{states:?}");
    assert!(!states.iter().any(|k| k == expired));
    let pointer: serde_json::Value =
        serde_json::from_slice(&get(&team, "oncall/latest.json")).unwrap();
    assert_eq!(pointer["key"], states[2].as_str());
    assert_eq!(pointer["schema"]["major"], 1);
    let state = inflate(&get(&team, &states[2]));
    assert_eq!(state["schema"]["major"], 1);
    assert_eq!(state["written_at"], pointer["written_at"]);
    assert_eq!(state["collector"]["region"], "us-east-1");
    assert_eq!(state["collector"]["account"], "123456789012");
    let sources: Vec<&str> = state["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["source"].as_str())
        .collect();
    for s in ["sagemaker", "cloudwatch", "s3"] {
        assert!(sources.contains(&s), "{sources:?}");
    }
    // The snapshot schema rides along for readers other than mlopsdash.
    let names: Vec<&str> = state["snapshot"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(names.contains(&team.registered.as_str()), "{names:?}");

    let (code, json, requests) = snapshot_from(&team, "oncall/");
    let v = json.unwrap();
    assert!(code.is_some_and(|c| c != 3), "{code:?}");
    assert_eq!(v["source"], "collector");
    assert_eq!(v["collector"]["written_at"], pointer["written_at"]);
    assert_eq!(v["collector"]["region"], "us-east-1");
    assert_eq!(v["collector"]["account"], "123456789012");
    assert!(v["collector"]["errors"].is_array());
    let registered = crate::aws::row(&v, &team.registered);
    assert_eq!(registered["endpoint"]["status"], "InService");
    let tagged = crate::aws::row(&v, &team.tagged);
    assert!(tagged["endpoint"]["name"].is_string(), "{tagged:#}");
    // Where the bucket is, the pointer, the state: S3 only, nothing of SageMaker or
    // CloudWatch.
    assert_eq!(
        requests,
        [("s3".to_string(), 3)].into(),
        "the viewer's requests by service"
    );
    assert_eq!(v["api_calls"]["S3:HeadObject"], 1, "{:#}", v["api_calls"]);
    assert_eq!(v["api_calls"]["S3:GetObject"], 2, "{:#}", v["api_calls"]);

    // Replay for everyone: `--at` a moment reads the state written by then.
    let middle = inflate(&get(&team, &states[1]))["written_at"].clone();
    let at = middle.as_str().unwrap();
    let (_, json, requests) = snapshot_from(&team, &format!("oncall/ --at {at}"));
    let then = json.unwrap();
    assert_eq!(then["recorded_at"], middle);
    assert_eq!(then["source"], "collector");
    crate::aws::row(&then, &team.registered);
    assert_eq!(requests.keys().collect::<Vec<_>>(), ["s3"], "{requests:?}");
}

#[test]
fn a_stale_pointer_is_a_stale_view_and_a_bad_state_one_clear_error() {
    let team = seed_team();
    collect(&team, "base/", 1);
    let state = keys(&team, "base/states/").pop().unwrap();
    let good = inflate(&get(&team, &state));

    // Written two hours ago: every fact is shown, and said to be that old.
    let mut old = good.clone();
    old["written_at"] = serde_json::json!("2026-01-01T08:00:00Z");
    put(
        &team,
        "old/states/2026-01-01/080000.000Z.json.gz",
        deflate(&old),
    );
    point(
        &team,
        "old/",
        "old/states/2026-01-01/080000.000Z.json.gz",
        "2026-01-01T08:00:00Z",
    );
    let (code, json, _) = snapshot_from(&team, "old/");
    let v = json.unwrap();
    assert_eq!(v["source"], "collector");
    crate::aws::row(&v, &team.registered);
    let errors = v["errors"].to_string();
    assert!(
        errors.contains("the collector's last state is") && errors.contains("still running?"),
        "{errors}"
    );
    assert_ne!(code, Some(0), "stale is never all clear");
    // The dashboard says it too.
    let t = Tmux::start(160, 30);
    t.export_test_credentials(&format!(
        "AWS_ENDPOINT_URL={} AWS_ENDPOINT_URL_CLOUDWATCH={} AWS_ENDPOINT_URL_CLOUDTRAIL={}",
        moto_url(),
        ministack_url(),
        ministack_url()
    ));
    launch(
        &t,
        &format!(
            "--from s3://{}/old/ --config {}",
            team.bucket,
            team.config.path().display()
        ),
    );
    t.wait_for_all(
        &["· stopped?", "the collector's last state is"],
        "the header and footer of a stale view",
    );
    t.keys(&["q"]);
    t.assert_clean_shell("quit");

    // Damaged, too large, or from a newer mlopsdash: exit 3 and one line saying so.
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "corrupt/",
            b"\x1f\x8b not really gzip".to_vec(),
            "not a gzip-compressed state",
        ),
        (
            "huge/",
            vec![0u8; 33 * 1024 * 1024],
            "more than the 32768 KiB",
        ),
        (
            "newer/",
            deflate(&serde_json::json!({"schema": {"major": 2, "minor": 0}})),
            "written by a newer mlopsdash (state schema 2.0",
        ),
    ];
    for (prefix, body, said) in cases {
        let key = format!("{prefix}states/2026-12-01/120000.000Z.json.gz");
        put(&team, &key, body);
        point(&team, prefix, &key, "2026-12-01T12:00:00Z");
        let (code, json, _) = snapshot_from(&team, prefix);
        let why = json.unwrap_err();
        assert_eq!(code, Some(3), "{prefix}: {why}");
        assert!(why.contains(said), "{prefix}: {why}");
        assert!(
            why.starts_with(&format!(
                "mlopsdash: could not read the collector's state at s3://{}/{prefix}",
                team.bucket
            )),
            "{why}"
        );
        assert_eq!(why.lines().count(), 1, "{why}");
    }
}

#[test]
fn a_viewer_watches_the_collectors_fleet_and_acts_as_itself() {
    let team = seed_team();
    collect(&team, "live/", 1);
    let proxy = team
        .rt
        .block_on(Proxy::start(&moto_url(), Faults::default()));
    let t = Tmux::start(160, 40);
    // The viewer's own identity: a role its profile assumes (the collector runs as
    // the test user).
    let aws = t.home().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile base]\naws_access_key_id = test\naws_secret_access_key = test\n\
         region = us-east-1\n\n[profile oncall]\nsource_profile = base\n\
         role_arn = arn:aws:iam::123456789012:role/oncall-engineer\nregion = us-east-1\n",
    )
    .unwrap();
    t.keys(&[
        &format!(
            "export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL={} AWS_ENDPOINT_URL_CLOUDWATCH={} \
             AWS_ENDPOINT_URL_CLOUDTRAIL={} AWS_PROFILE=oncall",
            proxy.url, proxy.url, proxy.url
        ),
        "Enter",
    ]);
    launch(
        &t,
        &format!(
            "--from s3://{}/live/ --config {}",
            team.bucket,
            team.config.path().display()
        ),
    );
    t.wait_for_all(
        &["⇣ collector", "123456789012 · us-east-1"],
        "the header naming the collector",
    );
    t.keys(&["/", &team.registered, "Enter"]);
    t.wait_for("(1/", "the collected row");
    let idle = proxy.services();
    assert_eq!(idle.get("sagemaker"), None, "{idle:?}");
    assert_eq!(idle.get("monitoring"), None, "{idle:?}");

    t.keys(&["a"]);
    t.wait_for("sagemaker:UpdateModelPackage", "the approval dialog");
    t.keys(&["y"]);
    t.wait_for("succeeded: now Approved", "the approval read back");
    // No collector runs now: the row turns approved from the viewer's own look.
    t.wait_for("✔ v2 appr", "the registry after the viewer's own look");
    let audit =
        std::fs::read_to_string(t.home().join(".local/share/mlopsdash/audit.jsonl")).unwrap();
    let last = audit.lines().last().unwrap();
    assert!(
        last.contains("assumed-role/oncall-engineer/"),
        "the viewer's identity, not the collector's: {last}"
    );
    t.keys(&["q"]);
    t.assert_clean_shell("quit");
}

#[test]
fn a_collector_run_as_a_service_stops_cleanly_on_sigterm() {
    let team = seed_team();
    let mut child = binary(&team, &moto_url(), &ministack_url())
        .args(["collect", "--to", &format!("s3://{}/svc/", team.bucket)])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A collector that never writes must fail the test, not hang it.
    let pid = child.id().to_string();
    let watchdog = pid.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(90));
        let _ = Command::new("kill").args(["-KILL", &watchdog]).status();
    });
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let wrote = lines.find(|l| l.as_ref().is_ok_and(|l| l.contains(" wrote svc/states/")));
    assert!(wrote.is_some(), "the collector never wrote a state");
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success());
    assert!(
        rest.iter().any(|l| l.ends_with("stopping on a signal")),
        "{rest:?}"
    );
}
