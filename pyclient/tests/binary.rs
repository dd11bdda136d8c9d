//! The `pyclient` binary as a pod runs it: its output, `--batches`, the
//! signals that stop it, and the one line it prints for a bad value.

mod common;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;
use tokio::process::{Child, Command};

use common::{LINE, TestUpstream};

const BINARY: &str = env!("CARGO_BIN_EXE_pyclient");

/// The binary with settings for a quick local run against `url`. They are
/// set through the environment, so that a test's flags override them.
fn pyclient(url: &str) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env("PYCLIENT_URL", url)
        .env("PYCLIENT_STARTUP_DELAY", "0s")
        .env("PYCLIENT_LISTEN_PORT", "0")
        .env("PYCLIENT_INTERVAL", "1s")
        .env("PYCLIENT_BATCH_SIZE", "3")
        .env("HOSTNAME", "pyclient-754df7b797-8hcw4")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

async fn finish(command: &mut Command) -> Output {
    tokio::time::timeout(Duration::from_secs(20), command.output())
        .await
        .expect("pyclient did not exit")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn terminate(child: &Child) {
    let pid = child.id().unwrap().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
}

/// How long the child takes to exit after SIGTERM, and its exit code.
async fn stop(mut child: Child) -> (Duration, Option<i32>) {
    let started = Instant::now();
    terminate(&child).await;
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("pyclient ignored SIGTERM")
        .unwrap();
    (started.elapsed(), status.code())
}

#[tokio::test]
async fn batches_stops_after_that_many_and_exits_0() {
    let upstream = TestUpstream::start(Duration::from_millis(100), 3).await;

    let output = finish(pyclient(&upstream.url).args(["--batches", "2"])).await;

    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let line = Regex::new(LINE).unwrap();
    assert_eq!(lines.len(), 12, "{stdout}");
    for batch in lines.chunks(6) {
        assert_eq!(batch[0], "");
        assert_eq!(batch[1], "----------START BATCH----------");
        assert!(batch[2..5].iter().all(|l| line.is_match(l)), "{stdout}");
        assert!(batch[5].starts_with("SUMMARY batch="), "{stdout}");
        assert!(
            batch[5].contains(" client=pyclient-754df7b797-8hcw4 requests=3 200=2 503=1 errors=0 "),
            "{stdout}"
        );
    }
}

#[tokio::test]
async fn sigterm_stops_the_client_within_a_second_while_it_waits_for_the_sidecar() {
    let upstream = TestUpstream::start(Duration::from_millis(100), 0).await;
    let child = pyclient(&upstream.url)
        .args(["--startup-delay", "30s"])
        .args(["--sidecar-ready-url", &common::nothing_listens()])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (took, code) = stop(child).await;

    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test]
async fn sigterm_stops_the_client_within_a_second_mid_batch() {
    let upstream = TestUpstream::start(Duration::from_secs(30), 0).await;
    let child = pyclient(&upstream.url)
        .args(["--interval", "200ms"])
        .spawn()
        .unwrap();
    upstream.until_a_request_arrives().await;

    let (took, code) = stop(child).await;

    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test]
async fn a_bad_value_is_one_line_and_status_2() {
    for (args, named) in [
        (&["--interval", "0s"][..], "'0s'"),
        (&["--interval", "20"], "'20'"),
        (&["--batch-size", "0"], "'0'"),
        (&["--batches", "-1"], "-1"),
        (&["--timeout", "soon"], "'soon'"),
        (&["--url", "https://pyserver/index"], "https://"),
        (&["--url", "pyserver"], "'pyserver'"),
        (&["--burst"], "--burst"),
    ] {
        let output = finish(Command::new(BINARY).args(args)).await;

        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("pyclient: "), "{stderr}");
        assert!(stderr.contains(named), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[tokio::test]
async fn a_bad_value_from_the_environment_is_refused_too() {
    let output = finish(Command::new(BINARY).env("PYCLIENT_BATCH_SIZE", "lots")).await;

    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("'lots'"));
}

#[tokio::test]
async fn a_health_port_in_use_is_one_line_and_status_1() {
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();

    let output = finish(pyclient("http://127.0.0.1:1/index").args(["--listen-port", &port])).await;

    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("pyclient: cannot listen on 0.0.0.0:"),
        "{stderr}"
    );
    assert!(
        last.contains(&port) && last.contains("--listen-port"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_variables_kubernetes_injects_for_services_are_ignored() {
    let upstream = TestUpstream::start(Duration::from_millis(50), 0).await;

    let output = finish(
        pyclient(&upstream.url)
            .args(["--batches", "1"])
            .env("PYCLIENT_PORT", "tcp://10.96.0.13:8080")
            .env("PYCLIENT_SERVICE_PORT", "8080")
            .env("PYSERVER_PORT", "tcp://10.96.0.12:80")
            .env("PYSERVER_SERVICE_HOST", "10.96.0.12"),
    )
    .await;

    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("requests=3 200=3 errors=0"));
}

#[tokio::test]
async fn help_documents_every_flag_with_its_variable_and_default() {
    let output = finish(Command::new(BINARY).arg("--help")).await;
    assert_eq!(output.status.code(), Some(0));

    let help = text(&output.stdout);
    for expected in [
        "--url",
        "PYCLIENT_URL",
        "[default: http://pyserver/index]",
        "--batch-size",
        "PYCLIENT_BATCH_SIZE",
        "[default: 10]",
        "--interval",
        "PYCLIENT_INTERVAL",
        "[default: 20s]",
        "--startup-delay",
        "PYCLIENT_STARTUP_DELAY",
        "[default: 30s]",
        "--sidecar-ready-url",
        "PYCLIENT_SIDECAR_READY_URL",
        "--timeout",
        "PYCLIENT_TIMEOUT",
        "--batches",
        "PYCLIENT_BATCHES",
        "--listen-port",
        "PYCLIENT_LISTEN_PORT",
        "[default: 8080]",
        "--name",
        "HOSTNAME",
    ] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
}
