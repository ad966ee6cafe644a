//! The accept loop: HTTP/1.1 connections with a header-read timeout, at
//! most `--max-connections` at once, and a graceful shutdown.
//!
//! `axum::serve` sets no header timeout (a client that opens connections
//! and sends a header byte now and then would hold them forever) and
//! accepts without bound, so checkoutd accepts itself:
//! - a connection is only accepted while fewer than `max_connections` are
//!   open; the others wait in the kernel's listen backlog, so a flood
//!   cannot exhaust file descriptors or memory;
//! - hyper closes a connection that does not deliver a request's headers
//!   within `header_timeout`, which also bounds how long an idle keep-alive
//!   connection is kept;
//! - on shutdown, the listener closes, idle connections close, and
//!   requests in flight finish before [`serve`] returns.

use crate::app::Limits;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt};

/// Serve `app` on `listener` until `shutdown` resolves, then finish the
/// requests in flight.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // hyper's body in axum's `Body`, as a `Router` would wrap it.
        let service = TowerToHyperService::new(
            app.clone()
                .map_request(|req: hyper::Request<Incoming>| req.map(Body::new)),
        );
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Errors of `accept` concern one connection (reset before it was taken)
/// or a momentary shortage (file descriptors): log, pause briefly, go on.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionAborted
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionRefused => {}
        _ => {
            tracing::warn!(error = %e, "accept failed; pausing");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
