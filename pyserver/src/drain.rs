//! Serving, and stopping without cutting anyone off.
//!
//! On the stop signal the server closes its listener, so Kubernetes' new
//! connections go to other pods, and closes idle keep-alive connections at
//! once. Requests already waiting out their delay are answered, but only for
//! as long as the drain timeout allows; a server that is idle exits at once.

use std::future::{Future, IntoFuture};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::upstream::Upstream;

/// How serving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    /// Every in-flight request was answered.
    Complete,
    /// The drain timeout passed with this many requests still waiting; they
    /// were dropped and their clients see the connection close.
    TimedOut { abandoned: usize },
}

/// Serves the upstream on `listener` until `stop` completes, then drains for
/// at most `drain_timeout`.
pub async fn serve(
    listener: TcpListener,
    delay: Duration,
    drain_timeout: Duration,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Drain> {
    let upstream = Upstream::new(delay);
    let (draining, drain_started) = oneshot::channel();

    let server = axum::serve(listener, upstream.router()).with_graceful_shutdown(async move {
        stop.await;
        let _ = draining.send(());
    });
    let mut server = std::pin::pin!(server.into_future());

    tokio::select! {
        // Once stopping, the drain below must run and say how it went, even
        // when an idle server finished in the same instant.
        biased;
        _ = drain_started => {}
        result = &mut server => return result.map(|()| Drain::Complete),
    }

    let waiting = upstream.in_flight();
    if waiting > 0 {
        tracing::info!(
            "draining {waiting} in-flight requests for up to {}",
            humantime::format_duration(drain_timeout)
        );
    }

    match tokio::time::timeout(drain_timeout, server).await {
        Ok(result) => {
            result?;
            tracing::info!("drained, exiting");
            Ok(Drain::Complete)
        }
        Err(_) => {
            let abandoned = upstream.in_flight();
            tracing::warn!(
                "drain timeout of {} passed, abandoning {abandoned} requests",
                humantime::format_duration(drain_timeout)
            );
            Ok(Drain::TimedOut { abandoned })
        }
    }
}
