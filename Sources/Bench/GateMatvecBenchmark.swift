import CInferenceKernels
import CLAPACK
import KRUFormat

/// The dense recurrent product of a model file's first layer (all gates stacked, G·N × N) run by kru's kernel and
/// by OpenBLAS's cblas_sgemv on one thread, on the same matrix and vector: the ratio says how close kru's
/// BLAS-free kernel comes to a tuned BLAS on the product that dominates a dense model's step. A matrix the file
/// stores as bf16 or f16 is timed as the engine runs it, kept 16-bit (`kru_dense_multiply_bf16`/`_f16`), against
/// sgemv on the same values widened to float.
struct GateMatvecResult: Codable {
    let rows: Int
    let columns: Int
    let kruSeconds: Double
    let openblasOneThreadSeconds: Double
    /// kru time / OpenBLAS time (above 1: kru is slower).
    var ratio: Double { kruSeconds / openblasOneThreadSeconds }
    let kernel: String
}

enum GateMatvecBenchmark {
    /// nil when the first layer's recurrent matrix is not dense and real.
    static func run(file: KRUFile, policy: TimingPolicy) throws -> GateMatvecResult? {
        guard case .string("dense") = file.metadata("kru.layer.0.recurrent"),
              case .string(let cell) = file.metadata("kru.layer.0.cell"), cell != "kru",
              let info = file.tensorInfo(named: "layer.0.weight_hh"), info.shape.count == 2 else { return nil }
        let (rows, columns) = (info.shape[0], info.shape[1])
        let tensor = try file.tensor(info)
        let matrix = FloatBuffer(try tensor.floats())
        // The stored bits of a 16-bit matrix, little-endian words (the platforms kru runs on are little-endian).
        let sixteenBit = [.bf16, .f16].contains(tensor.dtype) ? tensor.bytes.withUnsafeBytes { raw in
            Array(raw.bindMemory(to: UInt16.self))
        } : nil
        let multiply = tensor.dtype == .bf16 ? kru_dense_multiply_bf16 : kru_dense_multiply_f16
        var random = RandomData(seed: 512)
        let x = FloatBuffer(random.gaussian(columns)), y = FloatBuffer(count: rows), z = FloatBuffer(count: rows)
        let variant = kru_kernel_widest_variant()
        let timings = withOpenBLASThreads(1) {
            measureInterleaved(policy, [
                { calls in
                    if let sixteenBit {
                        sixteenBit.withUnsafeBufferPointer { w in
                            for _ in 0..<calls {
                                multiply(variant, rows, columns, w.baseAddress, 1, x.base, columns, y.base, rows, 0)
                            }
                        }
                    } else {
                        for _ in 0..<calls {
                            kru_dense_multiply(variant, rows, columns, matrix.base, 1, x.base, columns, y.base, rows,
                                               0)
                        }
                    }
                },
                { calls in
                    for _ in 0..<calls {
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(rows), blasint(columns), 1, matrix.base,
                                    blasint(columns), x.base, 1, 0, z.base, 1)
                    }
                },
            ])
        }
        let names = ["portable", "AVX2 + FMA", "AVX-512"]
        return GateMatvecResult(rows: rows, columns: columns, kruSeconds: timings[0].median,
                                openblasOneThreadSeconds: timings[1].median,
                                kernel: names[Int(variant)] + (sixteenBit == nil ? "" : ", \(tensor.dtype) weights"))
    }
}
