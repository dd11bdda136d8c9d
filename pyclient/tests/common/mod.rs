//! A stand-in upstream for the client's tests: a real HTTP server on a
//! loopback port that waits, answers, refuses like an overflowing sidecar,
//! and notes when each request arrived.

// Each test file uses only part of this module.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use tokio::net::TcpListener;

/// The regex of the original workshop's request line.
pub const LINE: &str =
    r"^STATUS: (\d{3}), START: \d\d:\d\d:\d\d, END: \d\d:\d\d:\d\d, TIME: \d+\.\d+$";

#[derive(Clone)]
struct Behaviour {
    delay: Duration,
    /// Every n-th request (1-based) is answered 503 at once, as a sidecar
    /// would refuse it; 0 refuses none.
    refuse_every: usize,
    seen: Arc<AtomicUsize>,
    arrivals: Arc<Mutex<Vec<SystemTime>>>,
    agents: Arc<Mutex<Vec<String>>>,
}

pub struct TestUpstream {
    pub url: String,
    arrivals: Arc<Mutex<Vec<SystemTime>>>,
    agents: Arc<Mutex<Vec<String>>>,
}

impl TestUpstream {
    /// An upstream whose `/index` answers `hello` after `delay`, and 503
    /// at once to every `refuse_every`-th request.
    pub async fn start(delay: Duration, refuse_every: usize) -> TestUpstream {
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let agents = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Behaviour {
            delay,
            refuse_every,
            seen: Arc::new(AtomicUsize::new(0)),
            arrivals: arrivals.clone(),
            agents: agents.clone(),
        };
        let router = Router::new()
            .route("/index", get(index))
            .with_state(behaviour);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/index", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        TestUpstream {
            url,
            arrivals,
            agents,
        }
    }

    /// Returns once the first request has arrived; fails the test if none
    /// arrives within ten seconds.
    pub async fn until_a_request_arrives(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.arrivals().is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "no request arrived");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The User-Agent header of each request, in order of arrival.
    pub fn agents(&self) -> Vec<String> {
        self.agents.lock().unwrap().clone()
    }

    /// When each request arrived, in order of arrival.
    pub fn arrivals(&self) -> Vec<SystemTime> {
        self.arrivals.lock().unwrap().clone()
    }
}

async fn index(
    State(behaviour): State<Behaviour>,
    headers: HeaderMap,
) -> (StatusCode, &'static str) {
    behaviour.arrivals.lock().unwrap().push(SystemTime::now());
    let agent = headers
        .get(header::USER_AGENT)
        .map(|value| value.to_str().unwrap_or("(not text)").to_string())
        .unwrap_or_default();
    behaviour.agents.lock().unwrap().push(agent);
    let nth = behaviour.seen.fetch_add(1, Ordering::SeqCst) + 1;
    if behaviour.refuse_every > 0 && nth % behaviour.refuse_every == 0 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "upstream connect error or disconnect/reset before headers. reset reason: overflow",
        );
    }
    tokio::time::sleep(behaviour.delay).await;
    (StatusCode::OK, "hello")
}

/// A URL on loopback where nothing listens: the port was just freed.
pub fn nothing_listens() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/index")
}
