//! Replays every checked-in fuzz input through the fuzz targets' own checks,
//! without libFuzzer, so that `cargo test` catches a regression on every
//! change. The checked-in inputs are the seeds (real binaries and caches)
//! in binlibdepcp/fuzz/seeds and one file per bug found in
//! binlibdepcp/fuzz/regressions. A local `cargo fuzz` corpus in
//! binlibdepcp/fuzz/corpus, which git ignores, is replayed too.

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// Maximum time one input may take before the test calls it hung. Each
/// input takes well under a second; the margin is for a loaded machine.
const HANG_LIMIT: Duration = Duration::from_secs(60);

/// Maximum bytes this test process may hold at once. Every input is at most a
/// few hundred KiB, so a check that needs more allocates without bound.
const MEMORY_LIMIT: usize = 1 << 30;

/// The system allocator, rejecting any allocation past MEMORY_LIMIT. A
/// refused allocation aborts the test, or makes a fallible one such as
/// `fs::read`'s fail, and sets LIMIT_REACHED either way.
struct CappedAllocator;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static LIMIT_REACHED: AtomicBool = AtomicBool::new(false);

// SAFETY: every method forwards to the system allocator with the caller's
// arguments, and only adds a counter and a rejection (a null pointer, which
// GlobalAlloc allows).
unsafe impl GlobalAlloc for CappedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let before = LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        if before + layout.size() > MEMORY_LIMIT {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            LIMIT_REACHED.store(true, Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's layout contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CappedAllocator = CappedAllocator;

/// Returns the files of every input folder of `target`, sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for kind in ["seeds", "corpus", "regressions"] {
        let Ok(entries) = fs::read_dir(fuzz.join(kind).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("failed to list fuzz inputs").path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs `check` on each input of `target` in a thread, failing the test
/// with the input's path when it panics or runs past HANG_LIMIT.
fn replay(target: &str, check: fn(&[u8], &Path)) -> usize {
    let files = inputs(target);
    assert!(!files.is_empty(), "no fuzz inputs found for {target}");
    for file in &files {
        let data = fs::read(file).expect("failed to read a fuzz input");
        let work = tempfile::tempdir().expect("failed to create a temporary folder");
        let work_path = work.path().to_path_buf();
        let (sender, receiver) = mpsc::channel();
        let runner = std::thread::spawn(move || {
            check(&data, &work_path);
            let _ = sender.send(());
        });
        match receiver.recv_timeout(HANG_LIMIT) {
            Ok(()) => assert!(
                !LIMIT_REACHED.load(Ordering::Relaxed),
                "{target} check allocated more than {MEMORY_LIMIT} bytes on {}",
                file.display()
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = runner.join();
                panic!("{target} check panicked on {}", file.display());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!(
                    "{target} check did not end within {HANG_LIMIT:?} on {}",
                    file.display()
                );
            }
        }
    }
    files.len()
}

#[test]
fn elf_inputs_replay_cleanly() {
    let count = replay("elf_dynamic_info", |data, _| checks::check_elf(data));
    eprintln!("replayed {count} ELF inputs");
}

#[test]
fn cache_inputs_replay_cleanly() {
    let count = replay("ld_so_cache", |data, _| checks::check_cache(data));
    eprintln!("replayed {count} ld.so.cache inputs");
}

#[test]
fn resolve_inputs_replay_cleanly() {
    let count = replay("resolve", checks::check_resolve);
    eprintln!("replayed {count} file sets");
}
