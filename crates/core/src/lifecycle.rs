//! Creating, listing and deleting network namespaces, named ones as `ip netns` keeps them.
//!
//! A named namespace is a bind mount of a namespace file onto `<run dir>/<name>`. The
//! `unshare(CLONE_NEWNET)` that makes a namespace happens on the calling thread under an
//! [`NsGuard`], as every switch of the package does: the thread is back in its namespace before
//! the call returns or fails, and if it cannot get back the process stops.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::fcntl::AtFlags;
use nix::sys::stat::{fstat, fstatat, Mode};
use nix::sys::statfs::fstatfs;
use nix::unistd::unlink;

use crate::error::{Error, Result, Subject};
use crate::nsfile::{NetNs, NSFS_MAGIC, PROCFS_MAGIC};
use crate::rundir;
use crate::switch::NsGuard;
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

/// Creates an anonymous network namespace: it has no name and lives as long as something holds
/// it (the returned file, a socket made in it, a process in it).
pub fn create_anonymous() -> Result<NetNs> {
    let _home = NsGuard::unshare()?;
    NetNs::current()
}

/// Creates the named network namespace `name` in `run_dir` as `ip netns add` does, and returns
/// it open.
///
/// Under an exclusive `flock` on `run_dir` (held until the end, see [`delete_named`]) the
/// directory is made a shared mount; then `<run_dir>/<name>` is created with `O_EXCL`, and the
/// calling thread unshares, bind-mounts its `/proc/thread-self/ns/net` on it, and goes back. A live namespace of that
/// name fails with `EEXIST`; a stale entry (an empty regular file that is no mount, left by a
/// creation or deletion that was killed half way) is removed and the name reused. If a step
/// fails, what this call made is removed: the file, and the bind mount of the directory on itself.
/// A run directory this process may not write in (or create) is [`Error::RunDirNotWritable`],
/// found before anything is changed.
pub fn create_named(run_dir: &Path, name: &str) -> Result<NetNs> {
    create_named_from(run_dir, name, Path::new(THREAD_SELF_NS_NET))
}

/// [`create_named`], bind-mounting `source` as seen from inside the new namespace (tests give a source
/// that cannot be mounted, to check the clean-up).
fn create_named_from(run_dir: &Path, name: &str, source: &Path) -> Result<NetNs> {
    let path = named_path(run_dir, name)?;
    let mut dir = rundir::lock(run_dir, true).map_err(|e| e.in_run_dir(run_dir))?;
    dir.make_shared()?;
    let made = create_locked(path, source.to_path_buf()).map_err(|e| e.in_run_dir(run_dir));
    if made.is_err() {
        dir.undo_bind();
    }
    made
}

/// The steps of [`create_named_from`] that run under the run directory's lock.
fn create_locked(path: PathBuf, source: PathBuf) -> Result<NetNs> {
    let mount_point = MountPoint::create(path)?;
    let ns = {
        let _home = NsGuard::unshare()?;
        let ns = NetNs::current()?;
        mount(Some(&source), &mount_point.path, Some("none"), MsFlags::MS_BIND, None::<&OsStr>)
            .map_err(|e| Error::sys(e, "mount", Subject::Path(mount_point.path.clone())))?;
        ns
    };
    mount_point.keep();
    Ok(ns)
}

/// The empty file a namespace is bind-mounted on. Unless kept, it is removed on drop.
struct MountPoint {
    path: PathBuf,
    keep: bool,
}

impl MountPoint {
    /// Creates the file as ip does: `O_RDONLY | O_CREAT | O_EXCL`, mode 0. A stale entry in its
    /// place is removed first (the caller holds the run directory's lock, so no live creation
    /// owns it).
    fn create(path: PathBuf) -> Result<MountPoint> {
        let flags = OFlag::O_RDONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_CLOEXEC;
        let mut reclaimed = false;
        loop {
            match open(&path, flags, Mode::empty()) {
                Ok(fd) => {
                    drop(fd);
                    return Ok(MountPoint { path, keep: false });
                }
                Err(Errno::EEXIST) if !reclaimed && entry_state(&path) == EntryState::Stale => {
                    unlink(&path).map_err(|e| Error::sys(e, "unlink", Subject::Path(path.clone())))?;
                    reclaimed = true;
                }
                Err(e) => return Err(Error::sys(e, "open", Subject::Path(path))),
            }
        }
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

/// What an entry of a run directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryState {
    /// A mounted namespace (nsfs, or procfs on old kernels): what `ip netns` lists.
    Live,
    /// An empty regular file that is no mount: the placeholder of a creation, or the rest of a
    /// deletion, that did not finish. Stale once no creation or deletion holds the lock.
    Stale,
    /// Nothing there.
    Missing,
    /// Anything else (a symlink, wherever it points; a directory; a file with data): not ours to
    /// remove, unmount or follow. Holds the file system magic found there.
    Other(i64),
}

/// Classifies the entry `path` itself, never what a symlink there points to: one
/// `open(2)` with `O_PATH | O_NOFOLLOW`, then `fstat(2)` and `fstatfs(2)` of that same file.
fn entry_state(path: &Path) -> EntryState {
    let fd = match open(path, OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return EntryState::Missing,
        Err(_) => return EntryState::Other(0),
    };
    let (Ok(st), Ok(fs)) = (fstat(&fd), fstatfs(&fd)) else { return EntryState::Other(0) };
    #[allow(clippy::unnecessary_cast)]
    let magic = fs.filesystem_type().0 as i64;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return EntryState::Other(magic);
    }
    if magic == NSFS_MAGIC || magic == PROCFS_MAGIC {
        EntryState::Live
    } else if st.st_size == 0 {
        EntryState::Stale
    } else {
        EntryState::Other(magic)
    }
}

/// Deletes the named namespace `name` from `run_dir` as `ip netns del` does: unmounts it
/// (`umount2(2)` with `MNT_DETACH | UMOUNT_NOFOLLOW`) and removes the file. Only a namespace
/// entry or a stale one is touched: anything else there (a symlink, wherever it points; a
/// directory; a file with data) is refused with [`Error::PathNotNs`] and left as it is. Files, sockets and processes that hold
/// the namespace keep it alive and working.
///
/// It holds the run directory's lock, as [`create_named`] does, so a deletion never sees a
/// creation half done, and a creation never sees a deletion half done. A stale entry is
/// removed too. A missing name (or run directory) fails with `ENOENT` (from `unlink`). A run
/// directory this process may not write in is [`Error::RunDirNotWritable`], found before the
/// namespace is unmounted.
pub fn delete_named(run_dir: &Path, name: &str) -> Result<()> {
    let path = named_path(run_dir, name)?;
    let _dir = match rundir::lock(run_dir, false) {
        Err(e) if e.errno() == Some(Errno::ENOENT) => return Err(Error::sys(Errno::ENOENT, "unlink", Subject::Path(path))),
        other => other.map_err(|e| e.in_run_dir(run_dir))?,
    };
    match entry_state(&path) {
        EntryState::Live => match umount2(&path, MntFlags::MNT_DETACH | MntFlags::UMOUNT_NOFOLLOW) {
            // EINVAL: not a mount point after all (a bind mount of another file system's ns).
            Ok(()) | Err(Errno::EINVAL) => {}
            Err(e) => return Err(Error::sys(e, "umount2", Subject::Path(path))),
        },
        EntryState::Stale | EntryState::Missing => {}
        EntryState::Other(fs_type) => return Err(Error::PathNotNs { path, fs_type }),
    }
    // What is left once the namespace is unmounted is its placeholder; a file with data under
    // it stays. (A second mount stacked on the path makes `unlink` fail with `EBUSY`.)
    match entry_state(&path) {
        EntryState::Other(_) => Ok(()),
        _ => unlink(&path).map_err(|e| Error::sys(e, "unlink", Subject::Path(path)).in_run_dir(run_dir)),
    }
}

/// The names of the named namespaces in `run_dir`, sorted. A missing directory has none.
///
/// Only live entries (a namespace is mounted there) are listed, unless `with_stale`: then every
/// entry is, as `ip netns list` prints them, also the stale ones a killed creation or deletion
/// left (the next creation of that name, or a deletion, removes them).
pub fn list_named(run_dir: &Path, with_stale: bool) -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(run_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(e, "opendir", run_dir)),
    };
    // A live entry is a namespace file mounted there: its device is the namespace file system's
    // (nsfs; procfs on kernels before 3.19). One `fstatat` relative to the directory per entry.
    let live = if with_stale { None } else { Some(LiveCheck::new(run_dir)?) };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(e, "readdir", run_dir))?;
        let name = entry.file_name();
        if live.as_ref().is_none_or(|l| l.is_live(&name)) {
            names.push(name.to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Tells live entries of one run directory without a path walk per entry.
struct LiveCheck {
    dir: std::os::fd::OwnedFd,
    ns_dev: libc::dev_t,
}

impl LiveCheck {
    fn new(run_dir: &Path) -> Result<LiveCheck> {
        let dir = open(run_dir, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty())
            .map_err(|e| Error::sys(e, "open", Subject::Path(run_dir.into())))?;
        let ns_dev = nix::sys::stat::stat(THREAD_SELF_NS_NET)
            .map_err(|e| Error::sys(e, "stat", Subject::Path(THREAD_SELF_NS_NET.into())))?
            .st_dev;
        Ok(LiveCheck { dir, ns_dev })
    }

    /// Whether a namespace is mounted on `name` (the mount's root is what `fstatat` sees).
    fn is_live(&self, name: &OsStr) -> bool {
        fstatat(&self.dir, name, AtFlags::AT_SYMLINK_NOFOLLOW).is_ok_and(|st| st.st_dev == self.ns_dev)
    }
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
        assert_eq!(list_named(&dir.0, false).unwrap(), vec!["one".to_string()]);
        assert!(mounts_under(&dir.0).contains(&dir.0.join("one").to_string_lossy().into_owned()));

        let again = create_named(&dir.0, "one").unwrap_err();
        assert_eq!(again.errno(), Some(Errno::EEXIST));

        delete_named(&dir.0, "one").unwrap();
        assert!(list_named(&dir.0, false).unwrap().is_empty());
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
        assert!(list_named(&dir.0, false).unwrap().is_empty());
        assert!(mounts_under(&dir.0).is_empty(), "the bind mount of the run dir this call made is undone too");
    }

    #[test]
    fn a_stale_entry_is_not_listed_and_is_reclaimed_by_the_next_creation() {
        let dir = TempRunDir::new("stale");
        let ns = create_named(&dir.0, "live").unwrap();
        // What a creation killed before its mount, or a deletion killed after its unmount, leaves.
        std::fs::write(dir.0.join("stale"), b"").unwrap();
        std::fs::write(dir.0.join("data"), b"not ours").unwrap();
        assert_eq!(list_named(&dir.0, false).unwrap(), vec!["live".to_string()]);
        assert_eq!(list_named(&dir.0, true).unwrap(), vec!["data".to_string(), "live".to_string(), "stale".to_string()]);

        let reborn = create_named(&dir.0, "stale").unwrap();
        assert_ne!(reborn.identity().unwrap(), ns.identity().unwrap());
        assert_eq!(list_named(&dir.0, false).unwrap(), vec!["live".to_string(), "stale".to_string()]);
        // A file with data is not a placeholder: the name stays taken.
        assert_eq!(create_named(&dir.0, "data").unwrap_err().errno(), Some(Errno::EEXIST));

        // A deletion that was killed after the unmount: the next deletion finishes it.
        umount2(&dir.0.join("live"), MntFlags::MNT_DETACH).unwrap();
        assert_eq!(list_named(&dir.0, false).unwrap(), vec!["stale".to_string()]);
        delete_named(&dir.0, "live").unwrap();
        delete_named(&dir.0, "stale").unwrap();
        assert_eq!(list_named(&dir.0, true).unwrap(), vec!["data".to_string()]);
        assert_eq!(mounts_under(&dir.0), vec![dir.0.to_string_lossy().into_owned()]);
    }

    #[test]
    fn deleting_in_a_missing_run_dir_is_enoent_from_unlink() {
        let dir = TempRunDir::new("nodir");
        let e = delete_named(&dir.0, "x").unwrap_err();
        assert_eq!(e, Error::sys(Errno::ENOENT, "unlink", Subject::Path(dir.0.join("x"))));
        assert!(!dir.0.exists());
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
        assert!(list_named(Path::new("/nonexistent/netns-core"), true).unwrap().is_empty());
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
    fn a_run_dir_that_may_not_be_written_is_refused_before_anything_changes() {
        // Root may write anywhere, except on a read-only file system: EROFS stands in for EACCES.
        let dir = TempRunDir::new("readonly");
        let ns = create_named(&dir.0, "live").unwrap();
        // The run directory is a bind mount of itself now: make that mount read-only.
        let remount = |flags: MsFlags| mount(None::<&OsStr>, &dir.0, None::<&OsStr>, MsFlags::MS_REMOUNT | MsFlags::MS_BIND | flags, None::<&OsStr>);
        remount(MsFlags::MS_RDONLY).unwrap();
        let before = mounts_under(&dir.0);

        let e = create_named(&dir.0, "x").unwrap_err();
        assert_eq!(
            e,
            Error::RunDirNotWritable { errno: Errno::EROFS, syscall: "faccessat2", path: dir.0.clone(), run_dir: dir.0.clone() }
        );
        assert!(e.to_string().contains(&format!("run directory '{}'", dir.0.display())), "{e}");
        let e = delete_named(&dir.0, "live").unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EROFS));
        assert!(matches!(e, Error::RunDirNotWritable { .. }));
        assert_eq!(mounts_under(&dir.0), before, "no mount made or taken away");
        assert_eq!(NetNs::open(&dir.0.join("live")).unwrap().identity().unwrap(), ns.identity().unwrap());

        remount(MsFlags::empty()).unwrap();
        delete_named(&dir.0, "live").unwrap();
        assert!(list_named(&dir.0, true).unwrap().is_empty());
    }

    #[test]
    fn proc_paths() {
        assert_eq!(pid_ns_path(12), Path::new("/proc/12/ns/net"));
        assert_eq!(task_ns_path(12, 13), Path::new("/proc/12/task/13/ns/net"));
    }
}
