//! Connections that strangers cannot hold: at most `HTTP_MAX_CONNECTIONS` at once (more are
//! closed at accept), and a request head (line and headers) must arrive within
//! `HTTP_HEADER_TIMEOUT_MS` of its first byte, or of the connection's start. Idle keep-alives
//! are closed by the server's idle timeout, and bodies by the handlers' body timeout.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use prometheus::IntCounterVec;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

pub struct GuardedAcceptor<A> {
    inner: A,
    slots: Arc<Semaphore>,
    header_timeout: Duration,
    refused: IntCounterVec,
}

impl<A: Acceptor> GuardedAcceptor<A> {
    pub fn new(inner: A, max_connections: usize, header_timeout: Duration, refused: IntCounterVec) -> Self {
        Self { inner, slots: Arc::new(Semaphore::new(max_connections)), header_timeout, refused }
    }
}

impl<A: Acceptor> Acceptor for GuardedAcceptor<A> {
    type Io = GuardedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> std::io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            let (io, local, remote, scheme) = self.inner.accept().await?;
            match self.slots.clone().try_acquire_owned() {
                Ok(permit) => return Ok((GuardedIo::new(io, permit, self.header_timeout, self.refused.clone()), local, remote, scheme)),
                Err(_) => {
                    self.refused.with_label_values(&["connection_limit"]).inc();
                    drop(io);
                }
            }
        }
    }
}

pub struct GuardedIo<Io> {
    inner: Io,
    _slot: OwnedSemaphorePermit,
    header_timeout: Duration,
    /// Running while a request head is awaited and has started (or the connection is new).
    deadline: Option<Pin<Box<Sleep>>>,
    in_head: bool,
    /// The last bytes read, to find "\r\n\r\n" across reads.
    tail: u32,
    refused: IntCounterVec,
}

impl<Io> GuardedIo<Io> {
    fn new(inner: Io, slot: OwnedSemaphorePermit, header_timeout: Duration, refused: IntCounterVec) -> Self {
        Self {
            inner,
            _slot: slot,
            header_timeout,
            deadline: Some(Box::pin(tokio::time::sleep(header_timeout))),
            in_head: true,
            tail: 0,
            refused,
        }
    }

    fn saw(&mut self, bytes: &[u8]) {
        if !self.in_head {
            return;
        }
        if self.deadline.is_none() {
            self.deadline = Some(Box::pin(tokio::time::sleep(self.header_timeout)));
        }
        for b in bytes {
            self.tail = (self.tail << 8) | u32::from(*b);
            if self.tail == u32::from_be_bytes(*b"\r\n\r\n") {
                self.in_head = false;
                self.deadline = None;
                return;
            }
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for GuardedIo<Io> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        if let Some(d) = self.deadline.as_mut()
            && d.as_mut().poll(cx).is_ready()
        {
            self.refused.with_label_values(&["header_timeout"]).inc();
            return Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "request head not received in time")));
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if self.in_head
            && let Poll::Ready(Ok(())) = &r
        {
            let new = buf.filled()[before..].to_vec();
            self.saw(&new);
        }
        r
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for GuardedIo<Io> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        // An answer is going out: the next bytes read begin the next request's head.
        self.in_head = true;
        self.deadline = None;
        self.tail = 0;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        self.in_head = true;
        self.deadline = None;
        self.tail = 0;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
