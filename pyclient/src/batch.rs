//! One batch: every request leaves at once, each line is printed as soon as
//! its request ends, and a SUMMARY line closes the batch.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Local};
use futures::stream::{FuturesUnordered, StreamExt};
use reqwest::{Client, Url};

use crate::outcome::{Outcome, describe};
use crate::report::Report;

/// The line that opens every batch, after an empty one.
pub const START_BATCH: &str = "----------START BATCH----------";

/// Where a batch's requests go, and how long each may take.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: Client,
    url: Url,
    /// Kept beside the client, which does not expose it, for the
    /// EXCEPTION line of a request that ran out of time.
    timeout: Duration,
}

impl Upstream {
    pub fn new(url: Url, timeout: Duration) -> reqwest::Result<Self> {
        let client = Client::builder()
            .timeout(timeout)
            // Names the client in the sidecars' access logs.
            .user_agent(concat!("pyclient/", env!("CARGO_PKG_VERSION")))
            // Every request opens a connection of its own, as the original's
            // python-requests did without a session; no idle connection kept
            // from the last batch can then be reset under a new request.
            .pool_max_idle_per_host(0)
            // A developer's HTTP_PROXY must not reroute loopback runs; in the
            // mesh the sidecar is the only proxy.
            .no_proxy()
            .build()?;
        Ok(Upstream {
            client,
            url,
            timeout,
        })
    }

    /// The HTTP client, for other requests that should bypass proxies too.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// One GET, timed from the moment it is sent until its body is read.
    async fn request(&self) -> Outcome {
        let start = Local::now();
        let started = Instant::now();

        let result = async {
            let mut response = self.client.get(self.url.clone()).send().await?;
            let status = response.status().as_u16();
            // Read the body to its end, chunk by chunk, keeping none of it:
            // END is when the whole response was in, whatever its size.
            while response.chunk().await?.is_some() {}
            Ok::<_, reqwest::Error>(status)
        }
        .await;

        let elapsed = started.elapsed();
        match result {
            Ok(status) => {
                tracing::debug!("GET {}: {status} after {elapsed:?}", self.url);
                Outcome::Response {
                    status,
                    start,
                    end: Local::now(),
                    elapsed,
                }
            }
            Err(err) => {
                tracing::debug!("GET {} failed after {elapsed:?}: {err:?}", self.url);
                Outcome::Exception {
                    reason: describe(&err, self.timeout),
                }
            }
        }
    }
}

/// Sends `size` concurrent requests upstream, reports each as it ends, and
/// returns the batch's summary once the last one has.
pub async fn run(
    upstream: &Upstream,
    size: u32,
    boundary: SystemTime,
    client_name: &str,
    report: &Report,
) -> Summary {
    report.line("");
    report.line(START_BATCH);

    // Collecting the futures sends nothing yet; the first poll of the
    // stream starts all of them, so they leave within microseconds.
    let mut requests: FuturesUnordered<_> = (0..size).map(|_| upstream.request()).collect();
    let mut summary = Summary::new(boundary.into(), client_name);
    while let Some(outcome) = requests.next().await {
        report.line(&outcome.to_string());
        summary.record(&outcome);
    }

    report.line(&summary.to_string());
    summary
}

/// The counts of one batch, printed as a single `SUMMARY` line of
/// `key=value` fields so that `kubectl logs -l app=pyclient | grep SUMMARY`
/// adds up an experiment across pods:
///
/// ```text
/// SUMMARY batch=13:04:00 client=pyclient-754df7b797-8hcw4 requests=10 200=5 503=5 errors=0 min=0.014 median=2.507 max=10.016
/// ```
///
/// min, median and max are over the requests that got a response, in
/// seconds; they are `-` when none did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The wall-clock boundary the batch fired at.
    pub started: DateTime<Local>,
    /// Which replica sent the batch: the pod's name in Kubernetes.
    pub client: String,
    /// How many responses came back with each status code.
    pub statuses: BTreeMap<u16, usize>,
    /// Requests that got no response at all.
    pub errors: usize,
    /// TIME of each response, in seconds.
    times: Vec<f64>,
}

impl Summary {
    fn new(started: DateTime<Local>, client: &str) -> Self {
        Summary {
            started,
            client: client.to_string(),
            statuses: BTreeMap::new(),
            errors: 0,
            times: Vec::new(),
        }
    }

    fn record(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Response {
                status, elapsed, ..
            } => {
                *self.statuses.entry(*status).or_default() += 1;
                self.times.push(elapsed.as_secs_f64());
            }
            Outcome::Exception { .. } => self.errors += 1,
        }
    }

    /// How many requests the batch sent.
    pub fn requests(&self) -> usize {
        self.statuses.values().sum::<usize>() + self.errors
    }

    /// The smallest, median and largest TIME, if any response came back.
    pub fn times(&self) -> Option<(f64, f64, f64)> {
        let mut times = self.times.clone();
        times.sort_by(f64::total_cmp);
        let (first, last) = (*times.first()?, *times.last()?);
        let middle = times.len() / 2;
        let median = if times.len() % 2 == 0 {
            (times[middle - 1] + times[middle]) / 2.0
        } else {
            times[middle]
        };
        Some((first, median, last))
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SUMMARY batch={} client={} requests={}",
            self.started.format("%H:%M:%S"),
            self.client,
            self.requests()
        )?;
        for (status, count) in &self.statuses {
            write!(f, " {status}={count}")?;
        }
        write!(f, " errors={}", self.errors)?;
        match self.times() {
            Some((min, median, max)) => write!(f, " min={min:.3} median={median:.3} max={max:.3}"),
            None => write!(f, " min=- median=- max=-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn response(status: u16, seconds: f64) -> Outcome {
        let at = Local::now();
        Outcome::Response {
            status,
            start: at,
            end: at,
            elapsed: Duration::from_secs_f64(seconds),
        }
    }

    fn summary_of(outcomes: &[Outcome]) -> Summary {
        let started = Local.with_ymd_and_hms(2026, 12, 3, 13, 4, 0).unwrap();
        let mut summary = Summary::new(started, "pyclient-754df7b797-8hcw4");
        for outcome in outcomes {
            summary.record(outcome);
        }
        summary
    }

    #[test]
    fn a_summary_counts_statuses_and_errors() {
        let summary = summary_of(&[
            response(503, 0.0137),
            response(200, 5.0132),
            response(200, 10.0162),
            response(503, 0.0415),
            Outcome::Exception {
                reason: "cannot connect".to_string(),
            },
        ]);

        assert_eq!(
            summary.to_string(),
            "SUMMARY batch=13:04:00 client=pyclient-754df7b797-8hcw4 requests=5 \
             200=2 503=2 errors=1 min=0.014 median=2.527 max=10.016"
        );
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_time() {
        let summary = summary_of(&[response(200, 3.0), response(200, 1.0), response(200, 2.0)]);
        assert_eq!(summary.times(), Some((1.0, 2.0, 3.0)));
    }

    #[test]
    fn a_batch_without_responses_has_no_times() {
        let failed = Outcome::Exception {
            reason: "cannot connect".to_string(),
        };
        let summary = summary_of(&[failed.clone(), failed]);
        assert_eq!(summary.times(), None);
        assert!(
            summary
                .to_string()
                .ends_with("requests=2 errors=2 min=- median=- max=-")
        );
    }
}
