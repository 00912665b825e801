//! Core tasks supervised together, as `run`, the node controller and the
//! pod controller each keep theirs: all on one cancellation token, a task
//! that ends while the group runs is reported (and stops the rest), a task
//! that panics takes the panic to the caller, and stopping waits for every
//! task or aborts them.

use std::future::Future;

use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

/// Named tasks whose outputs are `T`, cancelled by one token.
#[derive(Debug)]
pub struct TaskGroup<T> {
    token: CancellationToken,
    tasks: JoinSet<(&'static str, T)>,
}

impl<T: Send + 'static> TaskGroup<T> {
    /// An empty group stopped by `token` (give it a child token of its
    /// owner's, so that stopping the group stops nothing else).
    pub fn new(token: CancellationToken) -> Self {
        Self {
            token,
            tasks: JoinSet::new(),
        }
    }

    /// The group's token, for its tasks to stop on.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Runs `task` (instrument it with its span first) as `name`.
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = T> + Send + 'static) {
        self.tasks.spawn(async move { (name, task.await) });
    }

    /// Waits until the group's token is cancelled (`None`) or a task ends
    /// while it is not: then the task's name and output, which for a core
    /// task means something went wrong.
    pub async fn first_unexpected_end(&mut self) -> Option<(&'static str, T)> {
        loop {
            let ended = tokio::select! {
                () = self.token.cancelled() => return None,
                // Without tasks left this branch is off: the token decides.
                Some(ended) = self.tasks.join_next() => ended,
            };
            if let Some(ended) = finished(ended)
                && !self.token.is_cancelled()
            {
                return Some(ended);
            }
        }
    }

    /// Cancels the group and waits for every task, handing each output to
    /// `each` as it ends.
    pub async fn stop(mut self, mut each: impl FnMut(&'static str, T)) {
        self.token.cancel();
        while let Some(ended) = self.tasks.join_next().await {
            if let Some((name, output)) = finished(ended) {
                each(name, output);
            }
        }
    }

    /// Cancels the group and aborts its tasks, for tasks with nothing in
    /// flight worth finishing.
    pub async fn abort(mut self) {
        self.token.cancel();
        self.tasks.abort_all();
        while let Some(ended) = self.tasks.join_next().await {
            finished(ended);
        }
    }
}

/// The output of a task that returned; a panic goes on to the caller, an
/// aborted task has none.
fn finished<T>(ended: Result<T, JoinError>) -> Option<T> {
    match ended {
        Ok(output) => Some(output),
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    /// A task that runs until the group's token is cancelled, then says so.
    fn until_cancelled(
        token: &CancellationToken,
        stopped: &Arc<Mutex<Vec<&'static str>>>,
        name: &'static str,
    ) -> impl Future<Output = u32> + Send + 'static {
        let token = token.clone();
        let stopped = Arc::clone(stopped);
        async move {
            token.cancelled().await;
            stopped.lock().expect("lock").push(name);
            0
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_ends_is_reported_and_stops_the_rest() {
        let stopped = Arc::new(Mutex::new(Vec::new()));
        let mut group = TaskGroup::new(CancellationToken::new());
        let token = group.token().clone();
        group.spawn("a", until_cancelled(&token, &stopped, "a"));
        group.spawn("b", until_cancelled(&token, &stopped, "b"));
        group.spawn("quits", async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            7
        });
        let ended = tokio::time::timeout(Duration::from_secs(5), group.first_unexpected_end())
            .await
            .expect("the quitting task is seen within 5 s");
        assert_eq!(ended, Some(("quits", 7)));
        let mut outputs = Vec::new();
        group
            .stop(|name, output| outputs.push((name, output)))
            .await;
        assert!(token.is_cancelled());
        outputs.sort_unstable();
        assert_eq!(outputs, [("a", 0), ("b", 0)]);
        let mut stopped = stopped.lock().expect("lock").clone();
        stopped.sort_unstable();
        assert_eq!(stopped, ["a", "b"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_owner_is_no_unexpected_end() {
        let owner = CancellationToken::new();
        let stopped = Arc::new(Mutex::new(Vec::new()));
        let mut group = TaskGroup::new(owner.child_token());
        let token = group.token().clone();
        group.spawn("a", until_cancelled(&token, &stopped, "a"));
        owner.cancel();
        assert_eq!(group.first_unexpected_end().await, None);
        group.stop(|_, _| {}).await;
        assert_eq!(*stopped.lock().expect("lock"), ["a"]);
    }

    #[tokio::test(start_paused = true)]
    async fn abort_does_not_wait_for_tasks_that_ignore_the_token() {
        let mut group = TaskGroup::new(CancellationToken::new());
        group.spawn("stuck", std::future::pending::<()>());
        tokio::time::timeout(Duration::from_secs(5), group.abort())
            .await
            .expect("aborting returns at once");
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "a bug")]
    async fn a_panic_reaches_the_owner() {
        let mut group = TaskGroup::new(CancellationToken::new());
        group.spawn("buggy", async { panic!("a bug") });
        group.first_unexpected_end().await;
    }
}
