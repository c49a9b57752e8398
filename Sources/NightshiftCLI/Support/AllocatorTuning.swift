#if canImport(Glibc)
import Glibc
#endif

/// One setting of glibc's allocator, made once at start. glibc hands memory freed at the top
/// of a thread's heap back to the kernel (madvise) once 128 KiB is free there. An encrypted
/// backup allocates and frees about 64 KiB per age chunk (swift-crypto's sealed box), so it
/// madvised 16,000 times per GiB: each call a TLB shootdown across the process's threads, and
/// each next allocation a round of page faults, which took more time than the encryption
/// itself (`docs/benchmarks.md`, the encryption section). Keeping up to 8 MiB free at the top
/// of each heap stops that churn; memory held stays bounded and flat however big the backup.
enum AllocatorTuning {
    static let trimThreshold: Int32 = 8 << 20
    /// `M_TRIM_THRESHOLD` in glibc's malloc.h, which the Glibc module does not import.
    private static let trimThresholdParameter: Int32 = -1

    static func apply() {
        #if canImport(Glibc)
        // Looked up, not linked: malloc.h is not part of the Glibc module.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(trimThresholdParameter, trimThreshold)
        #endif
    }
}
