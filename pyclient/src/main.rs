//! The `pyclient` binary: parse the command line, set up logging, run the
//! batches until they are done or a signal says stop.

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let config: pyclient::Config = workshop::cli::parse();
    workshop::telemetry::init();

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            workshop::cli::error_line(format_args!(
                "pyclient: cannot start the async runtime: {err}"
            ));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let stop = workshop::shutdown::signal();
        pyclient::run(config, pyclient::Report::stdout(), stop).await
    });
    // A name lookup stuck in getaddrinfo holds a blocking thread that no
    // signal can cancel; it must not delay the exit that SIGTERM asked for.
    runtime.shutdown_timeout(Duration::from_millis(100));

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            workshop::cli::error_line(format_args!("pyclient: {err}"));
            ExitCode::FAILURE
        }
    }
}
