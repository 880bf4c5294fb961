//! `scorewatch`: the API server and its admin commands.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = scorewatch_api::cli::Cli::parse();
    match scorewatch_api::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
