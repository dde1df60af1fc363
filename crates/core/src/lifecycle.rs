//! Creating, listing and deleting network namespaces, named ones as `ip netns` keeps them.
//!
//! A named namespace is a bind mount of a namespace file onto `<run dir>/<name>`. The
//! `unshare(CLONE_NEWNET)` that makes a namespace happens on a short-lived thread of its own, so
//! no caller's thread ever changes namespace.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::stat::Mode;
use nix::unistd::unlink;

use crate::error::{Error, Result, Subject};
use crate::nsfile::NetNs;
use crate::rundir;
use crate::thread::THREAD_SELF_NS_NET;

/// The longest name, in bytes, that `ip netns` accepts (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// Checks that `name` can name a namespace: a single path component, as `ip netns` requires.
///
/// Empty, `.`, `..`, containing `/` or NUL, or longer than [`NAME_MAX`] bytes is
/// [`Error::InvalidName`].
pub fn validate_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name == "." || name == ".." {
        "'.' and '..' are not names"
    } else if name.contains('/') {
        "it contains '/'"
    } else if name.contains('\0') {
        "it contains a NUL byte"
    } else if name.len() > NAME_MAX {
        "it is longer than 255 bytes"
    } else {
        return Ok(());
    };
    Err(Error::InvalidName { name: name.into(), reason })
}

/// The path of the named namespace `name` in `run_dir`, after checking the name.
pub fn named_path(run_dir: &Path, name: &str) -> Result<PathBuf> {
    validate_name(name)?;
    Ok(run_dir.join(name))
}

/// The network namespace file of process `pid`: `/proc/<pid>/ns/net`.
pub fn pid_ns_path(pid: i32) -> PathBuf {
    format!("/proc/{pid}/ns/net").into()
}

/// The network namespace file of thread `tid` of process `pid`: `/proc/<pid>/task/<tid>/ns/net`.
pub fn task_ns_path(pid: i32, tid: i32) -> PathBuf {
    format!("/proc/{pid}/task/{tid}/ns/net").into()
}

/// Runs `f` on a new thread that first moves into a new network namespace
/// (`unshare(2)` with `CLONE_NEWNET`) and ends with `f`. The calling thread never changes.
fn on_new_netns_thread<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let thread = std::thread::Builder::new()
        .name("netns-unshare".into())
        // It runs a few syscalls: a small stack makes the thread cheaper to start (mmap, guard page).
        .stack_size(64 * 1024)
        .spawn(move || {
            unshare(CloneFlags::CLONE_NEWNET).map_err(|e| Error::sys(e, "unshare", Subject::None))?;
            f()
        })
        .map_err(|e| Error::sys(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EAGAIN)), "clone", Subject::None))?;
    thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Creates an anonymous network namespace: it has no name and lives as long as something holds
/// it (the returned file, a socket made in it, a process in it).
pub fn create_anonymous() -> Result<NetNs> {
    on_new_netns_thread(NetNs::current)
}

/// Creates the named network namespace `name` in `run_dir` exactly as `ip netns add` does, and
/// returns it open.
///
/// Under an exclusive `flock` on `run_dir` it is made a shared mount; then `<run_dir>/<name>` is
/// created with `O_EXCL` (an existing name fails with `EEXIST`), and a new thread unshares and
/// bind-mounts its `/proc/thread-self/ns/net` on it. If a step fails, what was made is removed.
pub fn create_named(run_dir: &Path, name: &str) -> Result<NetNs> {
    create_named_from(run_dir, name, Path::new(THREAD_SELF_NS_NET))
}

/// [`create_named`], bind-mounting `source` as seen from the new thread (tests give a source
/// that cannot be mounted, to check the clean-up).
fn create_named_from(run_dir: &Path, name: &str, source: &Path) -> Result<NetNs> {
    let path = named_path(run_dir, name)?;
    {
        let _locked = rundir::prepare(run_dir)?;
    }
    let mount_point = MountPoint::create(path)?;
    let target = mount_point.path.clone();
    let source = source.to_path_buf();
    let ns = on_new_netns_thread(move || {
        let ns = NetNs::current()?;
        mount(Some(&source), &target, Some("none"), MsFlags::MS_BIND, None::<&OsStr>)
            .map_err(|e| Error::sys(e, "mount", Subject::Path(target.clone())))?;
        Ok(ns)
    })?;
    mount_point.keep();
    Ok(ns)
}

/// The empty file a namespace is bind-mounted on. Unless kept, it is removed on drop.
struct MountPoint {
    path: PathBuf,
    keep: bool,
}

impl MountPoint {
    /// Creates the file as ip does: `O_RDONLY | O_CREAT | O_EXCL`, mode 0.
    fn create(path: PathBuf) -> Result<MountPoint> {
        let flags = OFlag::O_RDONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_CLOEXEC;
        drop(open(&path, flags, Mode::empty()).map_err(|e| Error::sys(e, "open", Subject::Path(path.clone())))?);
        Ok(MountPoint { path, keep: false })
    }

    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for MountPoint {
    fn drop(&mut self) {
        if !self.keep {
            let _ = unlink(&self.path);
        }
    }
}

/// Deletes the named namespace `name` from `run_dir` as `ip netns del` does: unmounts it
/// (`umount2(2)` with `MNT_DETACH`) and removes the file. Files, sockets and processes that hold
/// the namespace keep it alive and working.
///
/// A missing name fails with `ENOENT` (from `unlink`).
pub fn delete_named(run_dir: &Path, name: &str) -> Result<()> {
    let path = named_path(run_dir, name)?;
    match umount2(&path, MntFlags::MNT_DETACH) {
        // EINVAL: not a mount point (a file left by a failed `ip netns add`); ENOENT: unlink says it.
        Ok(()) | Err(Errno::EINVAL) | Err(Errno::ENOENT) => {}
        Err(e) => return Err(Error::sys(e, "umount2", Subject::Path(path))),
    }
    unlink(&path).map_err(|e| Error::sys(e, "unlink", Subject::Path(path)))
}

/// The names of the named namespaces in `run_dir`, sorted, as `ip netns list` finds them (every
/// entry of the directory). A missing directory has none.
pub fn list_named(run_dir: &Path) -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(run_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(e, "opendir", run_dir)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(e, "readdir", run_dir))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

fn io_error(e: std::io::Error, syscall: &'static str, path: &Path) -> Error {
    Error::sys(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)), syscall, Subject::Path(path.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    /// A temporary run directory, unmounted (everything under it too) and removed on drop.
    struct TempRunDir(PathBuf);

    impl TempRunDir {
        fn new(tag: &str) -> TempRunDir {
            let base = std::env::temp_dir().join(format!("netns-core-{}-{tag}", std::process::id()));
            std::fs::create_dir_all(&base).unwrap();
            TempRunDir(base.join("run"))
        }
    }

    impl Drop for TempRunDir {
        fn drop(&mut self) {
            let base = self.0.parent().unwrap().to_path_buf();
            let mut mounts = mounts_under(&base);
            mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
            for m in mounts {
                let _ = umount2(Path::new(&m), MntFlags::MNT_DETACH);
            }
            let _ = std::fs::remove_dir_all(&base);
        }
    }

    fn mounts_under(dir: &Path) -> Vec<String> {
        let prefix = dir.to_string_lossy().into_owned();
        std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .lines()
            .filter_map(|l| l.split(' ').nth(4).map(str::to_owned))
            .filter(|m| m == &prefix || m.starts_with(&format!("{prefix}/")))
            .collect()
    }

    fn host_ino() -> u64 {
        NetNs::current().unwrap().identity().unwrap().ino
    }

    #[test]
    fn names_must_be_one_path_component() {
        for bad in ["", ".", "..", "a/b", "/", "a\0b", &"x".repeat(256)] {
            assert!(matches!(validate_name(bad), Err(Error::InvalidName { .. })), "{bad:?}");
        }
        for good in ["blue", "a.b", "...", "-x", &"x".repeat(255), "é"] {
            assert_eq!(validate_name(good), Ok(()), "{good:?}");
        }
        // Bytes count, not characters.
        assert!(validate_name(&"é".repeat(128)).is_err());
    }

    #[test]
    fn invalid_name_touches_nothing() {
        let dir = TempRunDir::new("invalid");
        assert!(matches!(create_named(&dir.0, "../escape"), Err(Error::InvalidName { .. })));
        assert!(!dir.0.exists());
        assert!(mounts_under(&dir.0).is_empty());
    }

    #[test]
    fn named_lifecycle_in_a_run_dir() {
        let dir = TempRunDir::new("named");
        let before = host_ino();
        let ns = create_named(&dir.0, "one").unwrap();
        assert_eq!(host_ino(), before, "the calling thread never changes");
        let id = ns.identity().unwrap();
        assert_ne!(id.ino, before);
        let opened = NetNs::open(&dir.0.join("one")).unwrap();
        assert_eq!(opened.identity().unwrap(), id);
        assert_eq!(list_named(&dir.0).unwrap(), vec!["one".to_string()]);
        assert!(mounts_under(&dir.0).contains(&dir.0.join("one").to_string_lossy().into_owned()));

        let again = create_named(&dir.0, "one").unwrap_err();
        assert_eq!(again.errno(), Some(Errno::EEXIST));

        delete_named(&dir.0, "one").unwrap();
        assert!(list_named(&dir.0).unwrap().is_empty());
        assert!(!mounts_under(&dir.0).contains(&dir.0.join("one").to_string_lossy().into_owned()));
        // The open file still holds a working namespace.
        assert_eq!(crate::Identity::of(ns.as_fd()).unwrap(), id);
        assert_eq!(delete_named(&dir.0, "one").unwrap_err().errno(), Some(Errno::ENOENT));
    }

    #[test]
    fn a_failed_mount_removes_the_file() {
        let dir = TempRunDir::new("failmount");
        let e = create_named_from(&dir.0, "half", Path::new("/proc/thread-self/ns/no-such-ns")).unwrap_err();
        assert_eq!(e, Error::sys(Errno::ENOENT, "mount", Subject::Path(dir.0.join("half"))));
        assert!(list_named(&dir.0).unwrap().is_empty());
        assert!(!mounts_under(&dir.0).contains(&dir.0.join("half").to_string_lossy().into_owned()));
    }

    #[test]
    fn anonymous_namespace_is_new_and_nameless() {
        let before = host_ino();
        let a = create_anonymous().unwrap();
        let b = create_anonymous().unwrap();
        assert_eq!(host_ino(), before);
        assert_ne!(a.identity().unwrap().ino, before);
        assert_ne!(a.identity().unwrap(), b.identity().unwrap());
    }

    #[test]
    fn missing_run_dir_lists_nothing() {
        assert!(list_named(Path::new("/nonexistent/netns-core")).unwrap().is_empty());
    }

    #[test]
    fn permission_errors_say_what_is_needed() {
        for syscall in ["unshare", "mount", "umount2"] {
            let hint = Error::sys(Errno::EPERM, syscall, Subject::None).hint().unwrap();
            assert!(hint.contains("CAP_SYS_ADMIN"), "{syscall}: {hint}");
        }
        let e = validate_name("a/b").unwrap_err();
        assert_eq!(e.to_string(), "invalid namespace name \"a/b\": it contains '/'; a name must be a single path component");
    }

    #[test]
    fn proc_paths() {
        assert_eq!(pid_ns_path(12), Path::new("/proc/12/ns/net"));
        assert_eq!(task_ns_path(12, 13), Path::new("/proc/12/task/13/ns/net"));
    }
}
