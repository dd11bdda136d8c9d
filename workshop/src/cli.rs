//! Command-line parsing that fails the way this project promises: one line
//! that names the bad value, then exit status 2.
//!
//! clap's own error output spans several lines (a tip, the usage, a pointer
//! to `--help`). In a pod's log or a workshop terminal the first line is the
//! one that matters, so [`parse`] keeps only that one.

use std::time::Duration;

use clap::Parser;
use clap::error::ErrorKind;

/// Exit status for a bad flag or value, as for most Unix tools.
pub const USAGE_EXIT: i32 = 2;

/// Parses the process's arguments and environment into `T`, or exits.
///
/// `--help` and `--version` print in full and exit 0; any other problem is
/// reported as `<program>: <what is wrong> (see --help)` with exit status 2.
pub fn parse<T: Parser>() -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(err) => match err.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => err.exit(),
            _ => {
                let program = T::command().get_name().to_string();
                error_line(one_line(&program, &err));
                std::process::exit(USAGE_EXIT)
            }
        },
    }
}

/// Writes one line to standard error. Unlike `eprintln!` it cannot panic:
/// with standard error closed the line is lost, and the exit status still
/// says what happened.
pub fn error_line(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The first line of clap's report, prefixed by the program's name.
fn one_line(program: &str, err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let first = rendered
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("invalid command line");
    let what = first.strip_prefix("error: ").unwrap_or(first);
    format!("{program}: {what} (see --help)")
}

/// The longest duration any setting accepts. Nothing in the workshop needs
/// more, and far larger values would overflow the clocks' arithmetic.
pub const LONGEST: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses a duration written the way people write them: `5s`, `250ms`,
/// `1m30s`, up to [`LONGEST`]. A bare number is refused, since `5` could
/// mean seconds or milliseconds and the two differ by the whole experiment.
pub fn duration(text: &str) -> Result<Duration, String> {
    let value = humantime::parse_duration(text)
        .map_err(|_| "expected a duration with a unit, such as 5s, 250ms or 1m30s".to_string())?;
    if value > LONGEST {
        return Err("must be at most 24h".to_string());
    }
    Ok(value)
}

/// Like [`duration`], but zero is refused: an interval or a timeout of zero
/// would turn the client into a busy loop or fail every request.
pub fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        Duration::ZERO => Err("must be longer than zero, such as 20s or 500ms".to_string()),
        value => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Parser, Debug)]
    #[command(name = "demo")]
    struct Demo {
        #[arg(long, value_parser = duration)]
        delay: Duration,
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("0s"), Ok(Duration::ZERO));
        assert!(duration("5").is_err());
        assert!(duration("soon").is_err());
        assert!(duration("-1s").is_err());
        assert_eq!(duration("24h"), Ok(LONGEST));
        assert!(duration("25h").is_err());
        assert!(duration("584942417355years").is_err());
    }

    #[test]
    fn zero_is_not_a_positive_duration() {
        assert!(positive_duration("0s").is_err());
        assert_eq!(positive_duration("1ms"), Ok(Duration::from_millis(1)));
    }

    #[test]
    fn a_bad_value_is_reported_in_one_line_that_names_it() {
        let err = Demo::try_parse_from(["demo", "--delay", "fast"]).unwrap_err();
        let line = one_line("demo", &err);

        assert!(!line.contains('\n'), "{line}");
        assert!(line.starts_with("demo: "), "{line}");
        assert!(line.contains("'fast'"), "{line}");
        assert!(line.contains("--delay"), "{line}");
        assert!(line.contains("250ms"), "{line}");
    }

    #[test]
    fn an_unknown_flag_is_reported_in_one_line() {
        let err = Demo::try_parse_from(["demo", "--delya", "5s"]).unwrap_err();
        let line = one_line("demo", &err);

        assert!(!line.contains('\n'), "{line}");
        assert!(line.contains("--delya"), "{line}");
    }
}
