//! The dashboard driven in tmux as a person would (the driver: tests/common/tmux.rs).

pub(crate) use crate::driver::{launch, Tmux};

#[test]
fn a_person_finds_the_models_opens_detail_and_help_then_quits() {
    let t = Tmux::start(120, 40);
    launch(&t, "--demo --config /dev/null");
    t.wait_for_all(
        &[
            "pipeline (8)",
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
    t.wait_for("pipeline (1/8) /demand", "the filtered list");
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
    t.wait_for("pipeline (1/8)", "the pipeline again");
    t.keys(&["Escape"]);
    t.wait_for("pipeline (8)", "the unfiltered pipeline");
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
    t.wait_for("pipeline (8)", "the pipeline view");
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
    t.wait_for("pipeline (8)", "the pipeline view");
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
    t.wait_for("pipeline (8)", "the pipeline view");
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
    t.wait_for("pipeline (8)", "the pipeline view");
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
