//! The identity a plugin runs as (`--plugin-user USER[:GROUP]`): resolved
//! once at start, so a typo fails before anything is started. Running the
//! plugin as another uid is what keeps it out of the host's credentials
//! (kubeconfig, `/proc/<host>/environ`, service-account token).

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use nix::unistd::{Group, User};

/// A resolved plugin identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginUser {
    /// As given, for messages.
    pub name: String,
    pub uid: u32,
    /// The given group, else the user's primary group.
    pub gid: u32,
}

/// Why `--plugin-user` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(
        "--plugin-user {given:?}: vk-host runs as uid {uid}, but only root can start a process as another user; run vk-host as root or drop --plugin-user"
    )]
    NotRoot { given: String, uid: u32 },
    #[error(
        "--plugin-user {given:?}: no such user on this machine (create it, e.g. useradd --system --no-create-home {user})"
    )]
    NoSuchUser { given: String, user: String },
    #[error("--plugin-user {given:?}: no such group {group:?} on this machine")]
    NoSuchGroup { given: String, group: String },
    #[error("--plugin-user {given:?}: the user is root; give an unprivileged user")]
    Root { given: String },
    #[error("--plugin-user {given:?}: looking up the user database")]
    Lookup {
        given: String,
        #[source]
        source: nix::Error,
    },
}

impl PluginUser {
    /// Resolves `USER[:GROUP]` (names or numeric ids) for a host running as
    /// `host_uid`.
    pub fn resolve(given: &str, host_uid: u32) -> Result<Self, UserError> {
        if host_uid != 0 {
            return Err(UserError::NotRoot {
                given: given.to_owned(),
                uid: host_uid,
            });
        }
        let lookup = |source| UserError::Lookup {
            given: given.to_owned(),
            source,
        };
        let (user_part, group_part) = match given.split_once(':') {
            Some((user, group)) => (user, Some(group)),
            None => (given, None),
        };
        let user = match user_part.parse::<u32>() {
            Ok(uid) => User::from_uid(uid.into()).map_err(lookup)?,
            Err(_) => User::from_name(user_part).map_err(lookup)?,
        }
        .ok_or_else(|| UserError::NoSuchUser {
            given: given.to_owned(),
            user: user_part.to_owned(),
        })?;
        let gid = match group_part {
            None => user.gid.as_raw(),
            Some(group) => match group.parse::<u32>() {
                Ok(gid) => Group::from_gid(gid.into()).map_err(lookup)?,
                Err(_) => Group::from_name(group).map_err(lookup)?,
            }
            .ok_or_else(|| UserError::NoSuchGroup {
                given: given.to_owned(),
                group: group.to_owned(),
            })?
            .gid
            .as_raw(),
        };
        if user.uid.is_root() {
            return Err(UserError::Root {
                given: given.to_owned(),
            });
        }
        Ok(Self {
            name: given.to_owned(),
            uid: user.uid.as_raw(),
            gid,
        })
    }

    /// The first directory from `dir` up to `/` this user cannot enter, with
    /// why; `None` when every one is searchable by it.
    pub(crate) fn unreachable_ancestor(&self, dir: &Path) -> Option<String> {
        dir.ancestors().find_map(|ancestor| {
            let metadata = std::fs::metadata(ancestor).ok()?;
            let mode = metadata.mode();
            let searchable = if metadata.uid() == self.uid {
                mode & 0o100 != 0
            } else if metadata.gid() == self.gid {
                mode & 0o010 != 0
            } else {
                mode & 0o001 != 0
            };
            (!searchable).then(|| {
                format!(
                    "{} (mode {:o}, owner {}:{})",
                    ancestor.display(),
                    mode & 0o7777,
                    metadata.uid(),
                    metadata.gid()
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn only_root_may_switch_users() {
        let error = PluginUser::resolve("nobody", 1000).expect_err("not root");
        assert!(error.to_string().contains("only root"), "{error}");
    }

    #[test]
    fn users_and_groups_resolve_by_name_or_number() {
        let nobody = PluginUser::resolve("nobody", 0).expect("nobody exists");
        assert_eq!(nobody.uid, 65534);
        let with_group = PluginUser::resolve("65534:0", 0).expect("numeric ids");
        assert_eq!((with_group.uid, with_group.gid), (65534, 0));
        let missing = PluginUser::resolve("no-such-user-vk", 0).expect_err("missing");
        assert!(missing.to_string().contains("no such user"), "{missing}");
        let group = PluginUser::resolve("nobody:no-such-group-vk", 0).expect_err("group");
        assert!(group.to_string().contains("no such group"), "{group}");
        let root = PluginUser::resolve("root", 0).expect_err("root");
        assert!(root.to_string().contains("unprivileged"), "{root}");
    }

    #[test]
    fn a_private_ancestor_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inner = dir.path().join("run");
        std::fs::create_dir(&inner).expect("mkdir");
        let user = PluginUser {
            name: "x".into(),
            uid: 4242,
            gid: 4242,
        };
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        let blocked = user.unreachable_ancestor(&inner).expect("0700 blocks");
        assert!(blocked.contains("mode 700"), "{blocked}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711))
            .expect("chmod");
        assert_eq!(user.unreachable_ancestor(&inner), None);
    }
}
