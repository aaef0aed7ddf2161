//! `exec-env`/`exec-file --user NAME`: run the command as another user, as sops 3.13.2 does —
//! that user's uid, primary gid and supplementary groups, and `HOME`, `USER` and `LOGNAME` set
//! to theirs (after the secrets, so they win over secrets of those names).
//!
//! The account is read from `/etc/passwd` and `/etc/group`, as sops's release builds (pure Go
//! `os/user`) do: a user known only to NSS (LDAP, sssd) is "unknown". The groups are the
//! primary gid and every group of `/etc/group` that lists the user.
//!
//! The switch happens without `unsafe` and without touching the rest of the process: Linux
//! keeps credentials per thread, so a dedicated thread drops its own (`setgroups`,
//! `setresgid`, `setresuid` on that thread only, through rustix) and then starts the command,
//! which inherits the thread's credentials. Once the uids are not 0 the thread has no
//! capabilities left and cannot switch back. `--same-process` drops the credentials of the
//! thread that then calls `exec`. Where that is impossible (not root, an unknown user, a system
//! other than Linux) sops-rs exits 1 as sops does, before the command runs.

use crate::error::{codes, CliError};
use std::path::Path;

/// A user account to run a command as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// The primary gid first, then the supplementary groups.
    pub(crate) groups: Vec<u32>,
    pub(crate) home: String,
}

impl Account {
    /// Looks `name` up in `/etc/passwd` and `/etc/group`.
    pub(crate) fn lookup(name: &str) -> Result<Account, CliError> {
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let group = std::fs::read_to_string("/etc/group").unwrap_or_default();
        Account::from_files(name, &passwd, &group)
            .ok_or_else(|| CliError::new(codes::GENERIC, format!("user: unknown user {name}")))
    }

    fn from_files(name: &str, passwd: &str, group: &str) -> Option<Account> {
        let fields: Vec<&str> = passwd
            .lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|f| f.len() >= 7 && f[0] == name && !name.is_empty())?;
        let uid = fields[2].parse().ok()?;
        let gid = fields[3].parse().ok()?;
        let mut groups = vec![gid];
        for line in group.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 4 || !f[3].split(',').any(|member| member.trim() == name) {
                continue;
            }
            if let Ok(id) = f[2].parse::<u32>() {
                if !groups.contains(&id) {
                    groups.push(id);
                }
            }
        }
        Some(Account {
            name: name.to_owned(),
            uid,
            gid,
            groups,
            home: fields[5].to_owned(),
        })
    }

    /// Looks `name` up and checks, on a thread of its own, that this process may become the
    /// user, so that nothing is written or started when it may not.
    pub(crate) fn switchable(name: &str) -> Result<Account, CliError> {
        let account = Account::lookup(name)?;
        account.run_as(|| ())?;
        Ok(account)
    }

    /// `HOME`, `USER` and `LOGNAME` for the command.
    pub(crate) fn env(&self) -> [(&'static str, &str); 3] {
        [
            ("HOME", self.home.as_str()),
            ("USER", self.name.as_str()),
            ("LOGNAME", self.name.as_str()),
        ]
    }

    /// Lets the user reach into `exec-file`'s private directory: it stays sops-rs's (so the
    /// user cannot swap its entries for symlinks), with the user's group and mode 0710.
    pub(crate) fn enter(&self, dir: &Path) -> Result<(), CliError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::os::unix::fs::lchown(dir, None, Some(self.gid)).map_err(|e| self.cannot(e))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o710))
                .map_err(|e| self.cannot(e))
        }
        #[cfg(not(unix))]
        {
            let _ = dir;
            Err(self.cannot(unsupported()))
        }
    }

    /// Gives `path` (the file or FIFO of `exec-file`, mode 0600) to the user.
    pub(crate) fn give(&self, path: &Path) -> Result<(), CliError> {
        #[cfg(unix)]
        {
            std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid))
                .map_err(|e| self.cannot(e))
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            Err(self.cannot(unsupported()))
        }
    }

    fn cannot(&self, e: std::io::Error) -> CliError {
        let why = match e.raw_os_error() {
            Some(1) => "operation not permitted (--user needs sops-rs to run as root)".to_owned(),
            _ => e.to_string(),
        };
        CliError::new(
            codes::GENERIC,
            format!("cannot run the command as user {}: {why}", self.name),
        )
    }

    /// Drops the calling thread's credentials to this user (see the module comment). Does
    /// nothing when the thread already is exactly this user.
    pub(crate) fn become_on_this_thread(&self) -> Result<(), CliError> {
        #[cfg(target_os = "linux")]
        {
            use rustix::process::{getgid, getgroups, getuid};
            use rustix::thread::{set_thread_groups, set_thread_res_gid, set_thread_res_uid};
            use rustix::thread::{Gid, Uid};
            let groups: Vec<Gid> = self.groups.iter().map(|g| Gid::from_raw(*g)).collect();
            let already = getuid().as_raw() == self.uid
                && getgid().as_raw() == self.gid
                && getgroups().is_ok_and(|mut now| {
                    let mut wanted = groups.clone();
                    now.sort_by_key(|g| g.as_raw());
                    wanted.sort_by_key(|g| g.as_raw());
                    now == wanted
                });
            if already {
                return Ok(());
            }
            let (uid, gid) = (Uid::from_raw(self.uid), Gid::from_raw(self.gid));
            set_thread_groups(&groups).map_err(|e| self.cannot(e.into()))?;
            set_thread_res_gid(gid, gid, gid).map_err(|e| self.cannot(e.into()))?;
            set_thread_res_uid(uid, uid, uid).map_err(|e| self.cannot(e.into()))?;
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(self.cannot(unsupported()))
        }
    }

    /// Runs `start` (which starts the command and waits for it) on a thread that has become
    /// this user; the rest of the process keeps its credentials.
    pub(crate) fn run_as<T: Send>(&self, start: impl FnOnce() -> T + Send) -> Result<T, CliError> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    self.become_on_this_thread()?;
                    Ok(start())
                })
                .join()
                .unwrap_or_else(|_| {
                    Err(CliError::new(
                        codes::GENERIC,
                        "the thread running the command as another user failed",
                    ))
                })
        })
    }
}

#[cfg(not(target_os = "linux"))]
fn unsupported() -> std::io::Error {
    std::io::Error::other("switching users is supported on Linux only")
}

#[cfg(test)]
mod tests {
    use super::Account;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        sync:x:4:65534:sync:/bin:/bin/sync\n\
        alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nadm:x:4:syslog,alice\nnogroup:x:65534:\n\
        alice:x:1000:\ndocker:x:999:bob, alice\nsudo:x:27:alicex\n";

    #[test]
    fn the_account_has_its_primary_and_member_groups() {
        let alice = Account::from_files("alice", PASSWD, GROUP).unwrap();
        assert_eq!((alice.uid, alice.gid), (1000, 1000));
        assert_eq!(alice.groups, vec![1000, 4, 999]);
        assert_eq!(alice.home, "/home/alice");
        let sync = Account::from_files("sync", PASSWD, GROUP).unwrap();
        assert_eq!((sync.uid, sync.gid, sync.groups), (4, 65534, vec![65534]));
    }

    #[test]
    fn unknown_users_and_numbers_are_not_found() {
        assert!(Account::from_files("bob", PASSWD, GROUP).is_none());
        assert!(Account::from_files("1000", PASSWD, GROUP).is_none());
        assert!(Account::from_files("", PASSWD, GROUP).is_none());
    }
}
