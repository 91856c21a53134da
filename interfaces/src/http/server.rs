//! The HTTP server: hyper with a timer, so that a client cannot hold a connection without
//! sending a request, a cap on open connections, and a graceful drain after shutdown that ends
//! at a deadline.
//!
//! `axum::serve` installs no timer: a connection that sends half a request head and stops is
//! held forever, and graceful shutdown then waits for it forever.

use std::{convert::Infallible, future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, body::Body, extract::ConnectInfo, http::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
};
use tower::ServiceExt;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// A request head must arrive whole within this long of the connection becoming ready for
    /// one; the same timer closes a keep-alive connection left idle for as long.
    pub header_read_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// After shutdown is requested, in-flight requests get this long to finish; connections
    /// still open then are closed.
    pub drain_deadline: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(15),
            max_connections: 4096,
            drain_deadline: Duration::from_secs(20),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains (see [`ServerConfig`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    // Dropping the sender tells every connection to finish its request and close; each
    // connection holds a receiver, so `closed()` on the sender resolves when all are gone.
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: not fatal.
                    tracing::warn!(error = %e, "accept failed; retrying shortly");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let lease = ConnectionLease { _permit: Arc::new(permit), stop: stop_rx.clone() };
        let header_read_timeout = config.header_read_timeout;
        tokio::spawn(serve_connection(stream, remote, router, header_read_timeout, lease));
    }
    drop(listener);
    drop(stop_rx);
    let open = config.max_connections.max(1) - connections.available_permits();
    tracing::info!(open, "shutdown: draining open connections");
    let stop_tx = stop_tx;
    let drained = tokio::time::timeout(config.drain_deadline, async {
        // Signal every connection, then wait until each has dropped its receiver.
        stop_tx.send_replace(());
        stop_tx.closed().await;
    })
    .await;
    if drained.is_err() {
        let open = config.max_connections.max(1) - connections.available_permits();
        tracing::warn!(open, deadline_s = config.drain_deadline.as_secs(), "drain deadline passed; closing the rest");
    }
    Ok(())
}

/// A connection's place under `max_connections` and its line to the shutdown signal. Every
/// request of the connection carries a clone, so that a WebSocket taken over from it keeps both:
/// after the upgrade hyper is done with the connection, but the socket still counts as open and
/// the drain still waits for it.
#[derive(Clone)]
pub(crate) struct ConnectionLease {
    _permit: Arc<OwnedSemaphorePermit>,
    stop: watch::Receiver<()>,
}

impl ConnectionLease {
    /// Resolves once shutdown has been requested.
    pub(crate) async fn stopping(&self) {
        let mut stop = self.stop.clone();
        // An error means the server is gone altogether, which is a stop too.
        let _ = stop.changed().await;
    }
}

async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    header_read_timeout: Duration,
    lease: ConnectionLease,
) {
    let _ = stream.set_nodelay(true);
    let mut stop = lease.stop.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        request.extensions_mut().insert(lease.clone());
        let router = router.clone();
        async move { Ok::<_, Infallible>(router.oneshot(request.map(Body::new)).await.unwrap_or_else(|e| match e {})) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(header_read_timeout))
        .keep_alive_timeout(header_read_timeout)
        .enable_connect_protocol();
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(connection);
    // Marks the current value seen, so that `changed` waits for the shutdown signal.
    stop.borrow_and_update();
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, %remote, "connection ended with an error");
            }
            return;
        }
        _ = stop.changed() => {}
    }
    connection.as_mut().graceful_shutdown();
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, %remote, "connection ended with an error while draining");
    }
}
