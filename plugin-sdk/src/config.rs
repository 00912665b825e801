//! A plugin's configuration file (`vk-host --plugin-config FILE`, handed
//! over as [`Launch::config_path`](crate::Launch)): TOML read into the
//! plugin's own type, with errors that name the file, the line, the column
//! and the key, so a plugin that cannot start says exactly why in one line.
//!
//! ```
//! use serde::Deserialize;
//! use vk_plugin_sdk::config::{self, PluginConfig};
//!
//! #[derive(Debug, Default, Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct Settings {
//!     endpoint: String,
//! }
//!
//! impl PluginConfig for Settings {
//!     const WHAT: &'static str = "example plugin";
//!     fn validate(&self) -> Result<(), String> {
//!         if self.endpoint.is_empty() { Err("endpoint: must be set".into()) } else { Ok(()) }
//!     }
//! }
//!
//! let path = std::path::Path::new("example.toml");
//! let error = config::from_toml::<Settings>("endpont = \"x\"\n", path).expect_err("a misspelt key");
//! assert!(error.to_string().starts_with("example plugin configuration example.toml: line 1, column 1 (endpont): unknown field"));
//! ```

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// A plugin's configuration type. Derive `Deserialize` with
/// `#[serde(default, deny_unknown_fields)]` so that every key is optional
/// and a misspelt one is an error.
pub trait PluginConfig: DeserializeOwned + Default {
    /// What the file configures, for messages (e.g. `"mock plugin"`).
    const WHAT: &'static str;

    /// Checks what the types cannot (ranges, combinations); the message
    /// names the key.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Why a configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading the {what} configuration {path}")]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} configuration {path}: {location}{message}")]
    Parse {
        what: &'static str,
        path: PathBuf,
        /// "line L, column C (key): " when known, else empty.
        location: String,
        message: String,
    },
    #[error("{what} configuration {path}: {message}")]
    Invalid {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
}

/// Reads and validates the file at `path`.
pub fn load<T: PluginConfig>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        what: T::WHAT,
        path: path.to_owned(),
        source,
    })?;
    from_toml(&text, path)
}

/// Reads the file if there is one; the defaults otherwise.
pub fn load_optional<T: PluginConfig>(path: Option<&Path>) -> Result<T, ConfigError> {
    path.map_or_else(|| Ok(T::default()), load)
}

/// Parses and validates `text`; `path` only names the file in errors.
pub fn from_toml<T: PluginConfig>(text: &str, path: &Path) -> Result<T, ConfigError> {
    let config: T = toml::from_str(text).map_err(|error| ConfigError::Parse {
        what: T::WHAT,
        path: path.to_owned(),
        location: error
            .span()
            .map(|span| location(text, span.start))
            .unwrap_or_default(),
        message: error.message().trim().replace('\n', " "),
    })?;
    config.validate().map_err(|message| ConfigError::Invalid {
        what: T::WHAT,
        path: path.to_owned(),
        message,
    })?;
    Ok(config)
}

/// "line L, column C (key): " for a byte offset into `text`.
fn location(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let key = text
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split_once('='))
        .map(|(key, _)| key.trim())
        .filter(|key| !key.is_empty());
    match key {
        Some(key) => format!("line {line}, column {column} ({key}): "),
        None => format!("line {line}, column {column}: "),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Sample {
        interval_ms: u64,
    }

    impl PluginConfig for Sample {
        const WHAT: &'static str = "sample plugin";
        fn validate(&self) -> Result<(), String> {
            if self.interval_ms > 1000 {
                Err("interval_ms: at most 1000".into())
            } else {
                Ok(())
            }
        }
    }

    fn parse(text: &str) -> Result<Sample, ConfigError> {
        from_toml(text, Path::new("s.toml"))
    }

    #[test]
    fn errors_name_file_line_column_and_key() {
        let error = parse("\ninterval_ms = \"fast\"\n").expect_err("a string");
        let text = error.to_string();
        assert!(
            text.starts_with(
                "sample plugin configuration s.toml: line 2, column 15 (interval_ms): "
            ),
            "{text}"
        );
        assert_eq!(
            parse("interval_ms = 5000")
                .expect_err("too big")
                .to_string(),
            "sample plugin configuration s.toml: interval_ms: at most 1000"
        );
    }

    #[test]
    fn no_file_means_the_defaults() {
        let config: Sample = load_optional(None).expect("defaults");
        assert_eq!(config.interval_ms, 0);
        let missing = load::<Sample>(Path::new("/nonexistent/s.toml")).expect_err("missing");
        assert!(matches!(missing, ConfigError::Read { .. }), "{missing:?}");
    }
}
