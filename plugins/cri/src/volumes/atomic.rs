//! The kubelet's AtomicWriter (`pkg/volume/util/atomic_writer.go`): a
//! volume's files are written into a fresh timestamped directory
//! (`..2026_11_25_21_16_39.123456789`), the `..data` symlink is pointed at
//! it by renaming a new symlink over the old one (one atomic step, so a
//! reader sees the old set or the new set, never a mix), and the names a
//! container sees are symlinks `name -> ..data/name`. Names no longer in
//! the payload are removed, and so is the previous data directory.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Component, Path, PathBuf};

use vk_plugin_sdk::VolumeFile;

/// The symlink to the current data directory.
pub const DATA_DIR: &str = "..data";
const DATA_DIR_TMP: &str = "..data_tmp";

/// Why a volume's files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "invalid file path {path:?}: it must be relative, without '..' and not start with '..'"
    )]
    BadPath { path: String },
    #[error("the file path {path:?} is given twice")]
    Duplicate { path: String },
    #[error("{what} {path}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WriteError {
    let path = path.to_owned();
    move |source| WriteError::Io { what, path, source }
}

/// Writes `files` as the content of the volume directory `dir` (created
/// 0755 when missing). Returns false when the current content is already
/// exactly this (same paths, bytes and modes): nothing is touched then.
pub fn write(dir: &Path, files: &[VolumeFile]) -> Result<bool, WriteError> {
    let payload = validate(files)?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(io("creating the volume directory", dir))?;
    let data_link = dir.join(DATA_DIR);
    let old = std::fs::read_link(&data_link).ok();
    let visible: BTreeSet<String> = payload.keys().map(|p| top_level(p)).collect();
    if let Some(old) = &old
        && read_tree(&dir.join(old)).is_ok_and(|current| current == payload)
        && visible.iter().all(|name| dir.join(name).is_symlink())
    {
        return Ok(false);
    }
    let (name, data_dir) = new_data_dir(dir)?;
    for (path, (contents, mode)) in &payload {
        let target = data_dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .map_err(io("creating", parent))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(*mode)
            .open(&target)
            .map_err(io("creating", &target))?;
        file.write_all(contents).map_err(io("writing", &target))?;
        // The umask may have narrowed the mode.
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(*mode))
            .map_err(io("setting the mode of", &target))?;
    }
    // The swap: a new symlink renamed over `..data`.
    let tmp_link = dir.join(DATA_DIR_TMP);
    remove_if_present(&tmp_link)?;
    std::os::unix::fs::symlink(&name, &tmp_link).map_err(io("creating the symlink", &tmp_link))?;
    std::fs::rename(&tmp_link, &data_link).map_err(io("renaming over", &data_link))?;
    for top in &visible {
        let link = dir.join(top);
        if !link.is_symlink() {
            remove_if_present(&link)?;
            std::os::unix::fs::symlink(Path::new(DATA_DIR).join(top), &link)
                .map_err(io("creating the symlink", &link))?;
        }
    }
    // Stale names, the old data directory and leftovers of an interrupted
    // write: everything but `..data`, the new directory and visible names.
    let entries = std::fs::read_dir(dir).map_err(io("listing", dir))?;
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        if entry_name == DATA_DIR || entry_name == name || visible.contains(&entry_name) {
            continue;
        }
        let path = entry.path();
        if path.is_symlink() || !path.is_dir() {
            remove_if_present(&path)?;
        } else {
            std::fs::remove_dir_all(&path).map_err(io("removing", &path))?;
        }
    }
    Ok(true)
}

/// `true` when `dir` holds a written volume (its `..data` link exists).
pub fn is_written(dir: &Path) -> bool {
    dir.join(DATA_DIR).is_symlink()
}

/// Path to (contents, mode), refusing paths that could leave the volume
/// or collide with the writer's own names.
fn validate(files: &[VolumeFile]) -> Result<BTreeMap<String, (Vec<u8>, u32)>, WriteError> {
    let mut payload = BTreeMap::new();
    for file in files {
        let path = Path::new(&file.path);
        let normal = !file.path.is_empty()
            && !path.is_absolute()
            && path.components().all(|c| matches!(c, Component::Normal(_)))
            && !file.path.starts_with("..");
        if !normal {
            return Err(WriteError::BadPath {
                path: file.path.clone(),
            });
        }
        let clean = path.display().to_string();
        let mode = u32::try_from(file.mode).unwrap_or(0o644) & 0o7777;
        if payload
            .insert(clean.clone(), (file.contents.to_vec(), mode))
            .is_some()
        {
            return Err(WriteError::Duplicate { path: clean });
        }
    }
    Ok(payload)
}

fn top_level(path: &str) -> String {
    path.split('/').next().unwrap_or(path).to_owned()
}

/// Every regular file under `dir`, by relative path, with contents and mode.
fn read_tree(dir: &Path) -> std::io::Result<BTreeMap<String, (Vec<u8>, u32)>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        for entry in std::fs::read_dir(dir.join(&relative))? {
            let entry = entry?;
            let path = relative.join(entry.file_name());
            let meta = entry.metadata()?;
            if meta.is_dir() {
                pending.push(path);
            } else {
                let contents = std::fs::read(entry.path())?;
                let mode = meta.permissions().mode() & 0o7777;
                found.insert(path.display().to_string(), (contents, mode));
            }
        }
    }
    Ok(found)
}

/// A new, empty, timestamped data directory in `dir`: its name and path.
fn new_data_dir(dir: &Path) -> Result<(String, PathBuf), WriteError> {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(0);
    let stamp = k8s_openapi::jiff::Timestamp::from_second(seconds)
        .unwrap_or(k8s_openapi::jiff::Timestamp::UNIX_EPOCH)
        .to_string();
    // "2026-11-25T21:16:39Z" -> "2026_11_25_21_16_39", as the kubelet's.
    let date: String = stamp
        .chars()
        .take(19)
        .map(|c| if c.is_ascii_digit() { c } else { '_' })
        .collect();
    let mut suffix = since_epoch.subsec_nanos();
    loop {
        let name = format!("..{date}.{suffix:09}");
        let path = dir.join(&name);
        match std::fs::DirBuilder::new().mode(0o755).create(&path) {
            Ok(()) => {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .map_err(io("setting the mode of", &path))?;
                return Ok((name, path));
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                suffix = suffix.wrapping_add(1);
            }
            Err(error) => return Err(io("creating", &path)(error)),
        }
    }
}

fn remove_if_present(path: &Path) -> Result<(), WriteError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io("removing", path)(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn file(path: &str, contents: &str, mode: i32) -> VolumeFile {
        VolumeFile {
            path: path.into(),
            contents: Bytes::from(contents.to_owned()),
            mode,
        }
    }

    fn names(dir: &Path) -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .expect("list the volume")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("stat").permissions().mode() & 0o7777
    }

    #[test]
    fn writes_the_kubelet_layout_with_modes() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path().join("vol");
        let files = [
            file("token", "t1", 0o644),
            file("conf/app.yaml", "a: 1", 0o400),
        ];
        assert!(write(&dir, &files).expect("write"));
        let data = std::fs::read_link(dir.join(DATA_DIR)).expect("..data link");
        let data = data.display().to_string();
        assert!(data.starts_with("..2") && data.len() > 25, "{data}");
        assert_eq!(
            std::fs::read_link(dir.join("token")).expect("token link"),
            Path::new("..data/token")
        );
        assert_eq!(
            std::fs::read_link(dir.join("conf")).expect("conf link"),
            Path::new("..data/conf")
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("conf/app.yaml")).expect("read"),
            "a: 1"
        );
        assert_eq!(mode(&dir.join("token")), 0o644);
        assert_eq!(mode(&dir.join("conf/app.yaml")), 0o400);
        assert_eq!(mode(&dir.join(&data)), 0o755);
        assert_eq!(
            names(&dir),
            BTreeSet::from([DATA_DIR.into(), data, "conf".into(), "token".into()])
        );
        assert!(is_written(&dir));
    }

    #[test]
    fn unchanged_content_is_not_rewritten() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path().join("vol");
        let files = [file("a", "1", 0o644)];
        assert!(write(&dir, &files).expect("first"));
        let before = std::fs::read_link(dir.join(DATA_DIR)).expect("link");
        assert!(!write(&dir, &files).expect("second"));
        assert_eq!(
            std::fs::read_link(dir.join(DATA_DIR)).expect("link"),
            before
        );
        // A mode change alone is a change.
        assert!(write(&dir, &[file("a", "1", 0o600)]).expect("mode"));
        assert_eq!(mode(&dir.join("a")), 0o600);
    }

    #[test]
    fn swap_replaces_content_and_removes_stale_names() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path().join("vol");
        assert!(write(&dir, &[file("a", "1", 0o644), file("b", "2", 0o644)]).expect("first"));
        let first = std::fs::read_link(dir.join(DATA_DIR)).expect("link");
        // A reader holding the old `a` open keeps reading the old bytes.
        assert!(write(&dir, &[file("a", "new", 0o644), file("c", "3", 0o644)]).expect("second"));
        let second = std::fs::read_link(dir.join(DATA_DIR)).expect("link");
        assert_ne!(first, second);
        assert_eq!(std::fs::read_to_string(dir.join("a")).expect("a"), "new");
        assert_eq!(std::fs::read_to_string(dir.join("c")).expect("c"), "3");
        assert!(!dir.join("b").exists() && !dir.join("b").is_symlink());
        assert!(!dir.join(&first).exists(), "old data directory removed");
        assert_eq!(
            names(&dir),
            BTreeSet::from([
                DATA_DIR.into(),
                second.display().to_string(),
                "a".into(),
                "c".into()
            ])
        );
        // An empty payload (an optional object that is missing) is valid.
        assert!(write(&dir, &[]).expect("empty"));
        assert_eq!(names(&dir).len(), 2, "{:?}", names(&dir));
    }

    #[test]
    fn bad_paths_are_refused() {
        let temp = tempfile::tempdir().expect("tempdir");
        for path in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "..data",
            "..x/y",
            "./a",
        ] {
            let outcome = write(temp.path(), &[file(path, "x", 0o644)]);
            assert!(
                matches!(outcome, Err(WriteError::BadPath { .. })),
                "{path}: {outcome:?}"
            );
        }
        let twice = write(temp.path(), &[file("a", "1", 0o644), file("a", "2", 0o644)]);
        assert!(
            matches!(twice, Err(WriteError::Duplicate { .. })),
            "{twice:?}"
        );
    }
}
