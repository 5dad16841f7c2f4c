import Glibc

/// The 1-, 5- and 15-minute load averages. Recorded at the start and end of a run because the machine is
/// shared (2 cores): other work on it slows both sides, the multi-threaded BLAS baseline most.
func loadAverages() -> [Double] {
    var values = [Double](repeating: 0, count: 3)
    let count = getloadavg(&values, 3)
    return count == 3 ? values : []
}
