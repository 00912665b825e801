//! The local control plane itself: real etcd, kube-apiserver,
//! kube-controller-manager, kube-scheduler and kubectl at the selected version
//! (the default of `controlplane/versions.env`, or `VK_K8S_VERSION`).
//! These prove the harness every other end-to-end test stands on: objects round
//! trip through kubectl and kube-rs, the controllers run, TokenRequest works,
//! the vk-host identity has exactly its role, instances are independent, and
//! nothing outlives the test process.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::authentication::v1::{
    TokenRequest, TokenRequestSpec, TokenReview, TokenReviewSpec,
};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, Namespace, Node, NodeSpec, Pod, PodSpec, Secret, ServiceAccount, Taint,
};
use kube::Api;
use kube::api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::json;
use vk_tests::cluster::{
    Cluster, ClusterOptions, Identity, node_name, process_alive, unique_name, wait_for,
};

const WAIT: Duration = Duration::from_secs(60);

fn pod(name: &str, image: &str) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(BTreeMap::from([("app".to_string(), name.to_string())])),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "main".to_string(),
                image: Some(image.to_string()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The HTTP status of a kube-rs API error, or a panic naming the call.
fn status_code<T: std::fmt::Debug>(result: kube::Result<T>, what: &str) -> u16 {
    match result {
        Err(kube::Error::Api(status)) => status.code,
        other => panic!("{what}: expected an API error status, got {other:?}"),
    }
}

#[tokio::test]
async fn pods_round_trip_through_kubectl_and_kube_rs() {
    let cluster = Cluster::shared();
    let ns = cluster.create_namespace("pods").await;
    let pods: Api<Pod> = Api::namespaced(cluster.client().await, &ns);

    // Written by kubectl, read back by kube-rs.
    let manifest =
        serde_json::to_string(&pod("from-kubectl", "registry.invalid/one:1")).expect("pod JSON");
    cluster
        .kubectl_stdin(
            Identity::Admin,
            &["apply", "-n", &ns, "-f", "-"],
            Some(&manifest),
        )
        .await
        .success();
    let read = pods
        .get("from-kubectl")
        .await
        .expect("kube-rs reads the pod kubectl created");
    let spec = read.spec.expect("pod has a spec");
    assert_eq!(
        spec.containers[0].image.as_deref(),
        Some("registry.invalid/one:1")
    );

    // Written by kube-rs, read back by kubectl.
    pods.create(
        &PostParams::default(),
        &pod("from-kube-rs", "registry.invalid/two:2"),
    )
    .await
    .expect("kube-rs creates a pod");
    let out = cluster
        .kubectl(&["get", "pod", "from-kube-rs", "-n", &ns, "-o", "json"])
        .await
        .success()
        .json();
    assert_eq!(
        out["spec"]["containers"][0]["image"],
        "registry.invalid/two:2"
    );
    assert_eq!(out["metadata"]["namespace"], ns.as_str());

    let listed = cluster
        .kubectl(&[
            "get",
            "pods",
            "-n",
            &ns,
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ])
        .await
        .success();
    let mut names: Vec<&str> = listed.stdout.split_whitespace().collect();
    names.sort_unstable();
    assert_eq!(names, ["from-kube-rs", "from-kubectl"]);
}

#[tokio::test]
async fn controller_manager_runs_deployments_and_service_accounts() {
    let cluster = Cluster::shared();
    // Created by hand (create_namespace already waits for the ServiceAccount).
    let ns = unique_name("deploy");
    cluster
        .kubectl(&["create", "namespace", &ns])
        .await
        .success();
    let client = cluster.client().await;

    let service_accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &ns);
    wait_for(
        WAIT,
        &format!("the default ServiceAccount in new namespace {ns}"),
        async || service_accounts.get_opt("default").await.ok().flatten(),
    )
    .await;

    cluster
        .kubectl(&[
            "create",
            "deployment",
            "web",
            "-n",
            &ns,
            "--image=registry.invalid/web:1",
            "--replicas=2",
        ])
        .await
        .success();

    let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), &ns);
    let rs = wait_for(WAIT, "a ReplicaSet owned by Deployment web", async || {
        let list = replica_sets.list(&ListParams::default()).await.ok()?;
        list.items.into_iter().find(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.kind == "Deployment" && o.name == "web")
        })
    })
    .await;
    let rs_name = rs.metadata.name.expect("ReplicaSet has a name");

    let pods: Api<Pod> = Api::namespaced(client, &ns);
    let created = wait_for(
        WAIT,
        &format!("2 Pods owned by ReplicaSet {rs_name}"),
        async || {
            let list = pods
                .list(&ListParams::default().labels("app=web"))
                .await
                .ok()?;
            let owned: Vec<Pod> = list
                .items
                .into_iter()
                .filter(|p| {
                    p.metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|o| o.kind == "ReplicaSet" && o.name == rs_name)
                })
                .collect();
            (owned.len() == 2).then_some(owned)
        },
    )
    .await;
    for pod in created {
        // No schedulable node exists, so the pods stay unbound.
        let spec = pod.spec.expect("pod has a spec");
        assert_eq!(spec.service_account_name.as_deref(), Some("default"));
    }
}

#[tokio::test]
async fn token_request_issues_a_token_that_token_review_accepts() {
    let cluster = Cluster::shared();
    let ns = cluster.create_namespace("token").await;
    let client = cluster.client().await;
    let service_accounts: Api<ServiceAccount> = Api::namespaced(client, &ns);
    let sa = ServiceAccount {
        metadata: ObjectMeta {
            name: Some("robot".to_string()),
            ..Default::default()
        },
        ..Default::default()
    };
    service_accounts
        .create(&PostParams::default(), &sa)
        .await
        .expect("create ServiceAccount robot");

    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            audiences: Some(vec![
                "https://kubernetes.default.svc.cluster.local".to_string(),
            ]),
            expiration_seconds: Some(600),
            ..Default::default()
        }),
        ..Default::default()
    };
    let issued = service_accounts
        .create_token_request("robot", &PostParams::default(), &request)
        .await
        .expect("TokenRequest for ServiceAccount robot");
    let token = issued
        .status
        .and_then(|s| s.token)
        .expect("TokenRequest returns a token");
    assert_eq!(token.split('.').count(), 3, "a TokenRequest returns a JWT");

    // kubectl's TokenRequest path works too.
    let out = cluster
        .kubectl(&["create", "token", "robot", "-n", &ns, "--duration=10m"])
        .await
        .success();
    assert_eq!(
        out.stdout.trim().split('.').count(),
        3,
        "kubectl create token prints a JWT"
    );

    // The vk-host identity may review tokens (its kubelet API authenticates with it).
    let reviews: Api<TokenReview> = Api::all(cluster.client_as(Identity::VkHost).await);
    let review = TokenReview {
        spec: TokenReviewSpec {
            token,
            ..Default::default()
        },
        ..Default::default()
    };
    let reviewed = reviews
        .create(&PostParams::default(), &review)
        .await
        .expect("vk-host creates a TokenReview");
    let status = reviewed.status.expect("TokenReview has a status");
    assert_eq!(
        status.authenticated,
        Some(true),
        "token rejected: {:?}",
        status.error
    );
    let user = status.user.expect("an authenticated token names a user");
    assert_eq!(
        user.username.as_deref(),
        Some(format!("system:serviceaccount:{ns}:robot").as_str())
    );
}

#[tokio::test]
async fn vk_host_identity_has_its_role_and_nothing_more() {
    let cluster = Cluster::shared();
    let ns = cluster.create_namespace("rbac").await;
    let node = node_name("rbac");
    let admin = cluster.client().await;
    let host = cluster.client_as(Identity::VkHost).await;

    // Refused: enumerating Secrets, cluster-wide or in a namespace.
    let out = cluster
        .kubectl_as(Identity::VkHost, &["get", "secrets", "--all-namespaces"])
        .await
        .failure();
    assert!(
        out.stderr.contains("Forbidden"),
        "expected Forbidden, got: {}",
        out.stderr
    );
    let secrets: Api<Secret> = Api::all(host.clone());
    assert_eq!(
        status_code(
            secrets.list(&ListParams::default()).await,
            "vk-host lists all Secrets"
        ),
        403
    );
    let ns_secrets: Api<Secret> = Api::namespaced(host.clone(), &ns);
    assert_eq!(
        status_code(
            ns_secrets.list(&ListParams::default()).await,
            "vk-host lists Secrets in a namespace"
        ),
        403
    );
    // Refused: creating pods or namespaces, deleting nodes.
    let host_pods: Api<Pod> = Api::namespaced(host.clone(), &ns);
    assert_eq!(
        status_code(
            host_pods
                .create(&PostParams::default(), &pod("nope", "x"))
                .await,
            "vk-host creates a pod"
        ),
        403
    );
    let namespaces: Api<Namespace> = Api::all(host.clone());
    let new_ns = Namespace {
        metadata: ObjectMeta {
            name: Some(unique_name("nope")),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        status_code(
            namespaces.create(&PostParams::default(), &new_ns).await,
            "vk-host creates a namespace"
        ),
        403
    );

    // Allowed: register its Node (tainted so no other test's pod lands on it).
    let nodes: Api<Node> = Api::all(host.clone());
    let node_object = Node {
        metadata: ObjectMeta {
            name: Some(node.clone()),
            labels: Some(BTreeMap::from([(
                "type".to_string(),
                "virtual-kubelet".to_string(),
            )])),
            ..Default::default()
        },
        spec: Some(NodeSpec {
            taints: Some(vec![Taint {
                key: "vk-host.test/no-schedule".to_string(),
                effect: "NoSchedule".to_string(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    nodes
        .create(&PostParams::default(), &node_object)
        .await
        .expect("vk-host creates its Node");
    nodes
        .patch_status(
            &node,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {
                "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                "capacity": {"pods": "0"},
            }})),
        )
        .await
        .expect("vk-host patches its Node status");
    assert_eq!(
        status_code(
            nodes.delete(&node, &DeleteParams::default()).await,
            "vk-host deletes a Node"
        ),
        403
    );

    // Allowed: its Lease in kube-node-lease.
    let leases: Api<Lease> = Api::namespaced(host.clone(), "kube-node-lease");
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some(node.clone()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(node.clone()),
            lease_duration_seconds: Some(40),
            ..Default::default()
        }),
    };
    leases
        .create(&PostParams::default(), &lease)
        .await
        .expect("vk-host creates its Lease");
    leases
        .patch(
            &node,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"leaseDurationSeconds": 41}})),
        )
        .await
        .expect("vk-host renews its Lease");
    // ...but not Leases elsewhere.
    let other_leases: Api<Lease> = Api::namespaced(host.clone(), &ns);
    assert_eq!(
        status_code(
            other_leases.create(&PostParams::default(), &lease).await,
            "vk-host creates a Lease outside kube-node-lease"
        ),
        403
    );

    // Allowed: read pods, patch their status, delete them.
    let admin_pods: Api<Pod> = Api::namespaced(admin.clone(), &ns);
    admin_pods
        .create(
            &PostParams::default(),
            &pod("workload", "registry.invalid/w:1"),
        )
        .await
        .expect("admin creates a pod");
    host_pods
        .get("workload")
        .await
        .expect("vk-host reads a pod");
    host_pods
        .patch_status(
            "workload",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"status": {"conditions": [{"type": "VkTest", "status": "True"}]}}),
            ),
        )
        .await
        .expect("vk-host patches pod status");
    let patched = admin_pods
        .get_status("workload")
        .await
        .expect("admin reads pod status");
    let conditions = patched
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default();
    assert!(
        conditions.iter().any(|c| c.type_ == "VkTest"),
        "status patch not visible: {conditions:?}"
    );
    assert_eq!(
        status_code(
            host_pods
                .patch(
                    "workload",
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}}))
                )
                .await,
            "vk-host patches a pod's spec/metadata"
        ),
        403
    );

    // Allowed: one ConfigMap by name (HostCallbacks), but not listing them.
    let admin_cms: Api<ConfigMap> = Api::namespaced(admin.clone(), &ns);
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some("settings".to_string()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([("k".to_string(), "v".to_string())])),
        ..Default::default()
    };
    admin_cms
        .create(&PostParams::default(), &cm)
        .await
        .expect("admin creates a ConfigMap");
    let host_cms: Api<ConfigMap> = Api::namespaced(host.clone(), &ns);
    host_cms
        .get("settings")
        .await
        .expect("vk-host gets a ConfigMap by name");
    assert_eq!(
        status_code(
            host_cms.list(&ListParams::default()).await,
            "vk-host lists ConfigMaps"
        ),
        403
    );

    // Events about its pods.
    let events = cluster
        .kubectl_as(
            Identity::VkHost,
            &["auth", "can-i", "create", "events", "-n", &ns],
        )
        .await
        .success();
    assert_eq!(events.stdout.trim(), "yes");

    host_pods
        .delete("workload", &DeleteParams::default())
        .await
        .expect("vk-host deletes a pod");
    Api::<Node>::all(admin)
        .delete(&node, &DeleteParams::default())
        .await
        .expect("admin deletes the test Node");
}

#[tokio::test]
async fn two_control_planes_run_side_by_side() {
    let shared = Cluster::shared();
    let second = tokio::task::spawn_blocking(Cluster::start)
        .await
        .expect("start task")
        .unwrap_or_else(|e| panic!("a second control plane: {e}"));
    assert_ne!(shared.server(), second.server());
    assert_ne!(shared.state_dir(), second.state_dir());

    let ns = second.create_namespace("only-in-second").await;
    let in_shared: Api<Namespace> = Api::all(shared.client().await);
    assert!(
        in_shared
            .get_opt(&ns)
            .await
            .expect("shared apiserver answers")
            .is_none(),
        "namespace {ns} created in the second control plane shows up in the shared one"
    );
    let in_second: Api<Namespace> = Api::all(second.client().await);
    assert!(
        in_second
            .get_opt(&ns)
            .await
            .expect("second apiserver answers")
            .is_some()
    );
    second.kubectl(&["get", "--raw", "/readyz"]).await.success();
    tokio::task::spawn_blocking(move || drop(second))
        .await
        .expect("stop task");
}

/// `ClusterOptions::feature_gates` (`VK_CP_FEATURE_GATES`) reaches the
/// components: the API server's metrics report the gate off; a gate the
/// version does not know fails the start, and the error says which.
#[tokio::test]
async fn feature_gates_reach_the_components() {
    let gated = ClusterOptions {
        feature_gates: Some("ExtendWebSocketsToKubelet=false".to_string()),
        ..ClusterOptions::default()
    };
    let cluster = tokio::task::spawn_blocking(move || Cluster::start_with(&gated))
        .await
        .expect("start task")
        .unwrap_or_else(|e| panic!("a control plane with a feature gate: {e}"));
    let metrics = cluster
        .kubectl(&["get", "--raw", "/metrics"])
        .await
        .success();
    let gate: Vec<&str> = metrics
        .stdout
        .lines()
        .filter(|line| {
            line.starts_with("kubernetes_feature_enabled{")
                && line.contains("name=\"ExtendWebSocketsToKubelet\"")
        })
        .collect();
    assert!(
        gate.len() == 1 && gate[0].ends_with(" 0"),
        "kube-apiserver reports ExtendWebSocketsToKubelet off: {gate:?}"
    );
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .expect("stop task");

    let unknown = ClusterOptions {
        feature_gates: Some("NoSuchGateAnywhere=true".to_string()),
        ..ClusterOptions::default()
    };
    let error = tokio::task::spawn_blocking(move || Cluster::start_with(&unknown))
        .await
        .expect("start task")
        .expect_err("an unknown feature gate is refused")
        .to_string();
    assert!(error.contains("NoSuchGateAnywhere"), "{error}");
}

#[tokio::test]
async fn dropping_a_cluster_stops_all_its_processes() {
    let cluster = tokio::task::spawn_blocking(Cluster::start)
        .await
        .expect("start task")
        .unwrap_or_else(|e| panic!("a private control plane: {e}"));
    let mut pids = cluster.component_pids();
    assert_eq!(
        pids.len(),
        4,
        "etcd, apiserver, controller-manager, scheduler: {pids:?}"
    );
    pids.push(("supervisor".to_string(), cluster.supervisor_pid()));
    for (name, pid) in &pids {
        assert!(process_alive(*pid), "{name} (pid {pid}) should be running");
    }
    let state_dir = cluster.state_dir().to_path_buf();
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .expect("stop task");
    let left: Vec<_> = pids.iter().filter(|(_, pid)| process_alive(*pid)).collect();
    assert!(left.is_empty(), "still running after drop: {left:?}");
    assert!(
        !state_dir.exists(),
        "{} was not removed",
        state_dir.display()
    );
}

#[tokio::test]
async fn a_sigkilled_owner_takes_its_control_plane_with_it() {
    let mut holder = Command::new(env!("CARGO_BIN_EXE_vk-cluster-holder"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start vk-cluster-holder");
    let stdout = holder.stdout.take().expect("holder stdout");
    let (pids, state_dir) = tokio::task::spawn_blocking(move || {
        let mut pids = Vec::new();
        let mut state_dir = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["PID", name, pid] => {
                    pids.push((name.to_string(), pid.parse::<u32>().expect("numeric pid")))
                }
                ["STATE_DIR", dir] => state_dir = Some(PathBuf::from(dir)),
                ["HOLDING"] => break,
                _ => {}
            }
        }
        (pids, state_dir)
    })
    .await
    .expect("read holder output");
    assert_eq!(
        pids.len(),
        5,
        "vk-cluster-holder did not report a running control plane: {pids:?}"
    );
    assert!(
        state_dir.is_some(),
        "vk-cluster-holder did not report its state dir"
    );

    holder.kill().expect("SIGKILL vk-cluster-holder");
    holder.wait().expect("reap vk-cluster-holder");
    wait_for(
        Duration::from_secs(20),
        "every control-plane process of the SIGKILLed owner to exit",
        async || {
            pids.iter()
                .all(|(_, pid)| !process_alive(*pid))
                .then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_sigkilled_supervisor_takes_its_components_with_it() {
    let cluster = tokio::task::spawn_blocking(Cluster::start)
        .await
        .expect("start task")
        .unwrap_or_else(|e| panic!("a private control plane: {e}"));
    let pids = cluster.component_pids();
    assert_eq!(
        pids.len(),
        4,
        "etcd, apiserver, controller-manager, scheduler: {pids:?}"
    );
    // Only the supervisor: the components must follow through their
    // parent-death signal (setpriv --pdeathsig), not through the harness.
    let status = Command::new("bash")
        .args([
            "-c",
            "kill -KILL \"$0\"",
            &cluster.supervisor_pid().to_string(),
        ])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -KILL of the supervisor failed");
    wait_for(
        Duration::from_secs(20),
        "every component of the control plane whose supervisor was SIGKILLed to exit",
        async || {
            pids.iter()
                .all(|(_, pid)| !process_alive(*pid))
                .then_some(())
        },
    )
    .await;
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .expect("stop task");
}
