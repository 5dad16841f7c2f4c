import KRUInference
import Testing

/// The `--factors` grammar every command shares: parsing, printing back, choosing shapes for N, and refusals.
struct FactorSpecificationTests {
    @Test(arguments: ["none", "auto", "auto2", "4x4x8", "2:3x3:2", "2x3:4x4:3", "1"])
    func textRoundTrips(_ text: String) throws {
        let specification = try FactorSpecification(parsing: text)
        #expect(specification.description == text)
        #expect(try FactorSpecification(parsing: specification.description) == specification)
    }

    @Test func shapesForN() throws {
        #expect(try FactorSpecification(parsing: "auto").shapes(for: 512) == [.square(16), .square(32)])
        #expect(try FactorSpecification(parsing: "auto").shapes(for: 96) == [.square(8), .square(12)])
        #expect(try FactorSpecification(parsing: "auto2").shapes(for: 512) == Array(repeating: .square(2), count: 9))
        #expect(try FactorSpecification(parsing: "none").shapes(for: 512) == nil)
        #expect(try FactorSpecification(parsing: "2:3x3:2").shapes(for: 6) == [.init(rows: 2,
            columns: 3), .init(rows: 3, columns: 2)])
        typealias Rule = FactorSpecification.AutomaticFactors
        #expect(try Rule.primeChain.shapes(for: 12) == [.square(2), .square(2), .square(3)])
        #expect(try Rule.balanced(factorCount: 3).shapes(for: 1024) == [.square(8), .square(8), .square(16)])
        #expect(try FactorSpecification(parsing: "2:3x3:4x4:2").size == 24)
        #expect(try FactorSpecification(parsing: "2:3x3:3").size == nil)  // 6 rows, 9 columns
    }

    @Test(arguments: ["4y4", "", "2x", "0x2", "-2", "2:3:4", "two",
                      Array(repeating: "2", count: 65).joined(separator: "x")])
    func malformedTextIsRefused(_ text: String) {
        #expect(throws: FactorSpecificationError.self) { try FactorSpecification(parsing: text) }
    }

    @Test func shapesThatDoNotFitAreRefusedWithoutOverflowing() throws {
        #expect(throws: FactorSpecificationError.self) { try FactorSpecification(parsing: "4x4").shapes(for: 8) }
        #expect(throws: FactorSpecificationError.self) { try FactorSpecification(parsing: "auto2").shapes(for: 96) }
        // Products beyond Int are refused when parsed; products beyond the schema's N when used.
        for text in ["4611686018427387904x4611686018427387904", "2x4611686018427387904"] {
            #expect(throws: FactorSpecificationError.self) { try FactorSpecification(parsing: text) }
        }
        let large = try FactorSpecification(parsing: "99999999x99999999")
        #expect(large.size == nil && large.products?.rows == 9_999_999_800_000_001)
        #expect(throws: FactorSpecificationError.self) { try large.shapes(for: 8) }
    }
}
