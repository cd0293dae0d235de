//! Allocator settings for a long-running server.
#![allow(unsafe_code)]

/// Blocks at least this large are mapped on their own and unmapped on free.
const MMAP_THRESHOLD: libc::c_int = 1 << 20;

/// glibc raises its mmap threshold to the size of the largest block freed,
/// so after the first password hash every thread that hashed keeps argon2's
/// 19 MiB work area resident in its arena for good (measured: 15 MiB idle
/// became 35 MiB after one sign-up). A fixed threshold keeps such blocks
/// mapped on their own, so freeing them gives the memory back.
pub fn return_large_blocks_to_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists, and a refusal (return 0) leaves glibc's default.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
