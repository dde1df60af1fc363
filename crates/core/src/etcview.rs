//! A thread's own view of `/etc`, as `ip netns exec` gives a command: every file of
//! `/etc/netns/<name>/` bind-mounted over the file of the same name in `/etc`.
//!
//! The view is private to the calling thread: it first unshares its file-system attributes and
//! its mount namespace (`unshare(2)` with `CLONE_FS | CLONE_NEWNS`), and makes `/` a recursive
//! slave so that nothing it mounts propagates back. The rest of the process keeps its `/etc`.
//! Call it only on a thread of the package's own, which ends when its work is done.

use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::stat::Mode;

use crate::error::{Error, Result, Subject};

/// Where `ip netns exec` looks for the files of a named namespace.
pub const ETC_NETNS_DIR: &str = "/etc/netns";

/// The files of `/etc/netns/<name>` for the named namespace `name`.
pub fn netns_etc_dir(name: &str) -> PathBuf {
    Path::new(ETC_NETNS_DIR).join(name)
}

/// What an etc directory holds, to tell when a view made from it has gone stale: the name and
/// (dev, inode) of every entry. Editing a file in place keeps it; replacing one (a rename, as
/// most editors do), adding or removing one changes it.
pub type Fingerprint = Vec<(OsString, u64, u64)>;

/// The [`Fingerprint`] of `dir`; empty when it does not exist.
pub fn fingerprint(dir: &Path) -> Fingerprint {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut seen: Fingerprint = entries
        .flatten()
        .filter_map(|e| {
            let meta = std::fs::metadata(e.path()).ok()?;
            Some((e.file_name(), meta.dev(), meta.ino()))
        })
        .collect();
    seen.sort();
    seen
}

/// The calling thread with its own `/etc` view of one directory, refreshed when it changes.
#[derive(Debug)]
pub struct EtcView {
    dir: PathBuf,
    seen: Fingerprint,
    /// The directory's (dev, inode, ctime) when it was last found settled, if it was.
    stamp: Option<(u64, u64, i64, i64)>,
    /// What `/etc/<name>` was in the view when it was made, for every entry of the directory:
    /// (dev, inode), or `None` where it did not exist. A file the host replaces (a rename over
    /// its `/etc/hosts`) detaches the view's mount on it and changes this.
    shown: Vec<(PathBuf, Option<(u64, u64)>)>,
    /// The mount namespace the thread started in, to start over from when the view is refreshed.
    origin: Option<OwnedFd>,
}

impl EtcView {
    /// Gives the calling thread a private `/etc` with the files of `dir` bound over their
    /// namesakes. A `dir` that does not exist (or is empty) changes nothing, as with `ip netns
    /// exec`; a file of `dir` with no namesake in `/etc` is skipped, as `ip` skips it.
    pub fn enter(dir: &Path) -> Result<EtcView> {
        let mut view = EtcView { dir: dir.to_path_buf(), seen: Vec::new(), stamp: None, shown: Vec::new(), origin: None };
        view.refresh()?;
        Ok(view)
    }

    /// Makes the view again if the directory changed since it was made, or if a file of `/etc`
    /// it covered was replaced under it (the kernel detaches a mount whose file is renamed over
    /// or removed, and `/etc/<name>` then shows the host's file); a no-op otherwise. Returns
    /// whether the view was made again.
    ///
    /// One `stat` of the directory and one of each covered file answer most calls: an entry
    /// added, removed or replaced changes the directory's `ctime`. Only a directory changed in
    /// the last [`SETTLE`] (file times are coarse) or since the last look gets the full
    /// [`fingerprint`].
    pub fn refresh(&mut self) -> Result<bool> {
        let intact = self.intact();
        let stamp = dir_stamp(&self.dir);
        if intact && stamp.is_some() && stamp == self.stamp {
            return Ok(false);
        }
        self.stamp = stamp;
        let now = fingerprint(&self.dir);
        if intact && now == self.seen && (self.origin.is_some() || now.is_empty()) {
            return Ok(false);
        }
        if self.origin.is_none() {
            if now.is_empty() {
                return Ok(false);
            }
            self.origin = Some(open_mount_ns()?);
            unshare(CloneFlags::CLONE_FS).map_err(|e| Error::sys(e, "unshare", Subject::None))?;
        } else if let Some(origin) = &self.origin {
            // Back to the process's mounts, then a fresh private copy.
            nix::sched::setns(origin, CloneFlags::CLONE_NEWNS)
                .map_err(|e| Error::sys(e, "setns", Subject::Path("/proc/thread-self/ns/mnt".into())))?;
        }
        private_mounts(CloneFlags::CLONE_NEWNS)?;
        bind_over_etc(&self.dir, &now);
        self.shown = now
            .iter()
            .map(|(name, _, _)| {
                let path = Path::new("/etc").join(name);
                let id = identity(&path);
                (path, id)
            })
            .collect();
        self.seen = now;
        Ok(true)
    }

    /// Whether every file of `/etc` the view covered is still the one it showed when it was
    /// made: `false` once the host replaced one (the view then reads the host's file).
    pub fn intact(&self) -> bool {
        self.shown.iter().all(|(path, id)| identity(path) == *id)
    }

    /// The directory whose files the view shows.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Gives the calling thread a mount namespace of its own (`unshare(2)` with `flags`, which holds
/// `CLONE_NEWNS`) in which `/` is a recursive slave: nothing mounted there propagates back.
fn private_mounts(flags: CloneFlags) -> Result<()> {
    unshare(flags).map_err(|e| Error::sys(e, "unshare", Subject::None))?;
    mount(None::<&str>, "/", None::<&str>, MsFlags::MS_REC | MsFlags::MS_SLAVE, None::<&str>)
        .map_err(|e| Error::sys(e, "mount", Subject::Path("/".into())))
}

/// Binds every entry of `dir` over its namesake in `/etc`; as `ip netns exec` does, an entry
/// that cannot be bound (no namesake in /etc) is skipped.
fn bind_over_etc(dir: &Path, entries: &Fingerprint) {
    for (name, _, _) in entries {
        let _ = mount(Some(&dir.join(name)), &Path::new("/etc").join(name), None::<&str>, MsFlags::MS_BIND, None::<&str>);
    }
}

/// Gives the calling thread, for good, what `ip netns exec` gives a command: a mount namespace of
/// its own with the files of `dir` (if any) over `/etc`'s, and a new sysfs on `/sys`, which lists
/// the links of the network namespace the thread is in. Only for a thread that ends with its
/// work (a worker thread): its file-system attributes stay unshared. Refused with `EPERM` on
/// the process's main thread.
pub fn enter_netns_view(dir: Option<&Path>) -> Result<()> {
    if crate::thread::gettid() == nix::unistd::getpid().as_raw() {
        return Err(Error::sys(nix::errno::Errno::EPERM, "unshare", Subject::None));
    }
    private_mounts(CloneFlags::CLONE_FS | CloneFlags::CLONE_NEWNS)?;
    if let Some(dir) = dir {
        bind_over_etc(dir, &fingerprint(dir));
    }
    let _ = umount2("/sys", MntFlags::MNT_DETACH);
    mount(Some("sysfs"), "/sys", Some("sysfs"), MsFlags::empty(), None::<&str>)
        .map_err(|e| Error::sys(e, "mount", Subject::Path("/sys".into())))
}

/// How long after its last change a directory is looked at in full on every lookup.
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// (dev, inode, ctime) of `dir` if it has not changed for [`SETTLE`]; `None` otherwise, or if
/// it cannot be read.
fn dir_stamp(dir: &Path) -> Option<(u64, u64, i64, i64)> {
    let meta = std::fs::metadata(dir).ok()?;
    let changed = std::time::UNIX_EPOCH + std::time::Duration::new(meta.ctime().max(0) as u64, meta.ctime_nsec().max(0) as u32);
    let settled = std::time::SystemTime::now().duration_since(changed).is_ok_and(|age| age >= SETTLE);
    settled.then(|| (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()))
}

/// (dev, inode) of the file at `path`, following symlinks as `open` does; `None` if there is none.
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

fn open_mount_ns() -> Result<OwnedFd> {
    let path = "/proc/thread-self/ns/mnt";
    open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|e| Error::sys(e, "open", Subject::Path(path.into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount_ns() -> PathBuf {
        std::fs::read_link("/proc/thread-self/ns/mnt").unwrap()
    }

    #[test]
    fn a_thread_sees_the_dir_and_the_process_does_not() {
        let dir = PathBuf::from(format!("/tmp/netns-core-etcview-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("hosts"), "10.9.8.7 only-in-view\n").unwrap();
        let before = std::fs::read_to_string("/etc/hosts").unwrap();
        let host_mnt = mount_ns();
        let d = dir.clone();
        let (inside, thread_mnt) = std::thread::spawn(move || {
            let _view = EtcView::enter(&d).unwrap();
            (std::fs::read_to_string("/etc/hosts").unwrap(), mount_ns())
        })
        .join()
        .unwrap();
        assert!(inside.contains("only-in-view"));
        assert_ne!(thread_mnt, host_mnt);
        assert_eq!(std::fs::read_to_string("/etc/hosts").unwrap(), before);
        assert_eq!(mount_ns(), host_mnt);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A file of the view's "host" replaced by a rename, then one of its directory's: each time
    /// the view notices and shows the directory's file again. The "host" is a thread with a
    /// scratch directory bound over `/etc` in a mount namespace of its own, so the machine's
    /// `/etc` never changes.
    #[test]
    fn files_replaced_under_the_view_are_noticed() {
        use std::sync::mpsc;
        let base = PathBuf::from(format!("/tmp/netns-core-etcview-rename-{}", std::process::id()));
        let (host_etc, dir) = (base.join("etc"), base.join("ns"));
        std::fs::create_dir_all(&host_etc).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        for (name, host, ns) in [("hosts", "10.3.3.3 adv-name\n", "10.1.1.1 adv-name\n"), ("resolv.conf", "nameserver 10.3.3.3\n", "nameserver 10.1.1.1\n")] {
            std::fs::write(host_etc.join(name), host).unwrap();
            std::fs::write(dir.join(name), ns).unwrap();
        }
        let replace = |path: &Path, text: &str| {
            let new = path.with_extension("new");
            std::fs::write(&new, text).unwrap();
            std::fs::rename(&new, path).unwrap();
        };
        let read = || ["hosts", "resolv.conf"].map(|f| std::fs::read_to_string(Path::new("/etc").join(f)).unwrap());
        let (e, d) = (host_etc.clone(), dir.clone());
        std::thread::spawn(move || {
            private_mounts(CloneFlags::CLONE_FS | CloneFlags::CLONE_NEWNS).unwrap();
            mount(Some(&e), "/etc", None::<&str>, MsFlags::MS_BIND, None::<&str>).unwrap();
            let (ask, asked) = mpsc::channel::<()>();
            let (tell, told) = mpsc::channel();
            let d2 = d.clone();
            let view = std::thread::spawn(move || {
                let mut view = EtcView::enter(&d2).unwrap();
                for () in asked {
                    let intact = view.intact();
                    let remade = view.refresh().unwrap();
                    tell.send((intact, remade, read())).unwrap();
                }
            });
            let look = || {
                ask.send(()).unwrap();
                told.recv().unwrap()
            };
            assert_eq!(look(), (true, false, ["10.1.1.1 adv-name\n".to_string(), "nameserver 10.1.1.1\n".to_string()]));
            replace(Path::new("/etc/hosts"), "10.4.4.4 adv-name\n");
            assert_eq!(look(), (false, true, ["10.1.1.1 adv-name\n".to_string(), "nameserver 10.1.1.1\n".to_string()]));
            replace(Path::new("/etc/resolv.conf"), "nameserver 10.4.4.4\n");
            assert_eq!(look(), (false, true, ["10.1.1.1 adv-name\n".to_string(), "nameserver 10.1.1.1\n".to_string()]));
            replace(&d.join("hosts"), "10.2.2.2 adv-name\n");
            let (_, remade, seen) = look();
            assert!(remade);
            assert_eq!(seen[0], "10.2.2.2 adv-name\n");
            drop(ask);
            view.join().unwrap();
            // This thread's own /etc is the scratch one, with the "host's" new files.
            assert_eq!(read(), ["10.4.4.4 adv-name\n".to_string(), "nameserver 10.4.4.4\n".to_string()]);
        })
        .join()
        .unwrap();
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_missing_dir_changes_nothing() {
        let host_mnt = mount_ns();
        let same = std::thread::spawn(move || {
            let _view = EtcView::enter(Path::new("/nonexistent/netns-core")).unwrap();
            mount_ns()
        })
        .join()
        .unwrap();
        assert_eq!(same, host_mnt);
    }
}
