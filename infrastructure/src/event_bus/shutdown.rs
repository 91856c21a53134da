use std::future::Future;
use std::pin::Pin;

/// The caller's shutdown signal, raced against each wait of a loop (a blocking read, a
/// backoff) so the loop ends promptly; work already in hand is not raced, so it ends cleanly.
pub(super) struct Shutdown {
    signal: Pin<Box<dyn Future<Output = ()> + Send>>,
    fired: bool,
}

impl Shutdown {
    pub(super) fn new(signal: impl Future<Output = ()> + Send + 'static) -> Shutdown {
        Shutdown { signal: Box::pin(signal), fired: false }
    }

    /// `work`'s output, or `None` when shutdown came first (now or earlier).
    pub(super) async fn unless_fired<T>(&mut self, work: impl Future<Output = T>) -> Option<T> {
        if self.fired {
            return None;
        }
        tokio::select! {
            biased;
            () = &mut self.signal => {
                // A finished future must not be polled again.
                self.fired = true;
                None
            }
            output = work => Some(output),
        }
    }

    pub(super) async fn sleep(&mut self, wait: std::time::Duration) -> Option<()> {
        self.unless_fired(tokio::time::sleep(wait)).await
    }
}

impl Shutdown {
    /// Whether shutdown has come, without waiting: checked between pieces of work in hand.
    pub(super) async fn has_fired(&mut self) -> bool {
        self.unless_fired(std::future::ready(())).await.is_none()
    }
}

/// Whether a loop goes on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    Stop,
}
