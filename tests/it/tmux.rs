//! Drives the real binary in tmux as a person would: send keys, read the screen.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed when the test ends.
pub(crate) struct Tmux {
    socket: String,
    _home: tempfile::TempDir,
}

impl Tmux {
    pub(crate) fn start(width: u16, height: u16) -> Tmux {
        let home = tempfile::tempdir().unwrap();
        let socket = format!("mlopsdash-test-{}-{}", std::process::id(), rand_suffix());
        let tmux = Tmux {
            socket,
            _home: home,
        };
        let home = tmux._home.path().to_str().unwrap().to_string();
        // moto has no CloudTrail LookupEvents: every AWS launch asks ministack's.
        let trail = std::env::var("MLOPSDASH_TEST_MINISTACK_URL")
            .map(|url| format!("AWS_ENDPOINT_URL_CLOUDTRAIL={url} "))
            .unwrap_or_default();
        let shell = format!(
            "env -i PATH=/usr/bin:/bin HOME={home} TERM=xterm-256color {trail}PS1='READY$ ' bash --norc --noprofile"
        );
        tmux.run(&[
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "-s",
            "t",
            &shell,
        ]);
        tmux.wait_for("READY$", "the shell prompt");
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux must be installed (the test script installs it)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Exports test credentials (and no instance metadata) into the shell with
    /// `endpoints` ("AWS_ENDPOINT_URL_X=…" pairs): every launch after uses them.
    pub(crate) fn export_test_credentials(&self, endpoints: &str) {
        self.keys(&[
            &format!(
                "export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=test \
                 AWS_SECRET_ACCESS_KEY=test {endpoints}"
            ),
            "Enter",
        ]);
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        // A person reads an action's dialog before answering it: keys within a
        // moment of it appearing are taken as typed ahead and dropped.
        if self.screen().contains(" · confirm ") {
            std::thread::sleep(Duration::from_millis(300));
        }
        for k in keys {
            self.run(&["send-keys", "-t", "t", k]);
        }
    }

    /// What the pane shows now.
    pub(crate) fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    /// Waits (bounded) until the screen shows `text`; the bound is a hang guard, not a
    /// performance assertion.
    pub(crate) fn wait_for(&self, text: &str, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {what} ({text:?}); screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until every one of `texts` is on screen: a capture can catch a frame half
    /// drawn, so a check waits for all it will look at.
    /// Waits (bounded) until one screen shows every one of `texts`.
    pub(crate) fn wait_for_all(&self, texts: &[&str], what: &str) -> String {
        self.wait_until(what, |screen| texts.iter().all(|t| screen.contains(t)))
    }

    /// Waits (bounded) until the screen satisfies `ready`.
    pub(crate) fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Presses `key` until `shown` appears: an action asked while SageMaker's first
    /// refresh is still loading (moto is shared with every other test) is refused
    /// with "try again in a moment", as a person would be.
    pub(crate) fn press_until(&self, key: &str, shown: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.keys(&[key]);
            let asked = Instant::now();
            while asked.elapsed() < Duration::from_secs(3) {
                if self.screen().contains(shown) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(
                Instant::now() < deadline,
                "{key} never showed {shown}; screen:\n{}",
                self.screen()
            );
        }
    }

    /// The dashboard is gone and the terminal is usable again: the main screen is
    /// back and the shell echoes what is typed (raw mode is off).
    pub(crate) fn assert_clean_shell(&self, after: &str) {
        self.wait_for("READY$", &format!("the shell prompt after {after}"));
        assert_eq!(
            self.pane("#{alternate_on}"),
            "0",
            "left in the alternate screen after {after}"
        );
        // A word of its own per check, so an earlier echo cannot satisfy this one.
        let word: String = format!("cooked-after-{after}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        self.keys(&[&format!("echo {word}"), "Enter"]);
        self.wait_for(&format!("\n{word}"), "the shell echoing in cooked mode");
    }

    pub(crate) fn wait_gone(&self, text: &str, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if !screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} never went away; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The HOME the dashboard runs with (its audit log lives under it).
    pub(crate) fn home(&self) -> &Path {
        self._home.path()
    }

    pub(crate) fn pane(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "t", format])
            .trim()
            .to_string()
    }

    /// Sends `signal` ("TERM", "KILL", …) to the dashboard running in the pane, by
    /// its own process id: the pane's shell's child, which /proc names.
    pub(crate) fn signal_dashboard(&self, signal: &str) {
        let shell = self.pane("#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default();
        let dashboard = children
            .split_whitespace()
            .find(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe"))
                    .is_ok_and(|exe| exe.ends_with("mlopsdash"))
            })
            .unwrap_or_else(|| panic!("no dashboard under the pane's shell {shell}: {children}"))
            .to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &dashboard])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} {dashboard}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64)
}

pub(crate) fn launch(t: &Tmux, args: &str) {
    let bin = env!("CARGO_BIN_EXE_mlopsdash");
    assert!(Path::new(bin).exists());
    t.keys(&[&format!("{bin} {args}"), "Enter"]);
}

#[test]
fn a_person_finds_the_models_opens_detail_and_help_then_quits() {
    let t = Tmux::start(120, 40);
    launch(&t, "--demo --config /dev/null");
    t.wait_for_all(
        &[
            "pipeline (6)",
            "demo · seed 42",
            "demand-forecasting",
            "customer-segmentation",
            "recommendation-engine",
            "churn-detection",
        ],
        "the pipeline view with every demo model",
    );
    assert_eq!(
        t.pane("#{alternate_on}"),
        "1",
        "the dashboard uses the alternate screen"
    );

    // Filter to one model and open it.
    t.keys(&["/", "demand", "Enter"]);
    t.wait_for("pipeline (1/6) /demand", "the filtered list");
    t.keys(&["Enter"]);
    t.wait_for_all(
        &[
            "forecasting · by lineage · [ ] prev/next",
            "MAPE",
            "training",
            "registry",
            "demand-forecasting-prod-config-v12",
        ],
        "the model detail view: charts, history, rollback targets",
    );

    // Back, clear the filter, open help.
    t.keys(&["Escape"]);
    t.wait_for("pipeline (1/6)", "the pipeline again");
    t.keys(&["Escape"]);
    t.wait_for("pipeline (6)", "the unfiltered pipeline");
    t.keys(&["?"]);
    // Wait for the last line of the overlay: a capture can catch a half-drawn frame.
    let help = t.wait_for("in progress", "the help overlay");
    assert!(
        help.contains("Filter models by name") && help.contains("Quit"),
        "{help}"
    );
    t.keys(&["Escape"]);
    t.wait_gone("Keybindings", "the help overlay");

    // A command jumps to a view.
    t.keys(&[":", "alarms", "Enter"]);
    t.wait_for(" alarms (", "the alarms view");

    t.keys(&["q"]);
    let shell = t.wait_for("READY$", "the shell prompt after quitting");
    assert!(
        !shell.contains("alarms ("),
        "dashboard left on screen:\n{shell}"
    );
    assert_eq!(
        t.pane("#{alternate_on}"),
        "0",
        "terminal left in the alternate screen"
    );
    assert_eq!(t.pane("#{pane_current_command}"), "bash");
}

#[test]
fn ctrl_c_and_a_resize_leave_a_clean_terminal() {
    let t = Tmux::start(120, 40);
    launch(&t, "--demo --config /dev/null --theme mono");
    t.wait_for("pipeline (6)", "the pipeline view");
    t.run(&["resize-window", "-t", "t", "-x", "80", "-y", "24"]);
    // Below 100 columns the header gives up the cost forecast first.
    t.wait_gone("fcst", "the pipeline redrawn at 80x24");
    t.wait_for("MTD $", "the 80-column header");
    t.run(&["resize-window", "-t", "t", "-x", "30", "-y", "8"]);
    t.wait_for("needs at least", "the too-small message");
    t.keys(&["C-c"]);
    t.assert_clean_shell("Ctrl-C");
}

#[test]
fn scripted_incidents_appear_on_screen_within_the_first_minutes() {
    let t = Tmux::start(120, 40);
    launch(&t, "--demo --config /dev/null");
    t.wait_for("pipeline (6)", "the pipeline view");
    // The latency spike starts 15 s in; the footer logs it as an event.
    t.wait_for_all(
        &["recommendation-engine ENDPOINT ok→crit"],
        "the endpoint incident event",
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the shell prompt");
}

#[test]
fn a_panic_restores_the_terminal_and_says_what_happened() {
    let t = Tmux::start(100, 30);
    launch(&t, "--demo --config /dev/null");
    t.wait_for("pipeline (6)", "the pipeline view");
    t.keys(&["q"]);
    t.wait_for("READY$", "the prompt");
    t.keys(&["clear", "Enter"]);
    // The debug binary panics after its first frame when asked to.
    let bin = env!("CARGO_BIN_EXE_mlopsdash");
    t.keys(&[
        &format!("MLOPSDASH_TEST_PANIC=1 {bin} --demo --config /dev/null; echo exit=$?"),
        "Enter",
    ]);
    // "exit=1…" (not "exit="): the typed command line itself contains "exit=$?".
    let screen = t.wait_for("exit=1", "the shell after the panic");
    assert!(
        screen.contains("test panic after the first frame"),
        "{screen}"
    );
    assert!(screen.contains("exit=101"), "{screen}");
    t.assert_clean_shell("a panic");
}

#[test]
fn sigterm_and_sighup_end_the_dashboard_cleanly() {
    let t = Tmux::start(100, 30);
    // A seed per signal: the header shows the dashboard that was started is running.
    for (signal, seed) in [("TERM", "90417"), ("HUP", "90418")] {
        launch(&t, &format!("--demo --demo-seed {seed} --config /dev/null"));
        // The header, not the typed command line (which also says "seed {seed}").
        t.wait_for(&format!("demo · seed {seed}"), "the running dashboard");
        t.signal_dashboard(signal);
        t.assert_clean_shell(&format!("SIG{signal}"));
    }
}

#[test]
fn a_person_follows_a_slow_trace_and_checks_the_bill() {
    let t = Tmux::start(140, 36);
    launch(&t, "--demo --config /dev/null");
    t.wait_for("pipeline (6)", "the pipeline view");
    // After the 5xx spike (15 s in), the slow trace is the faulty one.
    t.wait_for("5xx", "the endpoint incident");
    t.keys(&[":", "traces", "Enter"]);
    t.wait_for_all(
        &[
            "service map · last 15 min",
            "retail-api-gateway",
            "POST /recommendations",
        ],
        "the service map and the traces",
    );
    t.keys(&["Enter"]);
    t.wait_for_all(
        &["model container /invocations", "◀ most time", "esc back"],
        "the waterfall naming the culprit",
    );
    t.keys(&["Escape"]);
    t.wait_for("service map", "the traces view again");
    t.keys(&[":", "cost", "Enter"]);
    t.wait_for_all(
        &[
            "month to date",
            "Amazon SageMaker",
            "each day this month",
            "by model",
        ],
        "the cost view",
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the shell prompt after quitting");
}
