//! The run directory of named namespaces (`/run/netns`), and making it a shared mount.

use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
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

/// The run directory, held under an exclusive `flock(2)` on the directory itself until dropped.
///
/// Every creation and deletion of a named namespace in a run directory takes this lock, from any
/// thread or process: it is what serialises them. `flock` locks belong to the open file
/// description, so two threads of one process that each open the directory exclude each other
/// too, and the kernel drops the lock when its holder dies, even by `SIGKILL`. `ip netns add`
/// takes the same lock while it makes the directory shared.
pub(crate) struct LockedRunDir {
    /// The open directory that holds the lock.
    _lock: OwnedFd,
    dir: PathBuf,
    /// Whether this holder bind-mounted the directory on itself (see [`LockedRunDir::undo_bind`]).
    bound: bool,
}

/// Opens `dir` and locks it (`LOCK_EX`, waiting for the holder). With `create`, a missing
/// directory is made first (mode 0755, not its parents, as ip does). A missing directory
/// without `create` fails with `ENOENT` from `open`.
///
/// The lock goes with the fd: closing it (on drop) releases it, with no `LOCK_UN` of its own.
pub(crate) fn lock(dir: &Path, create: bool) -> Result<LockedRunDir> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let opened = match open(dir, flags, Mode::empty()) {
        // Only a missing directory is made: an existing one costs no mkdir.
        Err(Errno::ENOENT) if create => match mkdir(dir, Mode::from_bits_truncate(0o755)) {
            Ok(()) | Err(Errno::EEXIST) => open(dir, flags, Mode::empty()),
            Err(e) => return Err(Error::sys(e, "mkdir", Subject::Path(dir.into()))),
        },
        other => other,
    };
    let fd = opened.map_err(|e| Error::sys(e, "open", Subject::Path(dir.into())))?;
    check_writable(dir)?;
    loop {
        match lock_exclusive(&fd) {
            Ok(()) => break,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(Error::sys(e, "flock", Subject::Path(dir.into()))),
        }
    }
    Ok(LockedRunDir { _lock: fd, dir: dir.into(), bound: false })
}

/// `flock(2)` with `LOCK_EX`. (nix's `Flock` unlocks with `LOCK_UN` on drop; the close that
/// follows releases the lock anyway, so that call is saved.)
fn lock_exclusive(fd: &OwnedFd) -> nix::Result<()> {
    // SAFETY: flock only takes the fd number and a flag.
    Errno::result(unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_EX) }).map(drop)
}

/// Fails (`EACCES`, or `EROFS`) when this process may not make or remove entries in `dir`,
/// before anything is changed: `faccessat2(2)` with `W_OK | X_OK` and `AT_EACCESS` judges with
/// the effective ids and capabilities, as the `open(2)` or `unlink(2)` that follow would be.
/// Any other answer skips the check and leaves the judgement to those calls: `ENOSYS` from a
/// kernel before 5.8 (or an emulator), `EPERM` from a seccomp filter that does not know it.
fn check_writable(dir: &Path) -> Result<()> {
    let path = CString::new(dir.as_os_str().as_bytes()).map_err(|_| Error::sys(Errno::EINVAL, "faccessat2", Subject::Path(dir.into())))?;
    // SAFETY: a valid C string and plain integer flags; the kernel only reads the path.
    let rc = unsafe {
        libc::syscall(libc::SYS_faccessat2, libc::AT_FDCWD, path.as_ptr(), libc::W_OK | libc::X_OK, libc::AT_EACCESS)
    };
    match Errno::result(rc) {
        Err(e @ (Errno::EACCES | Errno::EROFS)) => Err(Error::sys(e, "faccessat2", Subject::Path(dir.into()))),
        _ => Ok(()),
    }
}

impl LockedRunDir {
    /// Makes the directory a shared mount (`MS_SHARED | MS_REC`), as `ip netns add` does.
    /// Shared, an unmount of a namespace file in one mount namespace propagates to the others,
    /// so the namespace can be freed sooner.
    ///
    /// A directory that is not a mount point yet is first bind-mounted on itself and made
    /// private, so that it starts a peer group of its own: a bind mount of a shared mount (`/`
    /// on systemd hosts) would otherwise be a peer of its source, and every namespace mounted in
    /// the directory would then appear twice in the mount table. A failure undoes the bind.
    pub(crate) fn make_shared(&mut self) -> Result<()> {
        let dir = self.dir.clone();
        let shared = MsFlags::MS_SHARED | MsFlags::MS_REC;
        match remount(&dir, shared) {
            // EINVAL: not a mount point yet.
            Err(Error::Sys { errno: Errno::EINVAL, .. }) => {}
            other => return other,
        }
        mount(Some(&dir), &dir, Some("none"), MsFlags::MS_BIND | MsFlags::MS_REC, None::<&OsStr>)
            .map_err(|e| Error::sys(e, "mount", Subject::Path(dir.clone())))?;
        self.bound = true;
        let made = remount(&dir, MsFlags::MS_PRIVATE).and_then(|()| remount(&dir, shared));
        if made.is_err() {
            self.undo_bind();
        }
        made
    }

    /// Takes back the bind mount of the directory on itself if this holder made it, after a
    /// creation failed: a failed call leaves no mount behind.
    pub(crate) fn undo_bind(&mut self) {
        if std::mem::take(&mut self.bound) {
            let _ = umount2(&self.dir, MntFlags::MNT_DETACH);
        }
    }
}

/// Changes the propagation type of the mount at `dir` (`mount(2)` with no source).
fn remount(dir: &Path, flags: MsFlags) -> Result<()> {
    mount(None::<&OsStr>, dir, Some("none"), flags, None::<&OsStr>).map_err(|e| Error::sys(e, "mount", Subject::Path(dir.into())))
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
