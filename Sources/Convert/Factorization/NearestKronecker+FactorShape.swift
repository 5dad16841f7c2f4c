extension NearestKronecker {
    /// The size P_f × Q_f of one Kronecker factor.
    public struct FactorShape: Hashable, Sendable, CustomStringConvertible {
        /// P_f: contributes one digit of the row index.
        public var rows: Int
        /// Q_f: contributes one digit of the column index.
        public var columns: Int

        public init(rows: Int, columns: Int) {
            self.rows = rows
            self.columns = columns
        }

        /// A square n × n factor.
        public static func square(_ n: Int) -> FactorShape { FactorShape(rows: n, columns: n) }

        /// P_f·Q_f: the length of the factor's mode in the rearranged tensor.
        public var count: Int { rows * columns }

        /// "PxQ", as in the CLI's `--factors` lists.
        public var description: String { "\(rows)x\(columns)" }
    }
}
