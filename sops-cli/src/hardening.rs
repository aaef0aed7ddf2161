//! Process-wide protections set up before any secret is read.

/// Marks the process non-dumpable (Linux `prctl(PR_SET_DUMPABLE, 0)`): no core dump is written
/// if it crashes while holding plaintext or a data key, and other processes of the same user
/// cannot attach to it with ptrace or read its memory through `/proc/PID/mem`. The flag is
/// not inherited across `exec`, so editors and commands run by `edit`, `exec-env` and
/// `exec-file` are unaffected. Failure is ignored: it only loses this protection.
pub(crate) fn forbid_core_dumps() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{set_dumpable_behavior, DumpableBehavior};
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::process::{dumpable_behavior, DumpableBehavior};

    #[test]
    fn the_process_is_not_dumpable_afterwards() {
        super::forbid_core_dumps();
        assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::NotDumpable);
    }
}
