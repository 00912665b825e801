//! `vk-plugin-conformance`: launches a plugin executable exactly as vk-host
//! does, checks it against the contract in `proto/provider.proto`, and
//! reports one PASS/FAIL/SKIP line per check. [`run`] is the whole run;
//! the binary only parses flags and turns the [`Report`] into an exit code.

pub mod checks;
pub mod context;
pub mod pods;
pub mod report;

use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;
use vk_host::plugin_process::{
    Deadlines, LaunchedPlugin, MessageLimit, PluginEnv, PluginSpec, default_runtime_dir, handshake,
    launch,
};
use vk_proto::error_chain;

use crate::context::{Ctx, OPTIONAL_CAPABILITIES, capability_slug, seconds};
use crate::pods::PodFactory;
pub use crate::report::{Format, Report};

/// The handshake limit, as the host's default.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the plugin gets after SIGTERM when it is stopped at the end.
const TERMINATE_GRACE: Duration = Duration::from_secs(2);
/// A check is abandoned (FAIL) after this many call timeouts, whatever it
/// is waiting for; each of its calls is bounded too, this is the backstop.
const CHECK_BUDGET_CALLS: u32 = 8;

/// What to check and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The plugin executable.
    pub plugin: PathBuf,
    /// Arguments for it.
    pub args: Vec<String>,
    /// Its configuration file (`VK_PLUGIN_CONFIG`).
    pub config: Option<PathBuf>,
    /// Variables given to it (`--plugin-env`).
    pub env: PluginEnv,
    /// Sent in the handshake.
    pub node_name: String,
    /// Where test pods are made.
    pub namespace: String,
    /// The image of the test pods' container.
    pub image: String,
    /// Limit of each call.
    pub timeout: Duration,
    /// Grace sent with the Shutdown rpc; the process must exit within it.
    pub shutdown_grace: Duration,
    pub format: Format,
}

/// Launches the plugin, runs every check, stops the plugin.
pub async fn run(options: &Options) -> Report {
    let path = options.plugin.display().to_string();
    let mut report = Report::new(options.format, path.clone());
    report.note(&format!(
        "vk-plugin-conformance {}: checking {path}",
        env!("CARGO_PKG_VERSION")
    ));
    let spec = PluginSpec {
        path: options.plugin.clone(),
        args: options.args.clone(),
        config: options.config.clone(),
        runtime_dir: default_runtime_dir(),
        env: options.env.clone(),
    };
    let mut plugin = match launch(&spec).await {
        Ok(plugin) => plugin,
        Err(error) => {
            report.launch_failed = true;
            report.fail("handshake", error_chain::line(&error));
            return report;
        }
    };
    let deadlines = Deadlines {
        handshake: HANDSHAKE_TIMEOUT,
        mutate: options.timeout,
        query: options.timeout,
    };
    let client = match handshake(
        &mut plugin,
        &options.node_name,
        deadlines,
        MessageLimit::default(),
    )
    .await
    {
        Ok(client) => client,
        Err(error) => {
            report.launch_failed = true;
            report.fail("handshake", error_chain::line(&error));
            plugin.terminate(TERMINATE_GRACE).await;
            return report;
        }
    };

    let identity = client.identity().clone();
    let mut capabilities: Vec<_> = OPTIONAL_CAPABILITIES
        .iter()
        .filter(|c| identity.has(**c))
        .map(|c| c.as_str_name().to_owned())
        .collect();
    capabilities.sort();
    report.plugin.name = identity.name.clone();
    report.plugin.version = identity.version.clone();
    report.plugin.protocol_version = identity.protocol_version;
    report.plugin.capabilities = capabilities.clone();
    report.pass(
        "handshake",
        format!(
            "protocol {} (offered {:?}), name {:?}, version {:?}, capabilities: {}",
            identity.protocol_version,
            vk_proto::PROTOCOL_VERSIONS,
            identity.name,
            identity.version,
            if capabilities.is_empty() {
                "none".to_owned()
            } else {
                capabilities.join(", ")
            }
        ),
    );

    let cx = Ctx::new(
        client,
        PodFactory {
            namespace: options.namespace.clone(),
            image: options.image.clone(),
        },
        options.timeout,
        plugin.plugin_socket().to_owned(),
    );
    let mut runner = Runner {
        plugin: &mut plugin,
        report: &mut report,
        gone: None,
        budget: options.timeout * CHECK_BUDGET_CALLS,
    };

    runner
        .check("probe", Box::pin(checks::capabilities::probe(&cx)))
        .await;
    for capability in OPTIONAL_CAPABILITIES {
        if !identity.has(*capability) {
            let name = format!("undeclared-{}", capability_slug(*capability));
            runner
                .check(
                    &name,
                    Box::pin(checks::capabilities::undeclared(&cx, *capability)),
                )
                .await;
        }
    }
    for check in checks::all() {
        if let Some(capability) = check.requires
            && !identity.has(capability)
        {
            runner.report.skip(
                check.name,
                format!("{} not declared", capability.as_str_name()),
            );
            continue;
        }
        runner.check(check.name, (check.run)(&cx)).await;
    }

    if runner.gone.is_none() {
        let failed = cx.clean_up().await;
        if failed > 0 {
            tracing::warn!(failed, "some test pods could not be deleted");
        }
    }
    let gone = runner.gone.take();
    shutdown(&cx, &mut plugin, &mut report, gone, options.shutdown_grace).await;
    drop(cx);
    plugin.terminate(TERMINATE_GRACE).await;
    report
}

/// Runs checks one at a time and notices a plugin that died.
struct Runner<'a> {
    plugin: &'a mut LaunchedPlugin,
    report: &'a mut Report,
    /// Set once the plugin process has exited: its status and during which check.
    gone: Option<String>,
    budget: Duration,
}

impl Runner<'_> {
    async fn check(&mut self, name: &str, run: futures::future::BoxFuture<'_, context::Outcome>) {
        if let Some(gone) = &self.gone {
            self.report.fail(name, format!("not run: {gone}"));
            return;
        }
        let outcome = match tokio::time::timeout(self.budget, run).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!(
                "the check did not finish within {} (every call is bounded; the plugin keeps answering slowly)",
                seconds(self.budget)
            )),
        };
        match outcome {
            Ok(message) => self.report.pass(name, message),
            Err(mut message) => {
                if let Some(status) = self.plugin.wait_exit(Duration::ZERO).await {
                    let gone = format!("the plugin process exited ({status}) during check {name}");
                    message.push_str(&format!(
                        " [{gone}; last stderr: {}]",
                        self.plugin.stderr_tail()
                    ));
                    self.gone = Some(gone);
                }
                self.report.fail(name, message);
            }
        }
    }
}

/// The `shutdown` check: after the Shutdown rpc the process exits within
/// the grace it was given.
async fn shutdown(
    cx: &Ctx,
    plugin: &mut LaunchedPlugin,
    report: &mut Report,
    gone: Option<String>,
    grace: Duration,
) {
    if let Some(gone) = gone {
        report.fail("shutdown", format!("not run: {gone}"));
        return;
    }
    let sent = Instant::now();
    cx.client.shutdown(grace).await;
    let remaining = grace.saturating_sub(sent.elapsed());
    let grace_ms = grace.as_millis();
    match plugin.wait_exit(remaining).await {
        Some(status) => report.pass(
            "shutdown",
            format!(
                "after Shutdown(grace_period_ms={grace_ms}) the process exited ({status}) in {}",
                seconds(Duration::from_millis(sent.elapsed().as_millis() as u64))
            ),
        ),
        None => report.fail(
            "shutdown",
            format!(
                "Shutdown(grace_period_ms={grace_ms}): expected the process to exit within {}, got it still running (last stderr: {})",
                seconds(grace),
                plugin.stderr_tail()
            ),
        ),
    }
}
