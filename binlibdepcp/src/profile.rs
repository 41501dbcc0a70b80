//! The values the host's x86_64 glibc loader has built in or computes from
//! the CPU: `$PLATFORM`, `$LIB`, the glibc-hwcaps levels, the legacy hwcap
//! subfolders, and the default search folders.
//!
//! The built-in values are those of Debian 12's glibc 2.36 (see
//! `/lib64/ld-linux-x86-64.so.2 --help`, sections "Shared library search
//! path" and "Subdirectories of glibc-hwcaps directories"). A test compares
//! them with that output, so a different host fails loudly. The CPU-dependent
//! parts are read from the `flags` and `vendor_id` lines of /proc/cpuinfo,
//! which the kernel already clears for features it does not enable.
//! Other architectures and other loaders (musl, glibc 2.37 and later, which
//! dropped the legacy subfolders) are left out.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

/// `PT_INTERP` of x86_64 glibc programs.
pub const INTERPRETER: &str = "/lib64/ld-linux-x86-64.so.2";

/// Default folders of Debian's multiarch glibc 2.36, in search order.
pub const DEFAULT_DIRS: [&str; 4] = [
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib",
    "/usr/lib",
];

/// `$LIB` of Debian's glibc: the multiarch library folder, not `lib64`.
pub const DST_LIB: &str = "lib/x86_64-linux-gnu";

/// Bit of a legacy hwcap platform in cache entries: the platforms are
/// i586, i686, haswell, xeon_phi from bit 48 on (checked against the
/// entries `ldconfig` 2.36 writes for such subfolders).
const FIRST_PLATFORM_BIT: u32 = 48;
const PLATFORMS: [&str; 4] = ["i586", "i686", "haswell", "xeon_phi"];

/// Legacy hwcap bits (sysdeps/x86/dl-hwcap.h): only `x86_64` and `avx512_1`
/// are in the default hwcap mask, `HWCAP_IMPORTANT`.
const HWCAP_X86_64: u64 = 1 << 1;
const HWCAP_AVX512_1: u64 = 1 << 2;

/// The loader's view of this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoaderProfile {
    /// Value of `$PLATFORM`.
    pub platform: String,
    /// Value of `$LIB`.
    pub lib: String,
    /// Usable glibc-hwcaps subfolder names, best first (`x86-64-v4`, ...).
    pub glibc_hwcaps: Vec<String>,
    /// Legacy hwcap bits the CPU has, masked by `HWCAP_IMPORTANT`.
    pub legacy_hwcap_bits: u64,
    /// Legacy subfolder names (`avx512_1`, `x86_64`), in bit order.
    pub legacy_hwcap_names: Vec<String>,
    /// Folders searched last, unless an object has `DF_1_NODEFLIB`.
    pub default_dirs: Vec<PathBuf>,
}

impl LoaderProfile {
    /// Builds the profile of this host from /proc/cpuinfo.
    pub fn detect() -> LoaderProfile {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let (vendor, flags) = parse_cpuinfo(&cpuinfo);
        LoaderProfile::from_cpu(&vendor, &flags)
    }

    /// Builds the profile for a CPU with these vendor and feature flags
    /// (names as in /proc/cpuinfo).
    pub fn from_cpu(vendor: &str, flags: &HashSet<String>) -> LoaderProfile {
        let has = |names: &[&str]| names.iter().all(|name| flags.contains(*name));
        let level = isa_level(&has);
        let glibc_hwcaps = (2..=level).rev().map(|v| format!("x86-64-v{v}")).collect();
        let (platform, legacy_hwcap_bits) = legacy_platform(vendor == "GenuineIntel", &has);
        let mut legacy_hwcap_names = Vec::new();
        if legacy_hwcap_bits & HWCAP_X86_64 != 0 {
            legacy_hwcap_names.push("x86_64".to_string());
        }
        if legacy_hwcap_bits & HWCAP_AVX512_1 != 0 {
            legacy_hwcap_names.push("avx512_1".to_string());
        }
        LoaderProfile {
            platform,
            lib: DST_LIB.to_string(),
            glibc_hwcaps,
            legacy_hwcap_bits,
            legacy_hwcap_names,
            default_dirs: DEFAULT_DIRS.iter().map(PathBuf::from).collect(),
        }
    }

    /// Returns the x86-64 ISA level (1 to 4) of the CPU.
    pub fn isa_level(&self) -> usize {
        self.glibc_hwcaps.len() + 1
    }

    /// Returns the mask of all platform bits in a cache entry's hwcap.
    pub fn platform_mask(&self) -> u64 {
        ((1u64 << PLATFORMS.len()) - 1) << FIRST_PLATFORM_BIT
    }

    /// Returns the hwcap bit of `$PLATFORM`, or `None` for a platform such as
    /// `x86_64` that has no bit (then every platform entry is skipped).
    pub fn platform_bit(&self) -> Option<u64> {
        let index = PLATFORMS.iter().position(|p| *p == self.platform)?;
        Some(1u64 << (FIRST_PLATFORM_BIT as usize + index))
    }

    /// Returns the subfolders tried inside every search folder, in order,
    /// ending with "" for the folder itself.
    ///
    /// glibc 2.36 `_dl_important_hwcaps` (elf/dl-hwcaps.c) puts the
    /// glibc-hwcaps levels first, then every subset of the legacy names, as
    /// paths ordered `tls/PLATFORM/avx512_1/x86_64`: subsets are enumerated
    /// by a counter running down from all bits set, so the largest come first.
    pub fn search_subdirs(&self) -> Vec<String> {
        let mut subdirs: Vec<String> = self
            .glibc_hwcaps
            .iter()
            .map(|name| format!("glibc-hwcaps/{name}"))
            .collect();
        let mut parts: Vec<&str> = self.legacy_hwcap_names.iter().map(String::as_str).collect();
        if self.platform_bit().is_some() {
            parts.push(&self.platform);
        }
        parts.push("tls");
        for mask in (0..1u32 << parts.len()).rev() {
            let chosen: Vec<&str> = (0..parts.len())
                .rev()
                .filter(|bit| mask & (1 << bit) != 0)
                .map(|bit| parts[bit])
                .collect();
            subdirs.push(chosen.join("/"));
        }
        subdirs
    }
}

/// Returns the `vendor_id` and the `flags` of the first CPU in /proc/cpuinfo.
pub fn parse_cpuinfo(text: &str) -> (String, HashSet<String>) {
    let field = |name: &str| {
        text.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| key.trim() == name)
            .map(|(_, value)| value.trim().to_string())
            .unwrap_or_default()
    };
    let flags = field("flags")
        .split_whitespace()
        .map(String::from)
        .collect();
    (field("vendor_id"), flags)
}

/// Computes the level with the feature lists of glibc's
/// sysdeps/x86/get-isa-level.h (`pni` is SSE3, `abm` is LZCNT).
fn isa_level(has: &dyn Fn(&[&str]) -> bool) -> usize {
    let v2 = [
        "cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3",
    ];
    let v3 = [
        "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
    ];
    let v4 = ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"];
    match (has(&v2), has(&v3), has(&v4)) {
        (true, true, true) => 4,
        (true, true, false) => 3,
        (true, false, _) => 2,
        _ => 1,
    }
}

/// Returns `$PLATFORM` and the legacy hwcap bits as glibc 2.36
/// sysdeps/x86/cpu-features.c sets them. Only Intel CPUs get `haswell`,
/// `xeon_phi` or `avx512_1`, and others keep the kernel's `x86_64`.
fn legacy_platform(intel: bool, has: &dyn Fn(&[&str]) -> bool) -> (String, u64) {
    let mut bits = HWCAP_X86_64;
    if !intel {
        return ("x86_64".into(), bits);
    }
    let mut platform = None;
    if has(&["avx512cd"]) {
        if has(&["avx512er"]) {
            if has(&["avx512pf"]) {
                platform = Some("xeon_phi");
            }
        } else if has(&["avx512bw", "avx512dq", "avx512vl"]) {
            bits |= HWCAP_AVX512_1;
        }
    }
    let haswell = ["avx2", "fma", "bmi1", "bmi2", "abm", "movbe", "popcnt"];
    if platform.is_none() && has(&haswell) {
        platform = Some("haswell");
    }
    (platform.unwrap_or("x86_64").into(), bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn flags(names: &str) -> HashSet<String> {
        names.split_whitespace().map(String::from).collect()
    }

    const V4: &str = "cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3 avx avx2 bmi1 bmi2 f16c fma abm \
                      movbe xsave avx512f avx512bw avx512cd avx512dq avx512vl";

    #[test]
    fn intel_v4_subdirs_in_loader_order() {
        let profile = LoaderProfile::from_cpu("GenuineIntel", &flags(V4));
        assert_eq!(profile.platform, "haswell");
        let subdirs = profile.search_subdirs();
        // The order glibc 2.36 prints with LD_DEBUG=libs on such a CPU.
        let expected = [
            "glibc-hwcaps/x86-64-v4",
            "glibc-hwcaps/x86-64-v3",
            "glibc-hwcaps/x86-64-v2",
            "tls/haswell/avx512_1/x86_64",
            "tls/haswell/avx512_1",
            "tls/haswell/x86_64",
            "tls/haswell",
            "tls/avx512_1/x86_64",
            "tls/avx512_1",
            "tls/x86_64",
            "tls",
            "haswell/avx512_1/x86_64",
            "haswell/avx512_1",
            "haswell/x86_64",
            "haswell",
            "avx512_1/x86_64",
            "avx512_1",
            "x86_64",
            "",
        ];
        assert_eq!(subdirs, expected);
    }

    #[test]
    fn amd_has_no_legacy_platform() {
        let profile = LoaderProfile::from_cpu("AuthenticAMD", &flags(V4));
        assert_eq!(profile.platform, "x86_64");
        assert_eq!(profile.platform_bit(), None);
        assert_eq!(
            profile.search_subdirs()[3..],
            ["tls/x86_64", "tls", "x86_64", ""]
        );
    }

    #[test]
    fn baseline_cpu_has_no_hwcaps() {
        let profile = LoaderProfile::from_cpu("GenuineIntel", &flags("cx16 popcnt"));
        assert!(profile.glibc_hwcaps.is_empty());
        assert_eq!(profile.isa_level(), 1);
    }

    /// Compares the built-in values with what the host loader prints.
    #[test]
    fn host_loader_help_matches() {
        let output = Command::new(INTERPRETER)
            .arg("--help")
            .output()
            .expect("run ld.so --help");
        let help = String::from_utf8_lossy(&output.stdout);
        let profile = LoaderProfile::detect();
        let system: Vec<&str> = help
            .lines()
            .filter_map(|line| line.trim().strip_suffix(" (system search path)"))
            .collect();
        assert_eq!(system, DEFAULT_DIRS);
        let hwcaps: Vec<&str> = help
            .lines()
            .filter(|line| line.contains("(supported, searched)") && line.contains("x86-64-v"))
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        assert_eq!(hwcaps, profile.glibc_hwcaps);
        let platform_line = format!("{} (AT_PLATFORM; supported, searched)", profile.platform);
        assert!(
            help.contains(&platform_line),
            "ld.so --help lacks {platform_line}"
        );
        for name in &profile.legacy_hwcap_names {
            assert!(
                help.contains(&format!("  {name} (supported, searched)")),
                "{name}"
            );
        }
    }
}
