#![no_main]

use binlibdepcp_fuzz::checks;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A folder in /dev/shm (memory, not disk) for this process's file sets.
/// libFuzzer runs one input at a time per process, so one folder suffices.
fn work_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(format!("/dev/shm/binlibdepcp-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("failed to create the work folder");
        dir
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = work_dir().join("set");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).expect("failed to create the file-set folder");
    checks::check_resolve(data, &dir);
});
