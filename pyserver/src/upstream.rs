//! The HTTP routes of the slow upstream.
//!
//! Each waiting request is a Tokio task parked on a timer, not a thread, so
//! thousands can wait at once for the price of a few kilobytes each.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;

/// What the handlers share: the delay, and how many requests are waiting
/// out that delay right now (read when draining, to say what is left).
#[derive(Debug, Clone)]
pub struct Upstream {
    delay: Duration,
    in_flight: Arc<AtomicUsize>,
}

impl Upstream {
    pub fn new(delay: Duration) -> Self {
        Upstream {
            delay,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Requests to `/index` that have not been answered yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The routes. axum answers 404 for other paths and 405 for other
    /// methods on these paths; hyper answers 400 to a malformed request and
    /// closes that connection only.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/index", get(index))
            .route("/healthz", get(healthz))
            .with_state(self.clone())
    }
}

/// Counts a request as in flight until it is dropped, whether it was
/// answered or its client went away mid-delay.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        InFlight(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The slow answer the whole workshop is about.
async fn index(State(upstream): State<Upstream>) -> &'static str {
    let _in_flight = InFlight::enter(&upstream.in_flight);
    tokio::time::sleep(upstream.delay).await;
    tracing::debug!(
        "answered GET /index after {}",
        humantime::format_duration(upstream.delay)
    );
    "hello"
}

/// For Kubernetes probes: answers at once, so a probe never waits out the
/// delay and never counts against the connection limits under test.
async fn healthz() -> &'static str {
    "ok"
}
