//! Reading a request body within limits, for the webhook endpoint and the `/api/v1` front door:
//! at most `max` bytes (a declared larger `Content-Length` is refused before reading), within
//! `timeout`, and each chunk shown to `each` before it is kept (to charge it to a budget).

use std::time::Duration;

use poem::{Body, Request};

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRefusal {
    TooLarge,
    /// `each` refused a chunk (a budget is spent).
    Busy,
    Broken,
    Slow,
}

pub async fn read_capped(
    req: &Request,
    body: Body,
    max: usize,
    timeout: Duration,
    mut each: impl FnMut(usize) -> Result<(), BodyRefusal>,
) -> Result<Vec<u8>, BodyRefusal> {
    use futures_util::StreamExt;
    let declared = req.header("content-length").and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(BodyRefusal::TooLarge);
    }
    let read = async {
        let mut out = Vec::with_capacity(declared.unwrap_or(0).min(64 * 1024));
        let mut stream = body.into_bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| BodyRefusal::Broken)?;
            if out.len() + chunk.len() > max {
                return Err(BodyRefusal::TooLarge);
            }
            each(chunk.len())?;
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    };
    tokio::time::timeout(timeout, read).await.unwrap_or(Err(BodyRefusal::Slow))
}
