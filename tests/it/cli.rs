//! The binary's non-interactive paths: config errors, `config init`, completions.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlopsdash"));
    c.env_remove("NO_COLOR");
    c
}

fn run(args: &[&str], home: &Path) -> Output {
    bin()
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .output()
        .unwrap()
}

/// Each file in tests/invalid_configs starts with `# expect: <message>`; the binary must
/// exit 2, print that one line (after the file path) and never touch the terminal.
#[test]
fn invalid_configs_give_one_line_with_file_line_and_column() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs");
    let fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut checked = 0;
    for path in &fixtures {
        let text = std::fs::read_to_string(path).unwrap();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} has no `# expect:` line", path.display()));
        let out = run(&["--demo", "--config", path.to_str().unwrap()], &dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        assert_eq!(
            stderr.trim_end(),
            format!("mlopsdash: {}{expected}", path.display()),
            "{}",
            path.display()
        );
        assert!(
            out.stdout.is_empty(),
            "nothing may be drawn: {:?}",
            out.stdout
        );
        checked += 1;
    }
    assert_eq!(checked, fixtures.len());
    assert!(checked >= 9, "only {checked} fixtures");
}

#[test]
fn missing_named_config_says_how_to_create_one() {
    let home = tempfile::tempdir().unwrap();
    let out = run(&["--demo", "--config", "/nonexistent/c.toml"], home.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "mlopsdash: /nonexistent/c.toml: no such file (create one with `mlopsdash config init`)"
    );
}

#[test]
fn unknown_theme_lists_the_builtin_ones() {
    let home = tempfile::tempdir().unwrap();
    let out = run(&["--demo", "--theme", "neon"], home.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("neon: no such theme (built-in: dark, light, mono"),
        "{err}"
    );
}

#[test]
fn config_init_writes_the_example_and_refuses_to_overwrite() {
    let home = tempfile::tempdir().unwrap();
    let out = run(&["config", "init"], home.path());
    assert!(out.status.success(), "{out:?}");
    let written = home.path().join(".config/mlopsdash/config.toml");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        include_str!("../../config.example.toml")
    );
    let check = run(&["config", "check"], home.path());
    assert!(check.status.success(), "{check:?}");
    let again = run(&["config", "init"], home.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists; pass --force"));
    assert!(run(&["config", "init", "--force"], home.path())
        .status
        .success());
}

#[test]
fn completions_are_generated() {
    let home = tempfile::tempdir().unwrap();
    let out = run(&["completions", "bash"], home.path());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--demo-seed"));
}

#[test]
fn without_a_terminal_it_says_so_instead_of_panicking() {
    let home = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["--demo", "--config", "/dev/null"])
        .env("HOME", home.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "mlopsdash: the dashboard needs a terminal: run it in one (stdin and stdout are not a TTY)"
    );
    assert!(out.stdout.is_empty(), "no escape codes on a non-terminal");
}

#[test]
fn snapshot_prints_the_fleet_and_exits_by_its_health() {
    let home = tempfile::tempdir().unwrap();
    let out = run(
        &["snapshot", "--demo", "--config", "/dev/null"],
        home.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the demo starts with a failed training job:\n{text}"
    );
    assert!(text.starts_with("mlopsdash snapshot · demo · "), "{text}");
    assert!(
        text.contains("✖ churn-detection") && text.contains("✖ Failed"),
        "{text}"
    );
    let out = run(
        &[
            "snapshot",
            "--demo",
            "--config",
            "/dev/null",
            "--fail-on",
            "never",
        ],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(0));

    let out = run(
        &[
            "snapshot",
            "--json",
            "--demo",
            "--demo-models",
            "6",
            "--config",
            "/dev/null",
        ],
        home.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source"], "demo");
    assert_eq!(v["models"].as_array().unwrap().len(), 6);
    assert_eq!(v["models"][0]["name"], "churn-detection", "worst first");
}

#[test]
fn snapshot_into_a_closed_pipe_stops_quietly() {
    let home = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "snapshot",
            "--json",
            "--demo",
            "--demo-models",
            "300",
            "--config",
            "/dev/null",
        ])
        .env("HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `| head` that has read enough
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101));
}
