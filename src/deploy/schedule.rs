//! Many stacks at once: the selected stacks grouped by environment (one set of clients and
//! one caller identity each), and a walk over their dependency graph that runs independent
//! stacks together within two bounds, overall and per environment.
//!
//! Each running stack goes through the same per-stack path as before, in an engine of its
//! own (its environment's clients) whose observer forwards to the caller's one observer:
//! events of concurrent stacks interleave, questions are asked one at a time. Everything
//! runs on the caller's task (no spawning, no `Send`): the futures are polled together.
//!
//! The first failure stops new stacks from starting; stacks already running are watched to
//! the end (done, or rolled back), and their results are reported.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use super::error::DeployError;
use super::event::{Event, Identity, Observer, Question, StackReport};
use super::preflight::check_environment;
use super::transport::Clients;
use super::Engine;
use crate::assembly::LoadedStack;

/// One stack of a walk.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Its environment (the per-environment bound counts by this).
    pub(crate) environment: Option<String>,
    /// Nodes that must be done first (indices).
    pub(crate) after: Vec<usize>,
}

/// The bounds of a walk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) overall: usize,
    pub(crate) per_environment: Option<usize>,
}

type Job<'f, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + 'f>>;

/// Runs every node whose predecessors are done, at most `bounds` at once, in node order
/// among the ready ones. After the first error no node starts; running ones finish. Returns
/// each node's result (`None`: not started).
pub(crate) async fn walk<'f, T, E>(
    nodes: &[Node],
    bounds: Bounds,
    mut start: impl FnMut(usize) -> Job<'f, T, E>,
) -> Vec<Option<Result<T, E>>> {
    let overall = bounds.overall.max(1);
    let per_env = bounds.per_environment.map(|n| n.max(1));
    let mut results: Vec<Option<Result<T, E>>> = nodes.iter().map(|_| None).collect();
    let mut started = vec![false; nodes.len()];
    let mut running: Vec<(usize, Job<'f, T, E>)> = Vec::new();
    let mut stopped = false;
    loop {
        if !stopped {
            for i in 0..nodes.len() {
                if running.len() >= overall {
                    break;
                }
                let ready = !started[i]
                    && nodes[i]
                        .after
                        .iter()
                        .all(|&d| matches!(results.get(d), Some(Some(Ok(_)))));
                let env_busy = per_env.is_some_and(|cap| {
                    running
                        .iter()
                        .filter(|(j, _)| nodes[*j].environment == nodes[i].environment)
                        .count()
                        >= cap
                });
                if ready && !env_busy {
                    started[i] = true;
                    running.push((i, start(i)));
                }
            }
        }
        if running.is_empty() {
            return results;
        }
        let (k, result) = poll_fn(|cx| {
            for (k, (_, job)) in running.iter_mut().enumerate() {
                if let Poll::Ready(r) = job.as_mut().poll(cx) {
                    return Poll::Ready((k, r));
                }
            }
            Poll::Pending
        })
        .await;
        let (i, _) = running.remove(k);
        stopped |= result.is_err();
        results[i] = Some(result);
    }
}

/// An observer shared by the engines of concurrent stacks.
struct Shared<'c, 'o>(&'c RefCell<&'o mut dyn Observer>);

impl Observer for Shared<'_, '_> {
    fn event(&mut self, e: &Event) {
        self.0.borrow_mut().event(e);
    }
    fn confirm(&mut self, q: &Question) -> Option<bool> {
        self.0.borrow_mut().confirm(q)
    }
}

/// The stacks of one set of clients: an environment with clients of its own, or the
/// engine's default clients (`key: None`).
pub(crate) struct Group {
    pub(crate) key: Option<String>,
    pub(crate) clients: Clients,
    pub(crate) identity: Identity,
}

/// What a concurrent run does to one stack.
pub(crate) enum Work<'a> {
    /// Deploy it (with the account of its environment, for the staging bucket).
    Deploy(&'a LoadedStack, String),
    /// Delete it: the stack name and id.
    Delete(String, String),
}

impl<'o> Engine<'o> {
    /// The clients for a stack of `environment`: the environment's own, or the default ones.
    pub(crate) fn group_key(&self, environment: Option<&str>) -> Option<String> {
        environment
            .filter(|e| self.environments.contains_key(*e))
            .map(str::to_owned)
    }

    fn clients_of(&self, key: Option<&str>) -> Clients {
        key.and_then(|k| self.environments.get(k))
            .unwrap_or(&self.clients)
            .clone()
    }

    /// An engine for other clients, sharing this one's observer and options.
    pub(crate) fn child(&mut self, clients: Clients) -> Engine<'_> {
        Engine {
            clients,
            options: self.options.clone(),
            observer: &mut *self.observer,
            app_stacks: self.app_stacks.clone(),
            environments: BTreeMap::new(),
        }
    }

    /// The identity of every set of clients the stacks use (default clients first), each
    /// stack checked against its pinned account and region.
    pub(crate) async fn groups(
        &mut self,
        stacks: &[&LoadedStack],
    ) -> Result<Vec<Group>, DeployError> {
        let mut keys: Vec<Option<String>> = Vec::new();
        for s in stacks {
            let k = self.group_key(s.entry.environment.as_deref());
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys.sort_by_key(|k| k.is_some());
        if keys.is_empty() {
            keys.push(None);
        }
        let mut groups = Vec::new();
        for key in keys {
            let clients = self.clients_of(key.as_deref());
            let identity = self.child(clients.clone()).identity().await?;
            for s in stacks {
                if self.group_key(s.entry.environment.as_deref()) == key {
                    check_environment(s, &identity)?;
                }
            }
            groups.push(Group {
                key,
                clients,
                identity,
            });
        }
        Ok(groups)
    }

    /// Runs `work` over the walk of `nodes`, each in an engine with its group's clients;
    /// emits each [`Event::Finished`], and [`Event::Halted`] when a run of several stacks
    /// had a failure. Returns the reports of the stacks that succeeded, or the first error.
    pub(crate) async fn run_concurrently(
        &mut self,
        work: Vec<(Work<'_>, Option<String>)>,
        nodes: Vec<Node>,
    ) -> (Vec<StackReport>, Option<DeployError>) {
        let bounds = Bounds {
            overall: self.options.concurrency,
            per_environment: self.options.environment_concurrency,
        };
        let clients: Vec<Clients> = work
            .iter()
            .map(|(_, key)| self.clients_of(key.as_deref()))
            .collect();
        let names: Vec<String> = work
            .iter()
            .map(|(w, _)| match w {
                Work::Deploy(s, _) => s.entry.name.clone(),
                Work::Delete(name, _) => name.clone(),
            })
            .collect();
        let options = self.options.clone();
        let app_stacks = self.app_stacks.clone();
        let results = {
            let cell: RefCell<&mut dyn Observer> = RefCell::new(&mut *self.observer);
            let cell = &cell;
            let work = &work;
            let clients = &clients;
            let options = &options;
            let app_stacks = &app_stacks;
            walk(&nodes, bounds, |i| {
                Box::pin(async move {
                    let mut shared = Shared(cell);
                    let mut engine = Engine {
                        clients: clients[i].clone(),
                        options: options.clone(),
                        observer: &mut shared,
                        app_stacks: app_stacks.clone(),
                        environments: BTreeMap::new(),
                    };
                    let report = match &work[i].0 {
                        Work::Deploy(s, account) => engine.deploy_stack(s, account).await,
                        Work::Delete(name, id) => engine.delete_one(name, id).await,
                    }?;
                    engine.emit(Event::Finished(report.clone()));
                    Ok::<_, DeployError>(report)
                })
            })
            .await
        };
        let mut reports = Vec::new();
        let mut first_error = None;
        let mut failed = Vec::new();
        let mut not_started = Vec::new();
        for (name, r) in names.iter().zip(results) {
            match r {
                Some(Ok(report)) => reports.push(report),
                Some(Err(e)) => {
                    failed.push((name.clone(), e.to_string()));
                    first_error.get_or_insert(e);
                }
                None => not_started.push(name.clone()),
            }
        }
        if !failed.is_empty() && names.len() > 1 {
            self.emit(Event::Halted {
                failed,
                not_started,
            });
        }
        (reports, first_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn node(env: &str, after: &[usize]) -> Node {
        Node {
            environment: Some(env.to_owned()),
            after: after.to_vec(),
        }
    }

    /// Runs a walk where node `i` yields `ticks[i]` times (deterministic: no clock) and fails if `fail[i]`; returns
    /// the log of starts and ends, and the results.
    fn run(
        nodes: &[Node],
        bounds: Bounds,
        ticks: &[u32],
        fail: &[bool],
    ) -> (Vec<String>, Vec<Option<Result<(), ()>>>) {
        let log = RefCell::new(Vec::new());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let results = rt.block_on(walk(nodes, bounds, |i| {
            let log = &log;
            let (n, f) = (ticks[i], fail[i]);
            Box::pin(async move {
                log.borrow_mut().push(format!("start {i}"));
                for _ in 0..n {
                    tokio::task::yield_now().await;
                }
                log.borrow_mut().push(format!("end {i}"));
                if f {
                    Err(())
                } else {
                    Ok(())
                }
            })
        }));
        (log.into_inner(), results)
    }

    #[test]
    fn independent_nodes_run_two_at_a_time_and_dependencies_wait() {
        let nodes = [
            node("a", &[]),
            node("a", &[]),
            node("a", &[]),
            node("a", &[0]),
        ];
        let bounds = Bounds {
            overall: 2,
            per_environment: None,
        };
        let (log, results) = run(&nodes, bounds, &[3, 1, 1, 1], &[false; 4]);
        assert_eq!(
            log,
            ["start 0", "start 1", "end 1", "start 2", "end 0", "end 2", "start 3", "end 3"]
        );
        assert!(results.iter().all(|r| matches!(r, Some(Ok(())))));
    }

    #[test]
    fn a_failure_stops_new_starts_and_running_nodes_finish() {
        let nodes = [
            node("a", &[]),
            node("a", &[]),
            node("a", &[]),
            node("a", &[]),
        ];
        let bounds = Bounds {
            overall: 2,
            per_environment: None,
        };
        let (log, results) = run(&nodes, bounds, &[1, 3, 1, 1], &[true, false, false, false]);
        assert_eq!(log, ["start 0", "start 1", "end 0", "end 1"]);
        assert!(matches!(results[0], Some(Err(()))));
        assert!(matches!(results[1], Some(Ok(()))));
        assert!(results[2].is_none() && results[3].is_none());
    }

    #[test]
    fn the_environment_bound_holds_within_the_overall_one() {
        let nodes = [
            node("a", &[]),
            node("a", &[]),
            node("b", &[]),
            node("b", &[]),
        ];
        let bounds = Bounds {
            overall: 3,
            per_environment: Some(1),
        };
        let (log, _) = run(&nodes, bounds, &[2, 1, 3, 1], &[false; 4]);
        // One per environment at once: 0 and 2 first; 1 after 0, 3 after 2.
        assert_eq!(
            log,
            ["start 0", "start 2", "end 0", "start 1", "end 2", "end 1", "start 3", "end 3"]
        );
    }
}
