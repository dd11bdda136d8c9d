//! The upstream over real sockets on loopback: its routes, its delay, and
//! how it drains when told to stop.

use std::time::{Duration, Instant};

use pyserver::Drain;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const DELAY: Duration = Duration::from_millis(300);

/// A server on an ephemeral loopback port, and the switch that stops it.
struct Running {
    base: String,
    stop: oneshot::Sender<()>,
    served: JoinHandle<std::io::Result<Drain>>,
}

async fn start(delay: Duration, drain_timeout: Duration) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(pyserver::drain::serve(
        listener,
        delay,
        drain_timeout,
        async move {
            let _ = stopped.await;
        },
    ));
    Running { base, stop, served }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn index_answers_hello_after_the_delay() {
    let server = start(DELAY, Duration::from_secs(5)).await;

    let started = Instant::now();
    let response = client()
        .get(format!("{}/index", server.base))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();

    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert_eq!(response.text().await.unwrap(), "hello");
    assert!(elapsed >= DELAY, "answered after {elapsed:?}");
}

#[tokio::test]
async fn requests_wait_side_by_side_not_in_turn() {
    let server = start(DELAY, Duration::from_secs(5)).await;
    let client = client();
    let url = format!("{}/index", server.base);

    let started = Instant::now();
    let answers = futures::future::join_all((0..200).map(|_| client.get(&url).send())).await;
    let elapsed = started.elapsed();

    for answer in answers {
        assert_eq!(answer.unwrap().status(), 200);
    }
    // In turn, 200 requests would take a minute; side by side, one delay.
    assert!(elapsed < DELAY * 10, "200 requests took {elapsed:?}");
}

#[tokio::test]
async fn healthz_answers_at_once() {
    let server = start(Duration::from_secs(30), Duration::from_secs(5)).await;

    let started = Instant::now();
    let response = client()
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn other_paths_are_not_found_and_other_methods_not_allowed() {
    let server = start(DELAY, Duration::from_secs(5)).await;
    let client = client();

    for (method, path, status) in [
        (reqwest::Method::GET, "/indexx", 404),
        (reqwest::Method::GET, "/", 404),
        (reqwest::Method::POST, "/index", 405),
        (reqwest::Method::DELETE, "/healthz", 405),
    ] {
        let url = format!("{}{path}", server.base);
        let response = client.request(method.clone(), url).send().await.unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
    }
}

#[tokio::test]
async fn a_malformed_request_is_refused_and_the_server_carries_on() {
    let server = start(DELAY, Duration::from_secs(5)).await;
    let address = server.base.trim_start_matches("http://");

    for garbage in [
        &b"NONSENSE\r\n\r\n"[..],
        b"GET /index HTTP/9.9\r\n\r\n",
        b"\x00\xff\x13\x37 binary noise\r\n\r\n",
    ] {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(garbage).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    }

    let response = client()
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_idle_server_stops_at_once() {
    let server = start(DELAY, Duration::from_secs(5)).await;

    let started = Instant::now();
    server.stop.send(()).unwrap();
    let drain = server.served.await.unwrap().unwrap();

    assert_eq!(drain, Drain::Complete);
    assert!(started.elapsed() < DELAY, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn in_flight_requests_are_answered_before_the_server_stops() {
    let server = start(DELAY, Duration::from_secs(5)).await;
    let in_flight = tokio::spawn(client().get(format!("{}/index", server.base)).send());

    tokio::time::sleep(DELAY / 3).await;
    server.stop.send(()).unwrap();
    let drain = server.served.await.unwrap().unwrap();

    assert_eq!(drain, Drain::Complete);
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "hello");
}

#[tokio::test]
async fn the_drain_timeout_bounds_how_long_stopping_takes() {
    let drain_timeout = Duration::from_millis(200);
    let server = start(Duration::from_secs(30), drain_timeout).await;
    let in_flight = tokio::spawn(client().get(format!("{}/index", server.base)).send());

    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.stop.send(()).unwrap();
    let drain = server.served.await.unwrap().unwrap();

    assert_eq!(drain, Drain::TimedOut { abandoned: 1 });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    in_flight.abort();
}

#[tokio::test]
async fn a_stopping_server_accepts_no_new_connections() {
    let server = start(DELAY, Duration::from_secs(5)).await;
    let address = server.base.trim_start_matches("http://").to_string();

    server.stop.send(()).unwrap();
    server.served.await.unwrap().unwrap();

    assert!(TcpStream::connect(address).await.is_err());
}
