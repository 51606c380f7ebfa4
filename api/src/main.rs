//! `whatsapp-service [serve|migrate|openapi] [--no-workers] [--skip-migrations]`

use std::collections::HashMap;
use std::process::ExitCode;

use api::startup::{Application, Options, openapi_json};
use infrastructure::config::Config;

const USAGE: &str = "usage: whatsapp-service [serve|migrate|openapi] [--no-workers] [--skip-migrations]

  serve       run the HTTP API, the webhook receiver and the workers (default)
  migrate     apply database migrations and exit
  openapi     print the OpenAPI 3 JSON spec and exit

  --no-workers       serve without background workers (API-only replicas)
  --skip-migrations  serve without applying migrations (run `migrate` as a job instead)

Configuration comes from the environment (and .env); see README.md.";

fn main() -> ExitCode {
    rustls::crypto::ring::default_provider().install_default().expect("the only rustls provider");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut command = None;
    let mut options = Options::default();
    for a in &args {
        match a.as_str() {
            "--no-workers" => options.workers = false,
            "--skip-migrations" => options.migrate = false,
            "-h" | "--help" | "help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            c @ ("serve" | "migrate" | "openapi") if command.is_none() => command = Some(c.to_owned()),
            other => {
                eprintln!("unknown argument '{other}'\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let command = command.unwrap_or_else(|| "serve".into());
    if command == "openapi" {
        println!("{}", openapi_json());
        return ExitCode::SUCCESS;
    }
    let dotenv = read_dotenv();
    let config = match Config::from_lookup(|k| std::env::var(k).ok().or_else(|| dotenv.get(k).cloned())) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(78);
        }
    };
    api::telemetry::init(&config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(async move {
        match command.as_str() {
            "migrate" => {
                let db = infrastructure::persistence::Db::connect(&config.database_url).await?;
                db.migrate().await?;
                tracing::info!("migrations applied");
                Ok(())
            }
            _ => serve(config, options).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "fatal");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, options: Options) -> anyhow::Result<()> {
    let sandbox = config.sandbox;
    tracing::info!(config = ?config, workers = options.workers, "starting whatsapp-service");
    let app = Application::build(config, options).await?;
    if sandbox {
        let addr = app.addr;
        eprintln!(
            "\n==================================================================\n\
             SANDBOX MODE: the Cloud API is simulated at http://{addr}/sandbox\n\
             Development secrets are PUBLIC (admin key: sandbox-admin-key).\n\
             Never expose this instance or use it with real customers.\n\
             API docs: http://{addr}/docs\n\
             ==================================================================\n"
        );
    }
    tracing::info!(addr = %app.addr, "listening");
    app.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// `KEY=VALUE` lines of `.env`, if present. The real environment wins over them.
fn read_dotenv() -> HashMap<String, String> {
    let Ok(text) = std::fs::read_to_string(".env") else { return HashMap::new() };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect()
}
