//! `fsGroup` on volume files, as the kubelet's `SetVolumeOwnership`
//! (`pkg/volume/volume_linux.go`) sets it: every file and directory gets
//! the group `fsGroup`; files gain group read (read-only volumes: secret,
//! configMap, projected, downwardAPI) or read-write (emptyDir); directories
//! also gain group execute and the set-group-ID bit, so files made in them
//! later get the group too. Symbolic links get only the group.

use std::os::unix::fs::{PermissionsExt as _, lchown};
use std::path::Path;

const READ_ONLY: u32 = 0o440;
const READ_WRITE: u32 = 0o660;
const DIR_EXTRA: u32 = 0o2110;

/// The pod's `fsGroup`, if set and a valid group id.
pub fn fs_group(pod: &k8s_openapi::api::core::v1::Pod) -> Option<u32> {
    pod.spec
        .as_ref()?
        .security_context
        .as_ref()?
        .fs_group
        .and_then(|group| u32::try_from(group).ok())
}

/// Gives everything under `root` (and `root`) group `group`, with the
/// group permissions of a `read_only` volume or a writable one.
pub fn apply(root: &Path, group: u32, read_only: bool) -> std::io::Result<()> {
    let mask = if read_only { READ_ONLY } else { READ_WRITE };
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        lchown(&path, None, Some(group))?;
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            continue;
        }
        let mut mode = meta.permissions().mode() | mask;
        if meta.is_dir() {
            mode |= DIR_EXTRA;
            for entry in std::fs::read_dir(&path)? {
                pending.push(entry?.path());
            }
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt as _;

    #[test]
    fn files_and_directories_get_the_group_and_its_bits() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let dir = root.path().join("sub");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let file = dir.join("key");
        std::fs::write(&file, "v").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        std::os::unix::fs::symlink("sub/key", root.path().join("link")).expect("symlink");
        // Our own group: chown to it needs no privilege.
        let group = std::fs::metadata(root.path()).expect("stat").gid();

        apply(root.path(), group, true).expect("applied");
        let mode = |path: &Path| std::fs::symlink_metadata(path).expect("stat").mode() & 0o7777;
        assert_eq!(mode(&file), 0o440);
        assert_eq!(mode(&dir), 0o2750);

        apply(root.path(), group, false).expect("applied");
        assert_eq!(mode(&file), 0o660);
        assert_eq!(mode(&dir), 0o2770);
    }
}
