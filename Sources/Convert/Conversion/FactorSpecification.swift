/// How `kru convert` shapes each recurrent matrix: left dense, or as Kronecker factors chosen explicitly or
/// automatically. Parsed from `--factors`: `none`, `auto` (two balanced square factors), `auto2` (a chain of
/// 2×2 factors), a list of square sizes `4x4x4`, or factor shapes `2:3x3:2` (P:Q per factor, for rectangular
/// factors of a square matrix).
public enum FactorSpecification: Equatable, Sendable, CustomStringConvertible {
    case none
    case automatic(NearestKronecker.AutoShapeRule)
    case shapes([NearestKronecker.FactorShape])

    public init(parsing text: String) throws {
        switch text {
        case "none": self = .none
        case "auto": self = .automatic(.balancedPair)
        case "auto2": self = .automatic(.twoByTwoChain)
        default:
            let shapes = text.split(separator: "x", omittingEmptySubsequences: false).map { item -> NearestKronecker.FactorShape? in
                let sides = item.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
                switch sides.count {
                case 1: return sides[0].flatMap { $0 >= 1 ? .square($0) : nil }
                case 2: if let p = sides[0], let q = sides[1], p >= 1, q >= 1 { return .init(rows: p, columns: q) } else { return nil }
                default: return nil
                }
            }
            guard !shapes.isEmpty, shapes.allSatisfy({ $0 != nil }) else {
                throw ConversionError("--factors \(text) is not none, auto, auto2, square sizes like 4x4x4, or shapes like 2:3x3:2")
            }
            let parsed = shapes.map { $0! }
            // Checked here, so that no later product of the sizes can overflow.
            guard Self.product(parsed.map(\.rows)) != nil, Self.product(parsed.map(\.columns)) != nil else {
                throw ConversionError("--factors \(text) multiplies to more than \(Int.max): no matrix has that size")
            }
            self = .shapes(parsed)
        }
    }

    /// The factor shapes for an N × N matrix, nil for `none`.
    func shapes(for n: Int) throws -> [NearestKronecker.FactorShape]? {
        switch self {
        case .none:
            return nil
        case .automatic(let rule):
            do { return try NearestKronecker.autoShapes(size: n, rule: rule) } catch {
                throw ConversionError("cannot choose factors for N = \(n): \(error)")
            }
        case .shapes(let shapes):
            // Both products were checked not to overflow when the specification was parsed.
            let rows = Self.product(shapes.map(\.rows)) ?? .max, columns = Self.product(shapes.map(\.columns)) ?? .max
            guard rows == n && columns == n else {
                throw ConversionError("factors \(self) multiply to \(rows)×\(columns), but the recurrent matrices are \(n)×\(n)")
            }
            return shapes
        }
    }

    /// The product of `sizes`, nil if it overflows `Int`.
    private static func product(_ sizes: [Int]) -> Int? {
        var product = 1
        for size in sizes {
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            product = next
        }
        return product
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .automatic(.twoByTwoChain): "auto2"
        case .automatic: "auto"
        // Square factors as their size, rectangular ones as P:Q, so that the text parses back to the same shapes.
        case .shapes(let shapes): shapes.map { $0.rows == $0.columns ? "\($0.rows)" : "\($0.rows):\($0.columns)" }.joined(separator: "x")
        }
    }
}
