//! The calling thread: its kernel id and the path of its own network namespace.

use nix::unistd;

/// The calling thread's network namespace, correct in any thread (in a worker thread
/// `/proc/self` is the main thread's directory, `/proc/thread-self` is not).
pub const THREAD_SELF_NS_NET: &str = "/proc/thread-self/ns/net";

/// The kernel thread id of the calling thread (`gettid(2)`).
pub fn gettid() -> i32 {
    unistd::gettid().as_raw()
}

/// A stable path naming the calling thread's network namespace:
/// `/proc/<pid>/task/<tid>/ns/net`, as the Go `ns` package gives it.
pub fn thread_ns_path() -> String {
    format!("/proc/{}/task/{}/ns/net", unistd::getpid(), gettid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gettid_differs_between_threads_and_names_the_thread_path() {
        let main = gettid();
        let other = std::thread::spawn(gettid).join().unwrap();
        assert_ne!(main, other);
        assert!(other > 0);
        assert!(thread_ns_path().ends_with(&format!("/task/{main}/ns/net")));
    }
}
