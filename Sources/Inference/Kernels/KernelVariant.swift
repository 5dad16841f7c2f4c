import CInferenceKernels

/// The instruction-set variants compiled into the engine's C kernels (Sources/CInferenceKernels).
///
/// Swift compiles for the platform baseline (x86-64: SSE2, no FMA); the C target carries AVX2+FMA and AVX-512
/// variants and the engine picks the widest the CPU supports at run time, so the same binary runs on any x86-64
/// and on arm64 (where the portable variant is NEON). Every kernel except the complex 2 × 2 chain computes the
/// same bits on every variant (docs/ENGINE.md); tests run each variant the machine has.
enum KernelVariant: Int32, CaseIterable, Sendable {
    /// Plain C vector code (SSE2 on x86-64, NEON on arm64).
    case portable = 0
    /// x86-64 with AVX2 and FMA.
    case avx2FMA = 1
    /// x86-64 with AVX-512F.
    case avx512 = 2

    /// Compiled in and runnable on this CPU.
    var isSupported: Bool { kru_kernel_is_supported(rawValue) != 0 }

    /// The widest supported variant, chosen once per process: what sessions use.
    static let widest = KernelVariant(rawValue: kru_kernel_widest_variant()) ?? .portable

    /// Every variant this machine can run (tests compare them).
    static var supported: [KernelVariant] { allCases.filter(\.isSupported) }

    /// For reports: "AVX-512", "AVX2 + FMA" or "portable".
    var name: String {
        switch self {
        case .avx512: "AVX-512"
        case .avx2FMA: "AVX2 + FMA"
        case .portable: "portable"
        }
    }
}
