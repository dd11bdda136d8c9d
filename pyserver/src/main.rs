//! The `pyserver` binary: parse the command line, set up logging, serve.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let config: pyserver::Config = workshop::cli::parse();
    workshop::telemetry::init();

    match pyserver::run(config).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            workshop::cli::error_line(format_args!("pyserver: {err}"));
            ExitCode::FAILURE
        }
    }
}
