//! `TCP_NODELAY` on the Postgres connections.
//!
//! sqlx 0.9.0 opens its TCP sockets with Nagle's algorithm on (launchbadge/sqlx#4335): a
//! statement larger than the socket's first send goes out in two writes, and the second waits
//! for the server's delayed ACK, 40 ms. An import spent a third of its time in those waits
//! (docs/BENCHMARKS.md: 75.7 s over TCP, 49.5 s over a Unix socket). sqlx gives no access to its
//! socket, so once a connection is open we find it among the process's descriptors by its local
//! port (the server's `inet_client_port()`), take a duplicate with `pidfd_getfd` (the same
//! socket) and set the option on it. Remove when sqlx sets `TCP_NODELAY` itself (ADR 8).

use sea_orm::sqlx::PgConnection;

/// Set `TCP_NODELAY` on `conn`'s socket. A Unix-socket connection has nothing to set; a failure
/// is logged and the connection used as it is (slower, never wrong).
pub(crate) async fn set_on(conn: &mut PgConnection) -> Result<(), sea_orm::sqlx::Error> {
    let port: Option<i32> = sea_orm::sqlx::query_scalar("SELECT inet_client_port()").fetch_one(&mut *conn).await?;
    if let Some(port) = port.and_then(|p| u16::try_from(p).ok()) {
        match set_for_local_port(port) {
            Ok(true) => {}
            Ok(false) => tracing::warn!(port, "no socket found for a Postgres connection; TCP_NODELAY not set"),
            Err(e) => tracing::warn!(port, error = %application::Chain(&e), "TCP_NODELAY not set on a Postgres connection"),
        }
    }
    Ok(())
}

/// Whether a TCP socket of this process bound to local `port` was found (and set).
#[cfg(target_os = "linux")]
pub(crate) fn set_for_local_port(port: u16) -> std::io::Result<bool> {
    with_local_port(port, |fd| rustix::net::sockopt::set_tcp_nodelay(fd, true))
}

/// Whether the TCP socket bound to local `port` has `TCP_NODELAY` (None: no such socket).
#[cfg(target_os = "linux")]
pub fn nodelay_of_local_port(port: u16) -> std::io::Result<Option<bool>> {
    let mut out = None;
    with_local_port(port, |fd| {
        out = Some(rustix::net::sockopt::tcp_nodelay(fd)?);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(target_os = "linux")]
fn with_local_port(port: u16, mut f: impl FnMut(&rustix::fd::OwnedFd) -> rustix::io::Result<()>) -> std::io::Result<bool> {
    use rustix::net::{SocketType, getpeername, getsockname, sockopt};
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
    let pidfd = pidfd_open(getpid(), PidfdFlags::empty())?;
    let mut found = false;
    for entry in std::fs::read_dir("/proc/self/fd")?.flatten() {
        let Some(n) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        // A descriptor closed since the listing, or not a socket, is skipped.
        let Ok(fd) = pidfd_getfd(&pidfd, n, PidfdGetfdFlags::empty()) else { continue };
        let local = getsockname(&fd).ok().and_then(|a| std::net::SocketAddr::try_from(a).ok());
        let connected = matches!(getpeername(&fd), Ok(Some(_)));
        if local.map(|a| a.port()) == Some(port) && connected && sockopt::socket_type(&fd) == Ok(SocketType::STREAM) {
            f(&fd)?;
            found = true;
        }
    }
    Ok(found)
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn set_for_local_port(_port: u16) -> std::io::Result<bool> {
    Ok(true)
}
