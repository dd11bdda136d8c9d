//! The stop signals both programs obey.
//!
//! Kubernetes stops a container with SIGTERM and, after the grace period,
//! SIGKILL; a terminal sends SIGINT on Ctrl-C. As PID 1 in a container a
//! process gets no default handler for either, so each program must listen
//! for both itself, or it would sit out the whole grace period.

/// Which signal asked the process to stop, for the log line that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        })
    }
}

/// Starts listening for SIGINT and SIGTERM, and returns a future that
/// completes with the first of them to arrive.
///
/// The handlers are installed by this call, not when the future is first
/// polled: a signal that arrives while the program is still starting up is
/// then caught, rather than killing it with the default action. Call it
/// from within the Tokio runtime, before the program says it is ready.
///
/// If a handler cannot be installed the error is logged and that signal is
/// never reported, so the other one still works.
pub fn signal() -> impl Future<Output = Signal> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};

        let mut interrupt = signal(SignalKind::interrupt())
            .inspect_err(|err| tracing::error!("cannot listen for SIGINT: {err}"))
            .ok();
        let mut terminate = signal(SignalKind::terminate())
            .inspect_err(|err| tracing::error!("cannot listen for SIGTERM: {err}"))
            .ok();

        async move {
            tokio::select! {
                Some(()) = recv(&mut interrupt) => Signal::Interrupt,
                Some(()) = recv(&mut terminate) => Signal::Terminate,
            }
        }
    }

    #[cfg(not(unix))]
    async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Signal::Interrupt,
            Err(err) => {
                tracing::error!("cannot listen for Ctrl-C: {err}");
                std::future::pending().await
            }
        }
    }
}

/// The next delivery of a signal whose handler may be missing; a missing
/// one never delivers.
#[cfg(unix)]
async fn recv(stream: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match stream {
        Some(stream) => stream.recv().await,
        None => std::future::pending().await,
    }
}
