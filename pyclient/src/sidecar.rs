//! Waiting for the Istio sidecar before the first batch.
//!
//! A request sent before the pod's Envoy is ready fails with a connection
//! error that has nothing to do with circuit breaking. The original slept
//! 30 s to be safe; this client asks pilot-agent's readiness endpoint
//! instead and goes on as soon as it answers 200, which in a mesh is a
//! second or two after start. The manifests also hold the container until
//! the proxy starts, so this wait is the second of two guards.
//!
//! Outside a mesh nothing answers there, so the wait says what it is
//! waiting for and how to skip it, rather than leaving a silent terminal.

use std::time::Duration;

use reqwest::{Client, Url};
use tokio::time::Instant;

/// How the wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// `--startup-delay 0s`: no wait was asked for.
    Skipped,
    /// The sidecar answered 200 after this long.
    Ready(Duration),
    /// Nothing answered 200 within the startup delay; batches start anyway.
    NotReady,
}

/// How often to ask; each attempt on loopback costs next to nothing.
const POLL: Duration = Duration::from_millis(250);

/// How often to remind a watching attendee that the client is still waiting.
const REMINDER: Duration = Duration::from_secs(10);

/// Asks `url` until it answers 200 or `limit` has passed.
pub async fn wait(client: &Client, url: &Url, limit: Duration) -> Readiness {
    if limit.is_zero() {
        return Readiness::Skipped;
    }
    tracing::info!(
        "waiting up to {} for the Istio sidecar to report ready at {url} before the first batch \
         (outside a mesh, skip this with --startup-delay 0s or PYCLIENT_STARTUP_DELAY=0s)",
        humantime::format_duration(limit)
    );

    let started = Instant::now();
    let deadline = started + limit;
    let mut next_reminder = started + REMINDER;
    loop {
        let answer = client.get(url.clone()).timeout(POLL * 4).send().await;
        if answer.is_ok_and(|response| response.status().is_success()) {
            let waited = started.elapsed();
            tracing::info!(
                "sidecar ready after {}",
                humantime::format_duration(round(waited))
            );
            return Readiness::Ready(waited);
        }

        let now = Instant::now();
        if now >= deadline {
            tracing::warn!(
                "no sidecar reported ready at {url} within {}; sending batches anyway",
                humantime::format_duration(limit)
            );
            return Readiness::NotReady;
        }
        if now >= next_reminder {
            tracing::info!(
                "still waiting for the sidecar ({} of {})",
                humantime::format_duration(round(now - started)),
                humantime::format_duration(limit)
            );
            next_reminder += REMINDER;
        }
        tokio::time::sleep_until((now + POLL).min(deadline)).await;
    }
}

/// Whole milliseconds read better in a log line than nanoseconds.
fn round(elapsed: Duration) -> Duration {
    Duration::from_millis(elapsed.as_millis() as u64)
}
