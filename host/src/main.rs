//! `vk-host`: parse flags (and the `--config` file), set up logging, run.

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use vk_host::config::{Invocation, LoadError, LogFormat};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match vk_host::config::load(std::env::args_os().collect()) {
        Ok(Invocation::Run(cli)) => cli,
        Ok(Invocation::Print(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(LoadError::Clap(error)) => error.exit(),
        Err(error) => {
            eprintln!("vk-host: {error}");
            return ExitCode::from(2);
        }
    };
    let config = match cli.into_config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("vk-host: {error}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    match vk_host::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let message = vk_proto::error_chain::line(&error);
            tracing::error!("{message}");
            eprintln!("vk-host: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
