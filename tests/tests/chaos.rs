//! Chaos: pods created and deleted continuously against the real vk-host
//! and mock plugin on a private control plane, while the plugin is
//! SIGKILLed again and again, vk-host is SIGKILLed and restarted at once,
//! and kube-apiserver restarts. After each fault the API and the plugin
//! must agree again: no pod lost, duplicated, orphaned or stuck, and every
//! pod the plugin lost `Failed` with reason `ProviderLost`, as the protocol
//! says. Prints the time to that agreement after each fault: from the
//! fault (for the API server, from when it answers again) to the first
//! check that finds it, checks starting when the fault's churn ends.
//!
//! One round of each fault by default (about a minute, in CI); soak runs
//! raise it (scripts/chaos.sh): `VK_CHAOS_ROUNDS` (rounds, default 1),
//! `VK_CHAOS_MINUTES` (keep starting rounds until this long has passed),
//! `VK_CHAOS_PODS` (pods created per fault, default 8).

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use vk_tests::cluster::{Cluster, process_alive, wait_for_ok};
use vk_tests::mock_node::{MockNode, consistent, phase, reason};
use vk_tests::virtual_node::NodeSetup;

/// Plugin restarts back off from 1 s; capped here so that a soak run's
/// hundreds of kills measure recovery, not a 60 s backoff.
const PLUGIN_MAX_BACKOFF: &str = "2s";
/// SIGKILLs of the plugin per round.
const PLUGIN_KILLS: usize = 3;
/// How long the API and the plugin may take to agree after a fault: far
/// more than they need, for a loaded 2-core machine.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one create or delete keeps retrying (through an API server
/// restart).
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?}: expected a whole number")),
        Err(_) => default,
    }
}

/// The pods the test created and deleted, by name.
#[derive(Debug, Default)]
struct Ledger {
    live: Vec<String>,
    deleted: BTreeSet<String>,
    next: usize,
}

fn pod(name: &str, namespace: &str, node: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "nodeName": node,
            "tolerations": [{"key": "virtual-kubelet.io/provider", "operator": "Exists"}],
            "containers": [{"name": "main", "image": "busybox", "command": ["sleep", "3600"]}],
        },
    }))
    .expect("a pod")
}

/// Creates pod `name`, retrying while the API server is away; a 409 means
/// an earlier attempt got through.
async fn create(api: &Api<Pod>, pod: &Pod) {
    let name = pod.metadata.name.clone().unwrap_or_default();
    wait_for_ok(
        CALL_TIMEOUT,
        &format!("creating pod {name}"),
        async || match api.create(&PostParams::default(), pod).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
            Err(e) => Err(e.to_string()),
        },
    )
    .await;
}

/// Deletes pod `name` (gracefully), retrying while the API server is away.
async fn delete(api: &Api<Pod>, name: &str) {
    wait_for_ok(
        CALL_TIMEOUT,
        &format!("deleting pod {name}"),
        async || match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e.to_string()),
        },
    )
    .await;
}

/// Creates `count` pods one after another and deletes the oldest live one
/// after every second create.
async fn churn(api: &Api<Pod>, ledger: &mut Ledger, namespace: &str, node: &str, count: usize) {
    for i in 0..count {
        let name = format!("chaos-{}", ledger.next);
        ledger.next += 1;
        create(api, &pod(&name, namespace, node)).await;
        ledger.live.push(name);
        if i % 2 == 1 {
            let victim = ledger.live.remove(0);
            delete(api, &victim).await;
            ledger.deleted.insert(victim);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The API, the plugin and the ledger agree: [`consistent`], every
/// terminal pod lost by the plugin (`ProviderLost`), every pod created and
/// not deleted still there, every deleted one gone. With `listing_after`,
/// the plugin's listing must have been written since (by the plugin started
/// after the fault), and no killed plugin may still run.
async fn agreement(
    api: &Api<Pod>,
    node: &MockNode,
    ledger: &Ledger,
    listing_after: Option<SystemTime>,
    killed: &[u32],
) -> Result<(usize, usize), String> {
    if let Some(pid) = killed.iter().find(|pid| process_alive(**pid)) {
        return Err(format!("the killed plugin {pid} still runs"));
    }
    if let Some(since) = listing_after {
        let written = std::fs::metadata(&node.pods_file)
            .and_then(|m| m.modified())
            .map_err(|e| format!("no listing from the plugin: {e}"))?;
        if written < since {
            return Err("the plugin's listing predates the fault".into());
        }
    }
    let pods = api
        .list(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?
        .items;
    let (running, lost) = consistent(&pods, &node.plugin_pods())?;
    let mut names = BTreeSet::new();
    for pod in &pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        if matches!(phase(pod), "Failed" | "Succeeded") && reason(pod) != "ProviderLost" {
            return Err(format!(
                "{name} is {} with reason {:?}, not ProviderLost",
                phase(pod),
                reason(pod)
            ));
        }
        names.insert(name);
    }
    if let Some(missing) = ledger.live.iter().find(|name| !names.contains(*name)) {
        return Err(format!(
            "pod {missing} was created and never deleted, but is gone"
        ));
    }
    if let Some(back) = ledger.deleted.iter().find(|name| names.contains(*name)) {
        return Err(format!("pod {back} was deleted, but is there"));
    }
    if names.len() != ledger.live.len() {
        return Err(format!(
            "{} pods in the API, {} expected",
            names.len(),
            ledger.live.len()
        ));
    }
    Ok((running, lost))
}

const PLUGIN_KILL: &str = "plugin SIGKILL";
const HOST_KILL: &str = "vk-host SIGKILL and restart";
/// Measured from the moment it answers again.
const APISERVER_RESTART: &str = "kube-apiserver restart";

/// One fault: what, in which round, the moment recovery is measured from,
/// and (after a plugin restart) since when the plugin's listing must have
/// been written.
#[derive(Debug)]
struct Fault {
    name: &'static str,
    round: u64,
    at: Instant,
    listing_after: Option<SystemTime>,
}

/// One measured recovery.
#[derive(Debug)]
struct Recovery {
    fault: &'static str,
    seconds: f64,
}

/// Waits for [`agreement`] after `fault`, checks that it still holds a
/// moment later, prints and returns the time it took.
async fn recovered(
    api: &Api<Pod>,
    node: &MockNode,
    ledger: &Ledger,
    fault: &Fault,
    killed: &[u32],
) -> Recovery {
    let Fault {
        name,
        round,
        at,
        listing_after,
    } = *fault;
    let (running, lost) = wait_for_ok(
        RECOVERY_TIMEOUT,
        &format!("the API and the plugin to agree after {name} (round {round})"),
        async || {
            agreement(api, node, ledger, listing_after, killed)
                .await
                .map_err(|e| format!("{e}; host log tail:\n{}", node.node.log_tail()))
        },
    )
    .await;
    let seconds = at.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    if let Err(e) = agreement(api, node, ledger, listing_after, killed).await {
        panic!("after {name} (round {round}) the agreement did not last: {e}");
    }
    eprintln!(
        "chaos: round {round}: consistent {seconds:.1} s after {name} \
         ({running} running, {lost} lost and reported ProviderLost, {} deleted so far)",
        ledger.deleted.len()
    );
    Recovery {
        fault: name,
        seconds,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_stay_accounted_for_through_plugin_host_and_apiserver_kills() {
    let rounds = env_number("VK_CHAOS_ROUNDS", 1);
    let budget = Duration::from_secs(60 * env_number("VK_CHAOS_MINUTES", 0));
    let per_fault = usize::try_from(env_number("VK_CHAOS_PODS", 8)).expect("a small number");
    let started = Instant::now();
    let cluster = Cluster::start().expect("a private control plane");
    let setup = NodeSetup::mock("chaos").host_args(&["--plugin-max-backoff", PLUGIN_MAX_BACKOFF]);
    let mut node = MockNode::start_with(&cluster, setup, "").await;
    let (ns, node_name) = (node.ns().to_owned(), node.node.name.clone());
    let api: Api<Pod> = Api::namespaced(cluster.client().await, &ns);
    let mut ledger = Ledger::default();
    churn(&api, &mut ledger, &ns, &node_name, 4).await;
    let start = Fault {
        name: "the start",
        round: 0,
        at: started,
        listing_after: None,
    };
    recovered(&api, &node, &ledger, &start, &[]).await;

    let mut recoveries = Vec::new();
    let mut round = 0;
    while round < rounds || started.elapsed() < budget {
        round += 1;

        // The plugin, SIGKILLed PLUGIN_KILLS times during the churn, each
        // time once its successor runs.
        let host = &node.node.host;
        let killer = async {
            let mut killed: Vec<u32> = Vec::new();
            let mut last_kill = (Instant::now(), SystemTime::now());
            for _ in 0..PLUGIN_KILLS {
                tokio::time::sleep(Duration::from_millis(400)).await;
                let plugin = wait_for_ok(
                    Duration::from_secs(60),
                    "vk-host to restart its plugin",
                    async || match host.plugin_pid().await {
                        pid if killed.contains(&pid) || !process_alive(pid) => {
                            Err(format!("plugin {pid} is the killed one"))
                        }
                        pid => Ok(pid),
                    },
                )
                .await;
                kill(Pid::from_raw(plugin as i32), Signal::SIGKILL).expect("SIGKILL the plugin");
                last_kill = (Instant::now(), SystemTime::now());
                killed.push(plugin);
            }
            (killed, last_kill)
        };
        let ((), (killed, last_kill)) =
            tokio::join!(churn(&api, &mut ledger, &ns, &node_name, per_fault), killer);
        let fault = Fault {
            name: PLUGIN_KILL,
            round,
            at: last_kill.0,
            listing_after: Some(last_kill.1),
        };
        recoveries.push(recovered(&api, &node, &ledger, &fault, &killed).await);

        // vk-host, SIGKILLed and started again at once.
        let restart = async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            let at = (Instant::now(), SystemTime::now());
            (at, node.kill_and_restart_host(&cluster).await)
        };
        let ((), (at, old_plugin)) = tokio::join!(
            churn(&api, &mut ledger, &ns, &node_name, per_fault),
            restart
        );
        let fault = Fault {
            name: HOST_KILL,
            round,
            at: at.0,
            listing_after: Some(at.1),
        };
        recoveries.push(recovered(&api, &node, &ledger, &fault, &[old_plugin]).await);

        // kube-apiserver, restarted (same etcd).
        let restart = async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            let signalled = Instant::now();
            cluster.restart_apiserver().await;
            eprintln!(
                "chaos: round {round}: kube-apiserver answers again {:.1} s after its restart began",
                signalled.elapsed().as_secs_f64()
            );
            // Measured from here: the outage itself is the supervisor's.
            Instant::now()
        };
        let ((), at) = tokio::join!(
            churn(&api, &mut ledger, &ns, &node_name, per_fault),
            restart
        );
        let fault = Fault {
            name: APISERVER_RESTART,
            round,
            at,
            listing_after: None,
        };
        recoveries.push(recovered(&api, &node, &ledger, &fault, &[]).await);
    }

    for fault in [PLUGIN_KILL, HOST_KILL, APISERVER_RESTART] {
        let mut seconds: Vec<f64> = recoveries
            .iter()
            .filter(|r| r.fault == fault)
            .map(|r| r.seconds)
            .collect();
        seconds.sort_by(f64::total_cmp);
        let (Some(median), Some(max)) = (seconds.get(seconds.len() / 2), seconds.last()) else {
            continue;
        };
        eprintln!(
            "chaos: {fault}: {} faults, consistent after {median:.1} s median, {max:.1} s max",
            seconds.len(),
        );
    }
    eprintln!(
        "chaos: {round} rounds, {} pods created, {} deleted, in {:.0} s",
        ledger.next,
        ledger.deleted.len(),
        started.elapsed().as_secs_f64()
    );
}
