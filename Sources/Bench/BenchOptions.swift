/// The command line of `kru-bench`. Parsed by hand: the benchmark depends on the engine and BLAS only, and four
/// options do not justify pulling the argument parser into it.
struct BenchOptions {
    /// Print one JSON document instead of tables (every reporting command of the project speaks --json).
    var json = false
    /// A smoke run for CI: smaller sizes, shorter measurements, same checks.
    var quick = false
    /// Exit with status 1 when a PASS/FAIL check fails; without it the exit status is always 0.
    var check = false
    /// Model files for section 5 (real zoo models) and section 6 (the cooperative-pool probe), in order.
    var models: [String] = []
    /// A Python with torch: section 3 then also measures PyTorch's nn.LSTM on the same model
    /// (tools/bench_torch_training.py, run from the repository root) and checks kru against it.
    var torch: String?

    static let usage = """
        usage: kru-bench [--json] [--quick] [--check] [--model PATH]... [--torch PYTHON]

        Measures, in one run: the Kronecker operator against dense BLAS matrix-vector products, whole-model
        tokens per second (sampling and scoring), and heap allocations on the engine's per-step paths; with
        --model, the same for real model files, kru's dense product against OpenBLAS on their matrices, and how
        long two generations delay other async work.

          --json    print one JSON document instead of tables
          --quick   fewer sizes and shorter measurements (a CI smoke run, well under 30 s)
          --check   exit with status 1 if a PASS/FAIL check fails (default: always exit 0)
          --model   a token model file (.kru) to measure; repeat for several (e.g. the zoo's kjv-kru512.kru and
                    kjv-lstm512.kru, whose ratios the PASS/FAIL lines judge)
          --torch PYTHON
                    also time PyTorch's nn.LSTM on section 3's model with this Python (a venv with torch;
                    runs tools/bench_torch_training.py from the current directory) and check kru against it
          --help    show this text
        """

    /// Parses `arguments` (without the program name); nil means "print usage", with `error` set when the
    /// arguments were wrong rather than a request for help.
    static func parse(_ arguments: [String]) -> (options: BenchOptions?, error: String?) {
        var options = BenchOptions()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--json": options.json = true
            case "--quick": options.quick = true
            case "--check": options.check = true
            case "--model":
                guard let path = rest.popFirst() else { return (nil, "--model needs a file") }
                options.models.append(path)
            case "--torch":
                guard let python = rest.popFirst() else {
                    return (nil, "--torch needs the path of a Python with torch")
                }
                options.torch = python
            case "--help", "-h": return (nil, nil)
            default: return (nil, "unknown argument \(argument)")
            }
        }
        return (options, nil)
    }
}
