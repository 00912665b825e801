//! Starting a plugin exactly as the protocol says: a private 0700 directory,
//! a per-launch secret in a 0600 file, an allowlisted environment naming the
//! sockets plus the variables the operator names (`--plugin-env`), stdin a
//! pipe the host holds, stdout/stderr forwarded to logs.
//! With a [`PluginUser`] the plugin runs as that uid/gid (no supplementary
//! groups) and owns its private directory, secret file and callback socket.

use std::ffi::OsString;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use rand::RngCore as _;
use tokio::process::{Child, ChildStdin};
use tokio_util::sync::CancellationToken;
use vk_proto::env;

use super::error::PluginError;
use super::output::{self, StderrTail};
use super::process;
use super::user::PluginUser;
use crate::callbacks::{self, CallbackScope};

/// Host environment variables a plugin may see; everything else (KUBECONFIG,
/// KUBERNETES_SERVICE_*, cloud credentials...) is withheld unless the
/// operator names it in a [`PluginEnv`].
pub const ENV_ALLOWLIST: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// Why `name` may not be given to a plugin through `--plugin-env`, or `None`
/// when it may. The launch protocol's variables (and their prefixes, where
/// v1 may add more) and the host's own cluster identity are reserved; the
/// [`ENV_ALLOWLIST`] names are not: they are the host's values passed for
/// convenience, and an operator may need the plugin to have its own (`HOME`
/// for a `--plugin-user`, `RUST_LOG`, `SSL_CERT_FILE`).
pub fn reserved_env_name(name: &str) -> Option<&'static str> {
    if name.starts_with("VK_PLUGIN_") || name.starts_with("VK_HOST_") {
        Some("reserved for the launch variables vk-host sets (VK_PLUGIN_*, VK_HOST_*)")
    } else if name == "KUBECONFIG" || name == "VK_KUBECONFIG" {
        Some("reserved: the host's cluster credentials are never given to a plugin")
    } else if name.starts_with("KUBERNETES_") {
        Some(
            "reserved: KUBERNETES_* would point the plugin at the cluster as the host; it reaches cluster data only through the host callbacks",
        )
    } else {
        None
    }
}

/// Variables the operator gives the plugin (`--plugin-env`), in the order
/// given. Its `Debug` prints names only: values may be credentials.
#[derive(Clone, Default)]
pub struct PluginEnv {
    vars: Vec<(String, OsString)>,
}

impl PluginEnv {
    /// Adds `name`; callers check it first ([`reserved_env_name`], no
    /// duplicates: a later value would silently win).
    pub fn push(&mut self, name: String, value: OsString) {
        self.vars.push((name, value));
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(name, _)| name.as_str())
    }

    /// Names and values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &std::ffi::OsStr)> {
        self.vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_os_str()))
    }
}

impl std::fmt::Debug for PluginEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// What to launch.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// The plugin executable.
    pub path: PathBuf,
    /// Arguments passed to it.
    pub args: Vec<String>,
    /// Its configuration file, passed as `VK_PLUGIN_CONFIG`.
    pub config: Option<PathBuf>,
    /// Where private rendezvous directories are made; see [`default_runtime_dir`].
    pub runtime_dir: PathBuf,
    /// More variables for the plugin: they replace allowlisted host values
    /// of the same name, never a launch variable.
    pub env: PluginEnv,
}

impl PluginSpec {
    /// The name used in logs: the executable's file name.
    pub fn display_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

/// `$XDG_RUNTIME_DIR/vk-host`, else `/run/vk-host` for root, else
/// `/tmp/vk-host-<uid>`: short, so socket paths stay under the 108-byte limit.
pub fn default_runtime_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        return Path::new(&dir).join("vk-host");
    }
    let uid = nix::unistd::getuid();
    if uid.is_root() {
        PathBuf::from("/run/vk-host")
    } else {
        PathBuf::from(format!("/tmp/vk-host-{uid}"))
    }
}

/// A running plugin process and everything made for this launch. Dropping it
/// removes the private directory; stop the process first with
/// [`LaunchedPlugin::terminate`].
#[derive(Debug)]
pub struct LaunchedPlugin {
    pub(crate) child: Child,
    /// Held so the plugin sees end-of-file when the host goes away.
    _stdin: Option<ChildStdin>,
    pub(crate) plugin_socket: PathBuf,
    pub(crate) secret: String,
    pub(crate) stderr_tail: StderrTail,
    pub(crate) path: PathBuf,
    callbacks_stop: CancellationToken,
    // Last, so it is removed after everything else is dropped.
    _dir: tempfile::TempDir,
}

impl LaunchedPlugin {
    /// The plugin's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops the process (SIGTERM to its group, `grace`, SIGKILL) and
    /// returns its exit status as text.
    pub async fn terminate(&mut self, grace: std::time::Duration) -> String {
        process::terminate(&mut self.child, grace).await
    }

    /// The Unix socket the plugin serves on, for tools that dial it themselves
    /// (vk-plugin-conformance checks that calls without the secret are refused).
    pub fn plugin_socket(&self) -> &Path {
        &self.plugin_socket
    }

    /// Waits up to `timeout` for the process to exit on its own, without
    /// signalling it: its exit status as text, or `None` if it still runs.
    pub async fn wait_exit(&mut self, timeout: std::time::Duration) -> Option<String> {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => Some(status.to_string()),
            Ok(Err(e)) => Some(format!("unknown status ({e})")),
            Err(_) => None,
        }
    }

    /// The last lines the plugin wrote to stderr, joined with " | ", or "(none)".
    pub fn stderr_tail(&self) -> String {
        self.stderr_tail.render()
    }
}

impl Drop for LaunchedPlugin {
    fn drop(&mut self) {
        self.callbacks_stop.cancel();
    }
}

/// [`launch_with`] a callback service that refuses everything: for tools
/// that run a plugin without a cluster (the conformance checker, tests).
pub async fn launch(spec: &PluginSpec) -> Result<LaunchedPlugin, PluginError> {
    launch_with(spec, &CallbackScope::default(), None).await
}

/// Checks the executable, prepares the private directory and secret, serves
/// `HostCallbacks` for `scope` on the host socket, and starts the plugin,
/// as `user` when given (the host must be root), else as the host's uid.
pub async fn launch_with(
    spec: &PluginSpec,
    scope: &CallbackScope,
    user: Option<&PluginUser>,
) -> Result<LaunchedPlugin, PluginError> {
    check_executable(&spec.path)?;
    let rendezvous_error = |source| PluginError::Rendezvous {
        path: spec.path.clone(),
        source,
    };
    std::fs::create_dir_all(&spec.runtime_dir).map_err(rendezvous_error)?;
    if let Some(user) = user
        && let Some(blocked) = user.unreachable_ancestor(&spec.runtime_dir)
    {
        return Err(PluginError::RuntimeDirUnreachable {
            path: spec.path.clone(),
            user: user.name.clone(),
            blocked,
        });
    }
    let dir = tempfile::Builder::new()
        .prefix("p-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(&spec.runtime_dir)
        .map_err(rendezvous_error)?;
    let secret = new_secret();
    let secret_file = dir.path().join("secret");
    write_private(&secret_file, &secret).map_err(rendezvous_error)?;
    let plugin_socket = dir.path().join("plugin.sock");
    let host_socket = dir.path().join("host.sock");

    let callbacks_stop = CancellationToken::new();
    let peer_uid = user.map_or_else(|| nix::unistd::geteuid().as_raw(), |user| user.uid);
    callbacks::serve(
        &host_socket,
        &secret,
        &spec.display_name(),
        scope,
        peer_uid,
        callbacks_stop.clone(),
    )
    .map_err(rendezvous_error)?;
    if let Some(user) = user {
        // The plugin binds its socket in the directory, reads the secret and
        // connects to the host socket; modes stay 0700/0600, so only it (and
        // root) can.
        for path in [dir.path(), secret_file.as_path(), host_socket.as_path()] {
            std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
                .map_err(rendezvous_error)?;
        }
    }

    let mut command = plugin_command(spec, &plugin_socket, &host_socket, &secret_file, user);
    let mut child = command
        .spawn()
        .map_err(|source| spawn_error(&spec.path, source))?;

    let name: Arc<str> = spec.display_name().into();
    let stderr_tail = forward_output(&mut child, &name);
    tracing::info!(
        plugin = %name,
        pid = ?child.id(),
        dir = %dir.path().display(),
        env = ?spec.env,
        "plugin started"
    );
    Ok(LaunchedPlugin {
        _stdin: child.stdin.take(),
        child,
        plugin_socket,
        secret,
        stderr_tail,
        path: spec.path.clone(),
        callbacks_stop,
        _dir: dir,
    })
}

/// The plugin's command: its arguments, the environment of the launch
/// contract (allowlist, then the operator's variables, then the launch
/// variables, which always win), piped stdio, its own process group, and
/// `user`'s uid and gid when given.
fn plugin_command(
    spec: &PluginSpec,
    plugin_socket: &Path,
    host_socket: &Path,
    secret_file: &Path,
    user: Option<&PluginUser>,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(&spec.path);
    command
        .args(&spec.args)
        .env_clear()
        .envs(
            ENV_ALLOWLIST
                .iter()
                .filter_map(|name| std::env::var_os(name).map(|value| (*name, value))),
        )
        // After the allowlist, before the launch variables, which always win.
        .envs(spec.env.iter())
        .env(env::MAGIC_COOKIE, vk_proto::MAGIC_COOKIE)
        .env(env::PLUGIN_SOCKET, plugin_socket)
        .env(env::HOST_SOCKET, host_socket)
        .env(env::PROTOCOL_VERSIONS, versions_text())
        .env(env::SECRET_FILE, secret_file)
        .env(env::NAME_HINT, spec.display_name())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(config) = &spec.config {
        command.env(env::CONFIG, config);
    }
    if let Some(user) = user {
        // std clears the supplementary groups (setgroups(0)) before setuid
        // when it changes the uid as root, so the plugin keeps none of the
        // host's groups.
        command.uid(user.uid).gid(user.gid);
    }
    process::die_with_parent(&mut command);
    command
}

/// Forwards the plugin's stdout and stderr into the host's log, labelled
/// `name`; the tail of stderr is kept for error messages.
fn forward_output(child: &mut tokio::process::Child, name: &Arc<str>) -> StderrTail {
    let stderr_tail = StderrTail::default();
    if let Some(stdout) = child.stdout.take() {
        tokio::spawn(output::forward(
            stdout,
            output::Stream::Stdout,
            Arc::clone(name),
            stderr_tail.clone(),
        ));
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(output::forward(
            stderr,
            output::Stream::Stderr,
            Arc::clone(name),
            stderr_tail.clone(),
        ));
    }
    stderr_tail
}

fn versions_text() -> String {
    vk_proto::PROTOCOL_VERSIONS
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// 256 random bits, hex-encoded.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{contents}")
}

fn check_executable(path: &Path) -> Result<(), PluginError> {
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PluginError::Missing {
            path: path.to_owned(),
        },
        _ => PluginError::NotExecutable {
            path: path.to_owned(),
            why: e.to_string(),
        },
    })?;
    if !metadata.is_file() {
        return Err(PluginError::NotExecutable {
            path: path.to_owned(),
            why: "it is not a regular file".into(),
        });
    }
    if metadata.permissions().mode() & 0o111 == 0 {
        return Err(PluginError::NotExecutable {
            path: path.to_owned(),
            why: format!(
                "mode {:o} has no execute bit; try chmod +x",
                metadata.permissions().mode() & 0o7777
            ),
        });
    }
    let mut header = [0u8; 20];
    let read = std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read(&mut file, &mut header))
        .map_err(|e| PluginError::NotExecutable {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
    executable_format(&header[..read]).map_err(|why| PluginError::NotExecutable {
        path: path.to_owned(),
        why: format!("not a program this machine can run: {why}"),
    })
}

/// Checks the first bytes of a file: a `#!` script, or an ELF binary for
/// this machine's architecture. (Without this, the C library hands unknown
/// formats to /bin/sh, which fails with a confusing message.)
fn executable_format(header: &[u8]) -> Result<(), String> {
    if header.starts_with(b"#!") {
        return Ok(());
    }
    if !header.starts_with(b"\x7fELF") {
        return Err("neither an ELF binary nor a #! script".into());
    }
    if header.len() < 20 {
        return Err("truncated ELF header".into());
    }
    // e_machine, little-endian on the architectures we build for.
    let machine = u16::from_le_bytes([header[18], header[19]]);
    let expected = match std::env::consts::ARCH {
        "x86_64" => Some((62, "x86_64")),
        "aarch64" => Some((183, "aarch64")),
        _ => None,
    };
    match expected {
        Some((number, _)) if number == machine => Ok(()),
        Some((_, arch)) => Err(format!(
            "an ELF binary for machine type {machine}, but this host is {arch}"
        )),
        None => Ok(()),
    }
}

fn spawn_error(path: &Path, source: std::io::Error) -> PluginError {
    match source.raw_os_error() {
        Some(libc::ENOEXEC) => PluginError::NotExecutable {
            path: path.to_owned(),
            why: "not a program this machine can run (wrong format or architecture)".into(),
        },
        Some(libc::EACCES) => PluginError::NotExecutable {
            path: path.to_owned(),
            why: "permission denied".into(),
        },
        _ => PluginError::Spawn {
            path: path.to_owned(),
            source,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised() {
        assert!(executable_format(b"#!/bin/sh\n").is_ok());
        assert!(executable_format(b"hello world").is_err());
        assert!(
            executable_format(b"\x7fELF\x02")
                .expect_err("short")
                .contains("truncated")
        );
        let own = std::fs::read(std::env::current_exe().expect("exe")).expect("read self");
        assert!(executable_format(&own[..20]).is_ok());
        let mut arm = own[..20].to_vec();
        arm[18..20].copy_from_slice(&40u16.to_le_bytes());
        assert!(
            executable_format(&arm)
                .expect_err("arm")
                .contains("machine type 40")
        );
    }

    #[test]
    fn secrets_are_256_bits_and_differ() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn a_missing_or_non_executable_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        assert!(matches!(
            check_executable(&missing),
            Err(PluginError::Missing { .. })
        ));
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").expect("write");
        let error = check_executable(&plain).expect_err("no exec bit");
        assert!(error.to_string().contains("chmod +x"), "{error}");
        let error = check_executable(dir.path()).expect_err("a directory");
        assert!(error.to_string().contains("not a regular file"), "{error}");
    }
}
