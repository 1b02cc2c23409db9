//! Drives the real binary in tmux as a person would: send keys, read the screen.
#![allow(dead_code)]

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

    pub(crate) fn run(&self, args: &[&str]) -> String {
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
        self.wait_until_within(Duration::from_secs(30), what, ready)
    }

    /// Waits until the screen satisfies `ready`, at most `bound`.
    pub(crate) fn wait_until_within(
        &self,
        bound: Duration,
        what: &str,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + bound;
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

    /// The dashboard running in the pane: the pane's shell's child, which /proc
    /// names.
    pub(crate) fn dashboard_pid(&self) -> String {
        let shell = self.pane("#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default();
        children
            .split_whitespace()
            .find(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe"))
                    .is_ok_and(|exe| exe.ends_with("mlopsdash"))
            })
            .unwrap_or_else(|| panic!("no dashboard under the pane's shell {shell}: {children}"))
            .to_string()
    }

    /// Sends `signal` ("TERM", "KILL", …) to the dashboard running in the pane, by
    /// its own process id.
    pub(crate) fn signal_dashboard(&self, signal: &str) {
        let dashboard = self.dashboard_pid();
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
