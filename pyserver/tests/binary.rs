//! The `pyserver` binary as a container runs it: signals, exit codes, and
//! the one line it prints when it cannot start.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_pyserver");

/// A server started by a test, and what it said when it was ready.
struct Started {
    child: Child,
    port: u16,
    /// The start-up line that names the address and the delay.
    announcement: String,
}

/// Starts the binary with these flags and variables and waits for its
/// start-up line. The rest of its standard error is copied to the test's,
/// so a failing test shows what the server said.
fn start(args: &[&str], vars: &[(&str, &str)]) -> Started {
    let mut child = Command::new(BINARY)
        .args(args)
        .envs(vars.iter().copied())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let (announcement, port) = stderr
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            let rest = line.split("listening on ").nth(1)?;
            let address = rest.split([',', ' ']).next()?;
            let port = address.rsplit(':').next()?.parse().ok()?;
            Some((line, port))
        })
        .expect("pyserver never said where it listens");
    std::thread::spawn(move || {
        for line in stderr.map_while(Result::ok) {
            eprintln!("pyserver: {line}");
        }
    });
    Started {
        child,
        port,
        announcement,
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the process to exit, up to `limit`, and returns its exit code.
fn exit_code_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    panic!("pyserver did not exit within {limit:?}");
}

fn get(port: u16, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: pyserver\r\nconnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

#[test]
fn sigterm_stops_an_idle_server_at_once_with_status_0() {
    let mut server = start(&["--port", "0"], &[]).child;

    let started = Instant::now();
    signal(&server, "TERM");

    assert_eq!(
        exit_code_within(&mut server, Duration::from_secs(5)),
        Some(0)
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn sigint_lets_the_request_in_flight_finish() {
    let Started {
        child: mut server,
        port,
        ..
    } = start(&["--port", "0", "--delay", "500ms"], &[]);
    let request = std::thread::spawn(move || get(port, "/index"));

    std::thread::sleep(Duration::from_millis(150));
    signal(&server, "INT");

    let answer = request.join().unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("hello"), "{answer}");
    assert_eq!(
        exit_code_within(&mut server, Duration::from_secs(5)),
        Some(0)
    );
}

#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    let taken = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();

    let output = Command::new(BINARY)
        .args(["--port", &port])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("pyserver: cannot listen on 0.0.0.0:"),
        "{stderr}"
    );
    assert!(last.contains(&port), "{stderr}");
    assert!(last.contains("in use"), "{stderr}");
}

#[test]
fn a_bad_value_is_one_line_and_status_2() {
    for (args, named) in [
        (&["--delay", "5"][..], "'5'"),
        (&["--drain-timeout", "later"], "'later'"),
        (&["--port", "70000"], "'70000'"),
        (&["--colour"], "--colour"),
    ] {
        let output = Command::new(BINARY).args(args).output().unwrap();

        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(named), "{stderr}");
    }
}

#[test]
fn a_bad_value_from_the_environment_is_refused_too() {
    let output = Command::new(BINARY)
        .env("PYSERVER_DELAY", "forever")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("'forever'"));
}

#[test]
fn the_variables_kubernetes_injects_for_the_service_are_ignored() {
    let mut server = start(
        &["--port", "0", "--delay", "10ms"],
        &[
            ("PYSERVER_PORT", "tcp://10.96.0.12:80"),
            ("PYSERVER_SERVICE_PORT", "80"),
            ("PYSERVER_PORT_80_TCP_PORT", "80"),
        ],
    );
    assert!(server.announcement.contains("answers after 10ms"));

    signal(&server.child, "TERM");
    assert_eq!(
        exit_code_within(&mut server.child, Duration::from_secs(5)),
        Some(0)
    );
}

#[test]
fn the_environment_sets_what_the_flags_set() {
    let mut server = start(
        &[],
        &[("PYSERVER_LISTEN_PORT", "0"), ("PYSERVER_DELAY", "250ms")],
    );
    assert!(server.announcement.contains("answers after 250ms"));

    signal(&server.child, "TERM");
    assert_eq!(
        exit_code_within(&mut server.child, Duration::from_secs(5)),
        Some(0)
    );
}

#[test]
fn help_documents_every_flag_with_its_variable_and_default() {
    let output = Command::new(BINARY).arg("--help").output().unwrap();
    assert_eq!(output.status.code(), Some(0));

    let help = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "--port",
        "PYSERVER_LISTEN_PORT",
        "[default: 5000]",
        "--delay",
        "PYSERVER_DELAY",
        "[default: 5s]",
        "--drain-timeout",
        "PYSERVER_DRAIN_TIMEOUT",
        "[default: 10s]",
    ] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
}
