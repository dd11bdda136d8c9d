//! The client's own HTTP endpoint, for Kubernetes probes.
//!
//! The client serves nothing the workshop reads; `GET /healthz` on port
//! 8080 only lets the kubelet tell a live client from a stuck one.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;

/// Binds `port` on all IPv4 interfaces and serves `/healthz` there in the
/// background, for as long as the runtime lives. Returns the bound address.
pub async fn serve(port: u16) -> Result<SocketAddr, crate::Error> {
    let (listener, address) = workshop::listen::listen(port).map_err(crate::Error::Bind)?;

    let router = Router::new().route("/healthz", get(|| async { "ok" }));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::error!("health endpoint stopped: {err}");
        }
    });
    Ok(address)
}
