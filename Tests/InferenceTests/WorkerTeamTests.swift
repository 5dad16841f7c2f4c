import CInferenceKernels
import Foundation
import KRUFormat
import Testing
@testable import KRUInference

/// Products shared between threads (`kru_dense_multiply_shared`, sessions made with `threads` > 1). Oracle: the
/// same product on one thread, `kru_dense_multiply` — every row must come out bit for bit the same, whatever the
/// team's size, and whether its helpers were spinning or asleep when the product arrived.
@Suite struct WorkerTeamTests {
    /// One shared product against the single-threaded kernel, bit for bit.
    static func mismatches(
        team: OpaquePointer, kind: Int32, rows: Int, columns: Int, batch: Int, accumulate: Bool,
        rng: inout SplitMix64
    ) -> Int {
        let floats = rng.floats(rows * columns)
        // 16-bit weights: the high halves of random floats (bf16) or in-range halves (f16), then their widening.
        let halves: [UInt16] = kind == KRU_WEIGHTS_F16
            ? floats.map { Float16($0).bitPattern } : floats.map { UInt16($0.bitPattern >> 16) }
        let widened = kind == KRU_WEIGHTS_F16 ? halves.map { Float(Float16(bitPattern: $0)) }
            : halves.map { Float(bitPattern: UInt32($0) << 16) }
        let weights = kind == KRU_WEIGHTS_FLOAT ? floats : widened
        let (xStride, yStride) = (columns + 3, rows + 5)
        let x = rng.floats(batch * xStride), start = rng.floats(batch * yStride)
        var want = start, got = start
        let variant = KernelVariant.widest.rawValue
        weights.withUnsafeBufferPointer { w in
            kru_dense_multiply(variant, rows, columns, w.baseAddress, batch, x, xStride, &want, yStride,
                               accumulate ? 1 : 0)
        }
        func shared(_ pointer: UnsafeRawPointer) {
            kru_dense_multiply_shared(team, variant, kind, rows, columns, pointer, batch, x, xStride, &got, yStride,
                                      accumulate ? 1 : 0)
        }
        if kind == KRU_WEIGHTS_FLOAT {
            floats.withUnsafeBytes { shared($0.baseAddress!) }
        } else {
            halves.withUnsafeBytes { shared($0.baseAddress!) }
        }
        return zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
    }

    @Test(arguments: [2, 3, 5])
    func sharedProductsEqualTheSingleThreadedOnes(members: Int) throws {
        let team = try #require(kru_worker_team_create(Int32(members), 0))
        defer { kru_worker_team_destroy(team) }
        #expect(kru_worker_team_members(team) == Int32(members))
        var rng = SplitMix64(seed: UInt64(members))
        let kinds = [KRU_WEIGHTS_FLOAT, KRU_WEIGHTS_BF16, KRU_WEIGHTS_F16].map { Int32($0) }
        // Fewer rows than the team has 16-row blocks (some members get none), a tail, exact blocks.
        for rows in [1, 15, 16, 33, 100, 2048] {
            for columns in [1, 17, 64] {
                for batch in [1, 3, 9] {
                    for kind in kinds {
                        let bad = Self.mismatches(team: team, kind: kind, rows: rows, columns: columns, batch: batch,
                                                  accumulate: rows % 2 == 0, rng: &rng)
                        #expect(bad == 0, "rows \(rows), columns \(columns), batch \(batch), kind \(kind)")
                    }
                }
            }
        }
    }

    /// Mismatched floats over `count` float products of `rows` × 16 on one stream, each after `pause` seconds.
    static func mismatches(team: OpaquePointer, count: Int, rows: Int, pause: TimeInterval = 0, seed: UInt64) -> Int {
        var rng = SplitMix64(seed: seed)
        return (0..<count).reduce(0) { bad, _ in
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
            return bad + mismatches(team: team, kind: Int32(KRU_WEIGHTS_FLOAT), rows: rows, columns: 16, batch: 1,
                                    accumulate: rows % 2 == 0, rng: &rng)
        }
    }

    /// Many products in a row (the helpers spinning between them), then products after pauses longer than the
    /// helpers spin (each one wakes sleeping helpers): none is lost, none is computed twice.
    @Test func productsHandedToSpinningAndToSleepingHelpersComeOutRight() throws {
        let team = try #require(kru_worker_team_create(2, 0))
        defer { kru_worker_team_destroy(team) }
        #expect(Self.mismatches(team: team, count: 500, rows: 64, seed: 77) == 0)
        // 25 times the helpers' spin.
        #expect(Self.mismatches(team: team, count: 5, rows: 64, pause: 0.005, seed: 76) == 0)
    }

    /// An adaptive team (what sessions use) switches between working alone and sharing as its probes decide;
    /// through several of its cycles every product still equals the single-threaded one.
    @Test func anAdaptiveTeamComputesTheSameProductsThroughItsProbes() throws {
        let team = try #require(kru_worker_team_create(2, 1))
        defer { kru_worker_team_destroy(team) }
        #expect(Self.mismatches(team: team, count: 2_500, rows: 47, seed: 78) == 0)
    }

    @Test func outOfRangeTeamSizesAreRefused() {
        #expect(kru_worker_team_create(1, 0) == nil)
        #expect(kru_worker_team_create(0, 0) == nil)
        #expect(kru_worker_team_create(Int32(KRU_WORKER_TEAM_MAX_MEMBERS) + 1, 0) == nil)
    }

    /// Whole models: a two-layer model whose large products are shared (hidden sizes 300 and 130: the first
    /// layer's recurrent matrix at every batch size, the second layer's matrices at batch 4) computes the floats of
    /// the single-threaded session, at f32 and with its recurrent matrices kept at 16 bits; so do the scores.
    @Test(arguments: [ModelDescription.Cell.lstm, .gru])
    func sharedSessionsComputeWhatOneThreadComputes(cell: ModelDescription.Cell) throws {
        let file = try SixteenBitModelTests.model(cell, hidden: [300, 130], seed: 9)
        let narrowed = try KRUFile(bytes: ModelNarrowing(file: file, tensors: ["recurrent"], to: .bf16).writer
            .encode())
        for model in [try KRUModel(file: file), try KRUModel(file: narrowed)] {
            #expect(model.session(threads: 2).threadCount == 2)
            for batch in [1, 4] {
                let want = try SixteenBitModelTests.trace(model, batch: batch, steps: 12, variant: .widest)
                for threads in [2, 3] {
                    let got = try SixteenBitModelTests.trace(model, batch: batch, steps: 12, variant: .widest,
                                                             threads: threads)
                    #expect(got.count == want.count)
                    #expect(zip(got, want).allSatisfy { $0.bitPattern == $1.bitPattern },
                            "batch \(batch), threads \(threads)")
                }
            }
            let text = (0..<300).map { $0 * 7 % 11 }
            #expect(try model.score(tokens: text, threads: 2).meanNLL == model.score(tokens: text).meanNLL)
        }
    }

    /// A model without a product worth sharing keeps one thread, and so does a thread count below 2.
    @Test func smallModelsAndSmallCountsKeepOneThread() throws {
        let small = try KRUModel(file: SixteenBitModelTests.model(.lstm, seed: 4))
        #expect(small.session(threads: 4).threadCount == 1)
        let large = try KRUModel(file: SixteenBitModelTests.model(.lstm, hidden: [300, 130], seed: 4))
        #expect(large.session(threads: 1).threadCount == 1)
        #expect(large.session(threads: 0).threadCount == 1)
        #expect(large.session(threads: -3).threadCount == 1)
    }
}
