//! The client's settings, from flags or their environment variables.
//!
//! The variables avoid `PYCLIENT_PORT` and `PYCLIENT_SERVICE_*` (and the
//! same for `PYSERVER_`): Kubernetes sets those in every pod of a namespace
//! that has such a Service, with values such as `tcp://10.96.0.12:8080`.

use std::time::Duration;

use clap::Parser;
use reqwest::Url;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "pyclient",
    version,
    about = "Fires batches of concurrent requests at the upstream, on the wall clock, \
             and prints one line per request."
)]
pub struct Config {
    /// The upstream to request; plain http, as the sidecar adds the TLS.
    #[arg(
        long,
        env = "PYCLIENT_URL",
        value_name = "URL",
        default_value = "http://pyserver/index",
        value_parser = http_url
    )]
    pub url: Url,

    /// How many requests each batch sends at once.
    #[arg(
        long,
        env = "PYCLIENT_BATCH_SIZE",
        value_name = "COUNT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..=10_000)
    )]
    pub batch_size: u32,

    /// A batch starts whenever Unix time reaches a multiple of this interval,
    /// so that every replica fires at the same moment.
    #[arg(
        long,
        env = "PYCLIENT_INTERVAL",
        value_name = "DURATION",
        default_value = "20s",
        value_parser = workshop::cli::positive_duration
    )]
    pub interval: Duration,

    /// How long to wait, at most, for the Istio sidecar to report ready
    /// before the first batch; 0s skips the wait.
    #[arg(
        long,
        env = "PYCLIENT_STARTUP_DELAY",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = workshop::cli::duration
    )]
    pub startup_delay: Duration,

    /// Where the sidecar reports its readiness (pilot-agent's status port).
    #[arg(
        long,
        env = "PYCLIENT_SIDECAR_READY_URL",
        value_name = "URL",
        default_value = "http://localhost:15021/healthz/ready",
        value_parser = http_url
    )]
    pub sidecar_ready_url: Url,

    /// How long one request may take before it is given up.
    ///
    /// In the experiments a request waits at most two delays of the upstream
    /// (about 11 s) in the sidecar's queue, so 30 s never cuts one short.
    #[arg(
        long,
        env = "PYCLIENT_TIMEOUT",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = workshop::cli::positive_duration
    )]
    pub timeout: Duration,

    /// Stop after this many batches and exit 0, once their requests end.
    #[arg(
        long,
        env = "PYCLIENT_BATCHES",
        value_name = "COUNT",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub batches: Option<u64>,

    /// Port of the client's own health endpoint (GET /healthz), for probes.
    #[arg(
        long,
        env = "PYCLIENT_LISTEN_PORT",
        value_name = "PORT",
        default_value_t = 8080
    )]
    pub listen_port: u16,

    /// The client's name in SUMMARY lines; Kubernetes sets HOSTNAME to the
    /// pod's name. Without it the machine's host name is used.
    #[arg(long, env = "HOSTNAME", value_name = "NAME")]
    pub name: Option<String>,
}

impl Config {
    /// The name SUMMARY lines carry.
    pub fn client_name(&self) -> String {
        self.name
            .clone()
            .filter(|name| !name.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .ok()
                    .map(|name| name.trim().to_string())
                    .filter(|name| !name.is_empty())
            })
            .unwrap_or_else(|| "pyclient".to_string())
    }
}

/// Accepts an absolute `http://` URL with a host. HTTPS is refused rather
/// than half-supported: in the mesh the sidecar does TLS, and this client is
/// built without a TLS stack to keep its image small.
fn http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|err| format!("not a URL ({err})"))?;
    if url.scheme() != "http" {
        return Err(format!(
            "only http:// URLs are supported, not {}://",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL needs a host, such as http://pyserver/index".to_string());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Config::try_parse_from(std::iter::once("pyclient").chain(args.iter().copied()))
    }

    #[test]
    fn urls_must_be_plain_http_with_a_host() {
        assert!(http_url("http://pyserver/index").is_ok());
        assert!(http_url("http://127.0.0.1:5000/index").is_ok());
        assert!(http_url("https://pyserver/index").is_err());
        assert!(http_url("pyserver/index").is_err());
        assert!(http_url("http://").is_err());
    }

    #[test]
    fn out_of_range_values_are_refused() {
        assert!(parse(&["--batch-size", "0"]).is_err());
        assert!(parse(&["--batch-size", "ten"]).is_err());
        assert!(parse(&["--interval", "0s"]).is_err());
        assert!(parse(&["--timeout", "0ms"]).is_err());
        assert!(parse(&["--batches", "0"]).is_err());
        assert!(parse(&["--startup-delay", "0s"]).is_ok());
    }

    #[test]
    fn a_given_name_wins_and_an_empty_one_falls_back() {
        let named = parse(&["--name", "pyclient-754df7b797-8hcw4"]).unwrap();
        assert_eq!(named.client_name(), "pyclient-754df7b797-8hcw4");

        let empty = parse(&["--name", ""]).unwrap();
        assert!(!empty.client_name().is_empty());
    }
}
