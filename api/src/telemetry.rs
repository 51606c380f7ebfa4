//! Logging: `LOG_FORMAT=json|pretty`, `RUST_LOG` filter (default `info`). Every line inside
//! a request carries its `request_id` (from the request span). Secrets and message bodies are
//! never logged: commands redact them in `Debug`, and handlers log ids and counts only.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use infrastructure::config::LogFormat;

pub fn init(format: &LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Json => registry.with(fmt::layer().json().with_current_span(true).with_span_list(false)).try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
    let _ = result;
}
