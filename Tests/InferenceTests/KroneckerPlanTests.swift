@testable import KRUInference
import Testing

/// The pass order for rectangular factors: shrinking factors first, the cheapest of all orders.
@Suite struct KroneckerPlanTests {
    /// Multiply-adds of a plan per vector: each pass does L·P·Q·R.
    static func cost(_ plan: KroneckerPlan) -> Int {
        plan.passes.reduce(0) { $0 + $1.outerCount * $1.rows * $1.columns * $1.innerCount }
    }

    /// Cost of applying the factors in `order` (first element first), straight from the formula
    /// Σ_i (∏_{j<i} P_{g(j)})·P_{g(i)}Q_{g(i)}·(∏_{j>i} Q_{g(j)}) (reference §3.5).
    static func formulaCost(rows: [Int], columns: [Int], order: [Int]) -> Int {
        order.indices.reduce(0) { total, i in
            let before = order[..<i].reduce(1) { $0 * rows[$1] }
            let after = order[(i + 1)...].reduce(1) { $0 * columns[$1] }
            return total + before * rows[order[i]] * columns[order[i]] * after
        }
    }

    static func permutations(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i in
            permutations(Array(items[..<i] + items[(i + 1)...])).map { [items[i]] + $0 }
        }
    }

    /// The reference's brute-force example: P = (2, 8, 3), Q = (6, 2, 3); the best of the six orders
    /// costs 204 multiply-adds, the worst 1008.
    @Test func chosenOrderIsTheCheapest() throws {
        let shape = try KroneckerShape(rows: [2, 8, 3], columns: [6, 2, 3])
        let plan = try KroneckerPlan(shape: shape)
        let all = Self.permutations([0, 1, 2]).map {
            Self.formulaCost(rows: shape.rows, columns: shape.columns, order: $0)
        }
        #expect(all.min() == 204 && all.max() == 1008)
        #expect(Self.cost(plan) == 204)
        #expect(Self.cost(plan)
            == Self.formulaCost(rows: shape.rows, columns: shape.columns, order: plan.passes.map(\.factor)))
    }

    /// For every dense-oracle shape, forward and adjoint, the plan's order is optimal among all orders.
    @Test(arguments: KroneckerCases.denseOracle)
    func everyPlanIsOptimal(testCase: KroneckerCase) throws {
        let shape = try KroneckerShape(rows: testCase.sizes.map(\.rows), columns: testCase.sizes.map(\.columns))
        for s in [shape, shape.adjoint] {
            let plan = try KroneckerPlan(shape: s)
            let best = Self.permutations(Array(0..<s.factorCount))
                .map { Self.formulaCost(rows: s.rows, columns: s.columns, order: $0) }.min()!
            #expect(Self.cost(plan) == best)
        }
    }

    /// A 1 × 1000 factor followed by a 1000 × 1 factor: applied in the wrong order the intermediate has a
    /// million entries; shrinking first keeps the scratch at one element.
    @Test func shrinkingFirstKeepsScratchSmall() throws {
        let shape = try KroneckerShape(rows: [1, 1000], columns: [1000, 1])
        let plan = try KroneckerPlan(shape: shape)
        #expect(plan.passes.map(\.factor) == [0, 1])
        #expect(plan.scratchElementsPerVector == 1)
    }

    /// Square factors all tie; they run last mode first.
    @Test func squareFactorsRunLastModeFirst() throws {
        let shape = try KroneckerShape(rows: [2, 4, 3], columns: [2, 4, 3])
        let plan = try KroneckerPlan(shape: shape)
        #expect(plan.passes.map(\.factor) == [2, 1, 0])
        #expect(plan.passes.map(\.outerCount) == [8, 2, 1])
        #expect(plan.passes.map(\.innerCount) == [1, 3, 12])
    }
}
