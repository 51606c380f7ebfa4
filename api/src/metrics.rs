//! Prometheus metrics: the seed 002 names plus HTTP and webhook latency.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub messages_received: IntCounter,
    pub messages_sent: IntCounterVec,
    pub conversation_duration: HistogramVec,
    pub ai_tokens_used: IntCounter,
    pub webhook_processing_ms: HistogramVec,
    pub webhook_ack_seconds: HistogramVec,
    pub webhook_group_size: prometheus::Histogram,
    pub webhook_commit_seconds: prometheus::Histogram,
    pub webhook_requests: IntCounterVec,
    pub webhook_dead_letters: IntCounterVec,
    pub webhook_batches: IntCounterVec,
    pub http_refused: IntCounterVec,
    pub rate_limited: IntCounterVec,
    pub auth_attempts: IntCounterVec,
    pub webhook_unroutable: IntCounter,
    pub webhook_backlog: IntGauge,
    pub cloud_api_errors: IntCounterVec,
    pub outbox_lag: IntGauge,
    pub outbox_oldest_age_seconds: prometheus::Gauge,
    pub events_published: IntCounterVec,
    pub job_runs: IntCounterVec,
    pub job_last_run: prometheus::GaugeVec,
    /// Per outbox consumer: events recorded above its watermark.
    pub consumer_lag: prometheus::IntGaugeVec,
    pub messages_stuck: IntGauge,
    pub outbound_backlog: IntGauge,
    pub outbound_deferred: IntCounterVec,
    pub accounts_paused: IntCounter,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub media_fetches: IntCounterVec,
    pub media_backlog: IntGauge,
    /// Customers' turns by outcome (answered, unanswered, people, consent, failed).
    pub turns: IntCounterVec,
    /// From a turn's due time to its answer being queued (seconds).
    pub turn_lag_seconds: prometheus::Histogram,
    /// Threads whose customer has waited for people longer than 15 minutes.
    pub threads_waiting: IntGauge,
    /// Merchant webhook attempts by outcome (delivered, retrying, dead).
    pub hook_attempts: IntCounterVec,
    /// Reads of the outbox by this replica's live feed (one every quarter second, whatever the
    /// number of stream clients).
    pub live_polls: IntCounter,
    /// Clients of `GET /api/v1/stream` connected to this replica.
    pub stream_clients: IntGauge,
}

fn must<T>(r: prometheus::Result<T>) -> T {
    r.expect("metric definitions are static and valid")
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| {
            let c = must(IntCounter::new(name, help));
            must(registry.register(Box::new(c.clone())));
            c
        };
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = must(IntCounterVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(c.clone())));
            c
        };
        let hist = |name: &str, help: &str, labels: &[&str], buckets: Vec<f64>| {
            let h = must(HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels));
            must(registry.register(Box::new(h.clone())));
            h
        };
        let backlog = must(IntGauge::new("whatsapp_webhook_backlog", "Stored webhook deliveries not processed yet"));
        must(registry.register(Box::new(backlog.clone())));
        let gauge = |name: &str, help: &str| {
            let g = must(IntGauge::new(name, help));
            must(registry.register(Box::new(g.clone())));
            g
        };
        let fgauge = must(prometheus::Gauge::new("whatsapp_outbox_oldest_age_seconds", "Age of the oldest unpublished event"));
        must(registry.register(Box::new(fgauge.clone())));
        let job_last = must(prometheus::GaugeVec::new(
            Opts::new("whatsapp_job_last_run_timestamp_seconds", "When a job last ran (Unix time)"),
            &["job"],
        ));
        must(registry.register(Box::new(job_last.clone())));
        let consumer_lag = must(prometheus::IntGaugeVec::new(
            Opts::new("whatsapp_event_consumer_lag_events", "Events recorded that an outbox consumer has not passed yet"),
            &["consumer"],
        ));
        must(registry.register(Box::new(consumer_lag.clone())));
        let ms_buckets = vec![1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0];
        let s_buckets = vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
        let plain_hist = |name: &str, help: &str, buckets: Vec<f64>| {
            let h = must(prometheus::Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets)));
            must(registry.register(Box::new(h.clone())));
            h
        };
        let m = Self {
            webhook_group_size: plain_hist(
                "whatsapp_webhook_commit_group_size",
                "Webhook deliveries stored by one commit (group commit)",
                vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
            ),
            webhook_commit_seconds: plain_hist(
                "whatsapp_webhook_commit_seconds",
                "Time to store and commit one group of webhook deliveries",
                s_buckets.clone(),
            ),
            messages_received: counter("whatsapp_messages_received_total", "Customer messages stored (deduplicated)"),
            messages_sent: counter_vec("whatsapp_messages_sent_total", "Messages accepted by the Cloud API", &["message_type"]),
            conversation_duration: hist(
                "whatsapp_conversation_duration_seconds",
                "Conversation duration when it closes",
                &["reason"],
                vec![60.0, 300.0, 900.0, 3600.0, 14400.0, 43200.0, 86400.0, 259200.0],
            ),
            ai_tokens_used: counter("whatsapp_ai_tokens_used_total", "LLM tokens used by AI agents"),
            webhook_processing_ms: hist(
                "whatsapp_webhook_processing_duration_ms",
                "Time to process one stored webhook delivery, in milliseconds",
                &["outcome"],
                ms_buckets,
            ),
            webhook_ack_seconds: hist(
                "whatsapp_webhook_ack_duration_seconds",
                "Time from receiving a webhook to acknowledging it (stored durably)",
                &["status"],
                s_buckets.clone(),
            ),
            webhook_requests: counter_vec("whatsapp_webhook_requests_total", "Webhook deliveries by result", &["result"]),
            webhook_dead_letters: counter_vec(
                "whatsapp_webhook_dead_letters_total",
                "Webhook deliveries that can never be processed, by reason (not_json, not_whatsapp, failed)",
                &["reason"],
            ),
            webhook_batches: counter_vec(
                "whatsapp_webhook_batches_total",
                "Webhook processing transactions of a batch: processed, or failed (its deliveries were then redone one by one)",
                &["outcome"],
            ),
            webhook_unroutable: counter("whatsapp_webhook_unroutable_total", "Webhook changes for an unknown phone_number_id"),
            webhook_backlog: backlog,
            cloud_api_errors: counter_vec("whatsapp_cloud_api_errors_total", "Cloud API failures by Meta code", &["code"]),
            outbox_lag: gauge("whatsapp_outbox_lag_events", "Integration events written but not yet published"),
            outbox_oldest_age_seconds: fgauge,
            events_published: counter_vec("whatsapp_events_published_total", "Integration events published", &["destination"]),
            job_runs: counter_vec("whatsapp_job_runs_total", "Background job runs", &["job", "outcome"]),
            job_last_run: job_last,
            consumer_lag,
            outbound_backlog: gauge("whatsapp_outbound_backlog", "Outbound messages waiting in the delivery queue"),
            outbound_deferred: counter_vec(
                "whatsapp_outbound_deferred_total",
                "Sends postponed by pacing or Meta's rate limits",
                &["reason"],
            ),
            accounts_paused: counter("whatsapp_accounts_paused_total", "Numbers paused after 190, 368 or 131031 (alert on any)"),
            messages_stuck: gauge("whatsapp_messages_stuck", "Outbound messages without a final status for over 24 h"),
            http_requests: counter_vec("http_requests_total", "HTTP requests", &["method", "route", "status"]),
            rate_limited: counter_vec("http_rate_limited_total", "API requests refused by a rate limit (shop, instance)", &["scope"]),
            auth_attempts: counter_vec("http_auth_attempts_total", "API key checks by result (ok, failed, throttled)", &["result"]),
            http_refused: counter_vec(
                "http_connections_refused_total",
                "Connections closed by the server's limits (connection_limit, header_timeout)",
                &["reason"],
            ),
            http_duration: hist("http_request_duration_seconds", "HTTP request latency", &["method", "route"], s_buckets.clone()),
            media_fetches: counter_vec(
                "whatsapp_media_fetches_total",
                "Customers' files fetched from Meta, by outcome (stored, retrying, failed, superseded: settled by another holder after this one's claim expired)",
                &["outcome"],
            ),
            media_backlog: gauge("whatsapp_media_backlog", "Customers' files waiting to be fetched from Meta"),
            turns: counter_vec("whatsapp_turns_total", "Customers' turns by outcome", &["outcome"]),
            turn_lag_seconds: plain_hist(
                "whatsapp_turn_lag_seconds",
                "From a customer's turn coming due (its burst's last message plus the quiet time) to its answer being queued",
                s_buckets.clone(),
            ),
            hook_attempts: counter_vec("whatsapp_webhook_deliveries_total", "Merchant webhook attempts by outcome", &["outcome"]),
            threads_waiting: gauge("whatsapp_threads_waiting", "Threads whose customer has waited for people for over 15 minutes"),
            live_polls: counter("whatsapp_live_polls_total", "Reads of the outbox by this replica's live feed"),
            stream_clients: gauge("whatsapp_stream_clients", "Clients of GET /api/v1/stream connected to this replica"),
            registry,
        };
        // Label sets are known up front: publish them at zero so dashboards see every series.
        for t in ["free", "template"] {
            m.messages_sent.with_label_values(&[t]);
        }
        for o in ["delivered", "retrying", "dead"] {
            m.hook_attempts.with_label_values(&[o]);
        }
        for o in ["answered", "unanswered", "people", "consent", "failed"] {
            m.turns.with_label_values(&[o]);
        }
        for o in ["stored", "retrying", "failed", "superseded"] {
            m.media_fetches.with_label_values(&[o]);
        }
        for r in ["closed", "expired"] {
            m.conversation_duration.with_label_values(&[r]);
        }
        for o in ["processed", "dead", "error"] {
            m.webhook_processing_ms.with_label_values(&[o]);
        }
        for r in ["shop", "instance"] {
            m.rate_limited.with_label_values(&[r]);
        }
        for r in ["ok", "failed", "throttled"] {
            m.auth_attempts.with_label_values(&[r]);
        }
        for r in ["connection_limit", "header_timeout"] {
            m.http_refused.with_label_values(&[r]);
        }
        for r in ["not_json", "not_whatsapp", "failed"] {
            m.webhook_dead_letters.with_label_values(&[r]);
        }
        for o in ["processed", "failed"] {
            m.webhook_batches.with_label_values(&[o]);
        }
        m.webhook_ack_seconds.with_label_values(&["200"]);
        for r in ["stored", "bad_signature", "store_failed", "too_large", "busy", "broken_body", "slow_body"] {
            m.webhook_requests.with_label_values(&[r]);
        }
        m
    }

    /// Publish the process's file memory (`MEDIA_MEMORY_BYTES`), read at each scrape.
    pub fn watch_file_memory(&self, memory: application::media::memory::FileMemory) {
        let gauge = must(prometheus::IntGaugeVec::new(
            Opts::new("whatsapp_media_memory_bytes", "Bytes of files held in memory now (held) and the process's budget (budget)"),
            &["state"],
        ));
        must(self.registry.register(Box::new(FileMemoryGauge { memory, gauge })));
    }

    /// Publish how many times each command ran again after a concurrent change.
    pub fn watch_pipeline(&self, pipeline: application::Pipeline) {
        let counter = must(prometheus::IntCounterVec::new(
            Opts::new(
                "whatsapp_command_reruns_total",
                "Commands run again after a concurrent change (a stale version, a deadlock, a key another transaction inserted)",
            ),
            &["command"],
        ));
        must(self.registry.register(Box::new(CommandReruns { pipeline, counter })));
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// `whatsapp_media_memory_bytes{state="held|budget"}`, computed when scraped.
/// `whatsapp_command_reruns_total{command}`: the pipeline's count, read at each scrape.
struct CommandReruns {
    pipeline: application::Pipeline,
    counter: prometheus::IntCounterVec,
}

impl prometheus::core::Collector for CommandReruns {
    fn desc(&self) -> Vec<&prometheus::core::Desc> {
        self.counter.desc()
    }

    fn collect(&self) -> Vec<prometheus::proto::MetricFamily> {
        for (command, n) in self.pipeline.reruns() {
            let c = self.counter.with_label_values(&[command]);
            c.inc_by(n.saturating_sub(c.get()));
        }
        self.counter.collect()
    }
}

struct FileMemoryGauge {
    memory: application::media::memory::FileMemory,
    gauge: prometheus::IntGaugeVec,
}

impl prometheus::core::Collector for FileMemoryGauge {
    fn desc(&self) -> Vec<&prometheus::core::Desc> {
        self.gauge.desc()
    }

    fn collect(&self) -> Vec<prometheus::proto::MetricFamily> {
        let total = self.memory.total();
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.gauge.with_label_values(&["held"]).set(clamp(total - self.memory.available()));
        self.gauge.with_label_values(&["budget"]).set(clamp(total));
        self.gauge.collect()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// `/api/v1/messages/0193…` → `/api/v1/messages/:id`, so routes have bounded cardinality.
/// The route of a request that matched no API operation, from a closed set.
pub fn route_label(path: &str) -> &'static str {
    match path {
        "/webhooks/whatsapp" => "/webhooks/whatsapp",
        "/health/live" => "/health/live",
        "/health/ready" => "/health/ready",
        "/metrics" => "/metrics",
        "/openapi.json" => "/openapi.json",
        p if p == "/docs" || p.starts_with("/docs/") => "/docs",
        p if p.starts_with("/sandbox/") => "/sandbox",
        p if p == "/console" || p.starts_with("/console/") => "/console",
        p if p.starts_with("/api/") => "/api (unmatched)",
        _ => "(unmatched)",
    }
}

/// HTTP methods, from a closed set.
pub fn method_label(m: &poem::http::Method) -> &'static str {
    use poem::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_come_from_closed_sets() {
        assert_eq!(super::route_label("/api/v1/messages/0193a4b2-1111-7000-8000-000000000000/nope"), "/api (unmatched)");
        assert_eq!(super::route_label("/sandbox/graph/v24.0/106540352242922/messages"), "/sandbox");
        assert_eq!(super::route_label("/console/console.js"), "/console");
        assert_eq!(super::route_label("/wp-admin.php"), "(unmatched)");
        let odd = poem::http::Method::from_bytes(b"FOO").unwrap();
        assert_eq!(super::method_label(&odd), "OTHER");
        assert_eq!(super::method_label(&poem::http::Method::TRACE), "OTHER");
    }
}
