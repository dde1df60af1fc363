//! The run directory of named namespaces (`/run/netns`), and making it a shared mount.

use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, Flock, FlockArg, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::Mode;
use nix::unistd::mkdir;

use crate::error::{Error, Result, Subject};

/// The environment variable that overrides the run directory, read at every call.
pub const NETNS_RUN_DIR_ENV: &str = "NETNS_RUN_DIR";

/// The run directory of the system, as `ip netns` uses it: `/run/netns`, or `/var/run/netns`
/// where only that one exists (`/var/run` is usually a link to `/run`). Ignores the environment.
pub fn system_run_dir() -> PathBuf {
    let run = Path::new("/run/netns");
    let var_run = Path::new("/var/run/netns");
    if !run.is_dir() && (var_run.is_dir() || !Path::new("/run").is_dir()) {
        var_run.into()
    } else {
        run.into()
    }
}

/// The run directory to use: `$NETNS_RUN_DIR` when it is set and not empty, otherwise
/// [`system_run_dir`].
pub fn run_dir() -> PathBuf {
    match std::env::var_os(NETNS_RUN_DIR_ENV) {
        Some(dir) if !dir.is_empty() => dir.into(),
        _ => system_run_dir(),
    }
}

/// The run directory, locked (`flock(2)`, `LOCK_EX`) and made a shared mount, as
/// `ip netns add` does before it creates a namespace file. The lock is released on drop.
pub(crate) struct PreparedRunDir {
    _lock: Option<Flock<OwnedFd>>,
}

/// Creates the run directory if it is missing (mode 0755, not its parents, as ip does), takes
/// an exclusive `flock` on it, and makes it a shared mount (`MS_SHARED | MS_REC`), bind-mounting
/// it on itself first if it is not a mount point yet. Shared, an unmount of a namespace file in
/// one mount namespace propagates to the others, so the namespace can be freed sooner.
///
/// The lock keeps concurrent creators (threads of this process, other processes, `ip`) from
/// stacking bind mounts of the directory on itself. As ip does, a failed `flock` is not fatal.
pub(crate) fn prepare(dir: &Path) -> Result<PreparedRunDir> {
    match mkdir(dir, Mode::from_bits_truncate(0o755)) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(Error::sys(e, "mkdir", Subject::Path(dir.into()))),
    }
    let fd = open(dir, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty())
        .map_err(|e| Error::sys(e, "open", Subject::Path(dir.into())))?;
    let lock = lock_exclusive(fd);
    make_shared(dir)?;
    Ok(PreparedRunDir { _lock: lock })
}

fn lock_exclusive(mut fd: OwnedFd) -> Option<Flock<OwnedFd>> {
    loop {
        match Flock::lock(fd, FlockArg::LockExclusive) {
            Ok(lock) => return Some(lock),
            Err((back, Errno::EINTR)) => fd = back,
            Err(_) => return None,
        }
    }
}

/// `mount --make-rshared dir`, turning `dir` into a mount point first if it is not one.
fn make_shared(dir: &Path) -> Result<()> {
    let mut bound = false;
    loop {
        match mount(None::<&OsStr>, dir, Some("none"), MsFlags::MS_SHARED | MsFlags::MS_REC, None::<&OsStr>) {
            Ok(()) => return Ok(()),
            // EINVAL: not a mount point yet. Make it one, once.
            Err(Errno::EINVAL) if !bound => {
                mount(Some(dir), dir, Some("none"), MsFlags::MS_BIND | MsFlags::MS_REC, None::<&OsStr>)
                    .map_err(|e| Error::sys(e, "mount", Subject::Path(dir.into())))?;
                bound = true;
            }
            Err(e) => {
                if bound {
                    // Take back the bind mount this call made rather than leave it behind.
                    let _ = umount2(dir, MntFlags::MNT_DETACH);
                }
                return Err(Error::sys(e, "mount", Subject::Path(dir.into())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_system_directory() {
        // Only this test touches the variable in this test binary.
        std::env::set_var(NETNS_RUN_DIR_ENV, "/tmp/netns-core-rundir-test");
        assert_eq!(run_dir(), Path::new("/tmp/netns-core-rundir-test"));
        std::env::set_var(NETNS_RUN_DIR_ENV, "");
        assert_eq!(run_dir(), system_run_dir());
        std::env::remove_var(NETNS_RUN_DIR_ENV);
        assert_eq!(run_dir(), system_run_dir());
        assert!(system_run_dir().ends_with("run/netns"));
    }
}
