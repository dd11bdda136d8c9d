//! Where the attendee's lines go: standard output, one whole line at a time.
//!
//! Requests of one batch, and of overlapping batches, end on different
//! tasks; a lock around the writer keeps each line whole. Standard output in
//! Rust is line-buffered, so each line reaches `kubectl logs` as soon as it
//! is written.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// A shared, line-at-a-time writer.
#[derive(Clone)]
pub struct Report {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl Report {
    /// Lines go to the process's standard output.
    pub fn stdout() -> Self {
        Report::to(std::io::stdout())
    }

    /// Lines go to `out`; tests collect them this way.
    pub fn to(out: impl Write + Send + 'static) -> Self {
        Report {
            out: Arc::new(Mutex::new(Box::new(out))),
        }
    }

    /// Writes `text` and a newline.
    ///
    /// A write that fails (standard output closed by `| head`) is logged and
    /// otherwise ignored: the batches still load the mesh, and the
    /// sidecars' statistics still show them.
    pub fn line(&self, text: &str) {
        let mut out = match self.out.lock() {
            Ok(out) => out,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Err(err) = writeln!(out, "{text}").and_then(|()| out.flush()) {
            tracing::debug!("cannot write a report line: {err}");
        }
    }
}
