//! What became of one request, and the line the attendee reads for it.
//!
//! The line keeps the original workshop's format, so its logs and ours can
//! be read side by side:
//!
//! ```text
//! STATUS: 200, START: 13:04:00, END: 13:04:05, TIME: 5.027925968170166
//! ```
//!
//! START and END are local wall-clock times, to match them against other
//! pods' logs and Envoy's access log; TIME comes from the monotonic clock, so
//! it stays right when the wall clock is adjusted.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Local};

/// The end of one request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A response arrived and its body was read to the end. A 503 from a
    /// sidecar that refused the request is a response too.
    Response {
        status: u16,
        start: DateTime<Local>,
        end: DateTime<Local>,
        elapsed: Duration,
    },
    /// No response: refused, reset, name not found, or timed out.
    Exception { reason: String },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Response {
                status,
                start,
                end,
                elapsed,
            } => write!(
                f,
                "STATUS: {status}, START: {}, END: {}, TIME: {}",
                start.format("%H:%M:%S"),
                end.format("%H:%M:%S"),
                seconds(*elapsed),
            ),
            Outcome::Exception { reason } => write!(f, "EXCEPTION: {reason}"),
        }
    }
}

/// Elapsed seconds as a plain decimal that always has a fractional part,
/// as the original printed them (`5.0`, never `5` or `5e0`).
fn seconds(elapsed: Duration) -> String {
    let text = elapsed.as_secs_f64().to_string();
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// Says in a few words why a request got no response.
///
/// reqwest wraps the cause in layers ("error sending request", "client
/// error (Connect)"); the innermost one carries the words that help
/// ("Connection refused", "failed to lookup address information").
pub fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        return format!(
            "no response within the timeout of {}",
            humantime::format_duration(timeout)
        );
    }

    let what = if err.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut cause: &dyn std::error::Error = err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    format!("{what}: {cause}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn local(h: u32, m: u32, s: u32) -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 12, 3, h, m, s).unwrap()
    }

    #[test]
    fn a_response_reads_like_the_original() {
        let outcome = Outcome::Response {
            status: 200,
            start: local(13, 4, 0),
            end: local(13, 4, 5),
            elapsed: Duration::new(5, 27_925_968),
        };
        assert_eq!(
            outcome.to_string(),
            "STATUS: 200, START: 13:04:00, END: 13:04:05, TIME: 5.027925968"
        );
    }

    #[test]
    fn whole_seconds_keep_their_decimal_point() {
        assert_eq!(seconds(Duration::from_secs(5)), "5.0");
        assert_eq!(seconds(Duration::from_micros(24_552)), "0.024552");
        assert_eq!(seconds(Duration::from_nanos(1_500)), "0.0000015");
    }

    #[test]
    fn an_exception_is_one_line_with_its_reason() {
        let outcome = Outcome::Exception {
            reason: "cannot connect: Connection refused (os error 111)".to_string(),
        };
        assert_eq!(
            outcome.to_string(),
            "EXCEPTION: cannot connect: Connection refused (os error 111)"
        );
    }
}
