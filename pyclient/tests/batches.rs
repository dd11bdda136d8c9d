//! The client's batches against a real upstream on loopback: the lines it
//! prints, how its requests overlap, when batches fire, and what it says
//! when the upstream fails.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use pyclient::batch::{self, START_BATCH, Upstream};
use pyclient::{Config, Report};
use regex::Regex;
use workshop::shutdown::Signal;

use common::{LINE, TestUpstream, nothing_listens};

/// A writer the test can read back after the client wrote to it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn config(url: &str, extra: &[&str]) -> Config {
    let args = [
        "pyclient",
        "--url",
        url,
        "--startup-delay",
        "0s",
        "--listen-port",
        "0",
        "--name",
        "pyclient-test",
    ];
    Config::try_parse_from(args.iter().chain(extra)).unwrap()
}

/// Runs the client to the end of its `--batches` and returns its lines.
async fn run_client(config: Config) -> Vec<String> {
    let captured = Captured::default();
    let stop = std::future::pending::<Signal>();
    let ran = tokio::time::timeout(
        Duration::from_secs(30),
        pyclient::run(config, Report::to(captured.clone()), stop),
    )
    .await;
    ran.expect("the client did not finish its batches").unwrap();
    captured.lines()
}

async fn one_batch(url: &str, size: u32, timeout: Duration) -> (Vec<String>, batch::Summary) {
    let captured = Captured::default();
    let upstream = Upstream::new(url.parse().unwrap(), timeout).unwrap();
    let summary = batch::run(
        &upstream,
        size,
        SystemTime::now(),
        "pyclient-test",
        &Report::to(captured.clone()),
    )
    .await;
    (captured.lines(), summary)
}

#[tokio::test]
async fn a_batch_prints_a_header_one_line_per_request_and_a_summary() {
    let upstream = TestUpstream::start(Duration::from_millis(100), 0).await;

    let (lines, _) = one_batch(&upstream.url, 10, Duration::from_secs(5)).await;

    assert_eq!(lines.len(), 13, "{lines:#?}");
    assert_eq!(lines[0], "");
    assert_eq!(lines[1], START_BATCH);
    let line = Regex::new(LINE).unwrap();
    for request in &lines[2..12] {
        let status = &line.captures(request).expect(request)[1];
        assert_eq!(status, "200");
    }
    let agents = upstream.agents();
    assert_eq!(agents.len(), 10);
    assert!(
        agents.iter().all(|a| a.starts_with("pyclient/")),
        "{agents:?}"
    );
    let summary = Regex::new(
        r"^SUMMARY batch=\d\d:\d\d:\d\d client=pyclient-test requests=10 200=10 errors=0 min=\d+\.\d{3} median=\d+\.\d{3} max=\d+\.\d{3}$",
    )
    .unwrap();
    assert!(summary.is_match(&lines[12]), "{}", lines[12]);
}

#[tokio::test]
async fn the_requests_of_a_batch_run_side_by_side() {
    let delay = Duration::from_millis(500);
    let upstream = TestUpstream::start(delay, 0).await;

    let started = Instant::now();
    let (_, summary) = one_batch(&upstream.url, 10, Duration::from_secs(10)).await;
    let elapsed = started.elapsed();

    assert_eq!(summary.statuses.get(&200), Some(&10));
    // One after another they would take 5 s; together, one delay.
    assert!(elapsed >= delay, "{elapsed:?}");
    assert!(elapsed < delay * 3, "10 requests took {elapsed:?}");
    let arrivals = upstream.arrivals();
    let spread = arrivals[9].duration_since(arrivals[0]).unwrap();
    assert!(spread < delay, "requests left over {spread:?}");
}

#[tokio::test]
async fn the_summary_counts_refusals_apart_from_successes() {
    let upstream = TestUpstream::start(Duration::from_millis(100), 2).await;

    let (lines, summary) = one_batch(&upstream.url, 10, Duration::from_secs(5)).await;

    assert_eq!(summary.statuses.get(&200), Some(&5));
    assert_eq!(summary.statuses.get(&503), Some(&5));
    assert_eq!(summary.errors, 0);
    let last = lines.last().unwrap();
    assert!(
        last.contains(" requests=10 200=5 503=5 errors=0 "),
        "{last}"
    );
    let refused = lines
        .iter()
        .filter(|l| l.starts_with("STATUS: 503,"))
        .count();
    assert_eq!(refused, 5);
}

#[tokio::test]
async fn a_refused_connection_is_an_exception_line_and_the_batch_carries_on() {
    let url = nothing_listens();

    let (lines, summary) = one_batch(&url, 10, Duration::from_secs(5)).await;

    let exceptions: Vec<_> = lines
        .iter()
        .filter(|line| line.starts_with("EXCEPTION: "))
        .collect();
    assert_eq!(exceptions.len(), 10, "{lines:#?}");
    for line in exceptions {
        assert!(line.starts_with("EXCEPTION: cannot connect: "), "{line}");
        assert!(line.to_lowercase().contains("refused"), "{line}");
    }
    assert_eq!(summary.errors, 10);
    assert!(
        lines
            .last()
            .unwrap()
            .ends_with("requests=10 errors=10 min=- median=- max=-")
    );
}

#[tokio::test]
async fn a_request_that_outlasts_the_timeout_is_an_exception_line() {
    let upstream = TestUpstream::start(Duration::from_secs(10), 0).await;

    let started = Instant::now();
    let (lines, summary) = one_batch(&upstream.url, 2, Duration::from_millis(200)).await;

    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(summary.errors, 2);
    assert_eq!(
        lines[2],
        "EXCEPTION: no response within the timeout of 200ms"
    );
}

#[tokio::test]
async fn batches_start_on_multiples_of_the_interval_in_unix_time() {
    let upstream = TestUpstream::start(Duration::from_millis(50), 0).await;

    let lines = run_client(config(
        &upstream.url,
        &["--interval", "1s", "--batches", "2", "--batch-size", "3"],
    ))
    .await;

    assert_eq!(lines.iter().filter(|l| *l == START_BATCH).count(), 2);
    let arrivals = upstream.arrivals();
    assert_eq!(arrivals.len(), 6);
    let mut seconds = Vec::new();
    for arrival in arrivals {
        let since = arrival.duration_since(UNIX_EPOCH).unwrap();
        // Each request reaches the upstream just after a whole second.
        assert!(
            since.subsec_millis() < 250,
            "a request arrived {}ms past the second",
            since.subsec_millis()
        );
        seconds.push(since.as_secs());
    }
    seconds.dedup();
    assert_eq!(seconds.len(), 2, "{seconds:?}");
    assert_eq!(seconds[1] - seconds[0], 1);
}

#[tokio::test]
async fn a_batch_does_not_wait_for_the_slow_requests_of_the_one_before() {
    let upstream = TestUpstream::start(Duration::from_millis(1500), 0).await;

    let lines = run_client(config(
        &upstream.url,
        &["--interval", "500ms", "--batches", "2", "--batch-size", "2"],
    ))
    .await;

    let second_start = lines.iter().rposition(|line| line == START_BATCH).unwrap();
    let first_summary = lines
        .iter()
        .position(|line| line.starts_with("SUMMARY"))
        .unwrap();
    assert!(second_start < first_summary, "{lines:#?}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("SUMMARY")).count(), 2);
}

#[tokio::test]
async fn the_client_returns_at_once_when_told_to_stop_mid_batch() {
    let upstream = TestUpstream::start(Duration::from_secs(30), 0).await;
    let config = config(&upstream.url, &["--interval", "100ms"]);
    let (stop_now, stopped) = tokio::sync::oneshot::channel();
    let stop = async move {
        let _ = stopped.await;
        Signal::Terminate
    };
    let client = tokio::spawn(pyclient::run(config, Report::to(Captured::default()), stop));

    upstream.until_a_request_arrives().await;
    let started = Instant::now();
    stop_now.send(()).unwrap();
    client.await.unwrap().unwrap();

    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn the_health_endpoint_answers_probes() {
    let address = pyclient::health::serve(0).await.unwrap();

    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{}/healthz", address.port()))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_connection_closed_without_a_response_is_an_exception_line() {
    // An upstream that accepts, reads the request and hangs up, as a
    // crashing server or a reset connection would.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/index", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = [0; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut request).await;
        }
    });

    let (lines, summary) = one_batch(&url, 3, Duration::from_secs(5)).await;

    assert_eq!(summary.errors, 3, "{lines:#?}");
    for line in &lines[2..5] {
        assert!(line.starts_with("EXCEPTION: request failed: "), "{line}");
    }
}
