//! CPU-bound work — parsing and serialising RDF, evaluating patches — runs here, on a bounded
//! number of blocking threads, so that no request can hold an async worker (and every request
//! queued behind it) while it computes.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::error::PodError;

/// A bounded pool of blocking threads, shared by every request of one server.
#[derive(Debug, Clone)]
pub struct Work {
    permits: Arc<Semaphore>,
}

impl Work {
    /// A pool that runs at most `threads` jobs at once (at least one); the others wait their turn.
    pub fn new(threads: usize) -> Self {
        Work {
            permits: Arc::new(Semaphore::new(threads.max(1))),
        }
    }

    /// Runs `job` on a blocking thread once a slot is free, and returns its result.
    pub async fn run<T, F>(&self, job: F) -> Result<T, PodError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PodError::Worker("the work pool is closed".into()))?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|e| PodError::Worker(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_off_the_calling_thread_and_return_their_result() {
        let work = Work::new(1);
        let caller = std::thread::current().id();
        let (id, n) = work
            .run(|| (std::thread::current().id(), 6 * 7))
            .await
            .unwrap();
        assert_eq!(n, 42);
        assert_ne!(id, caller);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_not_a_crash() {
        let work = Work::new(1);
        let err = work.run(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert!(matches!(err, PodError::Worker(_)), "{err}");
        assert_eq!(work.run(|| 1).await.unwrap(), 1);
    }
}
