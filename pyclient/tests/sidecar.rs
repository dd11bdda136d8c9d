//! The wait for the Istio sidecar, against a stand-in of pilot-agent's
//! readiness endpoint on loopback.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use pyclient::sidecar::{self, Readiness};
use reqwest::{Client, Url};
use tokio::net::TcpListener;

/// A readiness endpoint that answers 503 `not_ready` times, then 200.
async fn sidecar_ready_after(not_ready: usize) -> Url {
    let asked = Arc::new(AtomicUsize::new(0));
    let router = Router::new().route(
        "/healthz/ready",
        get(move || {
            let asked = asked.clone();
            async move {
                if asked.fetch_add(1, Ordering::SeqCst) < not_ready {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/healthz/ready", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url.parse().unwrap()
}

fn client() -> Client {
    Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn the_first_batch_waits_until_the_sidecar_is_ready() {
    let url = sidecar_ready_after(3).await;

    let readiness = sidecar::wait(&client(), &url, Duration::from_secs(10)).await;

    match readiness {
        // Three refusals, a poll apart, before the answer that counts.
        Readiness::Ready(waited) => assert!(waited >= Duration::from_millis(500), "{waited:?}"),
        other => panic!("expected the sidecar to become ready, got {other:?}"),
    }
}

#[tokio::test]
async fn a_ready_sidecar_costs_no_wait() {
    let url = sidecar_ready_after(0).await;

    let started = Instant::now();
    let readiness = sidecar::wait(&client(), &url, Duration::from_secs(10)).await;

    assert!(matches!(readiness, Readiness::Ready(_)), "{readiness:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn without_a_sidecar_the_wait_ends_at_the_startup_delay() {
    let url = common::nothing_listens().parse().unwrap();

    let started = Instant::now();
    let readiness = sidecar::wait(&client(), &url, Duration::from_millis(600)).await;
    let elapsed = started.elapsed();

    assert_eq!(readiness, Readiness::NotReady);
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn a_startup_delay_of_zero_skips_the_wait() {
    let url = common::nothing_listens().parse().unwrap();

    let readiness = sidecar::wait(&client(), &url, Duration::ZERO).await;

    assert_eq!(readiness, Readiness::Skipped);
}
