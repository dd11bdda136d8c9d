//! pyclient: the bursty client of the circuit-breaking workshop.
//!
//! Every interval, on the wall clock, it fires a batch of concurrent
//! requests at the upstream and prints one line per request, so that the
//! attendee sees which requests got through at once, which waited in the
//! sidecar's queue, and which were refused with a 503.
//!
//! The pieces: [`Config`] is the command line; [`sidecar`] waits for the
//! Istio proxy; [`schedule`] says when each batch starts; [`batch`] sends
//! one and sums it up; [`outcome`] and [`report`] write the lines;
//! [`health`] answers the kubelet's probes.

pub mod batch;
pub mod config;
pub mod health;
pub mod outcome;
pub mod report;
pub mod schedule;
pub mod sidecar;

use std::future::Future;
use std::time::SystemTime;

use chrono::{DateTime, Local};
use tokio::task::JoinSet;
use workshop::listen::BindError;
use workshop::shutdown::Signal;

pub use config::Config;
pub use report::Report;

use batch::Upstream;
use schedule::Schedule;

/// Why the client could not run.
#[derive(Debug)]
pub enum Error {
    /// The health endpoint's port is taken, or not ours to take.
    Bind(BindError),
    /// The HTTP client could not be set up.
    Client(reqwest::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Bind(err) => write!(
                f,
                "{err}; the health endpoint needs a free port (choose one with --listen-port)"
            ),
            Error::Client(source) => write!(f, "cannot set up the HTTP client: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind(err) => Some(err),
            Error::Client(source) => Some(source),
        }
    }
}

/// Runs batches until `stop` completes or `--batches` is reached.
///
/// On `stop` it returns at once: requests still in flight are dropped, as a
/// pod being deleted should not hold up its replacement. After the last of
/// `--batches`, it waits for that batch's requests to end.
pub async fn run(
    config: Config,
    report: Report,
    stop: impl Future<Output = Signal>,
) -> Result<(), Error> {
    let upstream = Upstream::new(config.url.clone(), config.timeout).map_err(Error::Client)?;
    let health = health::serve(config.listen_port).await?;
    let name = config.client_name();
    tracing::info!(
        "{name}: batches of {} requests to {} every {} on the wall clock, each request may take {}; \
         health endpoint on {health}",
        config.batch_size,
        config.url,
        humantime::format_duration(config.interval),
        humantime::format_duration(config.timeout),
    );

    let stop = async {
        let signal = stop.await;
        tracing::info!("{signal} received, stopping");
    };
    tokio::pin!(stop);

    let ready = sidecar::wait(
        upstream.client(),
        &config.sidecar_ready_url,
        config.startup_delay,
    );
    tokio::select! {
        () = &mut stop => return Ok(()),
        _ = ready => {}
    }

    let mut schedule = Schedule::after(SystemTime::now(), config.interval);
    tracing::info!("first batch at {}", clock(schedule.next()));

    let mut batches = JoinSet::new();
    let mut fired = 0;
    while config.batches.is_none_or(|limit| fired < limit) {
        tokio::select! {
            () = &mut stop => return Ok(()),
            boundary = schedule.tick() => {
                fired += 1;
                let (upstream, name, report) = (upstream.clone(), name.clone(), report.clone());
                let size = config.batch_size;
                // Each batch is a task of its own, so a batch never waits
                // for the slow requests of the one before it.
                batches.spawn(async move {
                    batch::run(&upstream, size, boundary, &name, &report).await
                });
            }
            Some(finished) = batches.join_next() => log_failure(finished),
        }
    }

    tokio::select! {
        () = &mut stop => {}
        () = async {
            while let Some(finished) = batches.join_next().await {
                log_failure(finished);
            }
        } => {}
    }
    Ok(())
}

fn log_failure(finished: Result<batch::Summary, tokio::task::JoinError>) {
    if let Err(err) = finished {
        tracing::error!("a batch ended abnormally: {err}");
    }
}

/// A wall-clock moment as the local `HH:MM:SS` the request lines use.
fn clock(moment: SystemTime) -> String {
    DateTime::<Local>::from(moment)
        .format("%H:%M:%S")
        .to_string()
}
