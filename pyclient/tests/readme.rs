//! The README's reference tables against the programs' own command lines:
//! every flag, its environment variable and its default must read the same
//! in both, so the documentation cannot drift from `--help`.

use std::collections::BTreeMap;

use clap::CommandFactory;

const README: &str = include_str!("../../README.md");

/// One row of a reference table: the variable and default columns, as
/// written (with their backticks).
#[derive(Debug)]
struct Row {
    variable: String,
    default: String,
}

/// The rows of the table under `### <program>` in the Reference section.
fn documented(program: &str) -> BTreeMap<String, Row> {
    let reference = README
        .split("\n## Reference\n")
        .nth(1)
        .expect("the README has a Reference section");
    let section = reference
        .split(&format!("\n### {program}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("the Reference has no {program} section"));
    let section = section.split("\n### ").next().unwrap();

    section
        .lines()
        .filter(|line| line.starts_with("| `--"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let flag = cells[1].trim_matches('`').to_string();
            let row = Row {
                variable: cells[2].to_string(),
                default: cells[3].to_string(),
            };
            (flag, row)
        })
        .collect()
}

fn check(program: &str, command: clap::Command) {
    let mut rows = documented(program);

    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if long == "help" || long == "version" {
            continue;
        }
        let flag = format!("--{long}");
        let row = rows
            .remove(&flag)
            .unwrap_or_else(|| panic!("{program} {flag} is missing from the README"));

        let variable = arg
            .get_env()
            .map(|name| format!("`{}`", name.to_string_lossy()))
            .unwrap_or_default();
        assert_eq!(row.variable, variable, "{program} {flag}: variable");

        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|value| value.to_string_lossy().into_owned())
            .collect();
        match defaults.as_slice() {
            [] => assert!(
                !row.default.starts_with('`'),
                "{program} {flag} has no default, the README says {}",
                row.default
            ),
            [default] => assert_eq!(row.default, format!("`{default}`"), "{program} {flag}"),
            more => panic!("{program} {flag} has several defaults: {more:?}"),
        }
    }

    assert!(
        rows.is_empty(),
        "the README documents flags {program} does not have: {:?}",
        rows.keys()
    );
}

#[test]
fn the_readme_documents_every_pyserver_flag_as_it_is() {
    check("pyserver", pyserver::Config::command());
}

#[test]
fn the_readme_documents_every_pyclient_flag_as_it_is() {
    check("pyclient", pyclient::Config::command());
}
