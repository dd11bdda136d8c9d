//! Diagnostics through `tracing`, on standard error.
//!
//! Standard output belongs to what the workshop attendee reads (the client's
//! request lines); everything else goes to standard error, at `info` unless
//! `RUST_LOG` asks for more, so `RUST_LOG=debug` shows every request
//! without a rebuild.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init() {
    // An unparsable RUST_LOG must not stop a workshop: its bad directives
    // are ignored and the rest apply.
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();

    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        // With standard error closed, the default would report the failed
        // write through eprintln!, which panics; a lost log line must not
        // take the server down with it.
        .log_internal_errors(false)
        .init();
}
