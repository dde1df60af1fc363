//! Starting the libuv thread pool from the thread and namespace that load the package.

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Result, Task};
use napi_derive::napi;

/// A job that does nothing; queueing it makes libuv create every pool thread now.
pub struct NoopJob;

impl Task for NoopJob {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> Result<()> {
        Ok(())
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
    }
}

/// Queues a no-op job on the libuv pool, so its threads are created in the namespace of the
/// calling thread now, never later from inside another namespace.
#[napi]
pub fn warm_thread_pool() -> AsyncTask<NoopJob> {
    AsyncTask::new(NoopJob)
}
