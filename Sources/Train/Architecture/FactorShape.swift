/// The shape P × Q of one Kronecker factor W_f (spec/MODEL.md §3): `rows` = P_f contributes a digit of the
/// output index, `columns` = Q_f a digit of the input index.
public struct FactorShape: Hashable, Sendable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// A square `size × size` factor.
    public init(square size: Int) { self.init(rows: size, columns: size) }

    public var elementCount: Int { rows * columns }
    public var description: String { "\(rows)×\(columns)" }
}
