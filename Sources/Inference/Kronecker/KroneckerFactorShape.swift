/// The size P × Q of one Kronecker factor W_f: P_f contributes a digit of the row (output) index, Q_f a digit
/// of the column (input) index. The one shape type of the engine, the parameter counts, the converter and the
/// trainer.
public struct KroneckerFactorShape: Hashable, Sendable, CustomStringConvertible {
    /// P_f.
    public var rows: Int
    /// Q_f.
    public var columns: Int

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// A square `size × size` factor.
    public init(square size: Int) { self.init(rows: size, columns: size) }

    /// A square `size × size` factor.
    public static func square(_ size: Int) -> KroneckerFactorShape { KroneckerFactorShape(square: size) }

    /// P_f·Q_f, the entries of the factor.
    public var entryCount: Int { rows * columns }

    /// "P×Q".
    public var description: String { "\(rows)×\(columns)" }
}
