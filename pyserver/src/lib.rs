//! pyserver: the slow upstream of the circuit-breaking workshop.
//!
//! `GET /index` waits for a fixed delay (5 s by default) and answers `hello`.
//! The delay is what makes Envoy's connection-pool limits visible: while five
//! requests hold their connections for five seconds, the sixth has to wait
//! for a connection, queue as a pending request, or be refused with a 503.
//!
//! The pieces: [`Config`] is the command line, [`upstream`] answers the
//! requests, [`drain`] serves them and stops cleanly on SIGTERM.

pub mod drain;
pub mod upstream;

use std::time::Duration;

use clap::Parser;
use workshop::listen::BindError;

pub use drain::Drain;

/// The server's settings, from flags or their environment variables.
///
/// The variables avoid `PYSERVER_PORT` and `PYSERVER_SERVICE_*`: Kubernetes
/// sets those in every pod of a namespace that has a `pyserver` Service,
/// with values such as `tcp://10.96.0.12:80`.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "pyserver",
    version,
    about = "The slow upstream: GET /index answers `hello` after a delay."
)]
pub struct Config {
    /// TCP port to listen on, on all IPv4 interfaces.
    #[arg(
        long,
        env = "PYSERVER_LISTEN_PORT",
        value_name = "PORT",
        default_value_t = 5000
    )]
    pub port: u16,

    /// How long GET /index takes to answer, such as 5s or 250ms.
    #[arg(
        long,
        env = "PYSERVER_DELAY",
        value_name = "DURATION",
        default_value = "5s",
        value_parser = workshop::cli::duration
    )]
    pub delay: Duration,

    /// After SIGTERM or SIGINT, how long in-flight requests may take to finish.
    ///
    /// The default outlasts one delay, so every request already being
    /// answered completes, and stays below Kubernetes' 30 s grace period, so
    /// the server exits before it would be killed.
    #[arg(
        long,
        env = "PYSERVER_DRAIN_TIMEOUT",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = workshop::cli::duration
    )]
    pub drain_timeout: Duration,
}

/// Why the server could not run.
#[derive(Debug)]
pub enum Error {
    /// The port is taken, or not ours to take.
    Bind(BindError),
    /// Accepting connections failed after start-up.
    Serve(std::io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Bind(err) => err.fmt(f),
            Error::Serve(source) => write!(f, "stopped serving: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind(err) => Some(err),
            Error::Serve(source) => Some(source),
        }
    }
}

/// Binds the configured port and serves until SIGTERM or SIGINT, then drains.
pub async fn run(config: Config) -> Result<Drain, Error> {
    let signal = workshop::shutdown::signal();
    let (listener, address) = workshop::listen::listen(config.port).map_err(Error::Bind)?;

    tracing::info!(
        "listening on {address}, GET /index answers after {}, drain timeout {}",
        humantime::format_duration(config.delay),
        humantime::format_duration(config.drain_timeout),
    );

    let stop = async {
        let signal = signal.await;
        tracing::info!("{signal} received, no longer accepting connections");
    };
    drain::serve(listener, config.delay, config.drain_timeout, stop)
        .await
        .map_err(Error::Serve)
}
