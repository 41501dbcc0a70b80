//! The values the host's x86_64 glibc loader has built in or computes from
//! the CPU: `$PLATFORM`, `$LIB`, the glibc-hwcaps subfolders, the legacy
//! hwcap subfolders of glibc 2.36 and older, and the default search folders.
//!
//! These differ between distributions (Debian's multiarch folders, Fedora's
//! `/lib64`, Arch's `/usr/lib`) and between glibc releases, so they are read
//! at run time from the loader itself. `ld.so --list-diagnostics` (glibc 2.33
//! and later, elf/dl-diagnostics.c) prints them as `key=value` lines:
//! `dl_dst_lib` is `$LIB`, `dl_platform` is `$PLATFORM`, `dl_hwcaps_subdirs`
//! and the bit mask `dl_hwcaps_subdirs_active` give the usable glibc-hwcaps
//! subfolders, `path.system_dirs[N]` the default folders, and
//! `version.version` the glibc release. The option loads no program.
//!
//! Older loaders lack the option. For them [`LoaderProfile::guess`] computes
//! the CPU-dependent parts from the `flags` and `vendor_id` lines of
//! /proc/cpuinfo (the kernel already clears features it does not enable) and
//! derives the folders from the loader's own folder.
//! Other architectures and other loaders (musl) are left out.

use nix::sys::memfd::{MFdFlags, memfd_create};
use std::collections::{HashMap, HashSet};
use std::ffi::CStr;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `PT_INTERP` of x86_64 glibc programs, fixed by the x86-64 psABI. This is
/// the loader asked for its values: a `PT_INTERP` read from an inspected
/// program is never run, since that file chooses it.
pub const INTERPRETER: &str = "/lib64/ld-linux-x86-64.so.2";

/// Default folders of Debian 12's multiarch glibc 2.36, in search order, as
/// [`LoaderProfile::from_cpu`] assumes them.
pub const DEFAULT_DIRS: [&str; 4] = [
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib",
    "/usr/lib",
];

/// `$LIB` of Debian 12's glibc: the multiarch library folder, not `lib64`.
pub const DST_LIB: &str = "lib/x86_64-linux-gnu";

/// A glibc release as (major, minor), for example (2, 36).
pub type GlibcVersion = (u32, u32);

/// First release with glibc-hwcaps subfolders and `--list-diagnostics`.
const GLIBC_HWCAPS_SINCE: GlibcVersion = (2, 33);

/// First release without the legacy hwcap subfolders: its loader neither
/// searches them nor accepts cache entries with legacy hwcap bits
/// (elf/dl-cache.c, "removed with glibc 2.37").
const NO_LEGACY_HWCAPS_SINCE: GlibcVersion = (2, 37);

/// Bit of a legacy hwcap platform in cache entries: the platforms are
/// i586, i686, haswell, xeon_phi from bit 48 on (checked against the
/// entries `ldconfig` 2.36 writes for such subfolders).
const FIRST_PLATFORM_BIT: u32 = 48;
const PLATFORMS: [&str; 4] = ["i586", "i686", "haswell", "xeon_phi"];

/// Legacy hwcap bits (sysdeps/x86/dl-hwcap.h): only `x86_64` and `avx512_1`
/// are in the default hwcap mask, `HWCAP_IMPORTANT`.
const HWCAP_X86_64: u64 = 1 << 1;
const HWCAP_AVX512_1: u64 = 1 << 2;
const HWCAP_IMPORTANT: u64 = HWCAP_X86_64 | HWCAP_AVX512_1;

/// A reason why the loader's values could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError(pub String);

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProfileError {}

/// The loader's view of this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoaderProfile {
    /// Value of `$PLATFORM`.
    pub platform: String,
    /// Value of `$LIB`.
    pub lib: String,
    /// Usable glibc-hwcaps subfolder names, best first (`x86-64-v4`, ...).
    pub glibc_hwcaps: Vec<String>,
    /// Legacy hwcap bits the CPU has, masked by `HWCAP_IMPORTANT`, or 0 from
    /// glibc 2.37 on.
    pub legacy_hwcap_bits: u64,
    /// Legacy subfolder names (`x86_64`, `avx512_1`), in bit order.
    pub legacy_hwcap_names: Vec<String>,
    /// Folders searched last, unless an object has `DF_1_NODEFLIB`.
    pub default_dirs: Vec<PathBuf>,
    /// Release of the loader, which decides whether legacy subfolders exist.
    pub glibc_version: GlibcVersion,
}

impl LoaderProfile {
    /// Builds the profile of this host from the `--list-diagnostics` output
    /// of [`INTERPRETER`], or with [`LoaderProfile::guess`] when that fails.
    pub fn detect() -> LoaderProfile {
        let loader = Path::new(INTERPRETER);
        LoaderProfile::query(loader).unwrap_or_else(|_| LoaderProfile::guess(loader))
    }

    /// Runs `LOADER --list-diagnostics` and builds the profile from its
    /// output.
    ///
    /// Fails when the loader cannot be run, rejects the option (glibc
    /// before 2.33) or prints a text without the needed keys.
    pub fn query(loader: &Path) -> Result<LoaderProfile, ProfileError> {
        let failure = |err: io::Error| {
            ProfileError(format!(
                "failed to run {} --list-diagnostics: {err}",
                loader.display()
            ))
        };
        // The loader writes its output in hundreds of small write(2) calls.
        // Through a pipe, the two processes would take turns for each call,
        // so the loader writes into a memory file, read once it has exited.
        let memory_file = memfd_create(c"ld.so-diagnostics", MFdFlags::MFD_CLOEXEC)
            .map_err(|errno| failure(errno.into()))?;
        let mut output = File::from(memory_file);
        let stdout = output.try_clone().map_err(failure)?;
        // An empty environment, so that the caller's GLIBC_TUNABLES cannot
        // mask CPU features: the program in the jail starts without it.
        let status = Command::new(loader)
            .arg("--list-diagnostics")
            .env_clear()
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::null())
            .status()
            .map_err(failure)?;
        if !status.success() {
            return Err(ProfileError(format!(
                "{} --list-diagnostics failed ({status}): glibc before 2.33 lacks that option",
                loader.display(),
            )));
        }
        let mut text = Vec::new();
        output.seek(SeekFrom::Start(0)).map_err(failure)?;
        output.read_to_end(&mut text).map_err(failure)?;
        LoaderProfile::from_diagnostics(&String::from_utf8_lossy(&text))
    }

    /// Builds the profile from the text `ld.so --list-diagnostics` prints.
    ///
    /// Fails, naming the key, when a needed key is missing or malformed, or
    /// when `dl_platform` is unset (printed as `0x0`).
    pub fn from_diagnostics(text: &str) -> Result<LoaderProfile, ProfileError> {
        let fields = Diagnostics::parse(text);
        let version_text = fields.string("version.version")?;
        let glibc_version = parse_version(&version_text)
            .ok_or_else(|| ProfileError(format!("invalid version.version {version_text:?}")))?;

        let subdirs = fields.string("dl_hwcaps_subdirs")?;
        let active = fields.number("dl_hwcaps_subdirs_active")?;
        // Bit N of the mask marks the Nth name of the list (elf/dl-hwcaps.h),
        // and the list is already in priority order.
        let glibc_hwcaps = subdirs
            .split(':')
            .enumerate()
            .filter(|(index, name)| !name.is_empty() && *index < 32 && active & (1 << index) != 0)
            .map(|(_, name)| name.to_string())
            .collect();
        let default_dirs = fields.system_dirs()?;

        let mut legacy_hwcap_bits = 0;
        if glibc_version < NO_LEGACY_HWCAPS_SINCE {
            // glibc before 2.37 prints its hwcap mask as dl_hwcap_important.
            let important = fields
                .number("dl_hwcap_important")
                .unwrap_or(HWCAP_IMPORTANT);
            legacy_hwcap_bits = fields.number("dl_hwcap")? & important & HWCAP_IMPORTANT;
        }

        Ok(LoaderProfile {
            platform: fields.string("dl_platform")?,
            lib: fields.string("dl_dst_lib")?,
            glibc_hwcaps,
            legacy_hwcap_bits,
            legacy_hwcap_names: legacy_names(legacy_hwcap_bits),
            default_dirs,
            glibc_version,
        })
    }

    /// Computes the profile without running the loader, for loaders older
    /// than glibc 2.33. The CPU parts come from /proc/cpuinfo and the release
    /// from the C library this process runs with, which ships with the
    /// loader. `$LIB` and the default folders come from the real folder of
    /// `loader`.
    pub fn guess(loader: &Path) -> LoaderProfile {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let (vendor, flags) = parse_cpuinfo(&cpuinfo);
        // NOTE: an unknown release is taken as the last one with legacy
        // subfolders, the case this fallback exists for.
        let version = running_glibc_version().unwrap_or((2, 36));
        let lib = guess_dst_lib(loader);
        let default_dirs = guess_default_dirs(&lib);
        let kernel_platform = kernel_platform().unwrap_or_else(|| "x86_64".into());
        let cpu = CpuFacts {
            vendor: &vendor,
            flags: &flags,
            kernel_platform: &kernel_platform,
        };
        LoaderProfile::compute(&cpu, version, lib, default_dirs)
    }

    /// Builds the profile of Debian 12's glibc 2.36 for a CPU with these
    /// vendor and feature flags (names as in /proc/cpuinfo). It depends on
    /// nothing on the host, so tests and fuzzers get the same value anywhere.
    pub fn from_cpu(vendor: &str, flags: &HashSet<String>) -> LoaderProfile {
        let cpu = CpuFacts {
            vendor,
            flags,
            kernel_platform: "x86_64",
        };
        let default_dirs = DEFAULT_DIRS.iter().map(PathBuf::from).collect();
        LoaderProfile::compute(&cpu, (2, 36), DST_LIB.to_string(), default_dirs)
    }

    /// Computes the CPU-dependent values as glibc `version` does on `cpu`.
    fn compute(
        cpu: &CpuFacts,
        version: GlibcVersion,
        lib: String,
        default_dirs: Vec<PathBuf>,
    ) -> LoaderProfile {
        let has = |names: &[&str]| names.iter().all(|name| cpu.flags.contains(*name));
        let mut glibc_hwcaps = Vec::new();
        if version >= GLIBC_HWCAPS_SINCE {
            let level = isa_level(&has);
            glibc_hwcaps = (2..=level).rev().map(|v| format!("x86-64-v{v}")).collect();
        }
        let (platform, mut legacy_hwcap_bits) = legacy_platform(cpu.vendor == "GenuineIntel", &has);
        if version >= NO_LEGACY_HWCAPS_SINCE {
            legacy_hwcap_bits = 0;
        }
        LoaderProfile {
            platform: platform.unwrap_or(cpu.kernel_platform).to_string(),
            lib,
            glibc_hwcaps,
            legacy_hwcap_bits,
            legacy_hwcap_names: legacy_names(legacy_hwcap_bits),
            default_dirs,
            glibc_version: version,
        }
    }

    /// Returns true when the loader searches the legacy hwcap subfolders and
    /// accepts legacy cache entries, which glibc did up to 2.36.
    pub fn searches_legacy_subdirs(&self) -> bool {
        self.glibc_version < NO_LEGACY_HWCAPS_SINCE
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
    /// From glibc 2.37 on only the glibc-hwcaps levels precede the folder.
    pub fn search_subdirs(&self) -> Vec<String> {
        let mut subdirs: Vec<String> = self
            .glibc_hwcaps
            .iter()
            .map(|name| format!("glibc-hwcaps/{name}"))
            .collect();
        if !self.searches_legacy_subdirs() {
            subdirs.push(String::new());
            return subdirs;
        }
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

/// The `key=value` lines of `ld.so --list-diagnostics`, values still raw.
struct Diagnostics<'a> {
    fields: HashMap<&'a str, &'a str>,
    /// `path.system_dirs[N]` values in printed order, which is index order.
    system_dirs: Vec<&'a str>,
}

impl<'a> Diagnostics<'a> {
    fn parse(text: &'a str) -> Diagnostics<'a> {
        let mut fields = HashMap::new();
        let mut system_dirs = Vec::new();
        for (key, value) in text.lines().filter_map(|line| line.split_once('=')) {
            if key.starts_with("path.system_dirs[") {
                system_dirs.push(value);
            } else {
                fields.insert(key, value);
            }
        }
        Diagnostics {
            fields,
            system_dirs,
        }
    }

    fn raw(&self, key: &str) -> Result<&'a str, ProfileError> {
        self.fields.get(key).copied().ok_or_else(|| {
            ProfileError(format!("missing {key} in ld.so --list-diagnostics output"))
        })
    }

    /// Returns a string value. glibc prints a null string as `0x0`.
    fn string(&self, key: &str) -> Result<String, ProfileError> {
        let raw = self.raw(key)?;
        if raw == "0x0" {
            return Err(ProfileError(format!(
                "{key} is unset in ld.so --list-diagnostics output"
            )));
        }
        decode_quoted(raw).ok_or_else(|| ProfileError(format!("invalid {key} value {raw}")))
    }

    /// Returns a number value, printed in hexadecimal with `0x`.
    fn number(&self, key: &str) -> Result<u64, ProfileError> {
        let raw = self.raw(key)?;
        raw.strip_prefix("0x")
            .and_then(|digits| u64::from_str_radix(digits, 16).ok())
            .ok_or_else(|| ProfileError(format!("invalid {key} value {raw}")))
    }

    /// Returns the default folders without their trailing slash.
    fn system_dirs(&self) -> Result<Vec<PathBuf>, ProfileError> {
        let mut folders = Vec::new();
        for raw in &self.system_dirs {
            let mut folder = decode_quoted(raw)
                .ok_or_else(|| ProfileError(format!("invalid path.system_dirs value {raw}")))?;
            while folder.len() > 1 && folder.ends_with('/') {
                folder.pop();
            }
            folders.push(PathBuf::from(folder));
        }
        if folders.is_empty() {
            return Err(ProfileError(
                "missing path.system_dirs in ld.so --list-diagnostics output".into(),
            ));
        }
        Ok(folders)
    }
}

/// Decodes a value in double quotes: glibc escapes `\` and `"` with a
/// backslash and writes other bytes outside ' '..'~' as `\` and three octal
/// digits.
///
/// NOTE: glibc's `print_quoted_char` (elf/dl-diagnostics.c, 2025 source)
/// writes the first octal digit again in place of the second, so a folder
/// name with such a byte decodes wrongly. The values read here are normally
/// plain ASCII.
fn decode_quoted(raw: &str) -> Option<String> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?.as_bytes();
    let mut bytes = Vec::with_capacity(inner.len());
    let mut index = 0;
    while index < inner.len() {
        let byte = inner[index];
        index += 1;
        if byte != b'\\' {
            bytes.push(byte);
            continue;
        }
        match inner.get(index..index + 3) {
            Some(digits) if digits.iter().all(|d| (b'0'..=b'7').contains(d)) => {
                let value = digits
                    .iter()
                    .fold(0u32, |value, d| value * 8 + u32::from(d - b'0'));
                bytes.push(u8::try_from(value).ok()?);
                index += 3;
            }
            _ => {
                bytes.push(*inner.get(index)?);
                index += 1;
            }
        }
    }
    String::from_utf8(bytes).ok()
}

/// Reads "2.36" or "2.39.9000" as (2, 36) or (2, 39).
fn parse_version(text: &str) -> Option<GlibcVersion> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Derives `$LIB` from the real folder of `loader`.
///
/// glibc's build sets `$LIB` to its `slibdir` without the leading slash, and
/// installs the loader there (Debian `/lib/x86_64-linux-gnu`, Fedora
/// `/lib64`). With a merged /usr the real folder is under /usr, so a leading
/// `usr/` is dropped.
/// NOTE: a glibc built with slibdir under /usr (Arch: `usr/lib`) gets `lib`
/// here. On such systems /lib links to /usr/lib, so the folders searched
/// hold the same files, but a `$LIB` in a program's RPATH expands differently.
fn guess_dst_lib(loader: &Path) -> String {
    let real = fs::canonicalize(loader).unwrap_or_else(|_| loader.to_path_buf());
    let folder = real.parent().unwrap_or(Path::new("/")).to_string_lossy();
    let relative = folder.trim_start_matches('/');
    relative
        .strip_prefix("usr/")
        .unwrap_or(relative)
        .to_string()
}

/// Derives the default folders from `$LIB`: `/$LIB` and `/usr/$LIB`, then,
/// for a multiarch `lib/TRIPLET`, the plain `/lib` and `/usr/lib` that
/// Debian's glibc adds after them.
/// NOTE: this is the layout of Debian, Ubuntu and Fedora. A glibc configured
/// otherwise searches other folders.
fn guess_default_dirs(lib: &str) -> Vec<PathBuf> {
    let mut folders = vec![
        PathBuf::from("/").join(lib),
        PathBuf::from("/usr").join(lib),
    ];
    if lib.starts_with("lib/") {
        folders.push(PathBuf::from("/lib"));
        folders.push(PathBuf::from("/usr/lib"));
    }
    folders.dedup();
    folders
}

/// Returns `AT_PLATFORM`, the platform the kernel passes to every process
/// in the auxiliary vector (`x86_64` on x86_64 kernels). The loader starts
/// from the same value, but on Intel CPUs glibc replaces it with `haswell`
/// or `xeon_phi` (sysdeps/x86/cpu-features.c, still so in glibc's current source), so
/// it is `$PLATFORM` only where [`legacy_platform`] finds no such CPU.
fn kernel_platform() -> Option<String> {
    // SAFETY: getauxval reads the auxiliary vector the kernel stored at
    // process start and has no preconditions; it returns 0 for a missing
    // entry.
    let address = unsafe { libc::getauxval(libc::AT_PLATFORM) };
    if address == 0 {
        return None;
    }
    // SAFETY: a non-zero AT_PLATFORM is the address of a NUL-terminated
    // string the kernel copied onto the initial stack, which stays mapped
    // and unchanged for the life of the process.
    let text = unsafe { CStr::from_ptr(address as *const libc::c_char) };
    Some(text.to_string_lossy().into_owned())
}

/// Returns the release of the C library this process runs with.
#[cfg(target_env = "gnu")]
fn running_glibc_version() -> Option<GlibcVersion> {
    // SAFETY: gnu_get_libc_version takes no argument and returns a pointer
    // to a static NUL-terminated string inside libc.
    let text = unsafe { CStr::from_ptr(libc::gnu_get_libc_version()) };
    parse_version(text.to_str().ok()?)
}

#[cfg(not(target_env = "gnu"))]
fn running_glibc_version() -> Option<GlibcVersion> {
    None
}

/// The CPU facts the loader's computed values depend on.
struct CpuFacts<'a> {
    vendor: &'a str,
    flags: &'a HashSet<String>,
    kernel_platform: &'a str,
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

/// Returns the platform glibc puts in place of `AT_PLATFORM`, if any, and
/// the legacy hwcap bits, as sysdeps/x86/cpu-features.c sets them. Only
/// Intel CPUs get `haswell`, `xeon_phi` or `avx512_1`.
fn legacy_platform(intel: bool, has: &dyn Fn(&[&str]) -> bool) -> (Option<&'static str>, u64) {
    let mut bits = HWCAP_X86_64;
    if !intel {
        return (None, bits);
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
    (platform, bits)
}

/// Returns the legacy subfolder names of `bits`, in bit order.
fn legacy_names(bits: u64) -> Vec<String> {
    let mut names = Vec::new();
    if bits & HWCAP_X86_64 != 0 {
        names.push("x86_64".to_string());
    }
    if bits & HWCAP_AVX512_1 != 0 {
        names.push("avx512_1".to_string());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn glibc_2_37_drops_legacy_subdirs() {
        let cpu = CpuFacts {
            vendor: "GenuineIntel",
            flags: &flags(V4),
            kernel_platform: "x86_64",
        };
        let profile = LoaderProfile::compute(&cpu, (2, 37), "lib64".into(), Vec::new());
        assert_eq!(profile.platform, "haswell");
        assert_eq!(profile.legacy_hwcap_bits, 0);
        assert!(profile.legacy_hwcap_names.is_empty());
        assert_eq!(
            profile.search_subdirs(),
            [
                "glibc-hwcaps/x86-64-v4",
                "glibc-hwcaps/x86-64-v3",
                "glibc-hwcaps/x86-64-v2",
                ""
            ]
        );
    }

    #[test]
    fn glibc_2_32_has_no_glibc_hwcaps() {
        let cpu = CpuFacts {
            vendor: "GenuineIntel",
            flags: &flags(V4),
            kernel_platform: "x86_64",
        };
        let profile = LoaderProfile::compute(&cpu, (2, 32), "lib64".into(), Vec::new());
        assert!(profile.glibc_hwcaps.is_empty());
        assert_eq!(profile.search_subdirs()[0], "tls/haswell/avx512_1/x86_64");
    }

    #[test]
    fn quoted_values_decode() {
        assert_eq!(decode_quoted(r#""/lib64/""#).as_deref(), Some("/lib64/"));
        assert_eq!(decode_quoted(r#""a\"b\\c""#).as_deref(), Some("a\"b\\c"));
        assert_eq!(
            decode_quoted(r#""tab\011end""#).as_deref(),
            Some("tab\tend")
        );
        assert_eq!(decode_quoted("/lib64/"), None);
        assert_eq!(decode_quoted(r#""dangling\""#), None);
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("2.36"), Some((2, 36)));
        assert_eq!(parse_version("2.39.9000"), Some((2, 39)));
        assert_eq!(parse_version("2"), None);
        assert_eq!(parse_version("two.36"), None);
    }

    #[test]
    fn default_dirs_guessed_from_lib() {
        assert_eq!(
            guess_default_dirs("lib/x86_64-linux-gnu"),
            DEFAULT_DIRS.map(PathBuf::from)
        );
        assert_eq!(
            guess_default_dirs("lib64"),
            [PathBuf::from("/lib64"), PathBuf::from("/usr/lib64")]
        );
    }

    #[test]
    fn kernel_platform_is_set() {
        let platform = kernel_platform().expect("AT_PLATFORM in the auxiliary vector");
        assert!(!platform.is_empty());
    }

    /// The fallback must compute what the host loader reports for this CPU.
    #[test]
    fn host_guess_matches_loader() {
        let loader = Path::new(INTERPRETER);
        let Ok(reported) = LoaderProfile::query(loader) else {
            eprintln!("skipped: {INTERPRETER} has no --list-diagnostics");
            return;
        };
        let guessed = LoaderProfile::guess(loader);
        assert_eq!(guessed.glibc_version, reported.glibc_version);
        assert_eq!(guessed.platform, reported.platform);
        assert_eq!(guessed.glibc_hwcaps, reported.glibc_hwcaps);
        assert_eq!(guessed.legacy_hwcap_bits, reported.legacy_hwcap_bits);
    }

    /// Compares the detected values with the sections of `ld.so --help`.
    #[test]
    fn host_loader_help_matches() {
        let output = Command::new(INTERPRETER)
            .arg("--help")
            .env_clear()
            .output()
            .expect("run ld.so --help");
        let help = String::from_utf8_lossy(&output.stdout);
        let profile = LoaderProfile::detect();
        let system: Vec<PathBuf> = help
            .lines()
            .filter_map(|line| line.trim().strip_suffix(" (system search path)"))
            .map(PathBuf::from)
            .collect();
        assert_eq!(system, profile.default_dirs);
        let hwcaps: Vec<&str> = help
            .lines()
            .filter(|line| line.contains("(supported, searched)") && line.contains("x86-64-v"))
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        assert_eq!(hwcaps, profile.glibc_hwcaps);
        if !profile.searches_legacy_subdirs() {
            return;
        }
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
