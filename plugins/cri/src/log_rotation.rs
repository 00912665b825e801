//! Container log files beyond the one being written, as the kubelet's
//! container log manager (`pkg/kubelet/logs/container_log_manager.go`)
//! keeps them: a log that reached `container_log_max_size` is renamed to
//! `<log>.<YYYYMMDD-hhmmss>` (the runtime then reopens `<log>`), older
//! rotated files are gzipped to `.gz`, and the oldest are removed so at
//! most `container_log_max_files` files remain. Which files to remove,
//! compress and rename is pure ([`plan`]); the file operations are here
//! too; the loop that asks containerd is `provider/log_rotation.rs`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use k8s_openapi::jiff::Timestamp;
use k8s_openapi::jiff::tz::Offset;

/// Suffix of a compressed rotated log.
pub const COMPRESSED: &str = ".gz";
/// Suffix of a compression under way (left over when it was interrupted).
const TEMPORARY: &str = ".tmp";

/// When and how far logs are rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// A log file of this many bytes or more is rotated.
    pub max_size: u64,
    /// Files per container instance, the one being written included (>= 2).
    pub max_files: usize,
}

/// What to do with the files of one log before it is rotated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// File names to delete: leftovers of an interrupted rotation (a `.tmp`
    /// file, a rotated file whose `.gz` exists) and the oldest rotated
    /// files beyond the limit.
    pub remove: Vec<String>,
    /// Rotated files still uncompressed, to gzip (oldest first).
    pub compress: Vec<String>,
    /// The name the log gets now; `None` when a file of that name exists
    /// (a rotation in the same second), so the log waits for the next round.
    pub rotate_to: Option<String>,
}

/// The name of `log` rotated at `now`: `<log>.<YYYYMMDD-hhmmss>` (the
/// kubelet's `20060102-150405`, in UTC here). These names sort by age.
pub fn rotated_name(log: &str, now: Timestamp) -> String {
    let t = Offset::UTC.to_datetime(now);
    format!(
        "{log}.{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The plan for the log file named `log` given the `names` in its
/// directory: as the kubelet's `rotateLog`, the rotated files left after
/// the clean-up are at most `max_files - 2` (with the one rotated now and
/// the new log, `max_files`), all compressed.
pub fn plan(log: &str, names: &[String], max_files: usize, now: Timestamp) -> Plan {
    let prefix = format!("{log}.");
    let mut rotated: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with(&prefix))
        .collect();
    rotated.sort_unstable();
    let (in_use, mut remove): (Vec<&str>, Vec<&str>) =
        rotated.iter().partition(|n| in_use(n, &rotated));
    let excess = in_use.len().saturating_sub(max_files.saturating_sub(2));
    remove.extend(&in_use[..excess]);
    let target = rotated_name(log, now);
    let taken = names
        .iter()
        .any(|n| *n == target || *n == format!("{target}{COMPRESSED}"));
    Plan {
        remove: remove.into_iter().map(str::to_owned).collect(),
        compress: in_use[excess..]
            .iter()
            .filter(|n| !n.ends_with(COMPRESSED))
            .map(|n| (*n).to_owned())
            .collect(),
        rotate_to: (!taken).then_some(target),
    }
}

/// Whether a rotated file is still wanted (the kubelet's `isInUse`).
fn in_use(name: &str, rotated: &[&str]) -> bool {
    if name.ends_with(TEMPORARY) {
        return false;
    }
    name.ends_with(COMPRESSED) || !rotated.contains(&format!("{name}{COMPRESSED}").as_str())
}

/// A file operation on container logs that failed.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("cannot list the log directory {path}")]
    List {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot remove the log file {path}")]
    Remove {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot compress the log file {path}")]
    Compress {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Carries out the [`plan`] for the log at `log_path` (removals, then
/// compression) and returns the path it is to be renamed to, if any.
/// Blocking file I/O.
pub fn prepare(
    log_path: &Path,
    max_files: usize,
    now: Timestamp,
) -> Result<Option<PathBuf>, RotationError> {
    let (dir, log) = split(log_path);
    let plan = plan(&log, &file_names(dir)?, max_files, now);
    for name in &plan.remove {
        remove(&dir.join(name))?;
    }
    for name in &plan.compress {
        compress(&dir.join(name))?;
    }
    Ok(plan.rotate_to.map(|name| dir.join(name)))
}

/// Removes the log at `log_path` and every rotated file of it (the
/// kubelet's `Clean`, when a container instance is removed). Blocking.
pub fn remove_all(log_path: &Path) -> Result<(), RotationError> {
    let (dir, log) = split(log_path);
    let names = match file_names(dir) {
        Err(RotationError::List { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return Ok(());
        }
        other => other?,
    };
    let prefix = format!("{log}.");
    for name in names
        .iter()
        .filter(|n| **n == log || n.starts_with(&prefix))
    {
        remove(&dir.join(name))?;
    }
    Ok(())
}

fn split(log_path: &Path) -> (&Path, String) {
    let dir = log_path.parent().unwrap_or(Path::new("/"));
    let name = log_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, name)
}

fn file_names(dir: &Path) -> Result<Vec<String>, RotationError> {
    let list = |source| RotationError::List {
        path: dir.to_owned(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list)? {
        names.push(
            entry
                .map_err(list)?
                .file_name()
                .to_string_lossy()
                .into_owned(),
        );
    }
    Ok(names)
}

fn remove(path: &Path) -> Result<(), RotationError> {
    match std::fs::remove_file(path) {
        Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
            Err(RotationError::Remove {
                path: path.to_owned(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// gzips `path` to `<path>.gz` (through `<path>.tmp`, so a crash never
/// leaves a truncated `.gz`) with the file's mode, then removes `path`.
pub fn compress(path: &Path) -> Result<(), RotationError> {
    let error = |source| RotationError::Compress {
        path: path.to_owned(),
        source,
    };
    let temporary = PathBuf::from(format!("{}{TEMPORARY}", path.display()));
    let written = (|| {
        let source = File::open(path)?;
        let mode = source.metadata()?.mode();
        let target = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&temporary)?;
        let mut encoder = GzEncoder::new(BufWriter::new(target), Compression::default());
        std::io::copy(&mut BufReader::new(source), &mut encoder)?;
        encoder.finish()?.flush()?;
        std::fs::rename(&temporary, format!("{}{COMPRESSED}", path.display()))
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error(source));
    }
    std::fs::remove_file(path).map_err(error)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn rotated_names_are_the_kubelets_and_sort_by_age() {
        let now = at("2026-03-04T05:06:07.8Z");
        assert_eq!(rotated_name("0.log", now), "0.log.20260304-050607");
        let later = rotated_name("0.log", at("2026-12-31T23:59:59Z"));
        assert!(rotated_name("0.log", now) < later);
    }

    #[test]
    fn keeps_max_files_minus_two_rotated_all_compressed() {
        let now = at("2026-01-01T00:00:05Z");
        let dir = names(&[
            "0.log",
            "0.log.20260101-000001.gz",
            "0.log.20260101-000002.gz",
            "0.log.20260101-000003",
            "1.log",
            "1.log.20250101-000000",
        ]);
        // max 4: 2 rotated are kept (and compressed); with the one rotated
        // now and the new log, 4.
        let plan = plan("0.log", &dir, 4, now);
        assert_eq!(plan.remove, ["0.log.20260101-000001.gz"]);
        assert_eq!(plan.compress, ["0.log.20260101-000003"]);
        assert_eq!(plan.rotate_to.as_deref(), Some("0.log.20260101-000005"));
        // max 2: none is kept; only the one rotated now.
        let plan = super::plan("0.log", &dir, 2, now);
        assert_eq!(
            plan.remove,
            [
                "0.log.20260101-000001.gz",
                "0.log.20260101-000002.gz",
                "0.log.20260101-000003"
            ]
        );
        assert!(plan.compress.is_empty());
        // max 5: all 3 are kept.
        let plan = super::plan("0.log", &dir, 5, now);
        assert!(plan.remove.is_empty(), "{plan:?}");
        assert_eq!(plan.compress, ["0.log.20260101-000003"]);
        // Nothing rotated yet: nothing to do but the rename.
        let plan = super::plan("1.log", &names(&["1.log", "10.log.x"]), 3, now);
        assert_eq!(plan.remove, Vec::<String>::new());
        assert_eq!(plan.compress, Vec::<String>::new());
        assert_eq!(plan.rotate_to.as_deref(), Some("1.log.20260101-000005"));
    }

    #[test]
    fn leftovers_of_an_interrupted_rotation_go_first() {
        let now = at("2026-01-01T00:00:09Z");
        let dir = names(&[
            "0.log",
            "0.log.20260101-000001.tmp",
            "0.log.20260101-000002",
            "0.log.20260101-000002.gz",
            "0.log.20260101-000003",
        ]);
        let plan = plan("0.log", &dir, 5, now);
        assert_eq!(
            plan.remove,
            ["0.log.20260101-000001.tmp", "0.log.20260101-000002"]
        );
        assert_eq!(plan.compress, ["0.log.20260101-000003"]);
    }

    #[test]
    fn a_second_rotation_in_the_same_second_waits() {
        let now = at("2026-01-01T00:00:03.9Z");
        for existing in ["0.log.20260101-000003", "0.log.20260101-000003.gz"] {
            let plan = plan("0.log", &names(&["0.log", existing]), 5, now);
            assert_eq!(plan.rotate_to, None, "{existing}");
        }
    }

    #[test]
    fn prepare_compresses_and_removes_on_disk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("0.log");
        std::fs::write(&log, b"current\n").expect("write");
        for (name, text) in [
            ("0.log.20260101-000001.gz", "old"),
            ("0.log.20260101-000002.gz", "older"),
            (
                "0.log.20260101-000003",
                "2026-01-01T00:00:03Z stdout F kept\n",
            ),
        ] {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        let target = prepare(&log, 3, at("2026-01-01T00:00:04Z")).expect("prepare");
        assert_eq!(target, Some(dir.path().join("0.log.20260101-000004")));
        let mut left: Vec<String> = file_names(dir.path()).expect("list");
        left.sort();
        assert_eq!(left, ["0.log", "0.log.20260101-000003.gz"]);
        let mut text = String::new();
        flate2::read::GzDecoder::new(
            File::open(dir.path().join("0.log.20260101-000003.gz")).expect("open"),
        )
        .read_to_string(&mut text)
        .expect("gunzip");
        assert_eq!(text, "2026-01-01T00:00:03Z stdout F kept\n");

        std::fs::write(dir.path().join("00.log"), "other instance").expect("write");
        remove_all(&log).expect("remove all");
        assert_eq!(file_names(dir.path()).expect("list"), ["00.log"]);
        remove_all(&dir.path().join("gone/0.log")).expect("a missing directory is fine");
    }
}
