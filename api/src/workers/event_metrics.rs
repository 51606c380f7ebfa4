//! An in-process subscriber: conversation durations for the seed 002 histogram.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{broadcast, watch};

use crate::metrics::Metrics;

pub async fn run(mut rx: broadcast::Receiver<Arc<Value>>, metrics: Metrics, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            msg = rx.recv() => match msg {
                Ok(env) => {
                    if env["type"] == "whatsapp.conversation.closed" {
                        let reason = env["data"]["reason"].as_str().unwrap_or("closed");
                        let secs = env["data"]["durationSeconds"].as_f64().unwrap_or(0.0);
                        metrics.conversation_duration.with_label_values(&[reason]).observe(secs);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
    }
}
